// Q16: how much do local minima matter? Two measurements of the final loss over many random starts:
//   1. f(x) = sin(3x) + 0.1x² + 0.2x, a 1-D function with five minima: gradient descent from uniform starts
//      in [−4, 4], all starts at once as one float64 tensor x [starts] (the loss Σ f(xᵢ) has independent
//      gradients f'(xᵢ)).
//   2. A small tanh network on two spirals, x [N, 2] → Linear H → tanh → Linear H → tanh → Linear 2 (logits),
//      full-batch Adam from many seeds, at a wide width (over-parameterised) and a narrow one.
#include <algorithm>
#include <cmath>

#include "nabla/data/synthetic.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/linear.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

Tensor bumpy(const Tensor& x) { return sin(3 * x) + 0.1 * x * x + 0.2 * x; }

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Basin {
  double x = 0, loss = 0;  // where its runs ended (their mean)
  int runs = 0;
};

// Groups the final points: sorted, a gap above `gap` starts a new minimum.
std::vector<Basin> group_minima(std::vector<double> finals, double gap) {
  std::sort(finals.begin(), finals.end());
  std::vector<Basin> basins;
  for (size_t i = 0; i < finals.size(); ++i) {
    if (i == 0 || finals[i] - finals[i - 1] > gap) basins.push_back({});
    Basin& basin = basins.back();
    basin.x += (finals[i] - basin.x) / ++basin.runs;
  }
  for (Basin& basin : basins) basin.loss = bumpy(tensor({basin.x}, {.dtype = DType::f64})).item();
  return basins;
}

void one_dimension(Context& ctx) {
  const auto starts = static_cast<int64_t>(ctx.parameter("starts", ctx.quick() ? 400 : 4000));
  const double lr = 0.05;  // below 2/max f'' = 2/9.2, so no run jumps between basins
  const int steps = 400;
  Tensor x = (rand({starts}, {.dtype = DType::f64}, &ctx.generator()) * 8 - 4).requires_grad_();
  const std::vector<double> start_losses = bumpy(x).to_vector();
  for (int step = 0; step < steps; ++step) {
    x.zero_grad();
    sum(bumpy(x)).backward();
    autograd::NoGradGuard no_grad;
    x = (x - x.grad() * lr).requires_grad_();
  }
  x.zero_grad();
  sum(bumpy(x)).backward();
  const std::vector<double> finals = x.to_vector(), final_losses = bumpy(x.detach()).to_vector();
  const std::vector<double> slopes = abs(x.grad()).to_vector();
  const double largest_slope = *std::max_element(slopes.begin(), slopes.end());

  // The global minimum by brute force: f on a fine grid over [−6, 6] (outside it 0.1x² alone exceeds every value
  // f takes near the origin), then the grid's best point.
  const Tensor grid = linspace(-6, 6, 120001, {.dtype = DType::f64});
  const Tensor grid_values = bumpy(grid);
  const double global_loss = min(grid_values).item();
  const double global_x = index_select(grid, 0, argmin(grid_values, 0).reshape({1})).item();

  const std::vector<Basin> basins = group_minima(finals, 1e-3);
  std::vector<std::vector<std::string>> rows;
  int global_runs = 0;
  for (const Basin& basin : basins) {
    const bool global = std::abs(basin.x - global_x) < 1e-3;
    if (global) global_runs = basin.runs;
    rows.push_back({fmt::format("{:.4f}", basin.x), fmt::format("{:.4f}", basin.loss), std::to_string(basin.runs),
                    fmt::format("{:.1f} %", 100.0 * basin.runs / static_cast<double>(starts)), global ? "global" : ""});
  }
  ctx.table(fmt::format("Where {} gradient-descent runs on sin(3x) + 0.1x² + 0.2x ended (η = {}, {} steps)", starts, lr, steps),
            {"minimum x", "f(x)", "runs", "share", ""}, rows);
  const double worst = *std::max_element(final_losses.begin(), final_losses.end());
  ctx.figure("1-D: distinct minima reached", static_cast<double>(basins.size()));
  ctx.figure("1-D: share of runs at the global minimum", global_runs / static_cast<double>(starts));
  ctx.claim({"1-D: the runs end in at least 2 distinct minima", "1차원: 실행들이 서로 다른 최솟점 2개 이상에서 끝난다"},
            basins.size() >= 2,
            format_text({"{} minima (final points more than 1e-3 apart) from {} starts",
                         "시작점 {1}개에서 최솟점 {0}개 (최종점이 1e-3보다 멀리 떨어진 것)"},
                        basins.size(), starts));
  ctx.claim({"1-D: every run stops at a stationary point", "1차원: 모든 실행이 정류점에서 멈춘다"},
            largest_slope < 1e-8,
            format_text({"largest |f'(x)| at the end: {:.3g}", "끝에서 |f'(x)|의 최댓값: {:.3g}"}, largest_slope));
  ctx.claim(
      {"1-D: most runs stall in a worse minimum", "1차원: 대부분의 실행은 더 나쁜 최솟점에 갇힌다"},
      global_runs > 0 && 2 * global_runs < starts && worst - global_loss > 1,
      format_text({"{} of {} runs reach the global minimum f({:.4f}) = {:.4f} (found on a grid); the worst run ends at "
                   "f = {:.4f}",
                   "실행 {1}개 중 {0}개가 전역 최솟값 f({2:.4f}) = {3:.4f} (격자로 찾음)에 도달; 가장 나쁜 실행은 f = "
                   "{4:.4f}에서 끝남"},
                  global_runs, starts, global_x, global_loss, worst));

  plot::Panel curve{"f(x) = sin(3x) + 0.1x² + 0.2x and its minima", "x (the one parameter)", "loss f(x)", {{"f", {}, {}}}};
  for (int i = 0; i <= 400; ++i) {
    const double at = -5 + 10.0 * i / 400;
    curve.series[0].x.push_back(at);
    curve.series[0].y.push_back(bumpy(tensor({at}, {.dtype = DType::f64})).item());
  }
  ctx.line_plot("function.png", curve);
  ctx.histogram("final_losses_1d.png", "1-D: loss at the start and at the end of each run", "loss f(x)",
                {{"start", start_losses, {}}, {"end", final_losses, {}}}, 40);
}

struct NetworkRuns {
  int64_t width = 0, parameters = 0;
  std::vector<double> initial, halfway, final;  // loss per seed, at steps 0, steps/2 and steps
  std::vector<double> gradient_norms;   // ‖∇L‖ over every parameter at the end, per seed
};

NetworkRuns train_from_seeds(int64_t width, int seeds, int steps, const data::Labeled& spirals, Generator& generator) {
  NetworkRuns runs{.width = width};
  for (int seed = 0; seed < seeds; ++seed) {
    auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{
        std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 2, .out_features = width}, &generator), std::make_shared<nn::Tanh>(),
        std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = width, .out_features = width}, &generator), std::make_shared<nn::Tanh>(),
        std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = width, .out_features = 2}, &generator)});
    runs.parameters = model->parameter_count();
    optim::Adam optimizer(model->parameters(), {.lr = 1e-2});
    for (int step = 0;; ++step) {
      optimizer.zero_grad();
      Tensor loss = cross_entropy((*model)(spirals.inputs), spirals.targets);
      if (step == 0) runs.initial.push_back(loss.item());
      if (step == steps / 2) runs.halfway.push_back(loss.item());
      loss.backward();
      if (step == steps) {
        runs.final.push_back(loss.item());
        double squares = 0;
        for (const Tensor& parameter : model->parameters()) squares += sum(parameter.grad() * parameter.grad()).item();
        runs.gradient_norms.push_back(std::sqrt(squares));
        break;
      }
      optimizer.step();
    }
  }
  return runs;
}

void small_network(Context& ctx) {
  const int seeds = static_cast<int>(ctx.parameter("seeds", ctx.quick() ? 8 : 40));
  const int steps = static_cast<int>(ctx.parameter("steps", ctx.quick() ? 600 : 2000));
  const auto wide = static_cast<int64_t>(ctx.parameter("wide", 48));
  const auto narrow = static_cast<int64_t>(ctx.parameter("narrow", 4));
  const data::Labeled spirals = data::two_spirals(100, 0.05, ctx.generator());
  const NetworkRuns big = train_from_seeds(wide, seeds, steps, spirals, ctx.generator());
  const NetworkRuns small = train_from_seeds(narrow, seeds, steps, spirals, ctx.generator());
  ctx.note(fmt::format("two spirals, {} points; {} seeds per width, {} full-batch Adam steps (lr 1e-2) each",
                       spirals.inputs.size(0), seeds, steps));

  std::vector<std::vector<std::string>> rows;
  for (const NetworkRuns* runs : {&big, &small}) {
    const auto [low, high] = std::minmax_element(runs->final.begin(), runs->final.end());
    rows.push_back({std::to_string(runs->width), std::to_string(runs->parameters), fmt::format("{:.4f}", median_of(runs->initial)),
                    fmt::format("{:.4f}", *low), fmt::format("{:.4f}", median_of(runs->final)), fmt::format("{:.4f}", *high),
                    fmt::format("{:.3f}", (*high - *low) / median_of(runs->initial)),
                    fmt::format("{:.2g}", *std::max_element(runs->gradient_norms.begin(), runs->gradient_norms.end())),
                    fmt::format("{:.4f}", median_of(runs->halfway) - median_of(runs->final))});
  }
  for (const NetworkRuns* runs : {&big, &small}) {
    std::vector<std::string> sorted;
    std::vector<double> finals = runs->final;
    std::sort(finals.begin(), finals.end());
    for (double value : finals) sorted.push_back(fmt::format("{:.4f}", value));
    ctx.note(fmt::format("width {}: final losses, sorted: {}", runs->width, fmt::join(sorted, ", ")));
  }
  ctx.table("Final cross-entropy over seeds", {"width", "parameters", "initial loss (median)", "final min", "final median",
                                               "final max", "spread / initial loss", "largest final ‖∇L‖",
                                               "median loss drop in the second half"},
            rows);
  auto spread = [](const NetworkRuns& runs) {
    const auto [low, high] = std::minmax_element(runs.final.begin(), runs.final.end());
    return *high - *low;
  };
  const double initial = median_of(big.initial);
  ctx.figure(fmt::format("width {}: spread of final losses", wide), spread(big));
  ctx.figure(fmt::format("width {}: median final loss", wide), median_of(big.final));
  ctx.figure(fmt::format("width {}: spread of final losses", narrow), spread(small));
  ctx.claim(
      {"over-parameterised net: every seed ends about equally good",
       "과매개변수화된 네트워크: 모든 시드가 거의 똑같이 좋은 곳에서 끝난다"},
      spread(big) < 0.1 * initial,
      format_text({"width {} ({} parameters): final losses {:.4f} … {:.4f}, spread {:.4f} < 0.1 × initial loss {:.4f}",
                   "폭 {} (매개변수 {}개): 최종 손실 {:.4f} … {:.4f}, 퍼짐 {:.4f} < 0.1 × 초기 손실 {:.4f}"},
                  wide, big.parameters, *std::min_element(big.final.begin(), big.final.end()),
                  *std::max_element(big.final.begin(), big.final.end()), spread(big), initial));
  ctx.claim({"the narrow net's final losses spread more than the wide net's",
             "좁은 네트워크의 최종 손실이 넓은 네트워크보다 더 퍼진다"},
            spread(small) > spread(big),
            format_text({"spread: width {} {:.4f}, width {} {:.4f}", "퍼짐: 폭 {} {:.4f}, 폭 {} {:.4f}"}, narrow,
                        spread(small), wide, spread(big)));
  ctx.histogram("final_losses_network.png", "Final training loss over seeds", "final training loss (cross-entropy, nats)",
                {{fmt::format("width {}", wide), big.final, {}}, {fmt::format("width {}", narrow), small.final, {}}}, 20);
}

void run(Context& ctx) {
  one_dimension(ctx);
  small_network(ctx);
}

const bool registered = register_experiment({
    .id = "Q16",
    .title = "How local minima stall training",
    .question = {"Can gradient descent get stuck in a local minimum, and how much does that matter for neural networks?",
                 "경사 하강법이 지역 최솟값에 갇힐 수 있나요? 신경망 학습에서는 그게 얼마나 문제가 되나요?"},
    .answer = {"Yes: gradient descent only follows the slope, so on a non-convex function it stops in whichever "
               "minimum's basin it started in, and on a bumpy 1-D function most random starts end above the global "
               "minimum. For an over-parameterised network the picture measured here is different: runs from many "
               "seeds end at different weights but at almost the same low loss; the usual explanation is that in "
               "high dimensions most critical points with a high loss are saddles with some downhill direction left. "
               "A network too small for the task is different: its seeds end at clearly different losses, and training "
               "longer does not close the gap, so there bad minima (or very flat regions) are real; more width, "
               "restarts, momentum and minibatch noise are the usual remedies.",
               "네, 갇힐 수 있습니다. 경사 하강법은 기울기만 따라가므로 볼록하지 않은 함수에서는 시작점이 속한 골짜기의 "
               "최솟값에서 멈추고, 울퉁불퉁한 1차원 함수에서는 무작위 시작점 대부분이 전역 최솟값보다 높은 곳에서 끝납니다. "
               "그런데 파라미터가 충분히 많은 신경망에서 측정해 보면 다릅니다. 시드마다 도착한 가중치는 달라도 최종 손실은 "
               "거의 똑같이 낮습니다. 흔히 고차원에서는 손실이 높은 임계점 대부분이 진짜 최솟값이 아니라 내려갈 방향이 "
               "남아 있는 안장점이기 때문이라고 설명합니다. 반면 과제에 비해 너무 작은 네트워크는 시드마다 최종 손실이 "
               "뚜렷하게 다르고 더 오래 학습해도 그 차이가 줄지 않으므로, 이때는 나쁜 최솟값(또는 아주 평평한 영역)이 실제 "
               "문제입니다. 보통 폭을 늘리거나, 여러 번 다시 시작하거나, 모멘텀이나 미니배치의 잡음으로 완화합니다."},
    .topic = "C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
