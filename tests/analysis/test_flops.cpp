// FLOPs per op (src/analysis/flops.cpp) against counts derived by hand from each op's definition, and the
// counter: it sums depth-0 ops only, so an op that a kernel dispatches is not counted twice.
#include <gtest/gtest.h>

#include <algorithm>

#include "nabla/analysis/flops.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/observer.h"

namespace nabla::analysis {
namespace {

namespace F = functional;

// FLOPs of whatever `run` dispatches (it should dispatch one op that computes).
template <typename Run>
int64_t counted(Run&& run) {
  autograd::NoGradGuard no_grad;
  FlopCounter counter;
  run();
  return counter.total();
}

TEST(Flops, MatmulIsTwoMultiplyAddsPerProduct) {
  const int64_t M = 3, K = 5, N = 7, batch = 4;
  Tensor a = randn({M, K}), b = randn({K, N}), batched = randn({batch, M, K});
  EXPECT_EQ(counted([&] { matmul(a, b); }), 2 * M * K * N);
  EXPECT_EQ(counted([&] { matmul(batched, b); }), batch * 2 * M * K * N);  // each matrix of the batch
}

TEST(Flops, LinearIsItsMatmulAndItsBiasAdd) {
  const int64_t batch = 2, in = 4, out = 8;
  Tensor x = randn({batch, in}), w = randn({out, in}), b = randn({out});
  EXPECT_EQ(counted([&] { F::linear(x, w, b); }), 2 * batch * in * out + batch * out);
}

TEST(Flops, Conv2dCountsEveryTapAndTheBias) {
  // x [2, 3, 9, 9], w [4, 3, 3, 3], stride 2, padding 1: Hout = Wout = (9 + 2 − 3) / 2 + 1 = 5.
  const int64_t N = 2, Cin = 3, Cout = 4, k = 3, Hout = 5, Wout = 5;
  const int64_t taps = N * Cout * Hout * Wout * Cin * k * k;
  Tensor x = randn({N, Cin, 9, 9}), w = randn({Cout, Cin, k, k}), b = randn({Cout});
  EXPECT_EQ(counted([&] { F::conv2d(x, w, {}, {.stride = 2, .padding = 1}); }), 2 * taps);
  EXPECT_EQ(counted([&] { F::conv2d(x, w, b, {.stride = 2, .padding = 1}); }), 2 * taps + N * Cout * Hout * Wout);
}

TEST(Flops, GroupedConv2dSeesOnlyItsGroupsChannels) {
  // x [1, 4, 6, 6], w [6, 2, 3, 3], groups 2: each output channel reads 4 / 2 input channels; out [1, 6, 4, 4].
  const int64_t groups = 2, Cin = 4, Cout = 6;
  Tensor x = randn({1, Cin, 6, 6}), w = randn({Cout, Cin / groups, 3, 3});
  EXPECT_EQ(counted([&] { F::conv2d(x, w, {}, {.groups = groups}); }), 2 * 1 * Cout * 4 * 4 * (Cin / groups) * 3 * 3);
}

TEST(Flops, ConvTranspose2dCountsTapsFromItsInput) {
  // x [1, 2, 4, 4], w [2, 3, 3, 3], stride 2: every input element meets 3·3·3 weights; out [1, 3, 9, 9].
  const int64_t Cin = 2, Cout = 3, H = 4, k = 3, Hout = (H - 1) * 2 + k;
  Tensor x = randn({1, Cin, H, H}), w = randn({Cin, Cout, k, k}), b = randn({Cout});
  EXPECT_EQ(counted([&] { F::conv_transpose2d(x, w, b, {.stride = 2}); }),
            2 * Cin * H * H * Cout * k * k + Cout * Hout * Hout);
}

TEST(Flops, AttentionIsTwoProductsAndASoftmaxOverTheScores) {
  const int64_t batch = 2, heads = 4, L = 6, S = 10, E = 8, Ev = 5;
  const int64_t scores = batch * heads * L * S;
  Tensor q = randn({batch, heads, L, E}), k = randn({batch, heads, S, E}), v = randn({batch, heads, S, Ev});
  // QKᵀ, scaling, softmax (5 per score), then the weights times V.
  EXPECT_EQ(counted([&] { F::scaled_dot_product_attention(q, k, v); }),
            2 * scores * E + scores + 5 * scores + 2 * scores * Ev);
}

TEST(Flops, ElementwiseReductionsPoolingAndNorms) {
  Tensor x = randn({3, 4}), row = randn({4}), image = randn({1, 2, 4, 4}), features = randn({4, 6});
  Tensor weight = ones({6}), bias = zeros({6});
  EXPECT_EQ(counted([&] { relu(x); }), 12);
  EXPECT_EQ(counted([&] { add(x, row); }), 12);  // per output element, after broadcasting
  EXPECT_EQ(counted([&] { sum(x); }), 12);
  EXPECT_EQ(counted([&] { softmax(x, 1); }), 5 * 12);
  // Max-pool 2×2 on [1, 2, 4, 4] → [1, 2, 2, 2]: each of the 8 outputs reads 4 inputs.
  EXPECT_EQ(counted([&] { F::max_pool2d(image, {.kernel_size = 2}); }), 8 * 4);
  // Layer norm over 6 features of 4 rows with weight and bias: 5 + 2 per element.
  EXPECT_EQ(counted([&] { F::layer_norm(features, {6}, weight, bias); }), 24 * 7);
  // Views and copies compute nothing.
  EXPECT_EQ(counted([&] { x.t().contiguous().reshape({12}); }), 0);
}

TEST(Flops, CounterCountsOnlyOpsCalledOutsideKernels) {
  Tensor a = randn({2, 3}), b = randn({3, 4}), out = empty({2, 4});
  std::vector<Tensor> inputs{a, b}, outputs{out};
  ops::Attrs attrs = ops::NoAttrs{};
  FlopCounter counter;
  // A matmul that a kernel dispatched (depth 1) is part of that kernel's count; one at depth 0 counts.
  ops::detail::notify({ops::OpId::matmul, inputs, outputs, attrs, ops::KernelKind::fast, 1});
  EXPECT_EQ(counter.total(), 0);
  ops::detail::notify({ops::OpId::matmul, inputs, outputs, attrs, ops::KernelKind::fast, 0});
  EXPECT_EQ(counter.total(), 2 * 2 * 3 * 4);
  std::vector<OpFlops> rows = counter.by_op();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].op, "matmul");
  EXPECT_EQ(rows[0].calls, 1);
}

TEST(Flops, ByOpListsEachOpOnceWithItsCallsMostFlopsFirst) {
  autograd::NoGradGuard no_grad;
  Tensor x = randn({2, 3});
  Tensor w = randn({3, 3});
  FlopCounter counter;
  relu(x);
  relu(x);
  matmul(x, w);
  std::vector<OpFlops> rows = counter.by_op();
  int64_t sum_of_rows = 0;
  for (const OpFlops& row : rows) sum_of_rows += row.flops;
  EXPECT_EQ(sum_of_rows, counter.total());
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(rows[0].op, "matmul");
  auto relu_row = std::find_if(rows.begin(), rows.end(), [](const OpFlops& row) { return row.op == "relu"; });
  ASSERT_NE(relu_row, rows.end());
  EXPECT_EQ(relu_row->calls, 2);
  EXPECT_EQ(relu_row->flops, 2 * 6);
}

}  // namespace
}  // namespace nabla::analysis
