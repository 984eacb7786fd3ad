// Value, statistics and error tests for the neural-network ops: bernoulli, multinomial, dropout,
// layer/batch/group norm, scaled_dot_product_attention (fused against its composite), the losses, and
// the selection of the fast CPU kernels for softmax, log_softmax, cross_entropy and layer_norm.
#include <gtest/gtest.h>

#include "tests/common/expect_error.h"

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "backend/cpu/kernels.h"
#include "nabla/nabla.h"
#include "ops/op.h"

using namespace nabla;
namespace F = nabla::functional;

namespace {

const double infinity = std::numeric_limits<double>::infinity();
const TensorOptions f64{.dtype = DType::f64};

void expect_near_all(const Tensor& actual, const std::vector<double>& expected, double tolerance = 1e-6) {
  std::vector<double> values = actual.to_vector();
  ASSERT_EQ(values.size(), expected.size()) << actual.describe();
  for (size_t i = 0; i < values.size(); ++i) EXPECT_NEAR(values[i], expected[i], tolerance) << "element " << i;
}

void expect_close(const Tensor& actual, const Tensor& expected, double tolerance = 1e-10) {
  ASSERT_EQ(actual.shape(), expected.shape()) << actual.describe() << " vs " << expected.describe();
  expect_near_all(actual, expected.to_vector(), tolerance);
}

using ::nabla::testing::expect_error;

Tensor labels(std::initializer_list<double> values) { return tensor(values, {.dtype = DType::i64}); }

double fraction_of(const Tensor& x, double value) {
  std::vector<double> values = x.to_vector();
  return static_cast<double>(std::count(values.begin(), values.end(), value)) / static_cast<double>(values.size());
}

}  // namespace

// ---- bernoulli

TEST(Bernoulli, FixedSeedReproducesAndTheGeneratorAdvances) {
  Tensor p = full({1000}, 0.5);
  Generator a(42), b(42), c(43);
  Tensor first = bernoulli(p, &a);
  EXPECT_EQ(first.to_vector(), bernoulli(p, &b).to_vector());
  EXPECT_NE(first.to_vector(), bernoulli(p, &c).to_vector());
  EXPECT_NE(first.to_vector(), bernoulli(p, &a).to_vector());  // the second draw continues the stream
  EXPECT_EQ(a.offset(), 1000u);                                // 500 blocks per draw of 1000
}

TEST(Bernoulli, MeanIsP) {
  Generator generator(1);
  // 10⁵ draws: the standard error of the mean is √(p(1−p)/n) ≈ 0.0015; 4 of them is 0.006.
  for (double p : {0.1, 0.3, 0.5, 0.9}) {
    Tensor draws = bernoulli(full({100000}, p), &generator);
    EXPECT_NEAR(mean(draws).item(), p, 0.006) << "p = " << p;
  }
  expect_near_all(bernoulli(tensor({0, 1, 0, 1}), &generator), {0, 1, 0, 1}, 0);
}

TEST(Bernoulli, KeepsDtypeAndShapeAndIgnoresStrides) {
  Tensor p = tensor({{0.2, 0.7, 0.4}, {0.9, 0.1, 0.5}}, f64);
  Generator a(5), b(5);
  Tensor draws = bernoulli(p.t(), &a);
  EXPECT_EQ(draws.dtype(), DType::f64);
  EXPECT_EQ(draws.shape(), (Shape{3, 2}));
  // The element order is the logical (row-major) one, whatever the strides.
  EXPECT_EQ(draws.to_vector(), bernoulli(p.t().contiguous(), &b).to_vector());
  for (double value : draws.to_vector()) EXPECT_TRUE(value == 0 || value == 1);
}

TEST(Bernoulli, Errors) {
  expect_error([] { bernoulli(tensor({0.5, 1.5, 0.2})); }, {"bernoulli", "1.5", "position 1", "[0, 1]"});
  expect_error([] { bernoulli(tensor({-0.1})); }, {"bernoulli", "-0.1"});
  expect_error([] { bernoulli(zeros({3}, {.dtype = DType::i64})); }, {"bernoulli", "floating point", "int64[3]"});
}

// ---- multinomial

TEST(Multinomial, WithReplacementFollowsTheProbabilities) {
  Generator generator(7);
  // Unnormalised weights: 1 : 2 : 0 : 7.
  Tensor draws = multinomial(tensor({1, 2, 0, 7}), 100000, true, &generator);
  EXPECT_EQ(draws.dtype(), DType::i64);
  EXPECT_EQ(draws.shape(), (Shape{100000}));
  EXPECT_NEAR(fraction_of(draws, 0), 0.1, 0.006);
  EXPECT_NEAR(fraction_of(draws, 1), 0.2, 0.006);
  EXPECT_EQ(fraction_of(draws, 2), 0);  // zero probability is never drawn
  EXPECT_NEAR(fraction_of(draws, 3), 0.7, 0.006);
}

TEST(Multinomial, WithoutReplacementDrawsDistinctCategories) {
  Generator generator(8);
  Tensor probabilities = tensor({0.1, 0.2, 0.3, 0.4}).unsqueeze(0).expand({20000, 4});
  Tensor draws = multinomial(probabilities, 3, false, &generator);
  EXPECT_EQ(draws.shape(), (Shape{20000, 3}));
  std::vector<double> values = draws.to_vector();
  for (size_t row = 0; row < 20000; ++row) {
    std::set<double> distinct(values.begin() + row * 3, values.begin() + row * 3 + 3);
    EXPECT_EQ(distinct.size(), 3u) << "row " << row;
  }
  // The first draw of each row follows the probabilities; the second, p_c·Σ_k p_k/(1 − p_k)·… — only the
  // first is checked (standard error ≤ 0.0035).
  Tensor first = draws.select(1, 0);
  for (int c = 0; c < 4; ++c) EXPECT_NEAR(fraction_of(first, c), 0.1 * (c + 1), 0.014) << "category " << c;
  // All categories drawn: a permutation.
  Tensor all = multinomial(tensor({5, 1, 1}), 3, false, &generator);
  std::vector<double> permutation = all.to_vector();
  std::sort(permutation.begin(), permutation.end());
  EXPECT_EQ(permutation, (std::vector<double>{0, 1, 2}));
}

TEST(Multinomial, ZeroProbabilitiesComeLastWithoutReplacement) {
  // As PyTorch: when the positive categories run out, the zero ones follow in index order.
  Generator generator(9);
  Tensor draws = multinomial(tensor({0, 0.5, 0, 0.5}), 4, false, &generator);
  std::vector<double> values = draws.to_vector();
  EXPECT_EQ(std::set<double>(values.begin(), values.begin() + 2), (std::set<double>{1, 3}));
  EXPECT_EQ(values[2], 0);
  EXPECT_EQ(values[3], 2);
}

TEST(Multinomial, FixedSeedReproduces) {
  Tensor p = rand({3, 10});
  Generator a(11), b(11);
  EXPECT_EQ(multinomial(p, 4, false, &a).to_vector(), multinomial(p, 4, false, &b).to_vector());
  EXPECT_EQ(multinomial(p, 40, true, &a).to_vector(), multinomial(p, 40, true, &b).to_vector());
}

TEST(Multinomial, Errors) {
  expect_error([] { multinomial(tensor({0.5, 0.5}), 3); }, {"multinomial", "3 samples", "2 categories", "replacement"});
  expect_error([] { multinomial(tensor({0.5, -1}), 1, true); }, {"multinomial", "non-negative", "-1", "position 1"});
  expect_error([] { multinomial(tensor({infinity, 1}), 1, true); }, {"multinomial", "finite", "inf"});
  expect_error([] { multinomial(tensor({std::nan(""), 1}), 1, true); }, {"multinomial", "nan"});
  expect_error([] { multinomial(tensor({{1, 1}, {0, 0}}), 1, true); }, {"multinomial", "row 1", "sums to 0"});
  expect_error([] { multinomial(tensor({1, 1}), 0, true); }, {"multinomial", "positive", "0"});
  expect_error([] { multinomial(zeros({2, 2, 2}), 1); }, {"multinomial", "[N, C]", "float32[2, 2, 2]"});
}

// ---- dropout

TEST(Dropout, DropRateIsPAndKeptValuesAreScaled) {
  Generator generator(2);
  for (double p : {0.1, 0.3, 0.7}) {
    Tensor y = F::dropout(ones({100000}), p, true, &generator);
    EXPECT_NEAR(fraction_of(y, 0), p, 0.006) << "p = " << p;
    for (double value : y.to_vector()) ASSERT_TRUE(value == 0 || std::fabs(value - 1 / (1 - p)) < 1e-6);
  }
}

TEST(Dropout, FixedSeedReproducesAndTheOpIsReplayable) {
  Tensor x = rand({50});
  Generator a(4), b(4);
  Tensor first = F::dropout(x, 0.5, true, &a);
  EXPECT_EQ(first.to_vector(), F::dropout(x, 0.5, true, &b).to_vector());
  // The op is a pure function of (seed, offset): calling it with the attributes of the first draw replays it.
  ops::RandomAttrs attrs;
  attrs.p = 0.5;
  attrs.seed = 4;
  attrs.offset = 0;
  std::vector<Tensor> outputs = ops::call(ops::OpId::dropout, {x}, attrs);
  EXPECT_EQ(outputs[0].to_vector(), first.to_vector());
  EXPECT_EQ(outputs[1].dtype(), DType::boolean);
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(outputs[1].to_vector()[i] != 0, first.to_vector()[i] != 0);
}

TEST(Dropout, GradientIsTheScaledMask) {
  Tensor x = (rand({40}, f64) + 1.0).requires_grad_();
  Generator generator(6);
  Tensor y = F::dropout(x, 0.25, true, &generator);
  y.sum().backward();
  std::vector<double> grad = x.grad().to_vector(), values = y.to_vector();
  for (size_t i = 0; i < 40; ++i) EXPECT_DOUBLE_EQ(grad[i], values[i] == 0 ? 0.0 : 1 / 0.75);
}

TEST(Dropout, IdentityZerosAndErrors) {
  Tensor x = rand({10});
  EXPECT_EQ(F::dropout(x, 0.5, false).impl(), x.impl());  // not training: x itself
  EXPECT_EQ(F::dropout(x, 0.0, true).impl(), x.impl());
  Tensor leaf = rand({10}, f64).requires_grad_();
  Tensor dropped = F::dropout(leaf, 1.0, true);
  expect_near_all(dropped, std::vector<double>(10, 0.0), 0);
  dropped.sum().backward();
  expect_near_all(leaf.grad(), std::vector<double>(10, 0.0), 0);
  expect_error([&] { F::dropout(x, 1.5); }, {"dropout", "between 0 and 1", "1.5"});
  expect_error([&] { F::dropout(x, -0.1); }, {"dropout", "-0.1"});
  expect_error([&] { F::dropout(zeros({2}, {.dtype = DType::i64}), 0.5); }, {"dropout", "floating point", "int64[2]"});
}

// ---- layer_norm

TEST(LayerNorm, MatchesPyTorch) {
  Tensor x = tensor({{1, 2, 3, 4}, {2, 2, 2, 2}}, f64);
  Tensor y = F::layer_norm(x, {4}, tensor({1, 2, 1, 1}, f64), tensor({0, 0, 1, 0}, f64));
  // PyTorch: F.layer_norm (float64); a constant row normalises to 0, leaving the bias.
  expect_near_all(y, {-1.3416354199689269, -0.894423613312618, 1.447211806656309, 1.3416354199689269, 0, 0, 1, 0}, 1e-12);
}

TEST(LayerNorm, SavesMeanAndRstd) {
  Tensor x = tensor({{1, 2, 3, 4}, {2, 2, 2, 2}}, f64);
  ops::NormAttrs attrs;
  std::vector<Tensor> outputs = ops::call(ops::OpId::layer_norm, {x, ones({4}, f64), zeros({4}, f64)}, attrs);
  EXPECT_EQ(outputs[1].shape(), (Shape{2, 1}));
  expect_near_all(outputs[1], {2.5, 2}, 1e-12);
  expect_near_all(outputs[2], {1 / std::sqrt(1.25 + 1e-5), 1 / std::sqrt(1e-5)}, 1e-9);
}

TEST(LayerNorm, SeveralDimsAndStridesMatchTheComposite) {
  Tensor x = rand({3, 2, 4}, f64).transpose(0, 2);  // [4, 2, 3], not contiguous
  Tensor weight = rand({2, 3}, f64), bias = rand({2, 3}, f64);
  Tensor average = mean(x, {1, 2}, true);
  Tensor centered = x - average;
  Tensor expected = centered / sqrt(mean(centered * centered, {1, 2}, true) + 1e-5) * weight + bias;
  expect_close(F::layer_norm(x, {2, 3}, weight, bias), expected);
  expect_close(F::layer_norm(x, {2, 3}), centered / sqrt(mean(centered * centered, {1, 2}, true) + 1e-5));
}

TEST(LayerNorm, HalfPrecisionKeepsFloatStatistics) {
  Tensor x = rand({3, 8});
  for (DType dtype : {DType::bf16, DType::f16}) {
    std::vector<Tensor> outputs = ops::call(ops::OpId::layer_norm,
                                            {x.to(dtype), ones({8}, {.dtype = dtype}), zeros({8}, {.dtype = dtype})},
                                            ops::NormAttrs{});
    EXPECT_EQ(outputs[0].dtype(), dtype);
    EXPECT_EQ(outputs[1].dtype(), DType::f32);
    expect_close(outputs[0].to(DType::f32), F::layer_norm(x.to(dtype).to(DType::f32), {8}), 3e-2);
  }
}

TEST(LayerNorm, MissingParametersGetNoGradient) {
  Tensor x = rand({2, 5}, f64).requires_grad_();
  Tensor weight = rand({5}, f64).requires_grad_();
  F::layer_norm(x, {5}, weight).pow(2.0).sum().backward();
  EXPECT_TRUE(x.grad().defined());
  EXPECT_TRUE(weight.grad().defined());
}

TEST(LayerNorm, Errors) {
  Tensor x = zeros({2, 3, 4});
  expect_error([&] { F::layer_norm(x, {3}); }, {"layer_norm", "normalized_shape [3]", "float32[2, 3, 4]"});
  expect_error([&] { F::layer_norm(x, {}); }, {"layer_norm", "[]", "non-empty"});
  expect_error([&] { F::layer_norm(x, {4}, zeros({3})); }, {"layer_norm", "weight float32[3]", "[4]", "float32[2, 3, 4]"});
  expect_error([&] { F::layer_norm(x, {4}, {}, zeros({4, 1})); }, {"layer_norm", "bias float32[4, 1]"});
  expect_error([&] { F::layer_norm(zeros({2, 4}, {.dtype = DType::i64}), {4}); }, {"layer_norm", "floating point", "int64[2, 4]"});
}

// ---- batch_norm

TEST(BatchNorm, TrainingUsesBatchStatisticsAndUpdatesRunningOnesInPlace) {
  Tensor x = tensor({{1, 2}, {3, 6}, {5, 1}}, f64);
  Tensor running_mean = zeros({2}, f64), running_var = ones({2}, f64);
  const void* storage = running_mean.raw_data();
  const uint32_t version = running_var.version();
  Tensor y = F::batch_norm(x, running_mean, running_var, {}, {}, true, 0.1);
  // PyTorch: F.batch_norm(training=True, momentum=0.1), float64.
  expect_near_all(y, {-1.224742575001414, -0.4629095539120194, 0, 1.3887286617360581, 1.2247425750014136,
                      -0.9258191078240388}, 1e-12);
  EXPECT_EQ(running_mean.raw_data(), storage);
  EXPECT_GT(running_var.version(), version);
  expect_near_all(running_mean, {0.3, 0.3}, 1e-12);
  expect_near_all(running_var, {1.3, 1.6}, 1e-9);  // unbiased variances 4 and 7
}

TEST(BatchNorm, RunningVarianceIsUnbiasedInFloat32) {
  Tensor x = randn({16, 3, 5, 5}) * 3.0 + 1.0;
  Tensor running_mean = zeros({3}), running_var = ones({3});
  F::batch_norm(x, running_mean, running_var, {}, {}, true, 1.0);
  Tensor x64 = x.to(DType::f64);
  Tensor centered = x64 - mean(x64, {0, 2, 3}, true);
  expect_close(running_var, sum(centered * centered, {0, 2, 3}) / (16.0 * 25 - 1), 1e-5);
  expect_close(running_mean, mean(x64, {0, 2, 3}), 1e-6);
}

TEST(BatchNorm, FourDimsMatchTheComposite) {
  Tensor x = rand({2, 3, 4, 5}, f64).permute({0, 1, 3, 2});
  Tensor weight = rand({3}, f64), bias = rand({3}, f64);
  Tensor centered = x - mean(x, {0, 2, 3}, true);
  Tensor expected = centered / sqrt(mean(centered * centered, {0, 2, 3}, true) + 1e-5) * weight.reshape({1, 3, 1, 1}) +
                    bias.reshape({1, 3, 1, 1});
  expect_close(F::batch_norm(x, {}, {}, weight, bias), expected);
}

TEST(BatchNorm, EvalUsesRunningStatistics) {
  Tensor x = tensor({{1, 2}, {3, 6}}, f64);
  Tensor running_mean = tensor({1, 2}, f64), running_var = tensor({4, 9}, f64);
  Tensor y = F::batch_norm(x, running_mean, running_var, tensor({2, 1}, f64), tensor({0, 1}, f64), false, 0.1, 0);
  expect_near_all(y, {0, 1, 2, 1 + 4.0 / 3}, 1e-12);
  expect_near_all(running_mean, {1, 2}, 0);  // untouched in eval
}

TEST(BatchNorm, Errors) {
  expect_error([] { F::batch_norm(zeros({1, 3}), {}, {}); }, {"batch_norm", "more than 1 value per channel", "float32[1, 3]"});
  expect_error([] { F::batch_norm(zeros({4, 3}), {}, {}, {}, {}, false); }, {"batch_norm", "running_mean", "evaluation"});
  expect_error([] { F::batch_norm(zeros({4, 3}), {}, {}, zeros({2})); }, {"batch_norm", "weight float32[2]", "[3]"});
  expect_error([] { F::batch_norm(zeros({4, 3}), zeros({4}), ones({3}), {}, {}, false); },
               {"batch_norm", "float32[4]", "[3]"});
  expect_error([] { F::batch_norm(zeros({4}), {}, {}); }, {"batch_norm", "[N, C", "float32[4]"});
}

// ---- group_norm

TEST(GroupNorm, MatchesTheComposite) {
  Tensor x = rand({2, 6, 3, 2}, f64).transpose(2, 3);
  Tensor weight = rand({6}, f64), bias = rand({6}, f64);
  Tensor grouped = x.reshape({2, 3, -1});
  Tensor centered = grouped - mean(grouped, {2}, true);
  Tensor normalized = (centered / sqrt(mean(centered * centered, {2}, true) + 1e-5)).reshape(x.shape());
  expect_close(F::group_norm(x, 3, weight, bias), normalized * weight.reshape({1, 6, 1, 1}) + bias.reshape({1, 6, 1, 1}));
  std::vector<Tensor> outputs = ops::call(ops::OpId::group_norm, {x, weight, bias}, ops::NormAttrs{.groups = 3});
  EXPECT_EQ(outputs[1].shape(), (Shape{2, 3}));
}

TEST(GroupNorm, Errors) {
  expect_error([] { F::group_norm(zeros({2, 6, 4}), 4); }, {"group_norm", "6 channels", "4 groups", "float32[2, 6, 4]"});
  expect_error([] { F::group_norm(zeros({2, 6}), 2, zeros({3})); }, {"group_norm", "weight float32[3]", "[6]"});
  expect_error([] { F::group_norm(zeros({6}), 2); }, {"group_norm", "[N, C", "float32[6]"});
}

// ---- scaled_dot_product_attention: the fused op against the composite (which is differentiable)

namespace {

// softmax(q·kᵀ·scale + mask)·v with matmul, where and softmax. Causal: keep j ≤ i (top-left aligned).
Tensor attention_composite(const Tensor& q, const Tensor& k, const Tensor& v, const F::AttentionOptions& options) {
  const int64_t L = q.shape()[q.dim() - 2], S = k.shape()[k.dim() - 2], E = q.shape().back();
  const double scale = options.scale ? *options.scale : 1 / std::sqrt(static_cast<double>(E));
  Tensor scores = matmul(q, k.mT()) * scale;
  Tensor minus_infinity = full({}, -infinity, {.dtype = q.dtype()});
  if (options.is_causal) {
    Tensor keep = ge(arange(static_cast<double>(L)).reshape({L, 1}), arange(static_cast<double>(S)).reshape({1, S}));
    scores = where(keep, scores, minus_infinity);
  }
  if (options.attn_mask.defined()) {
    scores = options.attn_mask.dtype() == DType::boolean ? where(options.attn_mask, scores, minus_infinity) : scores + options.attn_mask;
  }
  return matmul(softmax(scores, -1), v);
}

struct AttentionCase {
  Shape q, k, v;
  F::AttentionOptions options;
};

// Output and all three gradients, fused against composite, in float64.
void expect_attention_matches(const AttentionCase& test_case) {
  Generator generator(21);
  Tensor q = randn(test_case.q, f64, &generator).requires_grad_();
  Tensor k = randn(test_case.k, f64, &generator).requires_grad_();
  Tensor v = randn(test_case.v, f64, &generator).requires_grad_();
  Tensor fused = F::scaled_dot_product_attention(q, k, v, test_case.options);
  Tensor composite = attention_composite(q, k, v, test_case.options);
  expect_close(fused, composite);
  Tensor direction = randn(fused.shape(), f64, &generator);
  std::vector<Tensor> fused_grads = autograd::grad({sum(fused * direction)}, {q, k, v});
  std::vector<Tensor> composite_grads = autograd::grad({sum(composite * direction)}, {q, k, v});
  for (size_t i = 0; i < 3; ++i) expect_close(fused_grads[i], composite_grads[i]);
}

Tensor random_mask(const Shape& shape, uint64_t seed) {
  Generator generator(seed);
  // Key 0 is always kept, so no row is fully masked (the composite's softmax would give NaN there; see
  // FullyMaskedRowsGiveZeros).
  Tensor first_key = eq(arange(static_cast<double>(shape.back())), wrapped_scalar(0.0)).to(DType::f32);
  return gt(rand(shape, {}, &generator) + first_key * 2.0, wrapped_scalar(0.3));
}

}  // namespace

TEST(Attention, MatchesTheComposite) {
  const std::vector<AttentionCase> cases = {
      {{4, 8}, {6, 8}, {6, 5}, {}},
      {{2, 3, 5, 4}, {2, 3, 7, 4}, {2, 3, 7, 6}, {}},             // batch and heads, L ≠ S, Ev ≠ E
      {{2, 5, 4}, {1, 5, 4}, {5, 3}, {}},                         // broadcast batch dims
      {{2, 4, 4}, {2, 6, 4}, {2, 6, 4}, {.is_causal = true}},     // causal, L < S
      {{2, 6, 4}, {2, 3, 4}, {2, 3, 4}, {.is_causal = true}},     // causal, L > S
      {{3, 4}, {5, 4}, {5, 2}, {.scale = 0.3}},
      {{2, 2, 4, 3}, {2, 2, 5, 3}, {2, 2, 5, 3}, {.attn_mask = random_mask({4, 5}, 1)}},
      {{2, 4, 3}, {2, 5, 3}, {2, 5, 3}, {.attn_mask = random_mask({2, 1, 5}, 2)}},
      {{2, 4, 3}, {2, 5, 3}, {2, 5, 3}, {.attn_mask = randn({2, 4, 5}, f64)}},  // float mask, added
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    expect_attention_matches(cases[i]);
  }
}

TEST(Attention, Float32MatchesTheComposite) {
  Tensor q = randn({2, 5, 8}), k = randn({2, 7, 8}), v = randn({2, 7, 8});
  expect_close(F::scaled_dot_product_attention(q, k, v, {.is_causal = true}),
               attention_composite(q, k, v, {.is_causal = true}), 1e-5);
}

TEST(Attention, ReturnsTheLogsumexpOfTheScores) {
  Tensor q = randn({3, 4}, f64), k = randn({5, 4}, f64), v = randn({5, 2}, f64);
  ops::AttentionAttrs attrs;
  std::vector<Tensor> outputs = ops::call(ops::OpId::scaled_dot_product_attention, {q, k, v}, attrs);
  EXPECT_EQ(outputs[1].shape(), (Shape{3}));
  expect_close(outputs[1], logsumexp(matmul(q, k.t()) * 0.5, {1}));
}

TEST(Attention, FullyMaskedRowsGiveZerosAndNoGradient) {
  // As PyTorch 2.x: a query that may attend to nothing outputs zeros.
  Tensor q = randn({2, 4}, f64).requires_grad_(), k = randn({3, 4}, f64).requires_grad_(), v = randn({3, 5}, f64);
  Tensor mask = tensor({{1, 1, 0}, {0, 0, 0}}).to(DType::boolean);
  Tensor out = F::scaled_dot_product_attention(q, k, v, {.attn_mask = mask});
  expect_near_all(out.select(0, 1), std::vector<double>(5, 0.0), 0);
  out.sum().backward();
  expect_near_all(q.grad().select(0, 1), std::vector<double>(4, 0.0), 0);
  for (double value : q.grad().to_vector()) EXPECT_TRUE(std::isfinite(value));
}

TEST(Attention, DropoutIsKeyedByTheGenerator) {
  Tensor q = randn({2, 3, 4}, f64), k = randn({2, 6, 4}, f64), v = randn({2, 6, 4}, f64);
  Generator a(5), b(5);
  Tensor first = F::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.4, .generator = &a});
  EXPECT_EQ(first.to_vector(), F::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.4, .generator = &b}).to_vector());
  EXPECT_EQ(a.offset(), 18u);  // 2·3·6 scores, two per block
  // The same weights, dropped as documented: score (b, i, j) is kept when its uniform at index (b·L + i)·S + j ≥ p.
  Tensor keep = empty({2, 3, 6}, f64);
  for (int64_t index = 0; index < 36; ++index) {
    auto block = philox(5, static_cast<uint64_t>(index / 2));
    const int lane = static_cast<int>(index % 2) * 2;
    keep.data<double>()[index] = uniform_double(block[lane], block[lane + 1]) >= 0.4 ? 1 / 0.6 : 0.0;
  }
  expect_close(first, matmul(softmax(matmul(q, k.mT()) * 0.5, -1) * keep, v));
  // Dropped weights: on average the output is unchanged (checked loosely over many draws).
  Tensor average = zeros({2, 3, 4}, f64);
  Generator c(6);
  for (int draw = 0; draw < 400; ++draw) average = average + F::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.4, .generator = &c});
  expect_close(average / 400.0, F::scaled_dot_product_attention(q, k, v), 0.25);
}

TEST(Attention, DoubleBackwardIsRefusedClearly) {
  Tensor q = randn({2, 3}, f64).requires_grad_(), k = randn({2, 3}, f64), v = randn({2, 3}, f64);
  Tensor out = F::scaled_dot_product_attention(q, k, v);
  expect_error([&] { autograd::grad({out.sum()}, {q}, {}, {}, true); },
               {"scaled_dot_product_attention", "double backward", "matmul and softmax"});
}

TEST(Attention, Errors) {
  Tensor q = zeros({2, 3, 4}), k = zeros({2, 5, 4}), v = zeros({2, 5, 6});
  expect_error([&] { F::scaled_dot_product_attention(q, zeros({2, 5, 3}), v); },
               {"scaled_dot_product_attention", "embedding", "float32[2, 3, 4]", "float32[2, 5, 3]"});
  expect_error([&] { F::scaled_dot_product_attention(q, k, zeros({2, 4, 6})); },
               {"scaled_dot_product_attention", "sequence length", "float32[2, 4, 6]"});
  expect_error([&] { F::scaled_dot_product_attention(q, k.to(DType::f64), v); },
               {"scaled_dot_product_attention", "same floating dtype", "float64[2, 5, 4]"});
  expect_error([&] { F::scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 5}).to(DType::boolean), .is_causal = true}); },
               {"scaled_dot_product_attention", "is_causal"});
  expect_error([&] { F::scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 4})}); },
               {"scaled_dot_product_attention", "[3, 4]", "[2, 3, 5]"});
  expect_error([&] { F::scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 5}, {.dtype = DType::i64})}); },
               {"scaled_dot_product_attention", "bool", "int64[3, 5]"});
  expect_error([&] { F::scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 5}).requires_grad_()}); },
               {"scaled_dot_product_attention", "requires grad", "detach"});
  expect_error([&] { F::scaled_dot_product_attention(zeros({4}), k, v); }, {"scaled_dot_product_attention", "2 dims"});
  expect_error([&] { F::scaled_dot_product_attention(zeros({3, 3, 4}), k, v); },
               {"scaled_dot_product_attention", "batch dims", "float32[3, 3, 4]", "float32[2, 5, 4]"});
}

// ---- cross_entropy: class weights, label smoothing, spatial and probability targets

namespace {
// Four rows of three classes; the last target is ignored. Expected values: PyTorch, float64.
Tensor ce_logits() { return tensor({{0, std::log(3.0), 1}, {5, 5, 5}, {1, 2, -1}, {0.5, -0.5, 2}}, f64); }
Tensor ce_weight() { return tensor({1, 2, 0.5}, f64); }
}  // namespace

TEST(CrossEntropy, ClassWeights) {
  Tensor target = labels({1, 2, 0, -100});
  expect_near_all(F::cross_entropy(ce_logits(), target, {.weight = ce_weight(), .reduction = Reduction::none}),
                  {1.6124403057726768, 0.5493061443340549, 1.3490122167681864, 0}, 1e-12);
  expect_near_all(F::cross_entropy(ce_logits(), target, {.weight = ce_weight(), .reduction = Reduction::sum}),
                  {3.510758666874918}, 1e-12);
  // mean divides by the weights of the targets not ignored: 2 + 0.5 + 1
  expect_near_all(F::cross_entropy(ce_logits(), target, {.weight = ce_weight()}), {1.0030739048214052}, 1e-12);
}

TEST(CrossEntropy, LabelSmoothing) {
  Tensor target = labels({1, 2, 0, -100});
  expect_near_all(F::cross_entropy(ce_logits(), target, {.reduction = Reduction::none, .label_smoothing = 0.2}),
                  {0.886035124708753, 1.0986122886681098, 1.415678883434853, 0}, 1e-12);
  expect_near_all(F::cross_entropy(ce_logits(), target, {.label_smoothing = 0.2}), {1.1334420989372387}, 1e-12);
  expect_near_all(F::cross_entropy(ce_logits(), target, {.weight = ce_weight(), .reduction = Reduction::none,
                                                         .label_smoothing = 0.2}),
                  {1.554598175825098, 0.6957877828231362, 1.3273126239937927, 0}, 1e-12);
  expect_near_all(F::cross_entropy(ce_logits(), target, {.weight = ce_weight(), .label_smoothing = 0.2}),
                  {1.0221995950405791}, 1e-12);
  // ignore_index inside the class range, with weights and smoothing.
  Tensor other = labels({1, 2, 0, 1});
  expect_near_all(F::cross_entropy(ce_logits(), other, {.weight = ce_weight(), .ignore_index = 1, .label_smoothing = 0.2}),
                  {1.348733604544619}, 1e-12);
  expect_near_all(F::cross_entropy(ce_logits(), other, {.weight = ce_weight(), .ignore_index = 1,
                                                        .reduction = Reduction::sum, .label_smoothing = 0.2}),
                  {2.023100406816929}, 1e-12);
}

TEST(CrossEntropy, WeightedSmoothedGradientMatchesPyTorch) {
  Tensor logits = ce_logits().requires_grad_();
  F::cross_entropy(logits, labels({1, 2, 0, -100}), {.weight = ce_weight(), .label_smoothing = 0.2}).backward();
  expect_near_all(logits.grad(), {0.05892016158204063, -0.2613347533491162, 0.20241459176707552, 0.04126984126984127,
                                  0.02222222222222222, -0.0634920634920635, -0.17100580694652387, 0.17016114184424264,
                                  0.0008446651022812547, 0, 0, 0}, 1e-12);
}

TEST(CrossEntropy, TheThreeArgumentFormStillWorks) {
  Tensor target = labels({1, 2, 0, -100});
  expect_close(cross_entropy(ce_logits(), target), F::cross_entropy(ce_logits(), target, {}));
  expect_close(cross_entropy(ce_logits(), labels({1, 2, 0, 1}), Reduction::none, 1),
               F::cross_entropy(ce_logits(), labels({1, 2, 0, 1}), {.ignore_index = 1, .reduction = Reduction::none}));
}

TEST(CrossEntropy, SpatialTargets) {
  Tensor logits = randn({2, 3, 4, 5}, f64);
  Tensor target = randint(0, 3, {2, 4, 5});
  Tensor rows = logits.permute({0, 2, 3, 1}).reshape({-1, 3});
  Tensor none = F::cross_entropy(logits, target, {.reduction = Reduction::none});
  EXPECT_EQ(none.shape(), (Shape{2, 4, 5}));
  expect_close(none.reshape({-1}), cross_entropy(rows, target.reshape({-1}), Reduction::none));
  expect_close(F::cross_entropy(logits, target, {.label_smoothing = 0.1}),
               F::cross_entropy(rows, target.reshape({-1}), {.label_smoothing = 0.1}));
}

TEST(CrossEntropy, ProbabilityTargets) {
  Tensor logits = randn({3, 4}, f64);
  Tensor target = softmax(randn({3, 4}, f64), 1);
  Tensor weight = tensor({1, 2, 3, 4}, f64);
  Tensor expected = -sum(log_softmax(logits, 1) * weight * (target * 0.8 + 0.05), {1});
  expect_close(F::cross_entropy(logits, target, {.weight = weight, .reduction = Reduction::none, .label_smoothing = 0.2}),
               expected);
  expect_close(F::cross_entropy(logits, target, {.weight = weight, .label_smoothing = 0.2}), mean(expected));
  expect_error([&] { F::cross_entropy(logits, target, {.ignore_index = 1}); }, {"cross_entropy", "ignore_index", "probability"});
  expect_error([&] { F::cross_entropy(logits, target.slice(1, 0, 3), {}); }, {"cross_entropy", "float64[3, 3]", "float64[3, 4]"});
}

TEST(CrossEntropy, WeightAndSmoothingErrors) {
  Tensor logits = zeros({4, 3});
  Tensor target = labels({0, 1, 2, 0});
  expect_error([&] { F::cross_entropy(logits, target, {.weight = ones({4})}); },
               {"cross_entropy", "weight float32[4]", "[3]", "float32[4, 3]"});
  expect_error([&] { F::cross_entropy(logits, target, {.label_smoothing = 1.5}); }, {"cross_entropy", "label_smoothing", "1.5"});
  expect_error([&] { F::cross_entropy(logits, target, {.weight = ones({3}).requires_grad_()}); },
               {"cross_entropy", "requires grad", "detach"});
  expect_error([&] { F::cross_entropy(zeros({2, 3, 4}), labels({0, 1}), {}); }, {"cross_entropy", "[2, 4]", "int64[2]"});
  expect_error([&] { F::cross_entropy(logits, labels({0, 1, 3, 0}), {.weight = ones({3})}); },
               {"cross_entropy", "target 3", "position 2"});
}

// ---- the other losses (expected values: PyTorch, float64)

TEST(Losses, NllLoss) {
  Tensor log_probabilities = log_softmax(ce_logits(), 1);
  Tensor target = labels({1, 2, 0, -100});
  expect_near_all(F::nll_loss(log_probabilities, target, ce_weight()), {1.0030739048214052}, 1e-12);
  expect_near_all(F::nll_loss(log_probabilities, target, {}, -100, Reduction::none),
                  {0.8062201528863384, 1.0986122886681098, 1.3490122167681864, 0}, 1e-12);
  expect_near_all(F::nll_loss(log_probabilities, target, {}, -100, Reduction::sum), {0.8062201528863384 +
                  1.0986122886681098 + 1.3490122167681864}, 1e-12);
  // Unbatched and spatial forms.
  Tensor single = F::nll_loss(log_probabilities.select(0, 0), from_vector({1}, {}, {.dtype = DType::i64}), {}, -100,
                              Reduction::none);
  EXPECT_EQ(single.dim(), 0);
  expect_near_all(single, {0.8062201528863384}, 1e-12);
  Tensor logits = randn({2, 3, 4}, f64);
  Tensor spatial_target = randint(0, 3, {2, 4});
  expect_close(F::nll_loss(log_softmax(logits, 1), spatial_target),
               F::cross_entropy(logits, spatial_target, {}));
  expect_error([&] { F::nll_loss(log_probabilities, labels({1, 2, 5, 0})); }, {"nll_loss", "target 5", "position 2"});
  expect_error([&] { F::nll_loss(log_probabilities, labels({1, 2})); }, {"nll_loss", "[4]", "int64[2]"});
}

TEST(Losses, PointwiseLossesAndReductions) {
  Tensor input = tensor({0, 0.5, 2, -3}, f64), target = zeros({4}, f64);
  expect_near_all(F::mse_loss(input, target, Reduction::none), {0, 0.25, 4, 9}, 1e-15);
  expect_near_all(F::mse_loss(input, target), {13.25 / 4}, 1e-15);
  expect_near_all(F::mse_loss(input, target, Reduction::sum), {13.25}, 1e-15);
  expect_near_all(F::l1_loss(input, target, Reduction::none), {0, 0.5, 2, 3}, 1e-15);
  expect_near_all(F::l1_loss(input, target), {5.5 / 4}, 1e-15);
  expect_near_all(F::smooth_l1_loss(input, target, Reduction::none), {0, 0.125, 1.5, 2.5}, 1e-15);
  expect_near_all(F::smooth_l1_loss(input, target, Reduction::sum, 0.5), {4.75}, 1e-15);
  expect_near_all(F::smooth_l1_loss(input, target, Reduction::sum, 0), {5.5}, 1e-15);  // β = 0 is l1
  expect_near_all(F::huber_loss(input, target, Reduction::none, 1.5), {0, 0.125, 1.875, 3.375}, 1e-15);
}

TEST(Losses, BinaryCrossEntropy) {
  Tensor y = tensor({1, 0, 0.3}, f64);
  expect_near_all(F::binary_cross_entropy(tensor({0.2, 0.9, 0.5}, f64), y, {}, Reduction::none),
                  {1.6094379124341003, 2.302585092994046, 0.6931471805599453}, 1e-12);
  // log is clamped at −100 (PyTorch), and the gradient stays finite.
  Tensor p = tensor({0, 1, 0.5}, f64).requires_grad_();
  Tensor loss = F::binary_cross_entropy(p, tensor({1, 0, 1}, f64), {}, Reduction::none);
  expect_near_all(loss, {100, 100, std::log(2.0)}, 1e-12);
  loss.sum().backward();
  for (double value : p.grad().to_vector()) EXPECT_TRUE(std::isfinite(value));
  expect_near_all(F::binary_cross_entropy(tensor({0.2, 0.9, 0.5}, f64), y, tensor({2, 0, 1}, f64), Reduction::sum),
                  {2 * 1.6094379124341003 + 0.6931471805599453}, 1e-12);
  expect_error([] { F::binary_cross_entropy(tensor({0.5, 1.5}), tensor({1, 0})); },
               {"binary_cross_entropy", "1.5", "position 1", "[0, 1]"});
}

TEST(Losses, BinaryCrossEntropyWithLogits) {
  Tensor y = tensor({1, 0, 0.3}, f64);
  Tensor x = tensor({-2, 0, 3}, f64).requires_grad_();
  expect_near_all(F::binary_cross_entropy_with_logits(x, y, {}, tensor({2, 2, 0.5}, f64), Reduction::none),
                  {4.253856022085945, 0.6931471805599453, 2.1412992488376803}, 1e-12);
  F::binary_cross_entropy_with_logits(x, y, {}, {}, Reduction::sum).backward();
  // σ(x) − y, exact at x = 0 too (a zero-initialised classifier's logits).
  expect_near_all(x.grad(), {-0.8807970779778824, 0.5, 0.6525741268224334}, 1e-12);
  // Stable for large logits.
  Tensor large = F::binary_cross_entropy_with_logits(tensor({1000, -1000}), tensor({0, 1}), {}, {}, Reduction::none);
  expect_near_all(large, {1000, 1000}, 1e-3);
  expect_error([] { F::binary_cross_entropy_with_logits(zeros({3, 2}), zeros({3, 2}), {}, zeros({3})); },
               {"binary_cross_entropy_with_logits", "pos_weight float32[3]", "[3, 2]"});
}

TEST(Losses, KlDiv) {
  Tensor input = tensor({-1, -2, -0.5}, f64);
  expect_near_all(F::kl_div(input, tensor({0, 0.5, 0.5}, f64), Reduction::none), {0, 0.6534264097200273, -0.09657359027997264},
                  1e-12);
  expect_near_all(F::kl_div(input, tensor({-3, -0.5, -1}, f64), Reduction::sum, true), {0.6262821322475011}, 1e-12);
  Tensor target = tensor({0, 0.5, 0.5}, f64).requires_grad_();
  F::kl_div(input, target, Reduction::mean).backward();
  for (double value : target.grad().to_vector()) EXPECT_TRUE(std::isfinite(value));
}

TEST(Losses, ShapeMismatchErrors) {
  Tensor input = zeros({4, 1}), target = zeros({4});
  expect_error([&] { F::mse_loss(input, target); }, {"mse_loss", "float32[4]", "float32[4, 1]"});
  expect_error([&] { F::l1_loss(input, target); }, {"l1_loss", "float32[4]", "float32[4, 1]"});
  expect_error([&] { F::smooth_l1_loss(input, target); }, {"smooth_l1_loss", "float32[4]"});
  expect_error([&] { F::huber_loss(input, target); }, {"huber_loss", "float32[4]"});
  expect_error([&] { F::binary_cross_entropy(input, target); }, {"binary_cross_entropy", "float32[4]"});
  expect_error([&] { F::binary_cross_entropy_with_logits(input, target); }, {"binary_cross_entropy_with_logits", "float32[4]"});
  expect_error([&] { F::kl_div(input, target); }, {"kl_div", "float32[4]", "float32[4, 1]"});
  expect_error([&] { F::smooth_l1_loss(target, target, Reduction::mean, -1); }, {"smooth_l1_loss", "beta", "-1"});
  expect_error([&] { F::huber_loss(target, target, Reduction::mean, 0); }, {"huber_loss", "delta", "0"});
  expect_error([&] { F::mse_loss(zeros({2}, {.dtype = DType::i64}), zeros({2}, {.dtype = DType::i64})); },
               {"mse_loss", "floating point", "int64[2]"});
}

// ---- the fast CPU kernels are selected where they apply (their values: tests/reference/cases_neural.cpp)

namespace {
bool has_fast_kernel(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                     const ops::Attrs& attrs) {
  return cpu::fast_kernel(op, inputs, outputs, attrs) != nullptr;
}
}  // namespace

TEST(FastKernels, SoftmaxAndLogSoftmaxTakeContiguousFloatRows) {
  Tensor x = rand({64, 100}), out = empty({64, 100});
  for (ops::OpId op : {ops::OpId::softmax, ops::OpId::log_softmax}) {
    EXPECT_TRUE(has_fast_kernel(op, {x}, {out}, ops::DimAttrs{-1}));
    EXPECT_TRUE(has_fast_kernel(op, {x}, {out}, ops::DimAttrs{1}));
    EXPECT_TRUE(has_fast_kernel(op, {rand({7})}, {empty({7})}, ops::DimAttrs{0}));
    EXPECT_FALSE(has_fast_kernel(op, {x}, {out}, ops::DimAttrs{0}));  // not the last dim
    EXPECT_FALSE(has_fast_kernel(op, {x.to(DType::f64)}, {out.to(DType::f64)}, ops::DimAttrs{-1}));
    EXPECT_FALSE(has_fast_kernel(op, {rand({100, 64}).t()}, {out}, ops::DimAttrs{-1}));
    EXPECT_FALSE(has_fast_kernel(op, {scalar_tensor(1)}, {scalar_tensor(1)}, ops::DimAttrs{0}));
  }
}

TEST(FastKernels, CrossEntropyTakesContiguousFloatLogitsAndInt64Targets) {
  Tensor logits = rand({16, 10}), target = randint(0, 10, {16}), out = empty({});
  ops::LossAttrs attrs;
  EXPECT_TRUE(has_fast_kernel(ops::OpId::cross_entropy, {logits, target}, {out}, attrs));
  attrs.has_weight = true;
  attrs.label_smoothing = 0.1;
  EXPECT_TRUE(has_fast_kernel(ops::OpId::cross_entropy, {logits, target, rand({10})}, {out}, attrs));
  EXPECT_FALSE(has_fast_kernel(ops::OpId::cross_entropy, {logits, target, rand({10}, f64)}, {out}, attrs));
  attrs.has_weight = false;
  EXPECT_FALSE(has_fast_kernel(ops::OpId::cross_entropy, {rand({10, 16}).t(), target}, {out}, attrs));
  EXPECT_FALSE(has_fast_kernel(ops::OpId::cross_entropy, {logits, target.to(DType::i32)}, {out}, attrs));
  EXPECT_FALSE(has_fast_kernel(ops::OpId::cross_entropy, {logits.to(DType::f64), target}, {out.to(DType::f64)}, attrs));
}

TEST(FastKernels, LayerNormTakesContiguousFloatInputs) {
  Tensor x = rand({8, 32}), weight = rand({32}), bias = rand({32});
  std::vector<Tensor> outputs{empty({8, 32}), empty({8, 1}), empty({8, 1})};
  EXPECT_TRUE(has_fast_kernel(ops::OpId::layer_norm, {x, weight, bias}, outputs, ops::NormAttrs{}));
  EXPECT_FALSE(has_fast_kernel(ops::OpId::layer_norm, {rand({32, 8}).t(), weight, bias}, outputs, ops::NormAttrs{}));
  EXPECT_FALSE(has_fast_kernel(ops::OpId::layer_norm, {x, weight.to(DType::f64), bias}, outputs, ops::NormAttrs{}));
}

TEST(FastKernels, AgreeWithTheReferenceOnAnyThreadCount) {
  // Rows are independent and reductions run in row order, so one thread and two give the same bits.
  Tensor x = randn({512, 300});
  Tensor target = randint(0, 300, {512});
  auto run = [&] {
    return std::vector<Tensor>{softmax(x, -1), log_softmax(x, -1), cross_entropy(x, target),
                               F::layer_norm(x, {300})};
  };
  const int threads = cpu::num_threads();
  cpu::set_num_threads(1);
  std::vector<Tensor> one = run();
  cpu::set_num_threads(2);
  std::vector<Tensor> two = run();
  cpu::set_num_threads(threads);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_EQ(one[i].to_vector(), two[i].to_vector()) << "result " << i;
}

TEST(Normalization, MixedDtypesAreRefused) {
  // As PyTorch: parameters have the input's dtype, or float32 for a half-precision input.
  Tensor x = rand({3, 2});
  expect_error([&] { F::batch_norm(x, zeros({2}, {.dtype = DType::f16}), ones({2}, f64)); },
               {"batch_norm", "running_mean float16[2]", "float32[3, 2]"});
  expect_error([&] { F::batch_norm(x, zeros({3}), ones({3})); }, {"batch_norm", "running_mean float32[3]", "[2]"});
  expect_error([&] { F::batch_norm(x, zeros({2}), ones({2}, f64), {}, {}, false); },
               {"batch_norm", "mixed dtypes", "running_var float64[2]"});
  expect_error([&] { F::layer_norm(x, {2}, ones({2}, f64)); }, {"layer_norm", "mixed dtypes", "weight float64[2]"});
  expect_error([&] { F::group_norm(x, 1, {}, zeros({2}, f64)); }, {"group_norm", "mixed dtypes", "bias float64[2]"});
  Tensor half = x.to(DType::bf16);
  EXPECT_EQ(F::layer_norm(half, {2}, ones({2}), zeros({2})).dtype(), DType::bf16);
  EXPECT_EQ(F::batch_norm(half, zeros({2}), ones({2}), ones({2})).dtype(), DType::bf16);
}
