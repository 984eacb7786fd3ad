// Value and error tests for matmul (torch.matmul's 1-D and batched cases, the oneDNN path against the
// reference kernel) and for index_select, gather, index_add and scatter_add.
#include <gtest/gtest.h>

#include "tests/common/expect_error.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "backend/cpu/fast.h"
#include "backend/cpu/kernels.h"
#include "nabla/nabla.h"
#include "ops/op.h"

using namespace nabla;

namespace {

void expect_values(const Tensor& actual, const std::vector<double>& expected) {
  EXPECT_EQ(actual.to_vector(), expected) << actual.describe();
}

using ::nabla::testing::expect_error;

Tensor indices(std::initializer_list<double> values, DType dtype = DType::i64) { return tensor(values, {.dtype = dtype}); }

// The output shape the op's shape rule gives for two operands of rank ≥ 2.
Shape op_output_shape(const Tensor& a, const Tensor& b) {
  std::vector<Tensor> inputs{a, b};
  ops::Attrs attrs = ops::NoAttrs{};
  return ops::shape_rule(ops::OpId::matmul)(ops::OpCall{ops::OpId::matmul, inputs, attrs})[0].shape;
}

bool takes_fast_path(const Tensor& a, const Tensor& b) {
  return cpu::matmul_fast(ops::OpId::matmul, {a, b}, {empty(op_output_shape(a, b))}, ops::NoAttrs{}) != nullptr;
}

// Compares the oneDNN result for f32 operands with the reference kernel, in double, elementwise against the
// natural scale of each output element, (|a|·|b|)ij, so that cancellation does not make it flaky.
void expect_fast_matches_reference(const Tensor& a, const Tensor& b, double rtol = 1e-5) {
  ASSERT_TRUE(takes_fast_path(a, b)) << a.describe() << " · " << b.describe() << " strides "
                                      << shape_string(a.strides()) << " / " << shape_string(b.strides());
  Tensor fast = matmul(a, b);
  cpu::ReferenceOnlyGuard reference_only;
  Tensor a64 = a.to(DType::f64), b64 = b.to(DType::f64);
  std::vector<double> reference = matmul(a64, b64).to_vector();
  std::vector<double> scale = matmul(maximum(a64, -a64), maximum(b64, -b64)).to_vector();
  std::vector<double> reference_f32 = matmul(a, b).to_vector();  // the reference kernel on f32 storage
  std::vector<double> values = fast.to_vector();
  ASSERT_EQ(values.size(), reference.size());
  for (size_t i = 0; i < values.size(); ++i) {
    double tolerance = rtol * scale[i] + 1e-30;
    ASSERT_LE(std::abs(values[i] - reference[i]), tolerance)
        << "element " << i << " of " << a.describe() << " · " << b.describe();
    ASSERT_LE(std::abs(reference_f32[i] - reference[i]), tolerance) << "reference kernel, element " << i;
  }
}

// Two threads at least for a scope, so that batches of small GEMMs are split across threads (ctest runs
// every test with NABLA_NUM_THREADS=1).
class AtLeastTwoThreads {
 public:
  AtLeastTwoThreads() : previous_(cpu::num_threads()) { cpu::set_num_threads(std::max(previous_, 2)); }
  ~AtLeastTwoThreads() { cpu::set_num_threads(previous_); }
 private:
  int previous_;
};

}  // namespace

// ---- matmul values

TEST(Matmul, TwoByThreeTimesThreeByTwo) {
  Tensor a = tensor({{1, 2, 3}, {4, 5, 6}});
  Tensor b = tensor({{7, 8}, {9, 10}, {11, 12}});
  for (DType dtype : {DType::f32, DType::f64, DType::bf16, DType::f16}) {
    Tensor c = matmul(a.to(dtype), b.to(dtype));
    EXPECT_EQ(c.dtype(), dtype);
    EXPECT_EQ(c.shape(), (Shape{2, 2}));
    expect_values(c, {58, 64, 139, 154});
  }
  cpu::ReferenceOnlyGuard reference_only;
  expect_values(matmul(a, b), {58, 64, 139, 154});
}

TEST(Matmul, PromotesMixedFloatTypes) {
  Tensor a = tensor({{1, 2}});
  Tensor b = tensor({3, 4}, {.dtype = DType::f64}).view({2, 1});
  Tensor c = matmul(a, b);
  EXPECT_EQ(c.dtype(), DType::f64);
  expect_values(c, {11});
  EXPECT_EQ(matmul(a.to(DType::bf16), b.to(DType::f16)).dtype(), DType::f32);
}

TEST(Matmul, TransposedOperands) {
  Tensor a = tensor({{1, 4}, {2, 5}, {3, 6}}).t();  // [[1, 2, 3], [4, 5, 6]]
  Tensor b = tensor({{7, 9, 11}, {8, 10, 12}}).t();
  expect_values(matmul(a, b), {58, 64, 139, 154});
  expect_values(matmul(a, a.t()), {14, 32, 32, 77});
}

TEST(Matmul, VectorCases) {
  Tensor v = tensor({1, 2, 3});
  Tensor m = tensor({{1, 0, 2}, {0, 1, -1}});
  Tensor dot = matmul(v, tensor({4, 5, 6}));
  EXPECT_EQ(dot.dim(), 0);
  EXPECT_EQ(dot.item(), 32);
  expect_values(matmul(m, v), {7, -1});                   // matrix · vector
  expect_values(matmul(tensor({1, 2}), m), {1, 2, 0});    // vector · matrix
  Tensor batch = stack({m, m * 2.0});                      // [2, 2, 3]
  expect_values(matmul(batch, v), {7, -1, 14, -2});        // batched · vector
  expect_values(matmul(tensor({1, 2}), batch), {1, 2, 0, 2, 4, 0});
}

TEST(Matmul, BatchedMatchesEachMatrix) {
  manual_seed(3);
  Tensor a = randn({3, 1, 4, 5}, {.dtype = DType::f64});
  Tensor b = randn({2, 5, 6}, {.dtype = DType::f64});
  Tensor c = matmul(a, b);
  ASSERT_EQ(c.shape(), (Shape{3, 2, 4, 6}));
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 2; ++j) {
      std::vector<double> expected = matmul(a.select(0, i).select(0, 0), b.select(0, j)).to_vector();
      std::vector<double> actual = c.select(0, i).select(0, j).to_vector();
      for (size_t e = 0; e < expected.size(); ++e) EXPECT_NEAR(actual[e], expected[e], 1e-12);
    }
  }
}

TEST(Matmul, OutputShapesFollowTorch) {
  struct Case {
    Shape a, b, expected;
  };
  const std::vector<Case> cases = {
      {{3}, {3}, {}},
      {{2, 3}, {3}, {2}},
      {{3}, {3, 4}, {4}},
      {{2, 3}, {3, 4}, {2, 4}},
      {{10, 3, 4}, {4}, {10, 3}},
      {{4}, {10, 4, 5}, {10, 5}},
      {{10, 3, 4}, {10, 4, 5}, {10, 3, 5}},
      {{10, 3, 4}, {4, 5}, {10, 3, 5}},
      {{3, 4}, {10, 4, 5}, {10, 3, 5}},
      {{2, 1, 3, 4}, {5, 4, 6}, {2, 5, 3, 6}},
      {{1, 3, 4}, {7, 4, 2}, {7, 3, 2}},
      {{2, 3, 1, 4}, {4}, {2, 3, 1}},
      {{0, 3, 4}, {4, 2}, {0, 3, 2}},
  };
  for (const Case& c : cases) {
    Tensor result = matmul(ones(c.a), ones(c.b));
    EXPECT_EQ(result.shape(), c.expected) << shape_string(c.a) << " @ " << shape_string(c.b);
  }
}

TEST(Matmul, EmptyInnerDimGivesZeros) {
  Tensor c = matmul(ones({2, 0}), ones({0, 3}));
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  expect_values(c, std::vector<double>(6, 0.0));
}

TEST(Matmul, GradientsThroughTheFastPath) {
  // Backward multiplies by transposed operands (b.mT()), the layout dnnl_sgemm reads with transb = 'T'.
  manual_seed(4);
  Tensor a = randn({2, 7, 31}).requires_grad_();
  Tensor b = randn({31, 5}).requires_grad_();
  Tensor a64 = a.detach().to(DType::f64).requires_grad_();
  Tensor b64 = b.detach().to(DType::f64).requires_grad_();
  matmul(a, b).tanh().sum().backward();
  matmul(a64, b64).tanh().sum().backward();
  for (auto [grad, expected] : {std::pair{a.grad(), a64.grad()}, std::pair{b.grad(), b64.grad()}}) {
    std::vector<double> values = grad.to_vector(), reference = expected.to_vector();
    for (size_t i = 0; i < values.size(); ++i) EXPECT_NEAR(values[i], reference[i], 1e-4 * (1 + std::abs(reference[i])));
  }
}

// ---- the oneDNN path against the reference kernel

TEST(MatmulFast, OddSizesAndTransposedOperands) {
  manual_seed(5);
  const std::vector<int64_t> sizes = {1, 7, 31, 129};
  for (int64_t n : sizes) {
    for (int64_t k : sizes) {
      for (int64_t m : sizes) {
        Tensor a = rand({n, k}) * 2.0 - 1.0, b = rand({k, m}) * 2.0 - 1.0;
        Tensor a_transposed = (rand({k, n}) * 2.0 - 1.0).t(), b_transposed = (rand({m, k}) * 2.0 - 1.0).t();
        expect_fast_matches_reference(a, b);
        expect_fast_matches_reference(a_transposed, b);
        expect_fast_matches_reference(a, b_transposed);
        expect_fast_matches_reference(a_transposed, b_transposed);
      }
    }
  }
}

TEST(MatmulFast, BatchedWithBroadcast) {
  manual_seed(6);
  AtLeastTwoThreads threads;
  Tensor a = randn({3, 1, 7, 31});
  Tensor b = randn({5, 129, 31}).mT();  // transposed batch matrices
  expect_fast_matches_reference(a, b);
  expect_fast_matches_reference(randn({31, 7}).t(), randn({4, 31, 129}));  // one matrix against a batch
  expect_fast_matches_reference(randn({1, 7, 31}).expand({4, 7, 31}), randn({4, 31, 1}));  // stride-0 batch
  expect_fast_matches_reference(randn({2, 3, 7, 31}).permute({1, 0, 2, 3}), randn({31, 129}));  // permuted batch
  expect_fast_matches_reference(randn({3, 129, 129}), randn({129, 129}));  // large GEMMs, an odd batch
}

TEST(MatmulFast, RowsSlicedFromAWiderMatrix) {
  manual_seed(7);
  Tensor wide = randn({7, 64});
  expect_fast_matches_reference(wide.narrow(1, 3, 31), randn({31, 129}));  // lda = 64
  expect_fast_matches_reference(randn({5, 31}), wide.narrow(1, 0, 31).t());  // transposed, ld = 64
}

TEST(MatmulFast, OtherLayoutsAndTypesTakeTheReferenceKernel) {
  manual_seed(8);
  Tensor strided = randn({7, 62}).slice(1, 0, 62, 2);  // column stride 2: no BLAS layout
  Tensor b = randn({31, 5});
  EXPECT_FALSE(takes_fast_path(strided, b));
  EXPECT_FALSE(takes_fast_path(randn({7, 1}).expand({7, 31}), b));  // row-broadcast columns
  EXPECT_FALSE(takes_fast_path(strided.to(DType::f64), b.to(DType::f64)));
  Tensor a = strided.contiguous();
  std::vector<double> expected = matmul(a, b).to_vector(), actual = matmul(strided, b).to_vector();
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-5 * (1 + std::abs(expected[i])));
}

TEST(MatmulFast, BeyondL2) {
  // Eight 256³ products: each operand is 2 MiB, past L2, while one GEMM stays small for the plain loops.
  manual_seed(9);
  expect_fast_matches_reference(rand({8, 256, 256}) * 2.0 - 1.0, (rand({8, 256, 256}) * 2.0 - 1.0).mT());
}

// ---- matmul errors

TEST(Matmul, Errors) {
  expect_error([] { matmul(ones({2, 3}), ones({4, 5})); }, {"matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)"});
  expect_error([] { matmul(ones({3}), ones({4})); }, {"matmul: shapes [3] and [4] cannot be multiplied (3 != 4)"});
  expect_error([] { matmul(ones({2, 3}), ones({4})); }, {"shapes [2, 3] and [4]", "(3 != 4)"});
  expect_error([] { matmul(ones({2, 3, 4}), ones({5, 4, 2})); },
               {"matmul: batch dims of shapes [2, 3, 4] and [5, 4, 2] cannot be broadcast", "(2 vs 5)"});
  expect_error([] { matmul(ones({}), ones({3})); }, {"matmul: both operands need at least 1 dim", "[] and [3]"});
  expect_error([] { matmul(ones({2, 3}, {.dtype = DType::i64}), ones({3, 2}, {.dtype = DType::i64})); },
               {"matmul: expected floating-point operands", "int64[2, 3]", "int64[3, 2]"});
}

// ---- index_select

TEST(IndexSelect, Values) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  expect_values(index_select(x, 0, indices({2, 0, 2})), {7, 8, 9, 1, 2, 3, 7, 8, 9});
  expect_values(index_select(x, 1, indices({1, 0}, DType::i32)), {2, 1, 5, 4, 8, 7});
  expect_values(index_select(x, -1, indices({2})), {3, 6, 9});
  expect_values(index_select(x.t(), 0, indices({0})), {1, 4, 7});  // a transposed input
  Tensor integers = index_select(x.to(DType::i64), 0, indices({1}));
  EXPECT_EQ(integers.dtype(), DType::i64);
  expect_values(integers, {4, 5, 6});
  expect_values(index_select(x.to(DType::bf16), 0, indices({1})), {4, 5, 6});
  EXPECT_EQ(index_select(x, 0, indices({})).shape(), (Shape{0, 3}));
}

TEST(IndexSelect, GradientAccumulatesRepeats) {
  Tensor x = zeros({3, 2}, {.dtype = DType::f64}).requires_grad_();
  index_select(x, 0, indices({0, 0, 2})).sum().backward();
  expect_values(x.grad(), {2, 2, 0, 0, 1, 1});
}

TEST(IndexSelect, Errors) {
  Tensor x = ones({3, 2});
  expect_error([&] { index_select(x, 0, indices({0, 5})); },
               {"index_select: index 5 is out of range for dim 0 of size 3", "float32[3, 2]"});
  expect_error([&] { index_select(x, 1, indices({-1})); }, {"index_select: index -1 is out of range for dim 1 of size 2"});
  expect_error([&] { index_select(x, 0, tensor({0, 1})); },
               {"index_select: index must be an int64 or int32 tensor, got float32[2]"});
  expect_error([&] { index_select(x, 0, ones({2, 2}, {.dtype = DType::i64})); }, {"index_select: index must be 1-D"});
  expect_error([&] { index_select(x, 2, indices({0})); }, {"index_select: dim 2 is out of range"});
}

// ---- gather

TEST(Gather, Values) {
  Tensor x = tensor({{1, 2}, {3, 4}});
  expect_values(gather(x, 1, tensor({{0, 0}, {1, 0}}, {.dtype = DType::i64})), {1, 1, 4, 3});  // torch's docs
  expect_values(gather(x, 0, tensor({{1, 0}}, {.dtype = DType::i32})), {3, 2});
  expect_values(gather(x.t(), 1, indices({1, 0}).view({2, 1})), {3, 2});  // a transposed input
  Tensor picked = gather(tensor({{0.1, 0.7, 0.2}, {0.5, 0.3, 0.2}}), 1, indices({1, 0}).view({2, 1}));
  EXPECT_EQ(picked.shape(), (Shape{2, 1}));
  EXPECT_NEAR(picked.to_vector()[0], 0.7, 1e-7);
}

TEST(Gather, GradientScattersBack) {
  Tensor x = zeros({2, 3}, {.dtype = DType::f64}).requires_grad_();
  gather(x, 1, tensor({{2, 2}, {0, 1}}, {.dtype = DType::i64})).sum().backward();
  expect_values(x.grad(), {0, 0, 2, 1, 1, 0});
}

TEST(Gather, Errors) {
  Tensor x = ones({2, 3});
  expect_error([&] { gather(x, 1, tensor({{0, 3}}, {.dtype = DType::i64})); },
               {"gather: index 3 is out of range for dim 1 of size 3", "float32[2, 3]"});
  expect_error([&] { gather(x, 1, tensor({0, 1}, {.dtype = DType::i64})); },
               {"gather: index int64[2] must have the same rank as the input float32[2, 3]"});
  expect_error([&] { gather(x, 1, ones({3, 1}, {.dtype = DType::i64})); },
               {"gather: index int64[3, 1] is larger than the input float32[2, 3] in dim 0 (3 > 2)"});
  expect_error([&] { gather(x, 1, ones({2, 1}, {.dtype = DType::u8})); },
               {"gather: index must be an int64 or int32 tensor, got uint8[2, 1]"});
}

// ---- index_add

TEST(IndexAdd, Values) {
  // torch's docs: rows of source land at rows 0, 4, 2 of self.
  Tensor source = tensor({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  expect_values(index_add(zeros({5, 3}), 0, indices({0, 4, 2}), source),
                {1, 2, 3, 0, 0, 0, 7, 8, 9, 0, 0, 0, 4, 5, 6});
  expect_values(index_add(ones({2, 3}), 1, indices({2, 2}, DType::i32), tensor({{1, 2}, {3, 4}})),
                {1, 1, 4, 1, 1, 8});  // repeats accumulate
  Tensor integers = index_add(ones({2}, {.dtype = DType::i64}), 0, indices({1, 1}), tensor({5, 6}, {.dtype = DType::i64}));
  expect_values(integers, {1, 12});
}

TEST(IndexAdd, Errors) {
  Tensor self = ones({3, 2});
  expect_error([&] { index_add(self, 0, indices({3}), ones({1, 2})); },
               {"index_add: index 3 is out of range for dim 0 of size 3"});
  expect_error([&] { index_add(self, 0, indices({0, 1}), ones({1, 2})); }, {"index_add: source float32[1, 2]"});
  expect_error([&] { index_add(self, 0, indices({0}), ones({1, 2}, {.dtype = DType::f64})); },
               {"index_add: source float64[1, 2] must have self's dtype"});
  expect_error([&] { index_add(self, 0, tensor({0}), ones({1, 2})); }, {"index_add: index must be an int64 or int32"});
  expect_values(self, std::vector<double>(6, 1.0));  // untouched
}

// ---- scatter_add

TEST(ScatterAdd, Values) {
  // torch's docs example.
  Tensor src = ones({2, 5});
  Tensor index = tensor({{0, 1, 2, 0, 0}}, {.dtype = DType::i64});
  expect_values(scatter_add(zeros({3, 5}), 0, index, src), {1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0});
  Tensor two_rows = tensor({{0, 1, 2, 0, 0}, {2, 0, 0, 1, 2}}, {.dtype = DType::i64});
  expect_values(scatter_add(zeros({3, 5}), 0, two_rows, src), {1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1});
  expect_values(scatter_add(zeros({2, 2}), 1, tensor({{1, 1, 0}}, {.dtype = DType::i32}), tensor({{1, 2, 4}})),
                {4, 3, 0, 0});
}

TEST(ScatterAdd, GradientOfSrcLargerThanIndex) {
  Tensor src = ones({2, 3}, {.dtype = DType::f64}).requires_grad_();
  Tensor self = zeros({2, 2}, {.dtype = DType::f64});
  Tensor weights = tensor({{1, 2}, {3, 4}}, {.dtype = DType::f64});
  (scatter_add(self, 1, tensor({{1, 0}}, {.dtype = DType::i64}), src) * weights).sum().backward();
  expect_values(src.grad(), {2, 1, 0, 0, 0, 0});  // only the index's block of src is read
}

TEST(ScatterAdd, Errors) {
  Tensor self = zeros({2, 3});
  expect_error([&] { scatter_add(self, 0, tensor({{0, 2}}, {.dtype = DType::i64}), ones({1, 2})); },
               {"scatter_add: index 2 is out of range for dim 0 of size 2"});
  expect_error([&] { scatter_add(self, 0, tensor({0, 1}, {.dtype = DType::i64}), ones({2})); },
               {"scatter_add: self float32[2, 3], index int64[2] and src float32[2] must have the same rank"});
  expect_error([&] { scatter_add(self, 0, ones({1, 3}, {.dtype = DType::i64}), ones({1, 2})); },
               {"scatter_add: index int64[1, 3] is larger than src float32[1, 2]"});
  expect_error([&] { scatter_add(self, 0, zeros({1, 1}), ones({1, 1})); },
               {"scatter_add: index must be an int64 or int32 tensor, got float32[1, 1]"});
}
