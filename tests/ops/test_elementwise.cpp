// Value and error tests for the elementwise ops beyond + − × ÷ (abs … logical_not), the activations, minimum,
// logical_and/or/xor, lerp, addcmul/addcdiv, copy_ and the in-place functions, on small examples
// computed by hand or by PyTorch 2.15; and checks that the fast CPU paths are selected where they should be.
#include <gtest/gtest.h>

#include "tests/common/expect_error.h"

#include <cmath>
#include <limits>
#include <string>

#include "backend/cpu/kernels.h"
#include "nabla/nabla.h"
#include "ops/op.h"

using namespace nabla;

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();
const double infinity = std::numeric_limits<double>::infinity();

void expect_near_all(const std::vector<double>& values, const std::vector<double>& expected, double tolerance = 1e-6) {
  ASSERT_EQ(values.size(), expected.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(values[i])) << "element " << i << " is " << values[i];
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(values[i], expected[i]) << "element " << i;
    } else {
      EXPECT_NEAR(values[i], expected[i], tolerance) << "element " << i;
    }
  }
}

void expect_near_all(const Tensor& actual, const std::vector<double>& expected, double tolerance = 1e-6) {
  expect_near_all(actual.to_vector(), expected, tolerance);
}

using ::nabla::testing::expect_error;

Tensor ints(std::initializer_list<double> values) { return tensor(values, {.dtype = DType::i64}); }
Tensor bools(std::initializer_list<double> values) { return tensor(values, {.dtype = DType::boolean}); }

// d(sum(f(x)))/dx at the given points, in float64.
std::vector<double> gradient_of(const std::function<Tensor(const Tensor&)>& f, std::initializer_list<double> points) {
  Tensor x = tensor(points, {.dtype = DType::f64}).requires_grad_();
  sum(f(x)).backward();
  return x.grad().to_vector();
}

}  // namespace

// ---- unary

TEST(Abs, FloatsIntegersAndBoolRefused) {
  expect_near_all(abs(tensor({-1.5, 0, 2})), {1.5, 0, 2});
  Tensor i = abs(ints({-3, 4}));
  EXPECT_EQ(i.dtype(), DType::i64);
  EXPECT_EQ(i.to_vector(), (std::vector<double>{3, 4}));
  expect_error([] { abs(bools({1, 0})); }, {"abs", "bool[2]"});
}

TEST(Abs, GradientIsSignAndZeroAtZero) {
  EXPECT_EQ(gradient_of([](const Tensor& x) { return abs(x); }, {-2, 0, 3}), (std::vector<double>{-1, 0, 1}));
}

TEST(Sign, ZeroAndNaNGiveZeroAndBoolStaysBool) {
  expect_near_all(sign(tensor({-2.5, -0.0, 0, 3, nan_value})), {-1, 0, 0, 1, 0});
  EXPECT_EQ(sign(ints({-7, 0, 9})).to_vector(), (std::vector<double>{-1, 0, 1}));
  Tensor b = sign(bools({1, 0}));
  EXPECT_EQ(b.dtype(), DType::boolean);
  EXPECT_EQ(b.to_vector(), (std::vector<double>{1, 0}));
  EXPECT_EQ(gradient_of([](const Tensor& x) { return sign(x); }, {-2, 3}), (std::vector<double>{0, 0}));
}

TEST(Log1p, AccurateForTinyInputsAndIntegersBecomeFloat) {
  EXPECT_DOUBLE_EQ(log1p(tensor({1e-12}, {.dtype = DType::f64})).item(), std::log1p(1e-12));
  Tensor y = log1p(ints({0, 1}));
  EXPECT_EQ(y.dtype(), DType::f32);
  expect_near_all(y, {0, std::log(2.0)});
  expect_near_all(log1p(tensor({-1, -2})), {-infinity, nan_value});
  expect_near_all((gradient_of([](const Tensor& x) { return log1p(x); }, {0, 1})), {1, 0.5});
}

TEST(Rsqrt, ValuesAndEdges) {
  expect_near_all(rsqrt(tensor({4, 0.25, 0, -1})), {0.5, 2, infinity, nan_value});
  expect_near_all((gradient_of([](const Tensor& x) { return rsqrt(x); }, {4})), {-0.5 / 8});
}

TEST(SinCos, ValuesAndGradients) {
  const double pi = 3.14159265358979323846;
  expect_near_all(sin(tensor({0, pi / 2, -pi / 6})), {0, 1, -0.5});
  expect_near_all(cos(tensor({0, pi, pi / 3})), {1, -1, 0.5});
  expect_near_all((gradient_of([](const Tensor& x) { return sin(x); }, {0.3})), {std::cos(0.3)}, 1e-12);
  expect_near_all((gradient_of([](const Tensor& x) { return cos(x); }, {0.3})), {-std::sin(0.3)}, 1e-12);
  Tensor y = sin(bools({1, 0}));
  EXPECT_EQ(y.dtype(), DType::f32);
  expect_near_all(y, {std::sin(1.0), 0});
}

TEST(Rounding, HalfToEvenFloorCeilAndIntegersAsTheyAre) {
  Tensor x = tensor({0.5, 1.5, 2.5, -0.5, -1.5, -2.7, static_cast<double>(1e30f)});
  expect_near_all(round(x), {0, 2, 2, -0.0, -2, -3, static_cast<double>(1e30f)});
  EXPECT_TRUE(std::signbit(round(tensor({-0.5})).item()));
  expect_near_all(floor(x), {0, 1, 2, -1, -2, -3, static_cast<double>(1e30f)});
  expect_near_all(ceil(x), {1, 2, 3, -0.0, -1, -2, static_cast<double>(1e30f)});
  expect_near_all(floor(tensor({infinity, nan_value})), {infinity, nan_value});
  using Unary = Tensor (*)(const Tensor&);
  for (Unary op : std::initializer_list<Unary>{&nabla::floor, &nabla::ceil, &nabla::round}) {
    Tensor i = op(ints({-3, 5}));
    EXPECT_EQ(i.dtype(), DType::i64);
    EXPECT_EQ(i.to_vector(), (std::vector<double>{-3, 5}));
  }
  expect_error([] { floor(bools({1})); }, {"floor", "bool[1]"});
}

TEST(Rounding, NotDifferentiable) {
  Tensor x = tensor({0.4, 1.6}, {.requires_grad = true});
  EXPECT_FALSE(floor(x).requires_grad());
  EXPECT_FALSE(round(x).requires_grad());
  EXPECT_FALSE(ceil(x).requires_grad());
}

TEST(Predicates, IsFiniteIsNanLogicalNot) {
  Tensor x = tensor({1, infinity, -infinity, nan_value, 0});
  Tensor finite = isfinite(x);
  EXPECT_EQ(finite.dtype(), DType::boolean);
  EXPECT_EQ(finite.to_vector(), (std::vector<double>{1, 0, 0, 0, 1}));
  EXPECT_EQ(isnan(x).to_vector(), (std::vector<double>{0, 0, 0, 1, 0}));
  EXPECT_EQ(logical_not(x).to_vector(), (std::vector<double>{0, 0, 0, 0, 1}));  // NaN is true
  EXPECT_EQ(isfinite(ints({5, -5})).to_vector(), (std::vector<double>{1, 1}));
  EXPECT_EQ(isnan(ints({5})).to_vector(), (std::vector<double>{0}));
  EXPECT_EQ(logical_not(bools({1, 0})).to_vector(), (std::vector<double>{0, 1}));
  EXPECT_EQ(logical_not(ints({0, 3})).dtype(), DType::boolean);
}

// ---- activations

TEST(LeakyRelu, ValuesGradientAndIntegersRefused) {
  expect_near_all(leaky_relu(tensor({-1, 0, 2}), 0.2), {-0.2, 0, 2});
  expect_near_all(leaky_relu(tensor({-100})), {-1});  // default slope 0.01
  // The slope is the gradient at 0, as PyTorch.
  expect_near_all((gradient_of([](const Tensor& x) { return leaky_relu(x, 0.1); }, {-1, 0, 1})), {0.1, 0.1, 1});
  expect_error([] { leaky_relu(ints({1})); }, {"leaky_relu", "int64[1]", "floating"});
}

TEST(Elu, ValuesAndGradients) {
  expect_near_all(elu(tensor({-1, 0, 1, -infinity}), 0.5), {0.5 * std::expm1(-1.0), 0, 1, -0.5});
  expect_near_all((gradient_of([](const Tensor& x) { return elu(x, 0.5); }, {-1, 0, 1})),
                  {0.5 * std::exp(-1.0), 0.5, 1});
  expect_near_all((gradient_of([](const Tensor& x) { return elu(x, -0.5); }, {-1, 0, 1})),
                  {-0.5 * std::exp(-1.0), -0.5, 1});
  expect_error([] { elu(bools({1})); }, {"elu", "bool[1]"});
}

TEST(Gelu, ExactAndTanhMatchPyTorch) {
  // torch.nn.functional.gelu(torch.tensor([-1., 0.5, 3.]), approximate='none' / 'tanh'), float64
  expect_near_all(gelu(tensor({-1, 0.5, 3}, {.dtype = DType::f64})), {-0.15865525393145702, 0.34573123063700656, 2.99595030590511}, 1e-12);
  expect_near_all(gelu(tensor({-1, 0.5, 3}, {.dtype = DType::f64}), GeluApproximation::tanh),
                  {-0.15880800939172324, 0.34571400982514394, 2.996362607918227}, 1e-12);
  // d gelu/dx = Φ(x) + x·φ(x): at 0 it is ½.
  expect_near_all((gradient_of([](const Tensor& x) { return gelu(x); }, {0, 1})),
                  {0.5, 0.8413447460685429 + 0.24197072451914337}, 1e-12);
  expect_near_all((gradient_of([](const Tensor& x) { return gelu(x, GeluApproximation::tanh); }, {0})), {0.5}, 1e-12);
  expect_error([] { gelu(ints({1})); }, {"gelu", "int64[1]"});
}

TEST(Gelu, ThirdOrderGradientOfTheExactForm) {
  // gelu''(x) = φ(x)(2 − x²), gelu'''(x) = φ(x)(x³ − 4x): the derivative function is differentiable too.
  Tensor x = tensor({0.7}, {.dtype = DType::f64, .requires_grad = true});
  Tensor first = autograd::grad({sum(gelu(x))}, {x}, {}, {}, true)[0];
  Tensor second = autograd::grad({sum(first)}, {x}, {}, {}, true)[0];
  Tensor third = autograd::grad({sum(second)}, {x})[0];
  const double density = std::exp(-0.245) / std::sqrt(2 * 3.14159265358979323846);
  EXPECT_NEAR(second.item(), density * (2 - 0.49), 1e-12);
  EXPECT_NEAR(third.item(), density * (0.343 - 2.8), 1e-12);
}

TEST(Silu, ValuesAndEdges) {
  expect_near_all(silu(tensor({1, 0, -infinity, infinity})), {1 / (1 + std::exp(-1.0)), 0, nan_value, infinity});
  const double s = 1 / (1 + std::exp(-2.0));
  expect_near_all((gradient_of([](const Tensor& x) { return silu(x); }, {2})), {s * (1 + 2 * (1 - s))}, 1e-12);
}

TEST(Softplus, SmoothBelowTheThresholdLinearAbove) {
  // torch.nn.functional.softplus(torch.tensor([30., 10., -30.]), beta=2, threshold=15)
  expect_near_all(softplus(tensor({30, 10, -30}, {.dtype = DType::f64}), 2, 15), {30, 10, 4.37825538134826e-27}, 1e-12);
  EXPECT_NEAR(softplus(tensor({-30}, {.dtype = DType::f64}), 2, 15).item() / 4.37825538134826e-27, 1, 1e-9);
  expect_near_all(softplus(tensor({1})), {std::log1p(std::exp(1.0))});
  expect_near_all(softplus(tensor({1}), -1), {-0.31326168751822286});
  // A huge threshold keeps the smooth branch without overflow.
  expect_near_all(softplus(tensor({200}, {.dtype = DType::f64}), 1, 1000), {200}, 1e-12);
  // As torch: σ(βx) below the threshold, 1 above.
  expect_near_all((gradient_of([](const Tensor& x) { return softplus(x, 2, 3); }, {-1, 1.5, 2})),
                  {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(-3.0)), 1}, 1e-12);
}

TEST(Clamp, ValuesNaNAndReversedBounds) {
  expect_near_all(clamp(tensor({-2, 0.5, 3}), -1, 1), {-1, 0.5, 1});
  expect_near_all(clamp(tensor({-2, 0.5, 3}), std::nullopt, 0), {-2, 0, 0});
  expect_near_all(clamp(tensor({-2, 0.5, nan_value}), 0, std::nullopt), {0, 0.5, nan_value});
  expect_near_all(clamp(tensor({1.5, -2.5, 0.5}), 1, 0), {0, 0, 0});  // min > max: max everywhere
  expect_near_all(clamp(tensor({1, 2}), nan_value, std::nullopt), {nan_value, nan_value});
}

TEST(Clamp, DTypes) {
  // The bounds are doubles, promoted as PyTorch's Python floats: torch.clamp(int64 tensor, min=2.0) is float32.
  Tensor promoted = clamp(ints({1, 2, 3}), 2, std::nullopt);
  EXPECT_EQ(promoted.dtype(), DType::f32);
  expect_near_all(promoted, {2, 2, 3});
  Tensor from_bool = clamp(bools({1, 0}), 0.5, std::nullopt);
  EXPECT_EQ(from_bool.dtype(), DType::f32);
  expect_near_all(from_bool, {1, 0.5});
  EXPECT_EQ(clamp(tensor({1}, {.dtype = DType::f16}), 2, std::nullopt).dtype(), DType::f16);
  EXPECT_EQ(clamp(tensor({1}, {.dtype = DType::f64}), 2, std::nullopt).dtype(), DType::f64);
  expect_error([] { clamp(tensor({1, 2}), std::nullopt, std::nullopt); }, {"clamp", "min or max", "float32[2]"});
  // In place, an integer tensor can't take the float result, as torch's clamp_(min=1.0).
  expect_error([] {
    Tensor i = zeros({2}, {.dtype = DType::i64});
    clamp_(i, 1, std::nullopt);
  }, {"clamp_", "float32", "int64"});
}

TEST(Clamp, GradientIsZeroAtAndBeyondTheBounds) {
  // torch 2.15: clamp(x, 0, 1) gives gradients [0, 0, 1, 0, 0] at x = [-1, 0, 0.5, 1, 2].
  EXPECT_EQ(gradient_of([](const Tensor& x) { return clamp(x, 0, 1); }, {-1, 0, 0.5, 1, 2}),
            (std::vector<double>{0, 0, 1, 0, 0}));
  EXPECT_EQ(gradient_of([](const Tensor& x) { return clamp(x, 0, std::nullopt); }, {-1, 0, 2}),
            (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(gradient_of([](const Tensor& x) { return clamp(x, 1, 0); }, {0, 0.5, 1}), (std::vector<double>{0, 0, 0}));
}

// ---- several inputs

TEST(Minimum, ValuesNaNPromotionAndTies) {
  expect_near_all(minimum(tensor({1, 5, -2}), tensor({3, 4, -2})), {1, 4, -2});
  expect_near_all(minimum(tensor({1, nan_value}), tensor({nan_value, 1})), {nan_value, nan_value});
  Tensor mixed = minimum(ints({1, -2, 3}), tensor({1.5, -2.5, 0.5}));
  EXPECT_EQ(mixed.dtype(), DType::f32);
  expect_near_all(mixed, {1, -2.5, 0.5});
  EXPECT_EQ(minimum(ints({4, 1}), ints({2, 3})).to_vector(), (std::vector<double>{2, 1}));
  // Ties split the gradient in half between the two inputs, as PyTorch.
  Tensor a = tensor({-1, 0, 1}, {.dtype = DType::f64, .requires_grad = true});
  Tensor b = zeros({3}, {.dtype = DType::f64, .requires_grad = true});
  sum(minimum(a, b)).backward();
  EXPECT_EQ(a.grad().to_vector(), (std::vector<double>{1, 0.5, 0}));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<double>{0, 0.5, 1}));
  expect_error([] { minimum(tensor({1, 2}), tensor({1, 2, 3})); }, {"minimum", "[2]", "[3]"});
}

TEST(Logical, AndOrXorOfAnyDTypesGiveBool) {
  Tensor a = tensor({0, 1, nan_value, 2});
  Tensor b = ints({0, 0, 5, 7});
  Tensor both = logical_and(a, b);
  EXPECT_EQ(both.dtype(), DType::boolean);
  EXPECT_EQ(both.to_vector(), (std::vector<double>{0, 0, 1, 1}));
  EXPECT_EQ(logical_or(a, b).to_vector(), (std::vector<double>{0, 1, 1, 1}));
  EXPECT_EQ(logical_xor(a, b).to_vector(), (std::vector<double>{0, 1, 0, 0}));
  EXPECT_EQ(logical_xor(ints({1, -2, 3}), bools({1})).to_vector(), (std::vector<double>{0, 0, 0}));  // broadcast
  EXPECT_EQ(logical_and(tensor({1, 0}).view({1, 2}), tensor({1, 0}).view({2, 1})).shape(), (Shape{2, 2}));
  expect_error([] { logical_or(tensor({1, 2}), tensor({1, 2, 3})); }, {"logical_or", "[2]", "[3]"});
}

TEST(Lerp, TensorAndScalarWeightsWithBroadcasting) {
  expect_near_all(lerp(tensor({0}), tensor({10}), tensor({0.3})), {3});
  // torch.lerp(torch.tensor([0., 1.]), torch.tensor([10.]), torch.tensor([[0.3], [2.]]))
  Tensor y = lerp(tensor({0, 1}), tensor({10}), tensor({0.3, 2}).view({2, 1}));
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  expect_near_all(y, {3, 3.7, 20, 19});
  expect_near_all(lerp(tensor({1, 2}), tensor({3, 6}), 0.5), {2, 4});
  expect_near_all(lerp(tensor({1, 2}), tensor({3, 6}), 1.0), {3, 6});  // exact at weight 1
  expect_near_all(lerp(tensor({1}), tensor({2}), scalar_tensor(0.25, DType::f64)), {1.25});
}

TEST(Lerp, DTypeErrors) {
  expect_error([] { lerp(ints({1}), ints({2}), 0.5); }, {"lerp", "int64[1]", "floating"});
  expect_error([] { lerp(tensor({1}), tensor({2}, {.dtype = DType::f64}), 0.5); }, {"lerp", "end", "float32", "float64[1]"});
  expect_error([] { lerp(tensor({1}), tensor({2}), tensor({0.5}, {.dtype = DType::f64})); },
               {"lerp", "weight", "float32", "float64[1]"});
}

TEST(Lerp, Gradients) {
  Tensor start = tensor({1, 2}, {.dtype = DType::f64, .requires_grad = true});
  Tensor end = tensor({5, 3}, {.dtype = DType::f64, .requires_grad = true});
  Tensor weight = tensor({0.25, 0.75}, {.dtype = DType::f64, .requires_grad = true});
  sum(lerp(start, end, weight)).backward();
  EXPECT_EQ(start.grad().to_vector(), (std::vector<double>{0.75, 0.25}));
  EXPECT_EQ(end.grad().to_vector(), (std::vector<double>{0.25, 0.75}));
  EXPECT_EQ(weight.grad().to_vector(), (std::vector<double>{4, 1}));
}

TEST(AddcmulAddcdiv, ValuesAndPromotion) {
  expect_near_all(addcmul(tensor({1, 2}), tensor({2, 3}), tensor({4, 5}), 0.5), {5, 9.5});
  expect_near_all(addcdiv(tensor({1, 2}), tensor({2, 3}), tensor({4, 5}), 2), {2, 3.2});
  // Integer results scale by the value truncated, as PyTorch: addcmul(I, I, I, value=1.7) == I + I·I.
  Tensor i = addcmul(ints({1, -2, 3}), ints({1, -2, 3}), ints({1, -2, 3}), 1.7);
  EXPECT_EQ(i.dtype(), DType::i64);
  EXPECT_EQ(i.to_vector(), (std::vector<double>{2, 2, 12}));
  EXPECT_EQ(addcmul(ints({1, -2, 3}), ints({1, -2, 3}), ints({1, -2, 3}), -1.7).to_vector(), (std::vector<double>{0, -6, -6}));
  EXPECT_EQ(addcmul(tensor({1}), tensor({1}, {.dtype = DType::f64}), tensor({1})).dtype(), DType::f64);
  // torch.addcdiv(F, I, F) with F = [1.5, -2.5, 0.5], I = [1, -2, 3]
  expect_near_all(addcdiv(tensor({1.5, -2.5, 0.5}), ints({1, -2, 3}), tensor({1.5, -2.5, 0.5})), {2.1666667, -1.7, 6.5});
  expect_error([] { addcdiv(tensor({1.0}), ints({1}), ints({2})); }, {"addcdiv", "int64[1]", "integer division"});
  expect_error([] { addcmul(tensor({1, 2, 3}), tensor({1, 2}), tensor({1, 2})); }, {"addcmul", "[3]", "[2]"});
}

// ---- copy_ and the in-place functions

TEST(Copy, BroadcastsAndCasts) {
  Tensor self = zeros({2, 3});
  copy_(self, tensor({1, 2, 3}));
  EXPECT_EQ(self.to_vector(), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  Tensor integers = zeros({3}, {.dtype = DType::i64});
  copy_(integers, tensor({1.7, 2.2, -1.5}));
  EXPECT_EQ(integers.to_vector(), (std::vector<double>{1, 2, -1}));  // truncated, as PyTorch
  Tensor bytes = ones({3}, {.dtype = DType::u8});
  copy_(bytes, tensor({-1, 300, 2}));
  EXPECT_EQ(bytes.to_vector(), (std::vector<double>{255, 44, 2}));
  Tensor floats = zeros({3});
  copy_(floats, bools({1, 0, 1}));
  EXPECT_EQ(floats.to_vector(), (std::vector<double>{1, 0, 1}));
  expect_error([] {
    Tensor small = zeros({3});
    copy_(small, zeros({2, 3}));
  }, {"copy_", "float32[2, 3]", "[3]"});
}

TEST(Copy, WritesThroughViewsAndReadsAnOverlappingSourceWhole) {
  Tensor base = zeros({2, 2});
  Tensor column = base.select(1, 0);
  copy_(column, tensor({5, 6}));
  EXPECT_EQ(base.to_vector(), (std::vector<double>{5, 0, 6, 0}));
  Tensor square = tensor({{1, 2}, {3, 4}});
  copy_(square, square.t());
  EXPECT_EQ(square.to_vector(), (std::vector<double>{1, 3, 2, 4}));
  const uint32_t before = square.version();
  fill_(square, 7);
  EXPECT_GT(square.version(), before);
}

TEST(Copy, GradientIsZeroForSelfAndSummedForSource) {
  // torch: zeros(3).copy_(x) passes the gradient to x; self's old value gets zeros.
  Tensor old_value = tensor({1, 2}, {.dtype = DType::f64, .requires_grad = true});
  Tensor source = tensor({4}, {.dtype = DType::f32, .requires_grad = true});
  Tensor self = old_value * 1.0;
  copy_(self, source);
  sum(self * tensor({2, 3}, {.dtype = DType::f64})).backward();
  EXPECT_EQ(old_value.grad().to_vector(), (std::vector<double>{0, 0}));
  EXPECT_EQ(source.grad().dtype(), DType::f32);
  EXPECT_EQ(source.grad().to_vector(), (std::vector<double>{5}));
}

TEST(InPlace, FillZeroSubDivClampRelu) {
  Tensor x = tensor({-2, 0.5, 4});
  fill_(x, 2.5);
  EXPECT_EQ(x.to_vector(), (std::vector<double>{2.5, 2.5, 2.5}));
  Tensor i = zeros({2}, {.dtype = DType::i64});
  // PyTorch truncates 2.5 to 2 here; nabla never truncates silently (an explicit cast does).
  expect_error([&] { fill_(i, 2.5); }, {"fill_", "2.5", "int64"});
  fill_(i, 2);
  EXPECT_EQ(i.to_vector(), (std::vector<double>{2, 2}));
  zero_(i);
  EXPECT_EQ(i.to_vector(), (std::vector<double>{0, 0}));
  Tensor y = tensor({-2, 0.5, 4});
  sub_(y, tensor({1}));
  EXPECT_EQ(y.to_vector(), (std::vector<double>{-3, -0.5, 3}));
  div_(y, tensor({2}));
  EXPECT_EQ(y.to_vector(), (std::vector<double>{-1.5, -0.25, 1.5}));
  clamp_(y, -1, 1);
  EXPECT_EQ(y.to_vector(), (std::vector<double>{-1, -0.25, 1}));
  relu_(y);
  EXPECT_EQ(y.to_vector(), (std::vector<double>{0, 0, 1}));
  Tensor& same = relu_(y);
  EXPECT_EQ(&same, &y);
}

TEST(InPlace, Errors) {
  expect_error([] {
    Tensor i = zeros({3}, {.dtype = DType::i64});
    div_(i, ints({2}));
  }, {"div_", "float32", "int64"});
  expect_error([] {
    Tensor i = zeros({3}, {.dtype = DType::i64});
    sub_(i, tensor({2.5}));
  }, {"sub_", "float32", "int64"});
  expect_error([] {
    Tensor x = zeros({1});
    sub_(x, zeros({3}));
  }, {"sub_", "[3]", "[1]"});
  expect_error([] {
    Tensor leaf = zeros({2}, {.requires_grad = true});
    relu_(leaf);
  }, {"relu_", "leaf", "float32[2]"});
  expect_error([] {
    Tensor leaf = zeros({2}, {.requires_grad = true});
    fill_(leaf, 1);
  }, {"fill_", "leaf"});
}

TEST(InPlace, LeafUpdatesUnderNoGrad) {
  Tensor weight = tensor({1, -2}, {.requires_grad = true});
  {
    autograd::NoGradGuard no_grad;
    sub_(weight, tensor({0.5, 0.5}));
    clamp_(weight, -1, std::nullopt);
  }
  EXPECT_EQ(weight.to_vector(), (std::vector<double>{0.5, -1}));
  EXPECT_TRUE(weight.requires_grad());
  EXPECT_TRUE(weight.is_leaf());
}

TEST(InPlace, DivGradientUsesSelfsOldValue) {
  // y = x·1; y /= d: div's backward must see y's value before the write (a clone), not x/d.
  Tensor x = tensor({3, 4}, {.dtype = DType::f64, .requires_grad = true});
  Tensor d = tensor({2, 8}, {.dtype = DType::f64, .requires_grad = true});
  Tensor y = x * 1.0;
  div_(y, d);
  sum(y * y).backward();
  // y = x/d: dy²/dx = 2x/d², dy²/dd = −2x²/d³
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{1.5, 0.125}));
  EXPECT_EQ(d.grad().to_vector(), (std::vector<double>{-2.25, -0.0625}));
}

// ---- fast paths

namespace {
bool fast_path_taken(ops::OpId op, const std::vector<Tensor>& inputs, const Tensor& output, ops::Attrs attrs = ops::NoAttrs{}) {
  return cpu::fast_kernel(op, inputs, {output}, attrs) != nullptr;
}
}  // namespace

TEST(FastPath, SelectedForContiguousFloat32Unary) {
  Tensor x = rand({257, 3});
  Tensor y = empty({257, 3});
  using ops::OpId;
  for (OpId op : {OpId::neg, OpId::exp, OpId::log, OpId::sqrt, OpId::tanh, OpId::sigmoid, OpId::relu, OpId::abs,
                  OpId::sign, OpId::log1p, OpId::rsqrt, OpId::sin, OpId::cos, OpId::floor, OpId::ceil, OpId::round,
                  OpId::silu}) {
    EXPECT_TRUE(fast_path_taken(op, {x}, y)) << ops::op_name(op);
  }
  EXPECT_TRUE(fast_path_taken(OpId::leaky_relu, {x}, y, ops::ScalarAttrs{0.1}));
  EXPECT_TRUE(fast_path_taken(OpId::elu, {x}, y, ops::ScalarAttrs{1.0}));
  EXPECT_TRUE(fast_path_taken(OpId::gelu, {x}, y, ops::GeluAttrs{true}));
  EXPECT_TRUE(fast_path_taken(OpId::softplus, {x}, y, ops::SoftplusAttrs{}));
  EXPECT_TRUE(fast_path_taken(OpId::clamp, {x}, y, ops::ClampAttrs{0.0, 1.0}));
  Tensor flags = empty({257, 3}, {.dtype = DType::boolean});
  for (OpId op : {OpId::isfinite, OpId::isnan, OpId::logical_not}) EXPECT_TRUE(fast_path_taken(op, {x}, flags));
  // Not taken: a transposed input, a float64 input, NaN clamp bounds.
  EXPECT_FALSE(fast_path_taken(OpId::exp, {x.t()}, empty({3, 257})));
  EXPECT_FALSE(fast_path_taken(OpId::exp, {x.to(DType::f64)}, empty({257, 3}, {.dtype = DType::f64})));
  EXPECT_FALSE(fast_path_taken(OpId::clamp, {x}, y, ops::ClampAttrs{nan_value, 1.0}));
}

TEST(FastPath, SelectedForBinaryBiasRowsFloat64AndCopy) {
  using ops::OpId;
  Tensor matrix = rand({64, 33});
  Tensor bias = rand({33});
  Tensor out = empty({64, 33});
  for (OpId op : {OpId::add, OpId::sub, OpId::mul, OpId::div, OpId::minimum, OpId::maximum}) {
    EXPECT_TRUE(fast_path_taken(op, {matrix, bias}, out)) << ops::op_name(op);
    EXPECT_TRUE(fast_path_taken(op, {bias, matrix}, out)) << ops::op_name(op);
  }
  Tensor doubles = rand({64, 33}, {.dtype = DType::f64});
  Tensor double_out = empty({64, 33}, {.dtype = DType::f64});
  EXPECT_TRUE(fast_path_taken(OpId::add, {doubles, doubles}, double_out));
  EXPECT_TRUE(fast_path_taken(OpId::mul, {doubles, wrapped_scalar(2.0)}, double_out));
  EXPECT_TRUE(fast_path_taken(OpId::add, {doubles, bias.to(DType::f64)}, double_out));
  // A column [64, 1] is not a row: the general broadcasting loop (strided_binary.cpp) takes it. Float32
  // with a float64 tensor of more than one element is a mix it leaves to the reference kernel.
  EXPECT_TRUE(fast_path_taken(OpId::add, {matrix, rand({64, 1})}, out));
  EXPECT_FALSE(fast_path_taken(OpId::add, {matrix, bias.to(DType::f64)}, out));
  EXPECT_TRUE(fast_path_taken(OpId::copy_, {out, matrix}, out));
  EXPECT_TRUE(fast_path_taken(OpId::copy_, {out, wrapped_scalar(1.5)}, out));
  EXPECT_FALSE(fast_path_taken(OpId::copy_, {out, doubles}, out));  // a cast
}
