// Value and error tests for max, argmax, logsumexp, softmax, log_softmax and cross_entropy, on small
// examples computed by hand.
#include <gtest/gtest.h>

#include "tests/common/expect_error.h"

#include <cmath>
#include <limits>
#include <string>

#include "nabla/nabla.h"

using namespace nabla;

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();
const double infinity = std::numeric_limits<double>::infinity();

void expect_near_all(const Tensor& actual, const std::vector<double>& expected, double tolerance = 1e-6) {
  std::vector<double> values = actual.to_vector();
  ASSERT_EQ(values.size(), expected.size()) << actual.describe();
  for (size_t i = 0; i < values.size(); ++i) EXPECT_NEAR(values[i], expected[i], tolerance) << "element " << i;
}

using ::nabla::testing::expect_error;

}  // namespace

// ---- max and argmax

TEST(Max, ValuesAndIndicesAlongADim) {
  Tensor x = tensor({{1, 5, 3}, {7, 2, 7}});
  auto [values, indices] = max(x, 1);
  EXPECT_EQ(values.shape(), (Shape{2}));
  EXPECT_EQ(values.dtype(), DType::f32);
  EXPECT_EQ(indices.dtype(), DType::i64);
  EXPECT_EQ(values.to_vector(), (std::vector<double>{5, 7}));
  EXPECT_EQ(indices.to_vector(), (std::vector<double>{1, 0}));  // the tie 7, 7 gives the first index
}

TEST(Max, TiesGiveTheFirstIndex) {
  Tensor x = tensor({2, 9, 9, 1, 9});
  EXPECT_EQ(max(x, 0).second.item(), 1);
  EXPECT_EQ(argmax(x, 0).item(), 1);
}

TEST(Max, KeepdimAndNegativeDims) {
  Tensor x = arange(24, {.dtype = DType::f32}).reshape({2, 3, 4});
  auto [values, indices] = max(x, -2, true);
  EXPECT_EQ(values.shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(indices.shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(values.to_vector(), (std::vector<double>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(indices.to_vector(), std::vector<double>(8, 2));
  EXPECT_EQ(max(x, 0).first.shape(), (Shape{3, 4}));
  EXPECT_EQ(argmax(x, -1, true).shape(), (Shape{2, 3, 1}));
}

TEST(Max, NaNIsTheMaximum) {
  Tensor x = tensor({{1, nan_value, 3, nan_value}, {4, 2, 8, 6}});
  auto [values, indices] = max(x, 1);
  EXPECT_TRUE(std::isnan(values.to_vector()[0]));
  EXPECT_EQ(indices.to_vector(), (std::vector<double>{1, 2}));
  EXPECT_EQ(argmax(x, 1).to_vector(), (std::vector<double>{1, 2}));
  EXPECT_TRUE(std::isnan(max(x).item()));
}

TEST(Max, FullReductionIsZeroDim) {
  Tensor x = tensor({{3, -1}, {4, 2}});
  Tensor largest = max(x);
  EXPECT_EQ(largest.dim(), 0);
  EXPECT_EQ(largest.item(), 4);
  EXPECT_EQ(max(x.t()).item(), 4);  // a non-contiguous input is flattened by copy
}

TEST(Max, StridedInputs) {
  Tensor x = tensor({{1, 8, 3}, {6, 2, 4}});
  EXPECT_EQ(max(x.t(), 1).first.to_vector(), (std::vector<double>{6, 8, 4}));
  EXPECT_EQ(argmax(x.slice(1, 0, 3, 2), 1).to_vector(), (std::vector<double>{1, 0}));
}

TEST(Max, IntegersKeepTheirTypeExactly) {
  Tensor x = from_vector({1, 5, 2}, {3}, {.dtype = DType::i64});
  auto [values, indices] = max(x, 0);
  EXPECT_EQ(values.dtype(), DType::i64);
  EXPECT_EQ(values.item<int64_t>(), 5);
  // 2^53 + 1 and 2^53 are the same double: only an int64 comparison tells them apart.
  Tensor large = from_vector({0, 0}, {2}, {.dtype = DType::i64});
  large.data<int64_t>()[0] = 9007199254740993;
  large.data<int64_t>()[1] = 9007199254740992;
  EXPECT_EQ(max(large, 0).first.data<int64_t>()[0], 9007199254740993);
  EXPECT_EQ(argmax(large, 0).item(), 0);
}

TEST(Max, HalfPrecisionStorage) {
  for (DType dtype : {DType::bf16, DType::f16, DType::f64}) {
    Tensor x = tensor({{0.5, -2, 1.5}}, {.dtype = dtype});
    auto [values, indices] = max(x, 1);
    EXPECT_EQ(values.dtype(), dtype);
    EXPECT_EQ(values.item(), 1.5);
    EXPECT_EQ(indices.item(), 2);
  }
}

TEST(Max, ZeroDimInput) {
  Tensor x = scalar_tensor(3.5);
  auto [values, indices] = max(x, 0);
  EXPECT_EQ(values.dim(), 0);
  EXPECT_EQ(values.item(), 3.5);
  EXPECT_EQ(indices.item(), 0);
}

TEST(Max, GradientGoesToTheFirstMaximum) {
  Tensor x = tensor({{1, 4, 4}, {3, 0, 2}}, {.dtype = DType::f64}).requires_grad_();
  max(x, 1).first.sum().backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0, 1, 0, 1, 0, 0}));
}

TEST(Max, Errors) {
  Tensor x = zeros({2, 3});
  expect_error([&] { max(x, 2); }, {"max", "dim 2", "float32[2, 3]"});
  expect_error([&] { argmax(x, -3); }, {"argmax", "dim -3", "float32[2, 3]"});
  expect_error([&] { max(zeros({2, 0}), 1); }, {"max", "size 0", "float32[2, 0]"});
  expect_error([&] { max(zeros({0})); }, {"max", "float32[0]", "empty"});
}

// ---- logsumexp

TEST(Logsumexp, MatchesTheDefinition) {
  Tensor x = tensor({{0, std::log(3.0)}, {1, 1}});
  expect_near_all(logsumexp(x, {1}), {std::log(4.0), 1 + std::log(2.0)});
  expect_near_all(logsumexp(x, {}), {std::log(1 + 3 + 2 * std::exp(1.0))});
  EXPECT_EQ(logsumexp(x, {-1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(logsumexp(x, {0, 1}).dim(), 0);
}

TEST(Logsumexp, LargeValuesStayFinite) {
  Tensor x = tensor({1000, 1000, -1000}, {.dtype = DType::f64});
  expect_near_all(logsumexp(x, {0}), {1000 + std::log(2.0)}, 1e-9);
  expect_near_all(logsumexp(-x, {0}), {1000.0}, 1e-9);
}

TEST(Logsumexp, Infinities) {
  EXPECT_EQ(logsumexp(tensor({-infinity, -infinity}), {0}).item(), -infinity);
  EXPECT_EQ(logsumexp(tensor({infinity, 1}), {0}).item(), infinity);
  EXPECT_TRUE(std::isnan(logsumexp(tensor({nan_value, 1}), {0}).item()));
}

TEST(Logsumexp, IntegersGiveFloat) {
  Tensor x = from_vector({0, 0, 0, 0}, {2, 2}, {.dtype = DType::i64});
  Tensor result = logsumexp(x, {1});
  EXPECT_EQ(result.dtype(), DType::f32);
  expect_near_all(result, {std::log(2.0), std::log(2.0)});
}

TEST(Logsumexp, Errors) {
  expect_error([&] { logsumexp(zeros({2, 3}), {2}); }, {"logsumexp", "dim 2", "float32[2, 3]"});
  expect_error([&] { logsumexp(zeros({2, 3}), {1, -1}); }, {"logsumexp", "twice"});
}

// ---- softmax and log_softmax

TEST(Softmax, RowsSumToOne) {
  Tensor x = tensor({{0, std::log(3.0)}, {2, 2}});
  expect_near_all(softmax(x, 1), {0.25, 0.75, 0.5, 0.5});
  expect_near_all(softmax(x, 0), {1 / (1 + std::exp(2.0)), 3 / (3 + std::exp(2.0)), std::exp(2.0) / (1 + std::exp(2.0)),
                                  std::exp(2.0) / (3 + std::exp(2.0))});
  expect_near_all(log_softmax(x, -1), {std::log(0.25), std::log(0.75), std::log(0.5), std::log(0.5)});
}

TEST(Softmax, LargeLogitsStayFinite) {
  Tensor x = tensor({{1000, 0, -1000}, {-1000, -1000, -1000}});
  expect_near_all(softmax(x, 1), {1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  std::vector<double> logs = log_softmax(x, 1).to_vector();
  for (double value : logs) EXPECT_TRUE(std::isfinite(value));
  EXPECT_NEAR(logs[0], 0, 1e-6);
  EXPECT_NEAR(logs[2], -2000, 1e-3);
}

TEST(Softmax, StridedAndHalfPrecision) {
  Tensor x = tensor({{0, 2}, {std::log(3.0), 2}});
  expect_near_all(softmax(x.t(), 1), {0.25, 0.75, 0.5, 0.5});
  for (DType dtype : {DType::bf16, DType::f16}) {
    Tensor y = softmax(tensor({0, std::log(3.0)}, {.dtype = dtype}), 0);
    EXPECT_EQ(y.dtype(), dtype);
    expect_near_all(y, {0.25, 0.75}, 1e-2);
  }
}

TEST(Softmax, ZeroDimInput) {
  EXPECT_EQ(softmax(scalar_tensor(5), 0).item(), 1);
  EXPECT_EQ(log_softmax(scalar_tensor(5), -1).item(), 0);
}

TEST(Softmax, Errors) {
  expect_error([&] { softmax(zeros({2, 3}), 2); }, {"softmax", "dim 2", "float32[2, 3]"});
  expect_error([&] { log_softmax(zeros({4}), -2); }, {"log_softmax", "dim -2", "float32[4]"});
  Tensor integers = zeros({2, 3}, {.dtype = DType::i64});
  expect_error([&] { softmax(integers, 1); }, {"softmax", "floating point", "int64[2, 3]"});
  expect_error([&] { log_softmax(integers, 1); }, {"log_softmax", "floating point", "int64[2, 3]"});
}

// ---- cross_entropy

namespace {
Tensor labels(std::initializer_list<double> values) { return tensor(values, {.dtype = DType::i64}); }
}  // namespace

TEST(CrossEntropy, Reductions) {
  // Row 0: softmax [1/4, 3/4], target 1 → −log(3/4). Row 1: uniform over 2 → log 2.
  Tensor logits = tensor({{0, std::log(3.0)}, {5, 5}});
  Tensor target = labels({1, 0});
  const double first = -std::log(0.75), second = std::log(2.0);
  Tensor none = cross_entropy(logits, target, Reduction::none);
  EXPECT_EQ(none.shape(), (Shape{2}));
  expect_near_all(none, {first, second});
  expect_near_all(cross_entropy(logits, target, Reduction::sum), {first + second});
  Tensor mean = cross_entropy(logits, target);
  EXPECT_EQ(mean.dim(), 0);
  expect_near_all(mean, {(first + second) / 2});
}

TEST(CrossEntropy, IgnoreIndex) {
  Tensor logits = tensor({{0, std::log(3.0)}, {5, 5}, {1, 2}});
  Tensor target = labels({1, -100, 0});
  const double first = -std::log(0.75), third = std::log(1 + std::exp(1.0));
  expect_near_all(cross_entropy(logits, target, Reduction::none), {first, 0, third});
  expect_near_all(cross_entropy(logits, target), {(first + third) / 2});  // divides by the 2 kept rows
  EXPECT_TRUE(std::isnan(cross_entropy(logits, labels({1, 1, 1}), Reduction::mean, 1).item()));
  expect_near_all(cross_entropy(logits, labels({1, 1, 1}), Reduction::sum, 1), {0});
}

TEST(CrossEntropy, IgnoredRowsGetNoGradient) {
  Tensor logits = tensor({{0, 1}, {2, 3}}, {.dtype = DType::f64}).requires_grad_();
  cross_entropy(logits, labels({1, 0}), Reduction::mean, 0).backward();
  std::vector<double> grad = logits.grad().to_vector();
  // Row 0 alone counts: softmax(0, 1) = [p, 1 − p], target 1 → [p, (1 − p) − 1].
  const double p = 1 / (1 + std::exp(1.0));
  EXPECT_NEAR(grad[0], p, 1e-12);
  EXPECT_NEAR(grad[1], -p, 1e-12);
  EXPECT_EQ(grad[2], 0);
  EXPECT_EQ(grad[3], 0);
}

TEST(CrossEntropy, LargeLogitsStayFinite) {
  Tensor logits = tensor({{1000, -1000}, {-1000, 1000}});
  expect_near_all(cross_entropy(logits, labels({0, 0}), Reduction::none), {0, 2000}, 1e-3);
}

TEST(CrossEntropy, UnbatchedLogits) {
  Tensor logits = tensor({0, std::log(3.0)});
  Tensor target = from_vector({1}, {}, {.dtype = DType::i64});
  Tensor none = cross_entropy(logits, target, Reduction::none);
  EXPECT_EQ(none.dim(), 0);
  expect_near_all(none, {-std::log(0.75)});
}

TEST(CrossEntropy, Errors) {
  Tensor logits = zeros({4, 3});
  expect_error([&] { cross_entropy(logits, labels({0, 1, 2})); },
               {"cross_entropy", "float32[4, 3]", "[4]", "int64[3]"});
  expect_error([&] { cross_entropy(logits, zeros({4})); }, {"cross_entropy", "target", "float32[4]", "int"});
  expect_error([&] { cross_entropy(logits, labels({0, 1, 3, 0})); },
               {"cross_entropy", "target 3", "position 2", "3 classes", "float32[4, 3]"});
  expect_error([&] { cross_entropy(logits, labels({0, -1, 0, 0})); }, {"cross_entropy", "target -1", "position 1"});
  expect_error([&] { cross_entropy(zeros({4, 3}, {.dtype = DType::i64}), labels({0, 1, 2, 0})); },
               {"cross_entropy", "floating point", "int64[4, 3]"});
  expect_error([&] { cross_entropy(zeros({2, 3, 4}), labels({0, 1})); }, {"cross_entropy", "[N, C]", "float32[2, 3, 4]"});
}
