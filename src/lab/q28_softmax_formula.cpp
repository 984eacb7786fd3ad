// Q28: softmax as a formula, p_i = e^{z_i} / Σ_j e^{z_j}.
//   1. Where exp overflows: bisection over the floats themselves (their bit patterns are ordered like the
//      values) for the largest x with a finite nabla exp(x), in float32 and float64.
//   2. The naive formula on logits near ±1000 gives NaN; nabla's softmax (max-shifted: e^{z − max z}) does not.
//   3. Cross-entropy's gradient w.r.t. the logits [B, C]: p − y per sample, (p − y)/B under the mean, and what
//      label smoothing and class weights change.
#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

// The largest finite Float whose exp (computed by nabla in `dtype`) is finite, and how many exps it took.
template <typename Float, typename Bits>
std::pair<Float, int> largest_finite_exp(DType dtype, Float finite, Float overflowing) {
  auto is_finite = [&](Float x) {
    return std::isfinite(exp(from_vector({static_cast<double>(x)}, {1}, {.dtype = dtype})).item());
  };
  NABLA_CHECK(is_finite(finite) && !is_finite(overflowing), "lab Q28: the bisection bracket does not hold the overflow");
  Bits low = std::bit_cast<Bits>(finite), high = std::bit_cast<Bits>(overflowing);
  int evaluations = 2;
  while (high - low > 1) {  // positive floats: a larger bit pattern is a larger value
    const Bits middle = low + (high - low) / 2;
    (is_finite(std::bit_cast<Float>(middle)) ? low : high) = middle;
    ++evaluations;
  }
  return {std::bit_cast<Float>(low), evaluations};
}

Tensor naive_softmax(const Tensor& logits) {
  const Tensor powers = exp(logits);
  return powers / sum(powers, {-1}, true);
}

bool all_finite(const Tensor& x) { return all(isfinite(x)).item() != 0; }

std::string values(const Tensor& x) {
  std::vector<std::string> texts;
  for (double value : x.to_vector()) texts.push_back(fmt::format("{:.6g}", value));
  return fmt::format("[{}]", fmt::join(texts, ", "));
}

void overflow(Context& ctx) {
  const auto [threshold32, evaluations32] = largest_finite_exp<float, uint32_t>(DType::f32, 1.0F, 1000.0F);
  const auto [threshold64, evaluations64] = largest_finite_exp<double, uint64_t>(DType::f64, 1.0, 1e4);
  const double theory32 = std::log(static_cast<double>(FLT_MAX)), theory64 = std::log(DBL_MAX);
  const float next32 = std::nextafter(threshold32, std::numeric_limits<float>::infinity());
  ctx.table("Largest x with a finite exp(x), found by bisection over the floats",
            {"dtype", "largest finite x", "next float", "ln(max finite value)", "exps evaluated"},
            {{"float32", fmt::format("{:.9g}", threshold32), fmt::format("{:.9g}", next32), fmt::format("{:.9g}", theory32),
              std::to_string(evaluations32)},
             {"float64", fmt::format("{:.17g}", threshold64), "", fmt::format("{:.17g}", theory64),
              std::to_string(evaluations64)}});
  ctx.figure("float32 exp overflow threshold", threshold32);
  ctx.figure("float64 exp overflow threshold", threshold64);
  // exp's float result is rounded, so the last finite input may sit a few ulps from ln(FLT_MAX).
  const double gap32 = std::abs(threshold32 - theory32), gap64 = std::abs(threshold64 - theory64);
  ctx.claim({"float32 exp overflows just above ln(FLT_MAX) ≈ 88.72",
             "float32의 exp는 ln(FLT_MAX) ≈ 88.72 바로 위에서 오버플로한다"},
            gap32 < 1e-5 * theory32,
            format_text({"exp({:.9g}) is finite, exp({:.9g}) = inf; ln(FLT_MAX) = {:.9g} (gap {:.3g})",
                         "exp({:.9g})는 유한, exp({:.9g}) = inf; ln(FLT_MAX) = {:.9g} (차이 {:.3g})"},
                        threshold32, next32, theory32, gap32));
  ctx.claim({"float64 exp overflows just above ln(DBL_MAX) ≈ 709.78",
             "float64의 exp는 ln(DBL_MAX) ≈ 709.78 바로 위에서 오버플로한다"},
            gap64 < 1e-12 * theory64,
            format_text({"largest finite: {:.17g}; ln(DBL_MAX) = {:.17g} (gap {:.3g})",
                         "유한한 최댓값: {:.17g}; ln(DBL_MAX) = {:.17g} (차이 {:.3g})"},
                        threshold64, theory64, gap64));
}

void stability(Context& ctx) {
  const Tensor large = tensor({1000.0, 999.0, 998.0}), small = tensor({-1000.0, -1001.0, -1002.0});
  const Tensor reference = softmax(tensor({2.0, 1.0, 0.0}), 0);  // the same differences, nothing to overflow
  const Tensor naive_large = naive_softmax(large), naive_small = naive_softmax(small);
  const Tensor shifted_large = softmax(large, 0), shifted_small = softmax(small, 0);
  const double error_large = max(abs(shifted_large - reference)).item();
  const double error_small = max(abs(shifted_small - reference)).item();
  ctx.table("float32 softmax of logits far from 0",
            {"logits", "e^z / Σ e^z (naive)", "nabla softmax (max-shifted)", "softmax([2, 1, 0])"},
            {{values(large), values(naive_large), values(shifted_large), values(reference)},
             {values(small), values(naive_small), values(shifted_small), values(reference)}});
  ctx.claim({"the naive formula fails at logits ±1000 in float32", "float32에서 단순한 공식은 로짓 ±1000에서 실패한다"},
            !all_finite(naive_large) && !all_finite(naive_small),
            format_text({"naive: {} (inf / inf) and {} (0 / 0)", "단순 공식: {} (inf / inf), {} (0 / 0)"},
                        values(naive_large), values(naive_small)));
  ctx.claim(
      {"the max-shifted softmax is exact at logits ±1000", "최댓값을 뺀 소프트맥스는 로짓 ±1000에서도 정확하다"},
      all_finite(shifted_large) && all_finite(shifted_small) && error_large < 1e-6 && error_small < 1e-6,
      format_text({"largest difference from softmax([2, 1, 0]): {:.3g} and {:.3g}; log_softmax([1000, 999, 998]) = {}",
                   "softmax([2, 1, 0])와의 최대 차이: {:.3g}, {:.3g}; log_softmax([1000, 999, 998]) = {}"},
                  error_large, error_small, values(log_softmax(large, 0))));
}

// dL/dz of functional::cross_entropy at the given logits [B, C] (float64).
Tensor logits_gradient(const Tensor& logits, const Tensor& targets, const functional::CrossEntropyOptions& options) {
  Tensor z = logits.detach().clone().requires_grad_();
  functional::cross_entropy(z, targets, options).backward();
  return z.grad();
}

void gradient(Context& ctx) {
  const int64_t batch = ctx.quick() ? 16 : 4096, classes = 5;
  const double smoothing = ctx.parameter("label_smoothing", 0.1);
  Generator& generator = ctx.generator();
  const Tensor logits = randn({batch, classes}, {.dtype = DType::f64}, &generator) * 2.0;
  const Tensor targets = randint(0, classes, {batch}, {.dtype = DType::i64}, &generator);
  const Tensor class_weights = rand({classes}, {.dtype = DType::f64}, &generator) * 1.5 + 0.5;  // U[0.5, 2)
  const Tensor p = softmax(logits, 1), y = one_hot(targets, classes).to(DType::f64);
  const auto count = static_cast<double>(batch);
  const Tensor plain = (p - y) / count;  // the textbook gradient under the mean

  // What each variant's gradient should be, by its own formula.
  const Tensor smoothed_target = y * (1 - smoothing) + smoothing / static_cast<double>(classes);
  const Tensor sample_weights = index_select(class_weights, 0, targets).unsqueeze(1);  // w_{t_i} [B, 1]
  struct Row {
    std::string name;
    functional::CrossEntropyOptions options;
    Tensor expected;
  };
  // The options are built member by member: from designated initializers inside a braced list of Rows
  // GCC 12 reports options.weight as maybe uninitialized (a false positive in the list's cleanup path).
  functional::CrossEntropyOptions summed, averaged, smoothed, weighted;
  summed.reduction = Reduction::sum;
  smoothed.label_smoothing = smoothing;
  weighted.weight = class_weights;
  const std::vector<Row> cases = {
      {"sum reduction", summed, p - y},
      {"mean reduction", averaged, plain},
      {fmt::format("label smoothing {:g}", smoothing), smoothed, (p - smoothed_target) / count},
      {"class weights", weighted, sample_weights * (p - y) / sum(sample_weights).item()},
  };
  const std::vector<std::string> formulas = {"p − y", "(p − y)/B", "(p − ỹ)/B, ỹ = (1−ε)y + ε/C", "w_t (p − y)/Σ w_t"};
  std::vector<double> from_formula, from_plain;
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Tensor measured = logits_gradient(logits, targets, cases[i].options);
    from_formula.push_back(max(abs(measured - cases[i].expected)).item());
    const Tensor textbook = i == 0 ? p - y : plain;
    from_plain.push_back(max(abs(measured - textbook)).item());
    rows.push_back({cases[i].name, formulas[i], fmt::format("{:.3g}", from_formula.back()),
                    fmt::format("{:.3g}", from_plain.back())});
  }
  ctx.table(fmt::format("dL/dz of cross-entropy by autograd, B = {}, C = {} (float64)", batch, classes),
            {"loss", "its formula", "max |autograd − formula|", "max |autograd − (p − y)[/B]|"}, rows);
  const double tolerance = 1e-12;
  ctx.claim({"per sample, dL/dz = p − y", "샘플마다 dL/dz = p − y다"}, from_formula[0] < tolerance,
            format_text({"largest difference over {}×{} logits: {:.3g}", "로짓 {}×{}개에서 최대 차이: {:.3g}"}, batch,
                        classes, from_formula[0]));
  ctx.claim({"under the mean, dL/dz = (p − y)/B", "평균을 내면 dL/dz = (p − y)/B다"}, from_formula[1] < tolerance,
            format_text({"largest difference: {:.3g}", "최대 차이: {:.3g}"}, from_formula[1]));
  // "Not p − y": the gap from the textbook formula must dwarf round-off, by the row's own measured scale.
  const double gradient_scale = max(abs(plain)).item();
  ctx.claim(
      {"label smoothing changes the gradient from (p − y)/B", "레이블 스무딩을 쓰면 기울기가 (p − y)/B와 달라진다"},
      from_formula[2] < tolerance && from_plain[2] > 1e-3 * gradient_scale,
      format_text({"autograd vs (p − y)/B: {:.3g} (gradients up to {:.3g}); vs (p − ỹ)/B: {:.3g}",
                   "autograd와 (p − y)/B의 차이: {:.3g} (기울기 크기 최대 {:.3g}); (p − ỹ)/B와의 차이: {:.3g}"},
                  from_plain[2], gradient_scale, from_formula[2]));
  ctx.claim({"class weights change the gradient from (p − y)/B", "클래스 가중치를 쓰면 기울기가 (p − y)/B와 달라진다"},
            from_formula[3] < tolerance && from_plain[3] > 1e-3 * gradient_scale,
            format_text({"autograd vs (p − y)/B: {:.3g}; vs w_t (p − y)/Σ w_t: {:.3g}",
                         "autograd와 (p − y)/B의 차이: {:.3g}; w_t (p − y)/Σ w_t와의 차이: {:.3g}"},
                        from_plain[3], from_formula[3]));
  ctx.figure("label smoothing: max |dL/dz − (p − y)/B|", from_plain[2]);
}

void run(Context& ctx) {
  overflow(ctx);
  stability(ctx);
  gradient(ctx);
}

const bool registered = register_experiment({
    .id = "Q28",
    .title = "Softmax, as a formula",
    .question = {"Write down softmax. How do you compute it without overflow, and what is the gradient of "
                 "softmax cross-entropy with respect to the logits?",
                 "소프트맥스 수식을 써 보세요. 오버플로 없이 어떻게 계산하고, 소프트맥스 크로스엔트로피를 로짓으로 미분하면 "
                 "어떻게 되나요?"},
    .answer = {"p_i = e^{z_i} / Σ_j e^{z_j}. Computed literally it breaks: in float32 e^z is infinite once z exceeds "
               "ln(FLT_MAX) ≈ 88.72 (709.78 in float64), giving inf/inf = NaN, and very negative logits give 0/0. "
               "Because softmax is unchanged by adding a constant to every logit, one subtracts the largest logit "
               "first: every exponent is then ≤ 0 and the largest term is exactly 1, so nothing overflows "
               "(log-softmax likewise as z − max − log Σ e^{z − max}). For one sample, the gradient of −log p_y with "
               "respect to z is p − y (y one-hot); under the mean over a batch it is (p − y)/B. That neat form is "
               "specific to plain cross-entropy: with label smoothing it is p minus the smoothed target, and with "
               "class weights each row is scaled by its class weight and divided by the sum of the weights.",
               "p_i = e^{z_i} / Σ_j e^{z_j}입니다. 수식 그대로 계산하면 float32에서 z가 ln(FLT_MAX) ≈ 88.72(float64는 "
               "709.78)를 넘는 순간 e^z가 무한대가 되어 inf/inf = NaN이 나오고, 아주 작은 로짓은 0/0이 됩니다. 소프트맥스는 "
               "모든 로짓에 같은 상수를 더해도 값이 변하지 않으므로 최댓값을 먼저 빼면 지수가 모두 0 이하이고 가장 큰 항이 "
               "정확히 1이라 오버플로가 없습니다(log-softmax도 z − max − log Σ e^{z − max}로 계산합니다). 샘플 하나에서 "
               "−log p_y를 z로 미분하면 p − y(y는 원-핫)이고, 배치 평균을 쓰면 (p − y)/B입니다. 이 깔끔한 형태는 순수한 "
               "크로스엔트로피에서만 성립합니다. 라벨 스무딩을 쓰면 p에서 스무딩된 타깃을 빼야 하고, 클래스 가중치를 쓰면 "
               "행마다 해당 클래스 가중치를 곱하고 가중치 합으로 나눕니다."},
    .topic = "A B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
