// Q05: why a network needs non-linearity. The same four-layer stack, trained the same way on two
// interleaved spirals, once without activations and once with ReLU between the layers:
//   x [N, 2] → Linear 64 → (ReLU) → Linear 64 → (ReLU) → Linear 64 → (ReLU) → Linear 2 (logits)
// Without activations the trained stack is exactly one affine map x Wᵀ + b with W = W₄W₃W₂W₁ [2, 2]: the
// experiment multiplies the learned matrices and compares that map with the network's output.
#include <cmath>

#include "nabla/analysis/landscape.h"
#include "nabla/data/synthetic.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/linear.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

constexpr int64_t kWidth = 64;
constexpr int64_t kLinearLayers = 4;

struct Stack {
  std::shared_ptr<nn::Sequential> model;
  std::vector<std::shared_ptr<nn::Linear>> linears;  // in order, input side first
};

Stack make_stack(bool with_relu, Generator& generator) {
  Stack stack{std::make_shared<nn::Sequential>(), {}};
  const std::vector<int64_t> sizes = {2, kWidth, kWidth, kWidth, 2};
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    auto linear = std::make_shared<nn::Linear>(nn::LinearOptions{sizes[l], sizes[l + 1]}, &generator);
    stack.linears.push_back(linear);
    stack.model->push_back(linear);
    if (with_relu && l + 2 < sizes.size()) stack.model->push_back(std::make_shared<nn::ReLU>());
  }
  return stack;
}

double accuracy(nn::Module& model, const data::Labeled& data) {
  autograd::NoGradGuard no_grad;
  return mean(eq(argmax(model(data.inputs), 1), data.targets).to(DType::f64)).item();
}

// Full-batch Adam on the cross-entropy; returns the final training loss.
double train(nn::Module& model, const data::Labeled& data, int64_t steps, double lr) {
  optim::Adam optimizer(model.parameters(), {.lr = lr});
  double last = 0;
  for (int64_t step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    Tensor loss = cross_entropy(model(data.inputs), data.targets);
    loss.backward();
    optimizer.step();
    if (step + 1 == steps) last = loss.item();
  }
  return last;
}

// The product of the learned affine maps: x ↦ x Wᵀ + b, W = W₄W₃W₂W₁, b = ((b₁W₂ᵀ + b₂)W₃ᵀ + b₃)W₄ᵀ + b₄.
std::pair<Tensor, Tensor> collapse(const std::vector<std::shared_ptr<nn::Linear>>& linears) {
  autograd::NoGradGuard no_grad;
  Tensor matrix = linears.front()->weight, bias = linears.front()->bias;
  for (size_t l = 1; l < linears.size(); ++l) {
    matrix = matmul(linears[l]->weight, matrix);
    bias = matmul(bias, linears[l]->weight.t()) + linears[l]->bias;
  }
  return {matrix, bias};
}

// The points of a square grid covering the data, [resolution², 2], row by row from the bottom.
Tensor grid_points(const std::vector<double>& axis) {
  std::vector<double> points;
  for (double y : axis) {
    for (double x : axis) points.insert(points.end(), {x, y});
  }
  return from_vector(points, {static_cast<int64_t>(axis.size() * axis.size()), 2});
}

// P(class 1) over the grid, for the decision-region picture.
Grid decision_surface(nn::Module& model, const std::vector<double>& axis) {
  autograd::NoGradGuard no_grad;
  std::vector<double> probability = softmax(model(grid_points(axis)), 1).select(1, 1).to_vector();
  Grid grid{axis, axis, {}, "x₁ (first input feature)", "x₂ (second input feature)", "P(class 1), the network's probability"};
  for (size_t row = 0; row < axis.size(); ++row) {
    grid.values.emplace_back(probability.begin() + static_cast<long>(row * axis.size()),
                             probability.begin() + static_cast<long>((row + 1) * axis.size()));
  }
  return grid;
}

void run(Context& ctx) {
  const auto per_class = static_cast<int64_t>(ctx.parameter("per_class", ctx.quick() ? 200 : 500));
  const auto steps = static_cast<int64_t>(ctx.parameter("steps", ctx.quick() ? 1000 : 4000));
  const double lr = ctx.parameter("lr", 1e-2);
  const double noise = ctx.parameter("noise", 0.02);
  NABLA_KNOB_CHECK(per_class >= 10 && steps >= 1, "lab Q05: per_class must be at least 10 and steps positive");

  const data::Labeled spirals = data::two_spirals(per_class, noise, ctx.generator());
  Stack linear = make_stack(false, ctx.generator());
  Stack with_relu = make_stack(true, ctx.generator());
  auto single = std::make_shared<nn::Linear>(nn::LinearOptions{2, 2}, &ctx.generator());  // logistic regression
  ctx.note(fmt::format("two spirals, {} points each (noise {:g}); {} full-batch Adam steps, lr {:g}, for each model",
                       per_class, noise, steps, lr));

  const double linear_loss = train(*linear.model, spirals, steps, lr);
  const double relu_loss = train(*with_relu.model, spirals, steps, lr);
  const double single_loss = train(*single, spirals, steps, lr);
  const double linear_accuracy = accuracy(*linear.model, spirals);
  const double relu_accuracy = accuracy(*with_relu.model, spirals);
  const double single_accuracy = accuracy(*single, spirals);
  ctx.table("Training accuracy on the spirals",
            {"model", "parameters", "final loss", "accuracy"},
            {{"4 Linear layers, no activation", std::to_string(linear.model->parameter_count()),
              fmt::format("{:.4f}", linear_loss), fmt::format("{:.1f} %", 100 * linear_accuracy)},
             {"1 Linear layer (logistic regression)", std::to_string(single->parameter_count()),
              fmt::format("{:.4f}", single_loss), fmt::format("{:.1f} %", 100 * single_accuracy)},
             {"4 Linear layers with ReLU", std::to_string(with_relu.model->parameter_count()),
              fmt::format("{:.4f}", relu_loss), fmt::format("{:.1f} %", 100 * relu_accuracy)}});

  // The collapse, checked on the data and on a grid around it.
  const std::vector<double> axis = analysis::grid(-1.2, 1.2, ctx.quick() ? 61 : 201);
  auto [matrix, bias] = collapse(linear.linears);
  Tensor probe = cat({spirals.inputs, grid_points(axis)});
  double largest_difference = 0, largest_output = 0;
  {
    autograd::NoGradGuard no_grad;
    Tensor network = (*linear.model)(probe);
    Tensor product = matmul(probe, matrix.t()) + bias;
    largest_difference = max(abs(network - product)).item();
    largest_output = max(abs(network)).item();
  }
  std::vector<double> entries = matrix.to_vector();
  ctx.note(fmt::format("W₄W₃W₂W₁ = [[{:.4f}, {:.4f}], [{:.4f}, {:.4f}]], b = ({:.4f}, {:.4f})", entries[0], entries[1],
                       entries[2], entries[3], bias.to_vector()[0], bias.to_vector()[1]));
  ctx.heatmap("regions_linear.png", "P(class 1), 4 Linear layers without activation", decision_surface(*linear.model, axis));
  ctx.heatmap("regions_relu.png", "P(class 1), 4 Linear layers with ReLU", decision_surface(*with_relu.model, axis));
  plot::Panel points{"The two spirals", "x₁ (first input feature)", "x₂ (second input feature)", {{"class 0", {}, {}}, {"class 1", {}, {}}}};
  std::vector<double> xy = spirals.inputs.to_vector(), labels = spirals.targets.to_vector();
  for (size_t i = 0; i < labels.size(); ++i) {
    auto& series = points.series[labels[i] == 0 ? 0 : 1];
    series.x.push_back(xy[2 * i]);
    series.y.push_back(xy[2 * i + 1]);
  }
  ctx.scatter_plot("spirals.png", points);

  ctx.figure("accuracy without activation", linear_accuracy);
  ctx.figure("accuracy with ReLU", relu_accuracy);
  ctx.figure("largest |network − W x − b| (float32)", largest_difference);
  const double tolerance = 1e-5 * largest_output;  // float32 round-off through four products of width 64
  ctx.claim(
      {"without activations the 4 layers are one affine map", "활성화 함수가 없으면 4개 층은 하나의 아핀 변환이다"},
      largest_difference <= tolerance,
      format_text(
          {"largest |network(x) − (W₄W₃W₂W₁x + b)| over {} points: {:.3g}; outputs up to {:.3g}, "
           "tolerance {:.3g}",
           "점 {}개에서 |network(x) − (W₄W₃W₂W₁x + b)|의 최댓값: {:.3g}; 출력 크기 최대 {:.3g}, 허용 오차 {:.3g}"},
          probe.size(0), largest_difference, largest_output, tolerance));
  ctx.claim({"the stack without activations does no better than one linear layer",
             "활성화 함수 없이 층을 쌓으면 선형 층 하나보다 나을 것이 없다"},
            linear_accuracy <= single_accuracy + 0.02,
            format_text({"{:.1f} % vs {:.1f} % for logistic regression (2 points of slack for training noise)",
                         "활성화 없는 층 쌓기 {:.1f} %, 로지스틱 회귀 {:.1f} % (학습 잡음을 고려해 2 %p 여유)"},
                        100 * linear_accuracy, 100 * single_accuracy));
  ctx.claim({"with ReLU the same stack fits the spirals (≥ 95 %), far better than without",
             "ReLU를 넣으면 같은 구조가 나선 데이터를 맞춘다 (95 % 이상): 없을 때보다 훨씬 낫다"},
            relu_accuracy >= 0.95 && relu_accuracy >= linear_accuracy + 0.2,
            format_text({"{:.1f} % with ReLU vs {:.1f} % without", "ReLU 있음 {:.1f} %, 없음 {:.1f} %"},
                        100 * relu_accuracy, 100 * linear_accuracy));
}

const bool registered = register_experiment({
    .id = "Q05",
    .title = "What is non-linearity and why is it needed?",
    .question = {"What is non-linearity in a neural network, and why is it needed?",
                 "신경망에서 비선형성이란 무엇이고, 왜 필요한가요?"},
    .answer = {"A non-linearity is a function such as ReLU, tanh or sigmoid applied between the linear layers; it "
               "does not satisfy f(a + b) = f(a) + f(b). Without it, stacking layers adds nothing: the product of affine "
               "maps is one affine map, so a 4-layer network is exactly one matrix and a bias, and it can only draw a "
               "straight decision boundary however deep it is. With a non-linearity between the layers the network can "
               "bend and fold the input space, and a wide enough one can approximate any continuous function; here it "
               "separates two interleaved spirals that no linear model can.",
               "비선형성은 선형 층 사이에 넣는 ReLU, tanh, 시그모이드 같은 함수로, f(a + b) = f(a) + f(b)가 성립하지 "
               "않습니다. 이게 없으면 층을 쌓아도 아무 의미가 없습니다. 아핀 변환을 여러 번 곱해도 하나의 아핀 변환이라서 "
               "4층 네트워크가 정확히 행렬 하나와 편향 하나가 되고, 아무리 깊어도 직선 결정 경계밖에 못 그립니다. 층 사이에 "
               "비선형 함수를 넣으면 입력 공간을 구부리고 접을 수 있어서, 충분히 넓으면 어떤 연속 함수든 근사할 수 있고, "
               "여기서도 선형 모델로는 안 되는 두 나선을 분리합니다."},
    .topic = "B C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
