// Q41: attention as a formula, softmax(QKᵀ/√d)·V, and why the 1/√d.
//   1. The formula written out with plain ops (matmul, a mask of −∞ above the diagonal, softmax, matmul) against
//      the fused scaled_dot_product_attention kernel (blocked, online softmax, no T×T buffer) on several shapes,
//      causal and not, a boolean mask, f32: outputs within 1e-5 relative, and the gradients of q, k and v too.
//   2. With a query of norm √d (as after a LayerNorm) and keys of N(0, 1) entries, the query's scores q·k have
//      variance d. Scaled by 1/√d they have variance 1 whatever d, and for S keys with N(0, σ²) scores the softmax's entropy tends to ln S − σ²/2 (for large
//      S: ln S + ln E[e^z] − E[z e^z]/E[e^z] with z ~ N(0, σ²)) — so ln S − ½ at every d. Unscaled, σ² = d: the
//      largest score wins by a margin that grows like √d, the softmax saturates to one key, its entropy falls
//      towards 0 as d grows (and its gradient vanishes).
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/functional.h"

namespace nabla::lab {
namespace {

// softmax(q·kᵀ·scale + mask)·v with plain ops; q [B, H, L, D], k and v [B, H, S, D]; `keep` bool [L, S] or
// undefined (true keeps a pair, as the fused op's boolean attn_mask).
Tensor explicit_attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale, const Tensor& keep) {
  Tensor scores = matmul(q, k.transpose(-2, -1)) * scale;
  if (keep.defined()) scores = scores.masked_fill(logical_not(keep), -INFINITY);
  return matmul(softmax(scores, -1), v);
}

struct Case {
  int64_t batch, heads, queries, keys, dim;
  bool causal, masked;
};

// Entropy (nats) and largest weight of softmax(scores) per row, averaged over the rows of scores [R, S].
std::pair<double, double> softmax_entropy(const Tensor& scores) {
  const Tensor p = softmax(scores.to(DType::f64), -1);
  const Tensor entropy = -(p * log(p.clamp_min(1e-300))).sum(-1);
  return {entropy.mean().item(), p.max(-1).values.mean().item()};
}

void run(Context& ctx) {
  // Negative tests' knobs: give the fused kernel a scale off by this fraction; scale scores by d^−exponent.
  const double fused_scale_error = ctx.parameter("fused_scale_error", 0);
  const double exponent = ctx.parameter("scale_exponent", 0.5);
  NABLA_KNOB_CHECK(std::abs(fused_scale_error) < 1 && exponent >= 0 && exponent <= 1,
                   "lab Q41: fused_scale_error in (−1, 1), scale_exponent in [0, 1]");
  Generator& generator = ctx.generator();

  // ---- 1. explicit formula against the fused kernel
  const std::vector<Case> cases{{2, 4, 7, 7, 8, false, false},   {2, 4, 64, 64, 32, true, false},
                                {1, 2, 200, 200, 64, true, false}, {2, 2, 33, 90, 16, false, true},
                                {1, 8, 128, 128, 16, false, false}};
  double worst_output = 0, worst_gradient = 0;
  std::vector<std::vector<std::string>> rows;
  for (const Case& shape : cases) {
    Tensor q = randn({shape.batch, shape.heads, shape.queries, shape.dim}, {}, &generator).requires_grad_();
    Tensor k = randn({shape.batch, shape.heads, shape.keys, shape.dim}, {}, &generator).requires_grad_();
    Tensor v = randn({shape.batch, shape.heads, shape.keys, shape.dim}, {}, &generator).requires_grad_();
    Tensor keep;
    if (shape.causal) keep = ones({shape.queries, shape.keys}, DType::boolean).tril();
    if (shape.masked) keep = rand({shape.queries, shape.keys}, {}, &generator) > 0.3;
    if (shape.masked) keep.select(1, 0).fill_(1.0);  // every query keeps a key, so no row is all −∞
    const double scale = 1 / std::sqrt(static_cast<double>(shape.dim));
    const Tensor fused = functional::scaled_dot_product_attention(
        q, k, v, {.attn_mask = shape.masked ? keep : Tensor(), .is_causal = shape.causal, .scale = scale * (1 + fused_scale_error)});
    const Tensor by_hand = explicit_attention(q, k, v, scale, keep);
    const double output_error = max(abs(fused - by_hand)).item() / max(abs(by_hand)).item();
    // Gradients of the same weighted sum through both.
    const Tensor weights = randn(by_hand.shape(), {}, &generator);
    const std::vector<Tensor> fused_gradients = autograd::grad({(fused * weights).sum()}, {q, k, v});
    const std::vector<Tensor> hand_gradients = autograd::grad({(by_hand * weights).sum()}, {q, k, v});
    double gradient_error = 0;
    for (size_t i = 0; i < 3; ++i) {
      gradient_error = std::max(gradient_error, max(abs(fused_gradients[i] - hand_gradients[i])).item() /
                                                    max(abs(hand_gradients[i])).item());
    }
    worst_output = std::max(worst_output, output_error);
    worst_gradient = std::max(worst_gradient, gradient_error);
    rows.push_back({fmt::format("[{}, {}, {}, {}] · [{}, {}]", shape.batch, shape.heads, shape.queries, shape.dim, shape.keys, shape.dim),
                    shape.causal ? "causal" : shape.masked ? "boolean mask" : "none", fmt::format("{:.2g}", output_error),
                    fmt::format("{:.2g}", gradient_error)});
  }
  ctx.table("softmax(QKᵀ/√d)V by hand against the fused kernel (f32)",
            {"q · k shapes", "mask", "output: max |Δ| / max |out|", "gradients of q, k, v: worst max |Δ| / max |grad|"},
            rows);

  // ---- 2. entropy of the attention weights against d, with and without the scale
  const int64_t keys = 256, queries = ctx.quick() ? 64 : 256;
  const double predicted = std::log(static_cast<double>(keys)) - 0.5;
  const std::string scaled_name = fmt::format("scaled by d^−{}", exponent);
  plot::Series scaled{scaled_name, {}, {}}, unscaled{"unscaled", {}, {}}, prediction{"ln S − ½ (prediction)", {}, {}},
      uniform{"ln S (uniform)", {}, {}};
  plot::Series scaled_max{scaled_name, {}, {}}, unscaled_max{"unscaled", {}, {}};
  double worst_scaled_gap = 0;
  std::vector<double> unscaled_entropies;
  double last_unscaled_max = 0;
  std::vector<std::vector<std::string>> entropy_rows;
  for (int64_t dim = 4; dim <= 1024; dim *= 2) {
    // Each query of norm exactly √d (as after a LayerNorm), so that a query's scores have variance d·scale²
    // exactly; the keys N(0, 1).
    const Tensor raw = randn({queries, dim}, {}, &generator);
    const Tensor q = raw / raw.norm(2, {1}, true) * std::sqrt(static_cast<double>(dim));
    const Tensor k = randn({keys, dim}, {}, &generator);
    const Tensor scores = matmul(q, k.transpose(0, 1));
    const auto [entropy, largest] = softmax_entropy(scores * std::pow(static_cast<double>(dim), -exponent));
    const auto [raw_entropy, raw_largest] = softmax_entropy(scores);
    const double x = std::log2(static_cast<double>(dim));
    scaled.x.push_back(x), scaled.y.push_back(entropy);
    unscaled.x.push_back(x), unscaled.y.push_back(raw_entropy);
    prediction.x.push_back(x), prediction.y.push_back(predicted);
    uniform.x.push_back(x), uniform.y.push_back(std::log(static_cast<double>(keys)));
    scaled_max.x.push_back(x), scaled_max.y.push_back(largest);
    unscaled_max.x.push_back(x), unscaled_max.y.push_back(raw_largest);
    worst_scaled_gap = std::max(worst_scaled_gap, std::abs(entropy - predicted));
    entropy_rows.push_back({std::to_string(dim), fmt::format("{:.3f}", entropy), fmt::format("{:.3f}", raw_entropy),
                            fmt::format("{:.3f}", largest), fmt::format("{:.3f}", raw_largest)});
    unscaled_entropies.push_back(raw_entropy);
    last_unscaled_max = raw_largest;
  }
  ctx.table(fmt::format("Attention over S = {} keys: mean entropy (nats) and largest weight per query", keys),
            {"d", "entropy, scaled", "entropy, unscaled", "largest weight, scaled", "largest weight, unscaled"},
            entropy_rows);
  ctx.line_plot("entropy_vs_dimension.png",
                {fmt::format("Entropy of softmax over S = {} keys, |q| = √d, k ~ N(0, 1)", keys), "log₂ d (head dimension)",
                 "mean entropy per query (nats)", {scaled, unscaled, prediction, uniform}, false, plot::Legend::below});
  ctx.line_plot("largest_weight_vs_dimension.png",
                {"Largest attention weight per query", "log₂ d (head dimension)", "mean largest weight",
                 {scaled_max, unscaled_max}, false, plot::Legend::below});
  bool falling = true;
  for (size_t i = 1; i < unscaled_entropies.size(); ++i) falling = falling && unscaled_entropies[i] < unscaled_entropies[i - 1];

  ctx.claim({"explicit softmax(QKᵀ/√d)V equals the fused kernel within 1e-5 relative",
             "명시적인 softmax(QKᵀ/√d)V는 융합 커널과 상대 오차 1e-5 이내로 같다"},
            worst_output <= 1e-5,
            format_text({"worst max |Δ| / max |out| over {1} cases (causal, masked, L ≠ S): {0:.2g}",
                         "{1}개 경우(인과, 마스크, L ≠ S)에서 최악의 max |Δ| / max |out|: {0:.2g}"},
                        worst_output, cases.size()));
  ctx.claim({"their gradients with respect to q, k and v agree within 1e-4 relative",
             "q, k, v에 대한 두 기울기는 상대 오차 1e-4 이내로 같다"},
            worst_gradient <= 1e-4,
            format_text({"worst max |Δ| / max |grad|: {:.2g}", "최악의 max |Δ| / max |grad|: {:.2g}"}, worst_gradient));
  ctx.claim({"with the 1/√d scale the attention entropy stays at ln S − ½ for every d",
             "1/√d 스케일이 있으면 어텐션 엔트로피는 모든 d에서 ln S − ½에 머문다"},
            worst_scaled_gap <= 0.05,
            format_text({"largest gap to ln {} − ½ = {:.3f} nats over d = 4 … 1024: {:.3f} nats",
                         "d = 4 … 1024에서 ln {} − ½ = {:.3f} nats와의 최대 차이: {:.3f} nats"},
                        keys, predicted, worst_scaled_gap));
  ctx.claim({"without the scale the attention entropy collapses as d grows",
             "스케일이 없으면 d가 커질수록 어텐션 엔트로피가 무너진다"},
            falling && unscaled_entropies.back() < 0.1 * std::log(static_cast<double>(keys)) && last_unscaled_max > 0.9,
            format_text({"entropy falls at every doubling of d, from {:.3f} nats at d = 4 to {:.3f} at d = 1024, where the "
                         "largest weight averages {:.3f}",
                         "d가 두 배가 될 때마다 엔트로피가 줄어 d = 4에서 {:.3f} nats, d = 1024에서 {:.3f} nats; 이때 가장 큰 "
                         "가중치의 평균은 {:.3f}"},
                        unscaled_entropies.front(), unscaled_entropies.back(), last_unscaled_max));
}

const bool registered = register_experiment({
    .id = "Q41",
    .title = "Attention, as a formula",
    .question = {"Write attention as a formula. Why divide by √d?", "어텐션을 수식으로 쓰세요. 왜 √d로 나누나요?"},
    .answer = {"Attention(Q, K, V) = softmax(QKᵀ/√d + M)·V: each query's row of scores against every key becomes, by a "
               "softmax, weights that sum to one, and the output is that weighted average of the values; M is 0 where a "
               "pair is allowed and −∞ where a mask (causal, padding) forbids it. With entries of unit variance a dot "
               "product of d terms has variance d, so unscaled scores spread like √d: the softmax saturates onto one "
               "key, its entropy collapses and its gradient vanishes, and larger heads would need smaller "
               "learning rates. Dividing by √d keeps the scores' variance at 1 for every head size. A fused kernel "
               "computes the same thing block by block with an online softmax, never storing the T×T matrix.",
               "Attention(Q, K, V) = softmax(QKᵀ/√d + M)·V입니다. 각 쿼리의 모든 키에 대한 점수 행이 softmax를 거쳐 합이 1인 "
               "가중치가 되고, 출력은 값(V)의 가중 평균입니다. M은 허용된 쌍에서 0, 마스크(인과, 패딩)가 막는 곳에서 −∞입니다. "
               "원소의 분산이 1이면 d개 항의 내적은 분산이 d이므로, 스케일하지 않은 점수는 √d처럼 퍼집니다. 그러면 softmax가 한 "
               "키로 포화되어 엔트로피가 무너지고 기울기가 사라지며, 큰 헤드일수록 더 작은 학습률이 필요해집니다. √d로 나누면 헤드 "
               "크기와 상관없이 점수의 분산이 1로 유지됩니다. 융합 커널은 같은 계산을 블록 단위로 온라인 softmax를 써서 하며 T×T "
               "행렬을 저장하지 않습니다."},
    .topic = "A F",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
