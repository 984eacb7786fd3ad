// Q26: batch norm vs layer norm on activations x [N, L, D] = [64, 196, 768] (batch, tokens, features; quick
// mode keeps the axes with smaller sizes). x has a per-feature offset and scale and a per-token scale, so
// normalising over the wrong axes leaves visible non-zero means and non-unit variances.
//   LayerNorm(D):    for each token (n, l), mean 0 / variance 1 over its D features.
//   BatchNorm1d(D):  x permuted to [N, D, L]; for each feature d, mean 0 / variance 1 over the N·L values.
// Then, in training mode, the output of sample 0 when another sample changes; and the batch of two.
#include <algorithm>
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/norm.h"

namespace nabla::lab {
namespace {

struct Sizes {
  int64_t batch, tokens, features;
};

// Worst deviation from mean 0 / variance 1 (biased, as the normalisers use) over the given axes.
double deviation_from_standard(const Tensor& y, const std::vector<int64_t>& axes) {
  const Tensor wide = y.to(DType::f64);
  const double worst_mean = max(abs(mean(wide, axes))).item();
  const double worst_variance = max(abs(var(wide, axes, 0) - 1.0)).item();
  return std::max(worst_mean, worst_variance);
}

Tensor make_activations(const Sizes& sizes, Generator& generator) {
  const Tensor feature_offset = randn({sizes.features}, {}, &generator) * 3.0;
  const Tensor feature_scale = rand({sizes.features}, {}, &generator) * 2.5 + 0.5;
  const Tensor token_scale = rand({sizes.batch, sizes.tokens, 1}, {}, &generator) * 1.5 + 0.5;
  return feature_offset + feature_scale * token_scale * randn({sizes.batch, sizes.tokens, sizes.features}, {}, &generator);
}

// The two normalisers; `swapped` normalises the axes the other one should (the negative tests' premise).
struct Normalisers {
  bool layer_norm_swapped = false, batch_norm_swapped = false;

  Tensor layer(const Tensor& x) const {  // x [N, L, D]
    if (!layer_norm_swapped) return nn::LayerNorm(x.size(2))(x);
    // over the L tokens of each (sample, feature) instead
    return functional::layer_norm(x.transpose(1, 2).contiguous(), {x.size(1)}).transpose(1, 2);
  }
  // A fresh module each call unless one is given (its running statistics matter only in eval mode).
  Tensor batch(const Tensor& x, nn::BatchNorm1d* module = nullptr) const {
    if (batch_norm_swapped) {  // tokens as channels: statistics over samples and features per token position
      nn::BatchNorm1d by_token(x.size(1));
      return by_token(x);
    }
    nn::BatchNorm1d fresh(x.size(2));
    nn::BatchNorm1d& norm = module ? *module : fresh;
    return norm(x.permute({0, 2, 1})).permute({0, 2, 1});  // BatchNorm1d wants [N, C, L]
  }
};

// The largest change of sample 0's output when the last sample of x is replaced by `replacement` [1, L, D],
// another draw from the same distribution (as a different batch composition would give).
double change_of_sample_zero(const Tensor& x, const Tensor& replacement,
                             const std::function<Tensor(const Tensor&)>& normalise) {
  const Tensor perturbed = cat({x.slice(0, 0, x.size(0) - 1), replacement}, 0);
  return max(abs(normalise(x).select(0, 0) - normalise(perturbed).select(0, 0))).item();
}

void axes(Context& ctx, const Tensor& x, const Normalisers& normalisers) {
  const Tensor layer_output = normalisers.layer(x), batch_output = normalisers.batch(x);
  const std::vector<int64_t> per_token = {2}, per_feature = {0, 1};
  const double layer_per_token = deviation_from_standard(layer_output, per_token);
  const double layer_per_feature = deviation_from_standard(layer_output, per_feature);
  const double batch_per_token = deviation_from_standard(batch_output, per_token);
  const double batch_per_feature = deviation_from_standard(batch_output, per_feature);
  const double input_per_token = deviation_from_standard(x, per_token), input_per_feature = deviation_from_standard(x, per_feature);
  ctx.table("Worst |mean| or |variance − 1| after normalising, over each grouping",
            {"tensor", "per token (over D features)", "per feature (over N·L values)"},
            {{"input x", fmt::format("{:.3g}", input_per_token), fmt::format("{:.3g}", input_per_feature)},
             {"LayerNorm(D)", fmt::format("{:.3g}", layer_per_token), fmt::format("{:.3g}", layer_per_feature)},
             {"BatchNorm1d(D) on [N, D, L]", fmt::format("{:.3g}", batch_per_token), fmt::format("{:.3g}", batch_per_feature)}});
  const double tolerance = 1e-3;  // eps = 1e-5 in the variance and float32 sums
  ctx.claim(
      {"axes: LayerNorm per token over the features, BatchNorm per feature over batch and tokens",
       "축: LayerNorm은 토큰마다 특성들에 걸쳐, BatchNorm은 특성마다 배치와 토큰에 걸쳐 정규화한다"},
      layer_per_token < tolerance && batch_per_feature < tolerance,
      format_text({"LayerNorm: worst per-token deviation {:.3g}; BatchNorm: worst per-feature deviation {:.3g} "
                   "(tolerance {:g})",
                   "LayerNorm: 토큰별 편차의 최댓값 {:.3g}; BatchNorm: 특성별 편차의 최댓값 {:.3g} (허용 오차 {:g})"},
                  layer_per_token, batch_per_feature, tolerance));
  ctx.claim({"each leaves the other's axes unnormalised", "각각은 상대방의 축을 정규화하지 않은 채로 둔다"},
            layer_per_feature > 100 * tolerance && batch_per_token > 100 * tolerance,
            format_text({"LayerNorm's per-feature deviation {:.3g}; BatchNorm's per-token deviation {:.3g}",
                         "LayerNorm의 특성별 편차 {:.3g}; BatchNorm의 토큰별 편차 {:.3g}"},
                        layer_per_feature, batch_per_token));
}

void independence(Context& ctx, const Tensor& x, const Tensor& replacement, const Normalisers& normalisers) {
  const int64_t batch = x.size(0);
  auto layer = [&](const Tensor& input) { return normalisers.layer(input); };
  auto batch_norm = [&](const Tensor& input) { return normalisers.batch(input); };
  const Tensor pair = x.slice(0, 0, 2);
  const double layer_full = change_of_sample_zero(x, replacement, layer);
  const double batch_full = change_of_sample_zero(x, replacement, batch_norm);
  const double layer_pair = change_of_sample_zero(pair, replacement, layer);
  const double batch_pair = change_of_sample_zero(pair, replacement, batch_norm);

  // Eval mode: a module that has seen training batches normalises with its running statistics.
  nn::BatchNorm1d module(x.size(2));
  for (int i = 0; i < 3; ++i) normalisers.batch(x, &module);
  module.eval();
  const double batch_eval = change_of_sample_zero(x, replacement, [&](const Tensor& input) { return normalisers.batch(input, &module); });
  ctx.table("Largest change of sample 0's output when the last sample of the batch is swapped for another one",
            {"normaliser", fmt::format("batch of {}", batch), "batch of 2"},
            {{"LayerNorm (training)", fmt::format("{:.3g}", layer_full), fmt::format("{:.3g}", layer_pair)},
             {"BatchNorm (training)", fmt::format("{:.3g}", batch_full), fmt::format("{:.3g}", batch_pair)},
             {"BatchNorm (eval, running statistics)", fmt::format("{:.3g}", batch_eval), ""}});
  ctx.figure("BatchNorm: change of sample 0, batch of 2", batch_pair);
  ctx.figure(fmt::format("BatchNorm: change of sample 0, batch of {}", batch), batch_full);
  ctx.claim({"a sample's LayerNorm output ignores the rest of the batch",
             "한 샘플의 LayerNorm 출력은 배치의 나머지와 무관하다"},
            layer_full == 0 && layer_pair == 0,
            format_text({"change of sample 0: {:.3g} (batch of {}), {:.3g} (batch of 2)",
                         "샘플 0의 변화: {:.3g} (배치 크기 {}), {:.3g} (배치 크기 2)"},
                        layer_full, batch, layer_pair));
  ctx.claim({"a sample's BatchNorm output in training depends on the others",
             "학습 중 한 샘플의 BatchNorm 출력은 다른 샘플들에 따라 달라진다"},
            batch_full > 1e-3 && batch_eval == 0,
            format_text({"change of sample 0: {:.3g} in training, {:.3g} in eval mode",
                         "샘플 0의 변화: 학습 모드 {:.3g}, 평가 모드 {:.3g}"},
                        batch_full, batch_eval));
  ctx.claim({"the dependence is larger at batch size 2", "배치 크기가 2일 때 의존성이 더 크다"},
            batch_pair > 2 * batch_full,
            format_text({"change of sample 0: {:.3g} at batch 2 vs {:.3g} at batch {} ({:.3g}×)",
                         "샘플 0의 변화: 배치 2에서 {0:.3g}, 배치 {2}에서 {1:.3g} ({3:.3g}배)"},
                        batch_pair, batch_full, batch, batch_pair / batch_full));
}

// Without tokens (one vector per sample, as an MLP or a [CLS] token), batch norm over two samples sees two
// values per feature: it maps them to ±d/√(d² + eps) ≈ ±1, erasing all but which of the two is larger.
void two_vectors(Context& ctx, const Tensor& x) {
  const Tensor vectors = x.select(1, 0).slice(0, 0, 2);  // [2, D], token 0 of samples 0 and 1
  nn::BatchNorm1d norm(vectors.size(1));
  const Tensor y = norm(vectors);
  const double antisymmetry = max(abs(y.select(0, 0) + y.select(0, 1))).item();
  std::vector<double> sizes = abs(y).to_vector();
  std::nth_element(sizes.begin(), sizes.begin() + static_cast<long>(sizes.size() / 2), sizes.end());
  const double median_size = sizes[sizes.size() / 2];
  std::string refusal = "accepted";
  try {
    norm(vectors.slice(0, 0, 1));
  } catch (const Error& error) {
    refusal = error.what();
  }
  ctx.note(fmt::format("BatchNorm1d on a batch of one vector in training: {}", refusal));
  ctx.claim({"batch norm of two vectors outputs ±1 (y₀ = −y₁)", "벡터 두 개의 배치 정규화는 ±1을 출력한다 (y₀ = −y₁)"},
            antisymmetry < 1e-5 && median_size > 0.99,
            format_text({"largest |y₀ + y₁| over {} features: {:.3g}; median |y| {:.5f}",
                         "특성 {}개에서 |y₀ + y₁|의 최댓값: {:.3g}; |y|의 중앙값 {:.5f}"},
                        vectors.size(1), antisymmetry, median_size));
}

void run(Context& ctx) {
  const Normalisers normalisers{.layer_norm_swapped = ctx.option("layer_norm_axes", "features") == "swapped",
                                .batch_norm_swapped = ctx.option("batch_norm_axes", "batch_and_tokens") == "swapped"};
  const Sizes sizes = ctx.quick() ? Sizes{16, 49, 96} : Sizes{64, 196, 768};
  // One sample more than the batch: the last one is the stand-in for another sample in the independence test.
  const Tensor drawn = make_activations({sizes.batch + 1, sizes.tokens, sizes.features}, ctx.generator());
  const Tensor x = drawn.slice(0, 0, sizes.batch), replacement = drawn.slice(0, sizes.batch, sizes.batch + 1);
  ctx.note(fmt::format("x [{}, {}, {}] float32 = offset[d] + scale[d]·scale[n, l]·N(0, 1){}", sizes.batch, sizes.tokens,
                       sizes.features, ctx.quick() ? " (the full run uses [64, 196, 768])" : ""));
  autograd::NoGradGuard no_grad;  // forward passes only
  axes(ctx, x, normalisers);
  independence(ctx, x, replacement, normalisers);
  two_vectors(ctx, x);
}

const bool registered = register_experiment({
    .id = "Q26",
    .title = "Batch norm vs layer norm on a (64, 196, 768) tensor",
    .question = {"For activations of shape (64, 196, 768) — batch, tokens, features — which axes do batch norm and "
                 "layer norm normalise, and how do they behave differently?",
                 "(64, 196, 768) 모양의 활성값(배치, 토큰, 특징)에서 배치 정규화와 레이어 정규화는 각각 어느 축으로 "
                 "정규화하고, 동작은 어떻게 다른가요?"},
    .answer = {"LayerNorm(768) normalises each of the 64·196 tokens over its own 768 features: every token ends with "
               "mean 0 and variance 1, and the statistics never involve another sample. BatchNorm1d(768) expects "
               "(N, C, L), so the tensor is permuted to (64, 768, 196) and each of the 768 features is normalised over "
               "all 64·196 values of the batch and tokens. In training mode a sample's batch-norm output therefore "
               "changes when any other sample of the batch changes (in eval mode the running statistics make it "
               "independent again), while its layer-norm output does not. At batch size 2 the batch statistics are "
               "noisy and the coupling is strongest; with one vector per sample, two samples are mapped to ±1 per "
               "feature, and a batch of one is refused — one reason Transformers use layer norm.",
               "LayerNorm(768)은 64·196개의 토큰 각각을 자기 자신의 768개 특징에 대해 정규화합니다. 그래서 토큰마다 평균 "
               "0, 분산 1이 되고, 통계에 다른 샘플이 전혀 끼어들지 않습니다. BatchNorm1d(768)은 (N, C, L) 입력을 기대하므로 "
               "텐서를 (64, 768, 196)으로 바꾼 뒤, 768개 특징 각각을 배치와 토큰에 걸친 64·196개 값으로 정규화합니다. "
               "따라서 학습 모드에서는 배치 안의 다른 샘플이 바뀌면 한 샘플의 배치 정규화 출력도 바뀌지만(평가 모드에서는 "
               "이동 평균 통계를 써서 다시 독립적), 레이어 정규화 출력은 바뀌지 않습니다. 배치 크기가 2이면 배치 통계가 "
               "불안정하고 샘플 간 결합이 가장 강합니다. 샘플당 벡터가 하나라면 두 샘플이 특징마다 ±1로 바뀌고, 배치 "
               "크기 1은 아예 거부됩니다. 트랜스포머가 레이어 정규화를 쓰는 이유 중 하나입니다."},
    .topic = "B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
