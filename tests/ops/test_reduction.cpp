// Value and error tests for prod, min/argmin, var/std, norm, any/all, cumsum, topk, sort/argsort and
// bincount (small examples computed by hand, PyTorch's edge cases), and for the fast float32 sum, mean and
// max kernels: that they are selected where they should be and do not depend on the thread count.
#include <gtest/gtest.h>

#include "tests/common/expect_error.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "backend/cpu/fast.h"
#include "backend/cpu/kernels.h"
#include "nabla/gradcheck.h"
#include "nabla/nabla.h"
#include "ops/op.h"

using namespace nabla;

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();
const double infinity = std::numeric_limits<double>::infinity();

void expect_values(const Tensor& actual, const std::vector<double>& expected) {
  EXPECT_EQ(actual.to_vector(), expected) << actual.describe();
}

void expect_near_all(const Tensor& actual, const std::vector<double>& expected, double tolerance = 1e-6) {
  std::vector<double> values = actual.to_vector();
  ASSERT_EQ(values.size(), expected.size()) << actual.describe();
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(expected[i])) EXPECT_TRUE(std::isnan(values[i])) << "element " << i;
    else if (std::isinf(expected[i])) EXPECT_EQ(values[i], expected[i]) << "element " << i;
    else EXPECT_NEAR(values[i], expected[i], tolerance) << "element " << i;
  }
}

using ::nabla::testing::expect_error;

Tensor f64(std::initializer_list<std::initializer_list<double>> rows) { return tensor(rows, {.dtype = DType::f64}); }
Tensor ints(std::initializer_list<double> values, DType dtype = DType::i64) { return tensor(values, {.dtype = dtype}); }

}  // namespace

// ---- prod

TEST(Prod, ValuesDimsAndDtypes) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
  expect_values(prod(x), {720});
  expect_values(prod(x, {1}), {6, 120});
  expect_values(prod(x, {0}, true), {4, 10, 18});
  EXPECT_EQ(prod(x, {0}, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(prod(x).dtype(), DType::f32);
  // Integers and bool multiply in int64, as PyTorch.
  EXPECT_EQ(prod(ints({1, 2, 3}, DType::i32)).dtype(), DType::i64);
  EXPECT_EQ(prod(ints({1, 0}, DType::boolean)).dtype(), DType::i64);
  EXPECT_EQ(prod(ints({2, 3}, DType::u8)).item(), 6);
  expect_values(prod(zeros({2, 0}), {1}), {1, 1});  // the empty product
}

TEST(Prod, GradientWithZerosMatchesPyTorch) {
  // torch: x = [[1,0,3],[0,0,2],[2,3,4]]; x.prod(1).sum().backward() → [[0,3,0],[0,0,0],[12,8,6]]
  Tensor x = f64({{1, 0, 3}, {0, 0, 2}, {2, 3, 4}}).requires_grad_();
  prod(x, {1}).sum().backward();
  expect_values(x.grad(), {0, 3, 0, 0, 0, 0, 12, 8, 6});
  // Over everything (three zeros): every gradient is 0.
  Tensor y = f64({{1, 0}, {2, 3}}).requires_grad_();
  prod(y).backward();
  expect_values(y.grad(), {0, 6, 0, 0});
}

TEST(Prod, GradcheckAtExactZeros) {
  // A product is a polynomial, so finite differences are exact at zeros: this checks the one-zero case (the
  // zero's gradient is the product of the others) and the two-zero case, to first and second order.
  Tensor x = f64({{1.5, 0, -0.5, 2}, {0, 0.7, 0, 1.2}, {0.3, -1.1, 0.8, 0.9}}).requires_grad_();
  GradcheckFunction by_row = [](const std::vector<Tensor>& in) { return prod(in[0], {1}); };
  GradcheckFunction by_column = [](const std::vector<Tensor>& in) { return prod(in[0], {0}, true) * 3.0; };
  GradcheckFunction all = [](const std::vector<Tensor>& in) { return prod(in[0].slice(0, 0, 1)); };
  for (const GradcheckFunction& function : {by_row, by_column, all}) {
    GradcheckResult first = gradcheck(function, {x});
    EXPECT_TRUE(first.ok) << first.message;
    EXPECT_EQ(first.skipped, 0);
    GradcheckResult second = gradgradcheck(function, {x});
    EXPECT_TRUE(second.ok) << second.message;
  }
}

TEST(Prod, Errors) {
  expect_error([] { prod(zeros({2, 3}), {2}); }, {"prod", "dim 2", "float32[2, 3]"});
  expect_error([] { prod(zeros({2, 3}), {1, -1}); }, {"prod", "twice"});
}

// ---- min, argmin

TEST(Min, ValuesIndicesAndTies) {
  Tensor x = tensor({{3, 1, 2}, {0, 5, 0}});
  auto [values, indices] = min(x, 1);
  expect_values(values, {1, 0});
  expect_values(indices, {1, 0});  // the tie 0, 0 gives the first index
  EXPECT_EQ(indices.dtype(), DType::i64);
  expect_values(argmin(x, 0), {1, 0, 1});
  EXPECT_EQ(min(x, -1, true).first.shape(), (Shape{2, 1}));
  EXPECT_EQ(argmin(x, 0, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(min(x).item(), 0);
  EXPECT_EQ(min(x.t()).item(), 0);
  EXPECT_EQ(min(scalar_tensor(2.5), 0).first.item(), 2.5);
}

TEST(Min, NaNIsTheMinimum) {
  Tensor x = tensor({1, nan_value, 0, nan_value});
  auto [value, index] = min(x, 0);
  EXPECT_TRUE(std::isnan(value.item()));
  EXPECT_EQ(index.item(), 1);
  EXPECT_EQ(argmin(x, 0).item(), 1);
  EXPECT_TRUE(std::isnan(min(x).item()));
}

TEST(Min, IntegersExactly) {
  Tensor x = from_vector({0, 0}, {2}, {.dtype = DType::i64});
  x.data<int64_t>()[0] = 9007199254740993;
  x.data<int64_t>()[1] = 9007199254740992;
  EXPECT_EQ(min(x, 0).first.data<int64_t>()[0], 9007199254740992);
  EXPECT_EQ(argmin(x, 0).item(), 1);
}

TEST(Min, GradientsAlongADimAndOverAll) {
  Tensor x = f64({{1, 1, 2}, {3, 0, 4}}).requires_grad_();
  min(x, 1).first.sum().backward();
  expect_values(x.grad(), {1, 0, 0, 0, 1, 0});  // along a dim: to the first minimum
  Tensor y = tensor({1, 1, 2}, {.dtype = DType::f64}).requires_grad_();
  min(y).backward();
  expect_values(y.grad(), {0.5, 0.5, 0});  // min(): shared among ties, as PyTorch
}

TEST(Min, Errors) {
  expect_error([] { min(zeros({2, 3}), 2); }, {"min", "dim 2", "float32[2, 3]"});
  expect_error([] { argmin(zeros({2, 3}), -3); }, {"argmin", "dim -3"});
  expect_error([] { min(zeros({2, 0}), 1); }, {"min", "size 0", "float32[2, 0]"});
  expect_error([] { min(zeros({0})); }, {"min", "float32[0]", "empty"});
}

// ---- var, std

TEST(Var, CorrectionAndDims) {
  Tensor x = tensor({{1, 2, 3, 4}, {2, 2, 2, 2}});
  expect_near_all(var(x, {1}), {5.0 / 3.0, 0});
  expect_near_all(var(x, {1}, 0), {1.25, 0});
  expect_near_all(var(x, {0}, 1, true), {0.5, 0, 0.5, 2});
  EXPECT_EQ(var(x, {0}, 1, true).shape(), (Shape{1, 4}));
  expect_near_all(var(tensor({1, 2, 3}), {}, 0.5), {0.8});  // torch: tensor([[1,2,3.]]).var(correction=0.5)
  expect_near_all(nabla::std(x, {1}), {std::sqrt(5.0 / 3.0), 0});
  EXPECT_EQ(var(tensor({1, 2}, {.dtype = DType::f64})).dtype(), DType::f64);
}

TEST(Var, CorrectionAtOrAboveTheCountDividesByZero) {
  // PyTorch: var(correction=2) of [1, 2] is inf; of a single element (correction 1) nan; empty: nan.
  expect_near_all(var(tensor({1, 2}), {}, 2), {infinity});
  expect_near_all(var(tensor({1, 2}), {}, 3), {infinity});
  expect_near_all(var(tensor({1})), {nan_value});
  expect_near_all(var(zeros({0})), {nan_value});
}

TEST(Var, StdGradientIsZeroForAConstantSlice) {
  // torch: x = [1., 1.]; x.std().backward() → [0, 0] (not NaN)
  Tensor x = tensor({1, 1}, {.dtype = DType::f64}).requires_grad_();
  nabla::std(x).backward();
  expect_values(x.grad(), {0, 0});
}

TEST(Var, Errors) {
  expect_error([] { var(ints({1, 2})); }, {"var", "floating point", "int64[2]"});
  expect_error([] { nabla::std(ints({1, 2})); }, {"std", "int64[2]"});
  expect_error([] { var(zeros({2, 3}), {3}); }, {"var", "dim 3", "float32[2, 3]"});
}

// ---- norm

TEST(Norm, Orders) {
  Tensor x = tensor({{3, -4}, {0, 1}});
  expect_near_all(norm(x), {std::sqrt(26.0)});
  expect_near_all(norm(x, 2, {1}), {5, 1});
  expect_near_all(norm(x, 1, {1}), {7, 1});
  expect_near_all(norm(x, infinity, {0}), {3, 4});
  expect_near_all(norm(x, -infinity, {1}), {3, 0});
  expect_near_all(norm(x, 0), {3});
  expect_near_all(norm(x, 3, {1}), {std::cbrt(91.0), 1});
  expect_near_all(norm(x, 0.5, {1}), {std::pow(std::sqrt(3.0) + 2.0, 2), 1}, 1e-5);
  EXPECT_EQ(norm(x, 2, {1}, true).shape(), (Shape{2, 1}));
}

TEST(Norm, GradientsAtZeroMatchPyTorch) {
  // torch.linalg.vector_norm at zeros: p=2 of [0, 0] → [0, 0]; p=1 of [0, 1] → [0, 1];
  // p=0.5 of [0, 0] → [0, 0] and of [0, 1] → [0, 1]; p=∞ of [2, -2, 1] → [0.5, -0.5, 0].
  auto gradient = [](std::initializer_list<double> values, double p) {
    Tensor x = tensor(values, {.dtype = DType::f64}).requires_grad_();
    norm(x, p).backward();
    return x.grad();
  };
  expect_values(gradient({0, 0}, 2), {0, 0});
  expect_values(gradient({0, 1}, 1), {0, 1});
  expect_values(gradient({0, 0}, 0.5), {0, 0});
  expect_values(gradient({0, 1}, 0.5), {0, 1});
  expect_values(gradient({0, 0}, 3), {0, 0});
  expect_values(gradient({2, -2, 1}, infinity), {0.5, -0.5, 0});
  expect_values(gradient({2, 0}, 0), {0, 0});
}

TEST(Norm, Errors) {
  expect_error([] { norm(ints({1, 2})); }, {"norm", "floating point", "int64[2]"});
  expect_error([] { norm(zeros({2}), -1); }, {"norm", "p", "-1"});
  expect_error([] { norm(zeros({2}), 2, {1}); }, {"norm", "dim 1"});
}

// ---- any, all

TEST(AnyAll, ValuesAndDtypes) {
  Tensor x = tensor({{0, 2, 0}, {0, 0, 0}});
  expect_values(any(x, {1}), {1, 0});
  expect_values(all(x + 1.0, {0}), {1, 1, 1});
  expect_values(all(x, {0}), {0, 0, 0});
  EXPECT_EQ(any(x).dtype(), DType::boolean);
  EXPECT_EQ(any(x, {0}, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(any(ints({1, 0}, DType::i32)).item(), 1);
  EXPECT_EQ(all(ints({1, 2}, DType::u8)).dtype(), DType::u8);  // PyTorch keeps uint8 for uint8 inputs
  EXPECT_EQ(any(tensor({nan_value, 0})).item(), 1);              // NaN is not zero
  expect_values(any(zeros({2, 0}), {1}), {0, 0});                // empty: any is false, all is true
  expect_values(all(zeros({2, 0}), {1}), {1, 1});
}

// ---- cumsum

TEST(Cumsum, ValuesAndDtypes) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
  expect_values(cumsum(x, 1), {1, 3, 6, 4, 9, 15});
  expect_values(cumsum(x, 0), {1, 2, 3, 5, 7, 9});
  expect_values(cumsum(x.t(), 1), {1, 5, 2, 7, 3, 9});
  EXPECT_EQ(cumsum(ints({1, 2}, DType::i32), 0).dtype(), DType::i64);
  expect_values(cumsum(ints({1, 1, 0}, DType::boolean), 0), {1, 2, 2});
  EXPECT_EQ(cumsum(tensor({1, 2}, {.dtype = DType::f16}), 0).dtype(), DType::f16);
  EXPECT_EQ(cumsum(scalar_tensor(3), 0).item(), 3);
  expect_error([] { cumsum(scalar_tensor(3), 1); }, {"cumsum", "dim 1"});
}

TEST(Cumsum, BackwardIsTheReversedCumsum) {
  Tensor x = tensor({1, 2, 3}, {.dtype = DType::f64}).requires_grad_();
  (cumsum(x, 0) * tensor({1, 10, 100}, {.dtype = DType::f64})).sum().backward();
  expect_values(x.grad(), {111, 110, 100});
}

// ---- sort, argsort, topk

TEST(Sort, StableAscendingAndDescending) {
  Tensor x = ints({1, 3, 3, 2, 3});
  auto [ascending, order] = sort(x);
  expect_values(ascending, {1, 2, 3, 3, 3});
  expect_values(order, {0, 3, 1, 2, 4});
  auto [descending, descending_order] = sort(x, 0, true);
  expect_values(descending, {3, 3, 3, 2, 1});
  expect_values(descending_order, {1, 2, 4, 3, 0});  // torch: stable descending keeps ties in input order
  expect_values(argsort(tensor({{3, 1}, {0, 2}}), 0), {1, 0, 0, 1});
  EXPECT_EQ(sort(ints({1, 0}, DType::boolean)).first.dtype(), DType::boolean);
  EXPECT_EQ(sort(scalar_tensor(5)).second.item(), 0);
}

TEST(Sort, NaNIsLargest) {
  Tensor x = tensor({1, nan_value, 0});
  auto [values, indices] = sort(x);
  expect_values(indices, {2, 0, 1});
  EXPECT_TRUE(std::isnan(values.to_vector()[2]));
  expect_values(sort(x, 0, true).second, {1, 0, 2});
}

TEST(Topk, LargestSmallestAndNaN) {
  Tensor x = tensor({{1, 5, 2, 4}, {7, 0, 3, 3}});
  auto [values, indices] = topk(x, 2);
  expect_values(values, {5, 4, 7, 3});
  expect_values(indices, {1, 3, 0, 2});  // ties: the first one (PyTorch's CPU order of ties is unspecified)
  auto [smallest, smallest_indices] = topk(x, 1, 0, false);
  expect_values(smallest, {1, 0, 2, 3});
  expect_values(smallest_indices, {0, 1, 0, 1});
  // torch: tensor([1., nan, 0., nan]).topk(2) → values [nan, nan], indices [1, 3]; largest=False → [0, 1], [2, 0]
  Tensor with_nan = tensor({1, nan_value, 0, nan_value});
  expect_values(topk(with_nan, 2).second, {1, 3});
  expect_values(topk(with_nan, 2, 0, false).second, {2, 0});
  EXPECT_EQ(topk(x, 0).first.shape(), (Shape{2, 0}));
}

TEST(Topk, GradientGoesBackToItsPositions) {
  Tensor x = tensor({{1, 5, 2}, {7, 0, 3}}, {.dtype = DType::f64}).requires_grad_();
  (topk(x, 2).first * tensor({{1, 10}, {100, 1000}}, {.dtype = DType::f64})).sum().backward();
  expect_values(x.grad(), {0, 1, 10, 100, 0, 1000});
}

TEST(SortTopk, Errors) {
  expect_error([] { topk(tensor({1, 3}), 3); }, {"topk", "k = 3", "size 2"});
  expect_error([] { topk(tensor({1, 3}), -1); }, {"topk", "k = -1"});
  expect_error([] { sort(zeros({2, 3}), 2); }, {"sort", "dim 2", "float32[2, 3]"});
}

TEST(HalfPrecision, ReductionsSortsAndScansKeepTheStorageDtype) {
  for (DType dtype : {DType::bf16, DType::f16}) {
    Tensor x = tensor({{0.5, -2, 1.5}, {3, 0.25, -1}}, {.dtype = dtype});
    EXPECT_EQ(prod(x, {1}).dtype(), dtype);
    expect_values(prod(x, {1}), {-1.5, -0.75});
    expect_values(min(x, 1).first, {-2, -1});
    expect_values(cumsum(x, 1), {0.5, -1.5, 0, 3, 3.25, 2.25});
    expect_values(sort(x, 1).first, {-2, 0.5, 1.5, -1, 0.25, 3});
    expect_values(topk(x, 1, 0).second, {1, 1, 0});
    expect_near_all(var(x, {1}, 0), {6.5 / 3, 8.375 / 3}, 1e-2);
    EXPECT_EQ(var(x).dtype(), dtype);
  }
}

// ---- bincount

TEST(Bincount, CountsWeightsAndMinlength) {
  Tensor x = ints({0, 3, 1, 1});
  expect_values(bincount(x), {1, 2, 0, 1});
  EXPECT_EQ(bincount(x).dtype(), DType::i64);
  expect_values(bincount(x, {}, 6), {1, 2, 0, 1, 0, 0});
  Tensor weights = tensor({1, 2, 3, 4});
  expect_values(bincount(x, weights), {1, 7, 0, 2});
  EXPECT_EQ(bincount(x, weights).dtype(), DType::f32);  // float32 weights stay float32; others give float64
  EXPECT_EQ(bincount(x, weights.to(DType::f16)).dtype(), DType::f64);
  EXPECT_EQ(bincount(x, ints({1, 2, 3, 4})).dtype(), DType::f64);
  EXPECT_EQ(bincount(ints({1, 2}, DType::u8)).dtype(), DType::i64);
  EXPECT_EQ(bincount(from_vector({}, {0}, {.dtype = DType::i64})).shape(), (Shape{0}));
  EXPECT_EQ(bincount(from_vector({}, {0}, {.dtype = DType::i64}), {}, 3).shape(), (Shape{3}));
}

TEST(Bincount, Errors) {
  expect_error([] { bincount(ints({0, 3, -2, -1})); }, {"bincount", "-2", "position 2"});
  expect_error([] { bincount(tensor({0, 3})); }, {"bincount", "float32[2]"});
  expect_error([] { bincount(ints({1, 0}, DType::boolean)); }, {"bincount", "bool[2]"});
  expect_error([] { bincount(ints({0, 1}).reshape({1, 2})); }, {"bincount", "1-D", "int64[1, 2]"});
  expect_error([] { bincount(ints({0, 1}), tensor({1, 2, 3})); }, {"bincount", "weights", "float32[3]"});
  expect_error([] { bincount(ints({0, 1}), {}, -1); }, {"bincount", "minlength", "-1"});
}

// ---- the fast float32 kernels

namespace {

bool fast_path(ops::OpId op, const Tensor& x, const ops::Attrs& attrs) {
  std::vector<Tensor> inputs{x};
  std::vector<ops::OutputSpec> specs = ops::shape_rule(op)(ops::OpCall{op, inputs, attrs});
  std::vector<Tensor> outputs;
  for (const ops::OutputSpec& spec : specs) outputs.push_back(empty(spec.shape, {.dtype = spec.dtype}));
  return cpu::fast_kernel(op, inputs, outputs, attrs) != nullptr;
}

}  // namespace

TEST(FastReduce, SelectedForContiguousFloat32Layouts) {
  Tensor x = rand({64, 33});
  using ops::OpId, ops::ReduceAttrs, ops::DimAttrs;
  EXPECT_TRUE(fast_path(OpId::sum, x, ReduceAttrs{}));
  EXPECT_TRUE(fast_path(OpId::sum, x, ReduceAttrs{{0, 1}}));
  EXPECT_TRUE(fast_path(OpId::sum, x, ReduceAttrs{{-1}, true}));
  EXPECT_TRUE(fast_path(OpId::sum, x, ReduceAttrs{{0}}));  // the bias gradient: [N, C] → [C]
  EXPECT_TRUE(fast_path(OpId::mean, rand({4, 5, 6}), ReduceAttrs{{0, 1}}));
  EXPECT_TRUE(fast_path(OpId::mean, x, ReduceAttrs{{1}}));
  EXPECT_TRUE(fast_path(OpId::max, x, DimAttrs{1}));
  EXPECT_TRUE(fast_path(OpId::max, x, DimAttrs{-1, true}));
  // Not covered: middle dims, other dtypes, non-contiguous inputs, max along another dim.
  EXPECT_FALSE(fast_path(OpId::sum, rand({4, 5, 6}), ReduceAttrs{{1}}));
  EXPECT_FALSE(fast_path(OpId::sum, rand({4, 5, 6}), ReduceAttrs{{0, 2}}));
  EXPECT_FALSE(fast_path(OpId::sum, x.to(DType::f64), ReduceAttrs{}));
  EXPECT_FALSE(fast_path(OpId::sum, x.t(), ReduceAttrs{{1}}));
  EXPECT_FALSE(fast_path(OpId::max, x, DimAttrs{0}));
}

TEST(FastReduce, SameBitsWithOneAndTwoThreads) {
  // Above the parallel threshold, so two threads really split the work.
  Tensor x = randn({1 << 20});
  Tensor rows = randn({3, 400000});
  Tensor columns = randn({50000, 7});
  Tensor wide = randn({700, 300});
  Tensor single_row = randn({1, 1 << 19});  // one row: serial with 1 thread, its chunks split with 2
  // Large values around small ones: the double sums round differently in any other order, so a thread-count
  // dependent order would change the float32 bits.
  Tensor adversarial = cat({full({1 << 18}, 1e9), randn({1 << 19}), full({1 << 18}, -1e9)});
  auto run = [&] {
    return std::vector<Tensor>{sum(x), mean(x), sum(rows, {1}), mean(rows, {-1}), sum(columns, {0}),
                               mean(wide, {0}), max(rows, 1).first, max(rows, 1).second,
                               sum(single_row, {1}), sum(adversarial), sum(adversarial.reshape({1, -1}), {1}),
                               sum(adversarial.reshape({-1, 4}), {0}), sum(adversarial.reshape({-1, 512}), {0})};
  };
  const int threads = cpu::num_threads();
  cpu::set_num_threads(1);
  std::vector<Tensor> one = run();
  cpu::set_num_threads(2);
  std::vector<Tensor> two = run();
  cpu::set_num_threads(threads);
  for (size_t i = 0; i < one.size(); ++i) {
    ASSERT_EQ(one[i].numel(), two[i].numel());
    const size_t bytes = static_cast<size_t>(one[i].numel()) * dtype_size(one[i].dtype());
    EXPECT_EQ(std::memcmp(one[i].raw_data(), two[i].raw_data(), bytes), 0) << "result " << i;
  }
}

TEST(FastReduce, CloseToTheDoubleSum) {
  // 2^20 values: a float32 running sum would be off by far more than the last bit.
  Tensor x = rand({1 << 20}) + 1000.0;
  double exact = sum(x.to(DType::f64)).item();
  EXPECT_EQ(sum(x).item(), static_cast<double>(static_cast<float>(exact)));
}

TEST(FastReduce, MaxFirstOnTiesAndNaN) {
  Tensor x = tensor({{1, 7, 7, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7},
                     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, nan_value, nan_value},
                     {-infinity, -infinity, -infinity, -infinity, -infinity, -infinity, -infinity, -infinity, -infinity,
                      -infinity, -infinity, -infinity, -infinity, -infinity, -infinity, -infinity, -infinity, -infinity}});
  ASSERT_TRUE(fast_path(ops::OpId::max, x, ops::DimAttrs{1}));
  auto [values, indices] = max(x, 1);
  expect_values(indices, {1, 16, 0});
  EXPECT_EQ(values.to_vector()[0], 7);
  EXPECT_TRUE(std::isnan(values.to_vector()[1]));
  EXPECT_EQ(values.to_vector()[2], -infinity);
}
