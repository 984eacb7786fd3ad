// Q06: why ReLU rather than sigmoid. A 20-layer MLP at initialisation, once with sigmoid and Xavier
// initialisation, once with ReLU and He initialisation (each activation with its recommended init);
// the gradient norm of every layer's weights after one backward pass (network in gradient_flow.h).
// Then sigmoid's derivative, measured by autograd on a grid, never exceeds 1/4.
#include <algorithm>
#include <cmath>

#include "gradient_flow.h"
#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

constexpr double kOrdersOfMagnitude = 6;  // "orders of magnitude": the claims ask for at least 10⁶

struct DerivativeScan {
  double largest = 0, where = 0, spacing = 0;
  std::vector<double> x, slope;
};

// σ'(x) on a grid of [−10, 10], each value the gradient of Σ σ(x) at that x.
DerivativeScan scan_sigmoid_derivative(int64_t points) {
  Tensor x = linspace(-10, 10, points, {.dtype = DType::f64}).requires_grad_();
  sum(sigmoid(x)).backward();
  DerivativeScan scan{.spacing = 20.0 / static_cast<double>(points - 1), .x = x.detach().to_vector(),
                      .slope = x.grad().to_vector()};
  auto top = std::max_element(scan.slope.begin(), scan.slope.end());
  scan.largest = *top;
  scan.where = scan.x[static_cast<size_t>(top - scan.slope.begin())];
  return scan;
}

// Each layer's median over the repeats (one repeat in quick mode).
std::vector<double> median_per_layer(const std::vector<std::vector<double>>& repeats) {
  std::vector<double> medians;
  for (size_t layer = 0; layer < repeats.front().size(); ++layer) {
    std::vector<double> values;
    for (const auto& repeat : repeats) values.push_back(repeat[layer]);
    std::nth_element(values.begin(), values.begin() + static_cast<long>(values.size() / 2), values.end());
    medians.push_back(values[values.size() / 2]);
  }
  return medians;
}

void run(Context& ctx) {
  const auto depth = static_cast<int64_t>(ctx.parameter("depth", 20));
  const auto width = static_cast<int64_t>(ctx.parameter("width", 256));
  const auto repeats = static_cast<int64_t>(ctx.parameter("repeats", ctx.quick() ? 1 : 9));
  // The negative test swaps the "ReLU" network's activation for sigmoid while keeping He initialisation.
  const Activation relu_activation = parse_activation("relu_activation", ctx.option("relu_activation", "relu"));
  NABLA_KNOB_CHECK(depth >= 2 && width >= 2 && repeats >= 1, "lab Q06: depth and width must be at least 2, repeats at least 1");

  const StackOptions sigmoid_options{.depth = depth, .width = width, .activation = Activation::sigmoid,
                                     .initialisation = Initialisation::xavier};
  const StackOptions relu_options{.depth = depth, .width = width, .activation = relu_activation,
                                  .initialisation = Initialisation::he};
  const std::string relu_label = activation_name(relu_activation) + " + He";
  std::vector<std::vector<double>> sigmoid_runs, relu_runs;
  for (int64_t r = 0; r < repeats; ++r) {
    sigmoid_runs.push_back(measure_gradient_flow(sigmoid_options, ctx.generator()).weight_gradient_norm);
    relu_runs.push_back(measure_gradient_flow(relu_options, ctx.generator()).weight_gradient_norm);
  }
  const std::vector<double> sigmoid_norms = median_per_layer(sigmoid_runs), relu_norms = median_per_layer(relu_runs);
  ctx.note(fmt::format("{} hidden layers of width {} plus a 10-way output layer; a batch of 256 N(0, 1) inputs with "
                       "random labels, cross-entropy; {} initialisation{} (median per layer)",
                       depth, width, repeats, repeats > 1 ? "s" : ""));

  std::vector<std::vector<std::string>> rows;
  plot::Panel panel{"Gradient norm of each layer's weights at initialisation", "layer (1 = next to the input)",
                    "gradient norm ‖dL/dW‖ (log scale)", {{"sigmoid + Xavier", {}, {}}, {relu_label, {}, {}}}, true};
  for (size_t layer = 0; layer < sigmoid_norms.size(); ++layer) {
    rows.push_back({std::to_string(layer + 1), fmt::format("{:.3e}", sigmoid_norms[layer]),
                    fmt::format("{:.3e}", relu_norms[layer]), fmt::format("{:.3g}", relu_norms[layer] / sigmoid_norms[layer])});
    for (auto [series, norms] : {std::pair{0, &sigmoid_norms}, std::pair{1, &relu_norms}}) {
      panel.series[static_cast<size_t>(series)].x.push_back(static_cast<double>(layer + 1));
      panel.series[static_cast<size_t>(series)].y.push_back((*norms)[layer]);
    }
  }
  ctx.table("‖dL/dW‖ per layer at initialisation", {"layer", "sigmoid + Xavier", relu_label, "ratio"}, rows);
  ctx.line_plot("gradient_norms.png", panel);

  const DerivativeScan scan = scan_sigmoid_derivative(ctx.quick() ? 2001 : 200001);
  plot::Series drawn{"σ'(x)", {}, {}};
  const size_t stride = std::max<size_t>(1, scan.x.size() / 1000);  // a thousand points draw the curve
  for (size_t k = 0; k < scan.x.size(); k += stride) drawn.x.push_back(scan.x[k]), drawn.y.push_back(scan.slope[k]);
  ctx.line_plot("sigmoid_derivative.png", {"σ'(x), by autograd", "x", "σ'(x)", {drawn}});

  const double first_ratio = relu_norms.front() / sigmoid_norms.front();
  const double sigmoid_span = sigmoid_norms.back() / sigmoid_norms.front();
  const double relu_span = relu_norms.back() / relu_norms.front();
  const double per_layer = std::pow(sigmoid_span, 1.0 / static_cast<double>(depth - 1));
  ctx.figure("first-layer gradient, ReLU + He ÷ sigmoid + Xavier", first_ratio);
  ctx.figure("sigmoid net: last-layer ÷ first-layer gradient", sigmoid_span);
  ctx.figure("sigmoid net: gradient lost per layer (geometric mean)", per_layer, "×");
  ctx.figure("largest σ'(x) on the grid", scan.largest);
  ctx.note(fmt::format("each sigmoid layer multiplies the backward signal by σ'(z) ≤ {:.4f}: {:.4f}^{} = {:.2e}",
                       scan.largest, scan.largest, depth - 1, std::pow(scan.largest, static_cast<double>(depth - 1))));

  ctx.claim(format_text({"ReLU's first-layer gradient is ≥ 10^{:g} × sigmoid's",
                         "ReLU의 첫 층 기울기는 시그모이드의 10^{:g}배 이상이다"},
                        kOrdersOfMagnitude),
            std::log10(first_ratio) >= kOrdersOfMagnitude,
            format_text({"‖dL/dW₁‖ = {:.3e} with {} vs {:.3e} with sigmoid + Xavier: ratio {:.3g} (10^{:.1f})",
                         "‖dL/dW₁‖ = {:.3e} ({}) 대 {:.3e} (시그모이드 + Xavier): 비율 {:.3g} (10^{:.1f})"},
                        relu_norms.front(), relu_label, sigmoid_norms.front(), first_ratio, std::log10(first_ratio)));
  ctx.claim({"sigmoid's gradient vanishes towards the input", "시그모이드의 기울기는 입력 쪽으로 갈수록 소실된다"},
            sigmoid_span >= std::pow(10.0, kOrdersOfMagnitude),
            format_text({"‖dL/dW_{}‖ ÷ ‖dL/dW₁‖ = {:.3g}: the gradient shrinks by a factor {:.3g} per layer",
                         "‖dL/dW_{}‖ ÷ ‖dL/dW₁‖ = {:.3g}: 기울기가 층마다 {:.3g}배로 줄어든다"},
                        depth, sigmoid_span, per_layer));
  ctx.claim({"ReLU + He keeps the first and last layer's gradients within 10× of each other",
             "ReLU + He는 첫 층과 마지막 층의 기울기를 서로 10배 이내로 유지한다"},
            relu_span > 0.1 && relu_span < 10,
            format_text({"‖dL/dW_{}‖ ÷ ‖dL/dW₁‖ = {:.3g} with {}", "‖dL/dW_{}‖ ÷ ‖dL/dW₁‖ = {:.3g} ({})"}, depth,
                        relu_span, relu_label));
  ctx.claim({"sigmoid' ≤ 0.25, with the maximum at x = 0", "sigmoid' ≤ 0.25이고, 최댓값은 x = 0에서 나온다"},
            scan.largest <= 0.25 && std::abs(scan.where) <= scan.spacing,
            format_text({"largest σ'(x) over {} points of [−10, 10]: {:.10f} at x = {:.4g} (grid spacing {:.3g})",
                         "[−10, 10]의 점 {0}개에서 σ'(x)의 최댓값: x = {2:.4g}에서 {1:.10f} (격자 간격 {3:.3g})"},
                        scan.x.size(), scan.largest, scan.where, scan.spacing));
}

const bool registered = register_experiment({
    .id = "Q06",
    .title = "Why ReLU rather than sigmoid?",
    .question = {"Why do deep networks use ReLU rather than sigmoid as the activation?",
                 "딥러닝에서 활성화 함수로 시그모이드 대신 ReLU를 많이 쓰는 이유가 뭔가요?"},
    .answer = {"Backpropagation multiplies the gradient by the activation's derivative at every layer. Sigmoid's "
               "derivative is at most 1/4 (at 0) and close to 0 once the unit saturates, so through 20 layers the "
               "gradient reaching the first layers shrinks by many orders of magnitude, even with Xavier "
               "initialisation, and those layers barely learn. ReLU's derivative is exactly 1 for every active unit; "
               "with He initialisation, whose factor 2 makes up for the half of the units that are off, the gradient "
               "keeps its size through all the layers. ReLU is also cheaper to compute; its weakness is units that "
               "never activate (dead ReLUs), which is why variants such as leaky ReLU exist.",
               "역전파는 층마다 활성화 함수의 도함수를 곱합니다. 시그모이드의 도함수는 최대 1/4(x = 0일 때)이고 포화되면 "
               "거의 0이라서, Xavier 초기화를 써도 20층을 거치면 입력 쪽 층에 도달하는 기울기가 몇 자릿수나 줄어들고 그 "
               "층들은 거의 학습되지 않습니다. ReLU는 활성화된 유닛에서 도함수가 정확히 1이고, 꺼진 절반의 유닛을 2배 "
               "분산으로 보상하는 He 초기화와 함께 쓰면 모든 층에서 기울기 크기가 유지됩니다. 계산도 더 싸고요. 대신 한 번도 "
               "켜지지 않는 죽은 ReLU 문제가 있어서 leaky ReLU 같은 변형이 쓰입니다."},
    .topic = "B J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
