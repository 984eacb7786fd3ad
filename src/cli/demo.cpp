// Two spirals, a two-layer network (2 → hidden → 2, tanh), full-batch Adam written out by hand: the
// smallest honest demonstration that tensors, autograd and the kernels train something.
#include "cli/demo.h"

#include "cli/commands.h"

#include <cmath>

#include "nabla/data/synthetic.h"
#include "nabla/nabla.h"
#include "nabla/train/progress.h"

namespace nabla::cli {
namespace {

// PyTorch's default for a linear layer: U(−1/√fan_in, 1/√fan_in) for weights and bias.
Tensor uniform_parameter(const Shape& shape, int64_t fan_in, Generator& generator) {
  double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return (rand(shape, {}, &generator) * (2 * bound) - bound).requires_grad_();
}

struct AdamState {
  Tensor first_moment, second_moment;
};

void adam_step(std::vector<Tensor>& parameters, std::vector<AdamState>& states, double learning_rate, int64_t step) {
  constexpr double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  autograd::NoGradGuard no_grad;
  const double correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  for (size_t i = 0; i < parameters.size(); ++i) {
    Tensor& parameter = parameters[i];
    const Tensor& grad = parameter.grad();
    AdamState& state = states[i];
    state.first_moment = state.first_moment * beta1 + grad * (1 - beta1);
    state.second_moment = state.second_moment * beta2 + grad * grad * (1 - beta2);
    Tensor update = (state.first_moment / correction1) / ((state.second_moment / correction2).sqrt() + epsilon);
    parameter.add_(update * -learning_rate);
    parameter.zero_grad();
  }
}

double accuracy(const Tensor& logits, const Tensor& targets) {
  return mean(eq(logits.argmax(1), targets).to(DType::f32)).item();
}

}  // namespace

double run_spirals_demo(const DemoOptions& options) {
  NABLA_CHECK(options.points_per_class > 0, "demo: --points must be positive, got {}", options.points_per_class);
  NABLA_CHECK(options.hidden > 0, "demo: --hidden must be positive, got {}", options.hidden);
  NABLA_CHECK(options.steps > 0, "demo: --steps must be positive, got {}", options.steps);
  NABLA_CHECK(std::isfinite(options.learning_rate) && options.learning_rate > 0,
              "demo: --lr must be a positive finite number, got {}", options.learning_rate);
  Generator generator(options.seed);
  data::Labeled spirals = data::two_spirals(options.points_per_class, options.noise, generator);
  std::vector<Tensor> parameters = {
      uniform_parameter({2, options.hidden}, 2, generator), uniform_parameter({options.hidden}, 2, generator),
      uniform_parameter({options.hidden, 2}, options.hidden, generator),
      uniform_parameter({2}, options.hidden, generator)};
  std::vector<AdamState> states;
  for (const Tensor& parameter : parameters) states.push_back({zeros_like(parameter), zeros_like(parameter)});
  auto forward = [&](const Tensor& x) {
    Tensor hidden = tanh(matmul(x, parameters[0]) + parameters[1]);
    return matmul(hidden, parameters[2]) + parameters[3];
  };

  fmt::print("two spirals: {} points, network 2-{}-2 (tanh), Adam lr {}, {} full-batch steps\n",
             spirals.inputs.size(0), options.hidden, options.learning_rate, options.steps);
  std::fflush(stdout);  // the progress bar writes to stderr
  train::ProgressBar progress("training", options.steps, "steps");
  double loss_value = NAN;
  for (int64_t step = 1; step <= options.steps; ++step) {
    Tensor loss = cross_entropy(forward(spirals.inputs), spirals.targets);
    loss.backward();
    adam_step(parameters, states, options.learning_rate, step);
    // Reading the loss syncs with the kernels; do it only when the bar may redraw.
    if (step % 20 == 0 || step == options.steps) {
      loss_value = loss.item();
      NABLA_CHECK(std::isfinite(loss_value), "demo: the loss became {} at step {}; try a smaller --lr", loss_value, step);
      progress.advance(step % 20 == 0 ? 20 : step % 20, fmt::format("loss {:.4f}", loss_value));
    }
  }
  autograd::NoGradGuard no_grad;
  double result = accuracy(forward(spirals.inputs), spirals.targets);
  progress.finish(fmt::format("loss {:.4f}", loss_value));
  fmt::print("final loss {:.4f}, training accuracy {:.1f}%\n", loss_value, 100 * result);
  return result;
}

Runner add_demo_command(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  auto minimum_accuracy = std::make_shared<double>(0.0);
  CLI::App* command = app.add_subcommand("demo", "Train a 2-layer network on two spirals and print its accuracy");
  command->add_option("--points", options->points_per_class, "Points per spiral")->capture_default_str()->check(positive());
  command->add_option("--hidden", options->hidden, "Hidden units")->capture_default_str()->check(positive());
  command->add_option("--steps", options->steps, "Full-batch Adam steps")->capture_default_str()->check(positive());
  command->add_option("--lr", options->learning_rate, "Learning rate")->capture_default_str()->check(positive());
  command->add_option("--noise", options->noise, "Std of the noise added to the points")->capture_default_str()->check(non_negative());
  command->add_option("--seed", options->seed, "Random seed")->capture_default_str()->check(non_negative());
  command->add_option("--expect-accuracy", *minimum_accuracy,
                      "Exit with status 1 if the final accuracy is below this fraction (for scripts)")
      ->check(non_negative() & CLI::Range(0.0, 1.0));
  return [command, options, minimum_accuracy] {
    if (!command->parsed()) return -1;
    double accuracy = run_spirals_demo(*options);
    if (accuracy < *minimum_accuracy) {
      fmt::print(stderr, "nabla: error: accuracy {:.3f} is below --expect-accuracy {:.3f}\n", accuracy, *minimum_accuracy);
      return 1;
    }
    return 0;
  };
}

}  // namespace nabla::cli
