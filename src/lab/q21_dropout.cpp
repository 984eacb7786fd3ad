// Q21: dropout. Part 1, the mechanism, on one activation vector x [units] (float64, positive values):
//   train mode: y = x ⊙ m / (1 − p), m ~ Bernoulli(1 − p) per unit, drawn afresh on every call
//   eval mode:  y = x
// Many masks at once: x broadcast to [masks, units], one dropout call, then the mean over masks per unit.
// A plain mask (x ⊙ m, no 1/(1 − p)) is measured beside it: that is what inverted dropout corrects.
// Part 2, the effect: the none and dropout rows of Q20's ablation (same settings, same seed, same numbers).
#include <algorithm>
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/dropout.h"
#include "overfitting_ablation.h"

namespace nabla::lab {
namespace {

// Per-unit statistics of samples [masks, units] against the activation x [units].
struct MaskStatistics {
  double mean_ratio = 0;          // Σ_units mean / Σ_units x: the expected activation over the input
  double worst_standard_errors = 0;  // max over units of |mean − expected| / (its measured standard error)
  std::vector<double> ratios;     // mean / x per unit
};

MaskStatistics mask_statistics(const Tensor& samples, const Tensor& x, double expected_factor) {
  const auto masks = static_cast<double>(samples.size(0));
  Tensor means = mean(samples, {0});
  Tensor standard_errors = std(samples, {0}) / std::sqrt(masks);
  Tensor deviations = abs(means - x * expected_factor) / standard_errors;
  MaskStatistics statistics;
  statistics.mean_ratio = sum(means).item() / sum(x).item();
  statistics.worst_standard_errors = max(deviations).item();
  statistics.ratios = (means / x).to_vector();
  return statistics;
}

void run(Context& ctx) {
  const double p = ctx.parameter("p", 0.5);
  const auto units = static_cast<int64_t>(ctx.parameter("units", 256));
  const auto masks = static_cast<int64_t>(ctx.parameter("masks", ctx.quick() ? 4000 : 40000));
  // The negative test's knob: 0 replaces the library's inverted dropout with a plain mask.
  const bool inverted = ctx.parameter("inverted", 1) != 0;
  NABLA_KNOB_CHECK(p > 0 && p < 1 && units >= 1 && masks >= 100, "lab Q21: p in (0, 1), units ≥ 1, masks ≥ 100");

  Generator& generator = ctx.generator();
  const TensorOptions f64{.dtype = DType::f64};
  Tensor x = rand({units}, f64, &generator) * 2.0 + 0.1;  // activations after a ReLU: positive, of varied size
  Tensor batch = x.unsqueeze(0).expand({masks, units}).contiguous();
  Tensor plain = batch * bernoulli(full({masks, units}, 1 - p, f64), &generator);
  Tensor dropped = inverted ? functional::dropout(batch, p, true, &generator) : plain;

  // The mechanism, unit by unit: a dropped unit is exactly 0, a kept one exactly x / (1 − p).
  Tensor zero = eq(dropped, zeros({}, f64));
  const double dropped_fraction = mean(zero.to(DType::f64)).item();
  const double kept_error = max(abs(where(zero, batch / (1 - p), dropped) * (1 - p) - batch)).item();
  const MaskStatistics measured = mask_statistics(dropped, x, 1.0);
  const MaskStatistics unscaled = mask_statistics(plain, x, 1 - p);
  ctx.table(fmt::format("Mean over {} masks of {} units, p = {:g}", masks, units, p),
            {"layer", "fraction zeroed", "Σ mean / Σ x", "worst unit (standard errors from x·factor)"},
            {{inverted ? "inverted dropout (nn)" : "plain mask (knob inverted=0)", fmt::format("{:.4f}", dropped_fraction),
              fmt::format("{:.4f}", measured.mean_ratio), fmt::format("{:.2f} (factor 1)", measured.worst_standard_errors)},
             {"plain mask x ⊙ m", fmt::format("{:.4f}", mean(eq(plain, zeros({}, f64)).to(DType::f64)).item()),
              fmt::format("{:.4f}", unscaled.mean_ratio),
              fmt::format("{:.2f} (factor 1 − p)", unscaled.worst_standard_errors)}});
  ctx.histogram("mean_over_masks.png", "Mean over masks / input, per unit",
                "mean activation over masks / input activation",
                {{"inverted dropout", measured.ratios, {}}, {"plain mask", unscaled.ratios, {}}}, 40);

  // The running mean of one unit's output settles on x as masks accumulate (the noise falls like 1/√masks).
  plot::Panel convergence{"Running mean over masks, relative to x (all units)", "masks averaged (log₁₀)",
                          "max over units of |mean / x − 1| (log scale)", {{"inverted dropout", {}, {}}}, true};
  Tensor running = cumsum(dropped, 0) / arange(1, masks + 1, 1, f64).unsqueeze(1);
  for (int64_t count = 10; count <= masks; count = count * 3 / 2) {
    convergence.series[0].x.push_back(std::log10(static_cast<double>(count)));
    convergence.series[0].y.push_back(max(abs(running.select(0, count - 1) / x - 1.0)).item());
  }
  ctx.line_plot("convergence.png", convergence);

  // Modes: the module in eval mode returns its input untouched; in train mode it is random.
  nn::Dropout layer(p, &generator);
  layer.eval();
  const double eval_difference = max(abs(layer(batch) - batch)).item();
  layer.train();
  Tensor first = layer(batch), second = layer(batch);
  const double train_changed = mean(ne(first, batch).to(DType::f64)).item();
  const double masks_differ = mean(ne(first, second).to(DType::f64)).item();
  // Backward: the gradient flows through the kept units only, with the same 1/(1 − p) scale.
  Tensor input = x.clone().requires_grad_();
  Tensor output = functional::dropout(input, p, true, &generator);
  sum(output).backward();
  const double gradient_error = max(abs(input.grad() * x - output.detach())).item();
  ctx.note(fmt::format("eval mode: max |y − x| = {:g}; train mode: {:.1f} % of outputs differ from x and {:.1f} % differ "
                       "between two calls; backward: max |∂Σy/∂x · x − y| = {:g}",
                       eval_difference, 100 * train_changed, 100 * masks_differ, gradient_error));

  // Part 2: what it buys on a small training set (Q20's rows).
  const AblationSettings settings = ablation_settings(ctx);
  const std::vector<AblationRow> rows = run_overfitting_ablation(settings, {Remedy::none, Remedy::dropout});
  report_ablation(ctx, settings, rows, "ablation.png");
  const AblationRow& baseline = ablation_row(rows, Remedy::none);
  const AblationRow& with_dropout = ablation_row(rows, Remedy::dropout);

  ctx.figure("Σ mean over masks / Σ input (inverted dropout)", measured.mean_ratio);
  ctx.figure("Σ mean over masks / Σ input (plain mask)", unscaled.mean_ratio);
  ctx.figure("train − test gap without dropout", baseline.gap());
  ctx.figure("train − test gap with dropout", with_dropout.gap());
  ctx.figure("test accuracy with dropout − without", with_dropout.test_accuracy - baseline.test_accuracy);

  const double mask_standard_error = std::sqrt(p * (1 - p) / static_cast<double>(masks * units));
  ctx.claim({"a fraction p of the units is zeroed (within 5 standard errors)",
             "유닛 중 비율 p가 0이 된다 (표준오차 5배 이내)"},
            std::abs(dropped_fraction - p) <= 5 * mask_standard_error,
            format_text({"{:.4f} zeroed, p = {:g}, standard error {:.4f}", "0이 된 비율 {:.4f}, p = {:g}, 표준오차 {:.4f}"}, dropped_fraction, p, mask_standard_error));
  ctx.claim({"kept units are scaled by exactly 1/(1 − p)", "남은 유닛은 정확히 1/(1 − p)배가 된다"},
            kept_error <= 1e-12 * max(abs(batch)).item(),
            format_text({"max |y·(1 − p) − x| over kept units = {:g}", "남은 유닛에서 |y·(1 − p) − x|의 최댓값 = {:g}"},
                        kept_error));
  ctx.claim({"the expected activation is the input: every unit's mean over masks is within 5 standard errors of x",
             "활성화의 기댓값은 입력과 같다: 모든 유닛의 마스크 평균이 x에서 표준오차 5배 이내다"},
            measured.worst_standard_errors <= 5,
            format_text({"worst unit {:.2f} standard errors away; Σ mean / Σ x = {:.4f}",
                         "가장 먼 유닛이 표준오차의 {:.2f}배 떨어짐; Σ 평균 / Σ x = {:.4f}"}, measured.worst_standard_errors,
                        measured.mean_ratio));
  ctx.claim({"without the 1/(1 − p) scale the expected activation falls to (1 − p)·x",
             "1/(1 − p) 배율이 없으면 활성화의 기댓값이 (1 − p)·x로 줄어든다"},
            unscaled.worst_standard_errors <= 5 && std::abs(unscaled.mean_ratio - (1 - p)) < std::abs(unscaled.mean_ratio - 1),
            format_text({"plain mask: Σ mean / Σ x = {:.4f} (1 − p = {:g}), worst unit {:.2f} standard errors from (1 − p)·x",
                         "단순 마스크: Σ 평균 / Σ x = {:.4f} (1 − p = {:g}), 가장 먼 유닛이 (1 − p)·x에서 표준오차의 {:.2f}배"},
                        unscaled.mean_ratio, 1 - p, unscaled.worst_standard_errors));
  ctx.claim({"eval mode is the identity", "평가 모드는 항등 함수다"}, eval_difference == 0,
            format_text({"max |y − x| = {:g}", "|y − x|의 최댓값 = {:g}"}, eval_difference));
  // Two calls in train mode differ exactly where one mask drops the unit and the other keeps it: if the masks are
  // independent draws, that share is 2p(1 − p), a prediction the measured share must meet within its noise.
  const double predicted_differ = 2 * p * (1 - p);
  const double differ_standard_error =
      std::sqrt(predicted_differ * (1 - predicted_differ) / static_cast<double>(masks * units));
  ctx.claim({"train mode draws a fresh mask each call: the share of outputs differing between two calls is 2p(1 − p)",
             "학습 모드는 호출마다 새 마스크를 뽑는다: 두 번 호출한 출력이 다른 비율은 2p(1 − p)다"},
            std::abs(masks_differ - predicted_differ) <= 5 * differ_standard_error,
            format_text({"{:.4f} differ between two calls, 2p(1 − p) = {:.4f}, standard error {:.4f}; {:.1f} % differ from x",
                         "두 호출 사이에 다른 비율 {:.4f}, 2p(1 − p) = {:.4f}, 표준오차 {:.4f}; x와 다른 출력 {:.1f} %"},
                        masks_differ, predicted_differ, differ_standard_error, 100 * train_changed));
  ctx.claim({"the gradient is the same mask and scale as the forward pass", "기울기에는 순전파와 같은 마스크와 배율이 걸린다"},
            gradient_error <= 1e-12 * max(abs(x)).item(),
            format_text({"max |∂Σy/∂x · x − y| = {:g}", "|∂Σy/∂x · x − y|의 최댓값 = {:g}"}, gradient_error));
  ctx.claim(format_text({"on {} training images dropout narrows the train − test gap",
                         "학습 이미지 {}장에서 드롭아웃은 학습과 테스트 정확도의 차이를 줄인다"},
                        settings.train_examples),
            with_dropout.gap() < baseline.gap(),
            format_text({"gap {:.1f} points with dropout vs {:.1f} without; test accuracy {:.1f} % vs {:.1f} %",
                         "차이: 드롭아웃 있음 {:.1f} %p, 없음 {:.1f} %p; 테스트 정확도 {:.1f} % 대 {:.1f} %"},
                        100 * with_dropout.gap(), 100 * baseline.gap(), 100 * with_dropout.test_accuracy,
                        100 * baseline.test_accuracy));
}

const bool registered = register_experiment({
    .id = "Q21",
    .title = "Dropout: what and why",
    .question = {"What is dropout, and why does it work?", "드롭아웃이 무엇이고, 왜 효과가 있나요?"},
    .answer = {"During training, dropout sets each unit's output to zero with probability p, with a fresh random mask at "
               "every step, so no unit can rely on particular others being present; the network learns redundant features "
               "and behaves like an average over many thinned sub-networks, which reduces overfitting. Frameworks use "
               "inverted dropout: the kept units are multiplied by 1/(1 − p) during training, so the expected activation "
               "equals the input and nothing has to be rescaled at test time. In eval mode dropout is the identity, so "
               "forgetting model.eval() before evaluating gives noisy, worse predictions. It is a regulariser, not a free "
               "gain: it slows training and helps most when the model is large for its data.",
               "드롭아웃은 학습 중에 각 유닛의 출력을 확률 p로 0으로 만드는 기법으로, 매 스텝마다 마스크를 새로 뽑기 때문에 "
               "어떤 유닛도 특정 유닛이 있다는 데 기댈 수 없습니다. 그래서 네트워크가 중복된 특징을 배우고 여러 개의 얇은 "
               "하위 네트워크를 평균낸 것처럼 동작해 과적합이 줄어듭니다. 프레임워크는 역 드롭아웃(inverted dropout)을 써서 "
               "학습 때 살아남은 유닛에 1/(1 − p)를 곱하므로 활성값의 기댓값이 입력과 같고, 테스트 때 따로 스케일을 맞출 "
               "필요가 없습니다. 평가 모드에서는 항등 함수이므로 평가 전에 model.eval()을 빼먹으면 예측이 무작위로 흔들리고 "
               "나빠집니다. 공짜 성능 향상이 아니라 규제 기법이라 학습을 느리게 하며, 데이터에 비해 모델이 클 때 가장 "
               "도움이 됩니다."},
    .topic = "B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
