// Q08: the root cause of vanishing gradients, in the chain-rule view. For a deep stack at initialisation
// (network in gradient_flow.h) the gradient reaching the input is the output's gradient times one Jacobian
// per layer, ∂h_l/∂h_{l−1} = diag(f'(z_l)) W_l (plain) or I + diag(f'(z_l)) W_l/√depth (residual). Each
// configuration (activation × initialisation × skip connections) is measured: the per-layer factors
// width·Var(W)·E[f'²], the product of the Jacobians' spectral norms (an upper bound on the attenuation),
// the attenuation itself, the share of ReLU outputs that are zero and the first layer's weight gradient.
#include <cmath>

#include "gradient_flow.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

struct Configuration {
  std::string label;
  StackOptions options;
};

struct Measured {
  Configuration configuration;
  GradientFlow flow;
  double largest_jacobian_product = 0;  // log10 of Π‖J_l‖, largest over the decomposed samples
  bool bound_holds = true;              // every sample's ‖g₀‖/‖g_depth‖ ≤ Π‖J_l‖
};

double mean_of(const std::vector<double>& values) {
  double total = 0;
  for (double value : values) total += value;
  return total / static_cast<double>(values.size());
}

Measured measure(const Configuration& configuration, Generator& generator) {
  Measured result{configuration, measure_gradient_flow(configuration.options, generator)};
  result.largest_jacobian_product = -INFINITY;
  for (size_t s = 0; s < result.flow.jacobian_norm.size(); ++s) {
    double log_product = 0;
    for (double value : result.flow.jacobian_norm[s]) log_product += std::log10(value);
    result.largest_jacobian_product = std::max(result.largest_jacobian_product, log_product);
    // A relative slack of 10⁻⁴ for float32 round-off in the measured ratio.
    result.bound_holds &= std::log10(result.flow.sample_gradient_ratio[s]) <= log_product + std::log10(1 + 1e-4);
  }
  return result;
}

const Measured& find(const std::vector<Measured>& results, const std::string& label) {
  for (const Measured& result : results) {
    if (result.configuration.label == label) return result;
  }
  throw Error("lab Q08: no configuration " + label);
}

void run(Context& ctx) {
  const auto depth = static_cast<int64_t>(ctx.parameter("depth", 20));
  const auto width = static_cast<int64_t>(ctx.parameter("width", ctx.quick() ? 128 : 256));
  const auto samples = static_cast<int64_t>(ctx.parameter("jacobian_samples", ctx.quick() ? 2 : 8));
  const double dead_bias = ctx.parameter("dead_bias", -1.0);
  NABLA_KNOB_CHECK(depth >= 2 && width >= 2 && samples >= 1, "lab Q08: depth and width must be at least 2, jacobian_samples positive");
  auto options = [&](Activation activation, Initialisation initialisation, bool residual, double bias = 0) {
    return StackOptions{.depth = depth, .width = width, .activation = activation, .initialisation = initialisation,
                        .residual = residual, .bias = bias, .jacobian_samples = samples};
  };
  const std::vector<Configuration> configurations = {
      {"sigmoid + Xavier", options(Activation::sigmoid, Initialisation::xavier, false)},
      {"ReLU + Xavier", options(Activation::relu, Initialisation::xavier, false)},
      {"ReLU + He", options(Activation::relu, Initialisation::he, false)},
      {fmt::format("ReLU + He, biases {:g}", dead_bias), options(Activation::relu, Initialisation::he, false, dead_bias)},
      {"sigmoid + Xavier, residual", options(Activation::sigmoid, Initialisation::xavier, true)},
      {"ReLU + He, residual", options(Activation::relu, Initialisation::he, true)},
  };
  ctx.note(fmt::format("{} hidden layers of width {} at initialisation, a batch of 256 N(0, 1) inputs, cross-entropy "
                       "against random labels; Jacobians decomposed for {} samples; residual branches scaled by 1/√{}",
                       depth, width, samples, depth));

  std::vector<Measured> results;
  std::vector<std::vector<std::string>> rows;
  plot::Panel panel{"Gradient reaching each layer's input at initialisation", "layer (1 = next to the input)",
                    "gradient norm ‖dL/dh_{l−1}‖ (log scale)", {}, true};
  for (const Configuration& configuration : configurations) {
    Measured result = measure(configuration, ctx.generator());
    const GradientFlow& flow = result.flow;
    const bool residual = configuration.options.residual;
    int64_t dead = 0;
    for (int64_t units : flow.dead_units) dead += units;
    rows.push_back({configuration.label, fmt::format("{:.3f}", mean_of(flow.weight_scale)),
                    fmt::format("{:.3f}", mean_of(flow.derivative_square_mean)),
                    fmt::format("{:.3f}", std::pow(10, flow.predicted_log10_attenuation(residual) / static_cast<double>(depth))),
                    fmt::format("{:.1f}", flow.predicted_log10_attenuation(residual)),
                    fmt::format("{:.1f}", flow.measured_log10_attenuation()),
                    fmt::format("{:.1f}", result.largest_jacobian_product),
                    configuration.options.activation == Activation::relu ? fmt::format("{:.0f} %", 100 * mean_of(flow.zero_fraction)) : "–",
                    configuration.options.activation == Activation::relu ? std::to_string(dead) : "–",
                    fmt::format("{:.2e}", flow.weight_gradient_norm.front())});
    plot::Series series{configuration.label, {}, {}};
    for (size_t l = 0; l < flow.input_gradient_norm.size(); ++l) {
      series.x.push_back(static_cast<double>(l + 1));
      series.y.push_back(flow.input_gradient_norm[l]);
    }
    panel.series.push_back(series);
    results.push_back(std::move(result));
  }
  ctx.table("Chain-rule view, per configuration (log10 of ‖dL/dh₀‖ ÷ ‖dL/dh_depth‖: predicted, measured, bound)",
            {"configuration", "width·Var(W)", "E[f'²]", "predicted gain per layer", "predicted", "measured",
             "log10 Π‖J_l‖ (largest)", "ReLU outputs = 0", "dead units", "‖dL/dW₁‖"},
            rows);
  ctx.line_plot("gradient_by_layer.png", panel);
  ctx.note("Π‖J_l‖ is the worst case over all directions: loose for ReLU (each ‖J_l‖ > 1), yet already below 10⁻³ "
           "for sigmoid. The typical factor per layer is √(width·Var(W)·E[f'²]), and it predicts the measured "
           "attenuation: below 1 it compounds into vanishing, He initialisation puts it at 1, skip connections add 1 "
           "to each Jacobian.");
  ctx.note(fmt::format("with biases {:g} the signal fades layer by layer until every unit is off for the whole "
                       "batch; below that layer the gradient is exactly 0, which a log scale cannot draw",
                       dead_bias));

  const Measured& sigmoid_plain = find(results, "sigmoid + Xavier");
  const Measured& relu_xavier = find(results, "ReLU + Xavier");
  const Measured& relu_he = find(results, "ReLU + He");
  const Measured& relu_dead = results[3];
  const Measured& sigmoid_residual = find(results, "sigmoid + Xavier, residual");
  const Measured& he_residual = find(results, "ReLU + He, residual");
  auto first = [](const Measured& result) { return result.flow.weight_gradient_norm.front(); };
  auto decades = [&](const Measured& a, const Measured& b) { return std::log10(first(a) / first(b)); };

  bool bound = true;
  double worst_mismatch = 0;
  std::string mismatch_at;
  for (const Measured& result : results) {
    bound &= result.bound_holds;
    const double measured = result.flow.measured_log10_attenuation();
    const double predicted = result.flow.predicted_log10_attenuation(result.configuration.options.residual);
    // When every unit of some layer is off, both are log10(0) = −∞: the prediction is exact, not undefined.
    const double mismatch = measured == predicted ? 0 : std::abs(measured - predicted);
    if (mismatch >= worst_mismatch) worst_mismatch = mismatch, mismatch_at = result.configuration.label;
  }
  ctx.figure("first-layer gradient, He + residual ÷ sigmoid + Xavier plain", first(he_residual) / first(sigmoid_plain));
  ctx.figure("sigmoid + Xavier: log10 of the Jacobian-norm product", sigmoid_plain.largest_jacobian_product);
  ctx.figure("sigmoid + Xavier: measured log10 attenuation", sigmoid_plain.flow.measured_log10_attenuation());

  ctx.claim(
      {"the chain rule bounds the gradient: ‖g₀‖/‖g_depth‖ ≤ Π‖J_l‖ for every sample",
       "연쇄 법칙이 기울기의 상한을 준다: 모든 샘플에서 ‖g₀‖/‖g_depth‖ ≤ Π‖J_l‖"},
      bound,
      format_text({"{} samples in each of {} configurations, spectral norms from the SVD of each layer's Jacobian",
                   "설정 {1}개마다 샘플 {0}개, 스펙트럼 노름은 각 층 야코비안의 SVD로 구함"},
                  samples, results.size()));
  ctx.claim({"with sigmoid + Xavier even the bound Π‖J_l‖ is below 10⁻³",
             "시그모이드 + Xavier에서는 상한 Π‖J_l‖조차 10⁻³보다 작다"},
            sigmoid_plain.largest_jacobian_product < -3,
            format_text({"largest log10 Π‖J_l‖ = {:.2f}: every layer's Jacobian shrinks by σ'(z) ≤ ¼ times ‖W‖",
                         "log10 Π‖J_l‖의 최댓값 = {:.2f}: 각 층의 야코비안은 σ'(z) ≤ ¼에 ‖W‖를 곱한 만큼 줄인다"},
                        sigmoid_plain.largest_jacobian_product));
  ctx.claim({"the per-layer factors width·Var(W)·E[f'²] predict the attenuation within a decade",
             "층별 인자 width·Var(W)·E[f'²]가 감쇠를 10배 이내로 예측한다"},
            worst_mismatch <= 1,
            format_text({"largest |measured − predicted| log10 attenuation: {:.2f} ({})",
                         "log10 감쇠의 |측정 − 예측| 최댓값: {:.2f} ({})"},
                        worst_mismatch, mismatch_at));
  ctx.claim({"He + residual first-layer gradient ≥ 10³ × sigmoid + Xavier plain",
             "He + 잔차 연결의 첫 층 기울기 ≥ 시그모이드 + Xavier 일반 네트워크의 10³배"},
            decades(he_residual, sigmoid_plain) >= 3,
            format_text({"‖dL/dW₁‖ {:.3e} vs {:.3e}: 10^{:.1f}", "‖dL/dW₁‖ {:.3e} 대 {:.3e}: 10^{:.1f}"},
                        first(he_residual), first(sigmoid_plain), decades(he_residual, sigmoid_plain)));
  ctx.claim({"He instead of Xavier keeps ReLU's first-layer gradient ≥ 10× larger",
             "Xavier 대신 He를 쓰면 ReLU의 첫 층 기울기가 10배 이상 크게 유지된다"},
            decades(relu_he, relu_xavier) >= 1,
            format_text({"‖dL/dW₁‖ {:.3e} (He) vs {:.3e} (Xavier): 10^{:.1f}",
                         "‖dL/dW₁‖ {:.3e} (He) 대 {:.3e} (Xavier): 10^{:.1f}"},
                        first(relu_he), first(relu_xavier), decades(relu_he, relu_xavier)));
  ctx.claim({"skip connections lift sigmoid's first-layer gradient ≥ 10³×",
             "스킵 연결은 시그모이드의 첫 층 기울기를 10³배 이상 키운다"},
            decades(sigmoid_residual, sigmoid_plain) >= 3,
            format_text({"‖dL/dW₁‖ {:.3e} (residual) vs {:.3e} (plain): 10^{:.1f}",
                         "‖dL/dW₁‖ {:.3e} (잔차) 대 {:.3e} (일반): 10^{:.1f}"},
                        first(sigmoid_residual), first(sigmoid_plain), decades(sigmoid_residual, sigmoid_plain)));
  ctx.claim(
      {"negative biases switch ReLUs off and shrink the first-layer gradient ≥ 10×",
       "음수 편향은 ReLU를 꺼서 첫 층 기울기를 10배 이상 줄인다"},
      mean_of(relu_dead.flow.zero_fraction) > mean_of(relu_he.flow.zero_fraction) && decades(relu_he, relu_dead) >= 1,
      format_text({"zero outputs {:.0f} % vs {:.0f} %; ‖dL/dW₁‖ {:.3e} vs {:.3e}",
                   "0인 출력 {:.0f} % 대 {:.0f} %; ‖dL/dW₁‖ {:.3e} 대 {:.3e}"},
                  100 * mean_of(relu_dead.flow.zero_fraction), 100 * mean_of(relu_he.flow.zero_fraction),
                  first(relu_dead), first(relu_he)));
}

const bool registered = register_experiment({
    .id = "Q08",
    .title = "Root cause of vanishing gradients",
    .question = {"What is the root cause of vanishing gradients, and what fixes it?",
                 "기울기 소실(vanishing gradient)의 근본 원인은 무엇이고, 어떻게 해결하나요?"},
    .answer = {"By the chain rule the gradient at an early layer is the output gradient multiplied by one Jacobian per "
               "layer above it, each the activation's derivative times the weight matrix. If each of those factors "
               "shrinks a vector by some amount on average, the product shrinks exponentially with depth: that is the "
               "root cause, not sigmoid alone. Sigmoid makes it certain (its derivative is at most 1/4), but ReLU with "
               "Xavier initialisation vanishes too, because half of the units pass nothing back; the cure is to keep "
               "each layer's factor width·Var(W)·E[f'²] near 1 (He initialisation for ReLU), to avoid dead units, and to "
               "add skip connections, whose identity path gives each Jacobian the form I + small, so the product "
               "cannot collapse. Normalisation layers help for the same reason.",
               "연쇄 법칙에 따르면 앞쪽 층의 기울기는 출력 기울기에 그 위 층들의 야코비안을 하나씩 곱한 값이고, 각 야코비안은 "
               "활성화 함수의 도함수 곱하기 가중치 행렬입니다. 이 인수들이 평균적으로 벡터를 조금씩 줄이면 곱은 깊이에 따라 "
               "지수적으로 작아지는데, 이게 근본 원인이지 시그모이드만의 문제가 아닙니다. 시그모이드는 도함수가 최대 1/4이라 "
               "반드시 소실되지만, ReLU도 Xavier 초기화를 쓰면 절반의 유닛이 기울기를 전달하지 않아서 소실됩니다. 해결책은 층마다 "
               "width·Var(W)·E[f'²]를 1 근처로 유지하는 것(ReLU엔 He 초기화), 죽은 유닛을 피하는 것, 그리고 잔차 연결을 "
               "추가해서 야코비안을 I + 작은 값 형태로 만들어 곱이 무너지지 않게 하는 것입니다. 정규화 층도 같은 이유로 "
               "도움이 됩니다."},
    .topic = "J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
