// The autograd engine: accumulation, retain/create graph, hooks, user functions, in-place checks,
// higher-order gradients and very deep graphs.
#include <gtest/gtest.h>

#include "nabla/allocator.h"
#include "nabla/nabla.h"
#include "nabla/nn/functional.h"

using namespace nabla;

namespace {

Tensor leaf(std::initializer_list<double> values) { return tensor(values, {.dtype = DType::f64}).requires_grad_(); }

void expect_values(const Tensor& t, const std::vector<double>& expected, double tolerance = 1e-12) {
  std::vector<double> actual = t.to_vector();
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], tolerance) << "element " << i;
}

}  // namespace

TEST(Autograd, ChainRuleOnAScalar) {
  Tensor x = leaf({2.0});
  Tensor y = x * x * x;  // dy/dx = 3x² = 12
  y.sum().backward();
  expect_values(x.grad(), {12.0});
}

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = leaf({1.0, 2.0});
  (x * 3.0).sum().backward();
  (x * x).sum().backward();
  expect_values(x.grad(), {3.0 + 2.0, 3.0 + 4.0});
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, ATensorUsedTwiceGetsBothContributions) {
  Tensor x = leaf({3.0});
  Tensor y = x * 2.0;
  Tensor z = y * y + y;  // dz/dx = (2y + 1)·2 = 26
  z.sum().backward();
  expect_values(x.grad(), {26.0});
}

TEST(Autograd, SecondBackwardWithoutRetainGraphIsRefused) {
  Tensor x = leaf({1.0});
  Tensor y = (x.exp() * x).sum();
  y.backward();
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("second time"), std::string::npos) << error.what();
  }
}

TEST(Autograd, RetainGraphAllowsASecondBackward) {
  Tensor x = leaf({1.0});
  Tensor y = (x.exp() * x).sum();
  y.backward({}, true);
  y.backward();
  double once = std::exp(1.0) * 2.0;  // d(x e^x)/dx = e^x (1 + x)
  expect_values(x.grad(), {2 * once});
}

TEST(Autograd, NoGradRecordsNothing) {
  Tensor x = leaf({1.0});
  Tensor y;
  {
    autograd::NoGradGuard no_grad;
    y = x * 2.0;
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_TRUE(autograd::grad_enabled());
}

TEST(Autograd, InferenceModeRecordsNothing) {
  Tensor x = leaf({1.0});
  autograd::InferenceModeGuard inference;
  EXPECT_TRUE(autograd::inference_mode_enabled());
  EXPECT_FALSE((x * 2.0).requires_grad());
}

TEST(Autograd, DetachCutsHistoryButSharesStorage) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2.0;
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.storage(), y.storage());
  (d * x).sum().backward();
  expect_values(x.grad(), {2.0, 4.0});  // only the direct path through x
}

TEST(Autograd, GradDoesNotTouchDotGrad) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = (x * x).sum();
  std::vector<Tensor> grads = autograd::grad({y}, {x});
  expect_values(grads[0], {2.0, 4.0});
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, GradOfAnUnusedInputNeedsAllowUnused) {
  Tensor x = leaf({1.0});
  Tensor unused = leaf({1.0});
  Tensor y = (x * 2.0).sum();
  EXPECT_THROW(autograd::grad({y}, {unused}, {}, true), Error);
  std::vector<Tensor> grads = autograd::grad({y}, {unused}, {}, true, false, true);
  EXPECT_FALSE(grads[0].defined());
}

TEST(Autograd, GradWithRespectToAnIntermediateTensor) {
  Tensor x = leaf({1.0, 2.0});
  Tensor h = x * 3.0;
  Tensor y = (h * h).sum();
  expect_values(autograd::grad({y}, {h})[0], {6.0, 12.0});
}

TEST(Autograd, NonScalarBackwardNeedsAGradient) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2.0;
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("[2]"), std::string::npos) << error.what();
  }
  y.backward(tensor({1.0, 10.0}, {.dtype = DType::f64}));
  expect_values(x.grad(), {2.0, 20.0});
}

TEST(Autograd, TensorHooksSeeAndReplaceGradients) {
  Tensor x = leaf({1.0, 2.0});
  Tensor h = x * 2.0;
  std::vector<double> seen;
  h.register_hook([&](const Tensor& grad) -> std::optional<Tensor> {
    seen = grad.to_vector();
    return grad * 10.0;
  });
  x.register_hook([](const Tensor& grad) -> std::optional<Tensor> { return grad + 1.0; });
  (h * h).sum().backward();
  EXPECT_EQ(seen, (std::vector<double>{4.0, 8.0}));  // d(h²)/dh = 2h
  expect_values(x.grad(), {4.0 * 10 * 2 + 1, 8.0 * 10 * 2 + 1});
}

TEST(Autograd, RetainGradKeepsAnIntermediateGradient) {
  Tensor x = leaf({1.0, 2.0});
  Tensor h = x * 2.0;
  h.retain_grad();
  (h * h).sum().backward();
  expect_values(h.grad(), {4.0, 8.0});
}

TEST(Autograd, InPlaceOnASavedTensorIsReported) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 1.0;
  Tensor z = y.exp();  // exp saves its output z
  z.add_(1.0);         // …which is then modified
  try {
    z.sum().backward();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("exp"), std::string::npos) << message;
    EXPECT_NE(message.find("in-place"), std::string::npos) << message;
  }
}

TEST(Autograd, InPlaceOnALeafThatRequiresGradIsRefused) {
  Tensor x = leaf({1.0});
  EXPECT_THROW(x.add_(1.0), Error);
  autograd::NoGradGuard no_grad;
  x.add_(1.0);  // allowed without grad mode, as an optimizer update
  EXPECT_EQ(x.item(), 2.0);
}

TEST(Autograd, InPlaceOpsRebaseHistory) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2.0;
  y.mul_(x);  // y = 2x·x, dy/dx = 4x
  y.add_(x);  // y = 2x² + x, dy/dx = 4x + 1
  y.sum().backward();
  expect_values(x.grad(), {5.0, 9.0});
}

// conv → batch norm → ReLU6 keeps two activations per layer, not three: the norm saves its statistics, not
// its result, and the clamp its result, not its input, so the normalised tensor dies with the forward pass.
TEST(Autograd, NormThenClampKeepsOnlyTheClampsResult) {
  Tensor x = randn({16, 8, 32, 32}).requires_grad_();  // 512 KiB
  Tensor weight = ones({8}).requires_grad_(), bias = zeros({8}).requires_grad_();
  const int64_t bytes = x.numel() * 4;
  const int64_t before = memory::stats().allocated;
  Tensor y = functional::relu6(functional::batch_norm(x, {}, {}, weight, bias, true));
  const int64_t kept = memory::stats().allocated - before;
  EXPECT_GE(kept, bytes);      // the result, saved by the clamp
  EXPECT_LT(kept, 3 * bytes / 2);  // but not the norm's output as well
  // The gradient read from the result equals the one from the input: dx where 0 < x̂ < 6.
  y.sum().backward();
  Tensor normalised = functional::batch_norm(x.detach(), {}, {}, weight.detach(), bias.detach(), true);
  Tensor inside = normalised.gt(0.0).logical_and(normalised.lt(6.0)).to(DType::f32);
  EXPECT_NEAR(bias.grad().sum().item(), inside.sum().item(), 0.5);  // counts of ones: exact in f32
}

TEST(Autograd, VersionCounterIsSharedWithViews) {
  Tensor x = zeros({4});
  Tensor view = x.slice(0, 0, 2);
  uint32_t before = x.version();
  view.add_(1.0);
  EXPECT_EQ(x.version(), before + 1);
  EXPECT_EQ(x.to_vector(), (std::vector<double>{1, 1, 0, 0}));
}

struct Cube {
  static constexpr const char* name = "Cube";
  static std::vector<Tensor> forward(autograd::FunctionContext& ctx, const std::vector<Tensor>& inputs) {
    ctx.save_for_backward({inputs[0]});
    return {inputs[0] * inputs[0] * inputs[0]};
  }
  static std::vector<Tensor> backward(autograd::FunctionContext& ctx, const std::vector<Tensor>& grads) {
    Tensor x = ctx.saved_tensors()[0];
    return {grads[0] * 3.0 * x * x};
  }
};

TEST(Autograd, UserDefinedFunction) {
  Tensor x = leaf({2.0, -1.0});
  Tensor y = autograd::apply<Cube>({x})[0];
  EXPECT_EQ(y.grad_fn()->name(), "CubeBackward");
  y.sum().backward();
  expect_values(x.grad(), {12.0, 3.0});
}

TEST(Autograd, HessianVectorProductOfAQuadraticForm) {
  // f(x) = ½ xᵀAx with A symmetric: ∇f = Ax, and the Hessian-vector product H·v = A·v.
  Generator generator(7);
  Tensor m = randn({5, 5}, {.dtype = DType::f64}, &generator);
  Tensor a = (m + m.t()) * 0.5;
  Tensor x = randn({5}, {.dtype = DType::f64}, &generator).requires_grad_();
  Tensor v = randn({5}, {.dtype = DType::f64}, &generator);
  // xᵀAx written with elementwise ops and sums, so the test does not depend on matmul.
  Tensor ax = sum(a * x.unsqueeze(0), {1});
  Tensor f = sum(x * ax) * 0.5;
  Tensor gradient = autograd::grad({f}, {x}, {}, true, true)[0];
  Tensor hvp = autograd::grad({sum(gradient * v)}, {x})[0];
  Tensor expected = sum(a * v.unsqueeze(0), {1});
  expect_values(hvp, expected.to_vector(), 1e-12);
  expect_values(gradient, ax.to_vector(), 1e-12);
}

TEST(Autograd, ThirdDerivative) {
  Tensor x = leaf({0.5});
  Tensor y = (x * x * x * x).sum();  // y''' = 24x = 12
  Tensor d1 = autograd::grad({y}, {x}, {}, true, true)[0];
  Tensor d2 = autograd::grad({d1.sum()}, {x}, {}, true, true)[0];
  Tensor d3 = autograd::grad({d2.sum()}, {x})[0];
  expect_values(d3, {12.0});
}

TEST(Autograd, MillionNodeChainBackwardAndTeardown) {
  // Neither backward nor freeing the graph may recurse per node: a 10⁶-deep chain would overflow the stack.
  constexpr int depth = 1'000'000;
  Tensor x = leaf({1.0});
  {
    Tensor y = x;
    for (int i = 0; i < depth; ++i) y = y + 1e-6;
    EXPECT_NEAR(y.item(), 2.0, 1e-6);
    y.backward();
    expect_values(x.grad(), {1.0});
  }
  // A second chain that is never run backward, only destroyed (saved tensors on every node).
  {
    Tensor y = x;
    for (int i = 0; i < depth; ++i) y = y * 1.0;
  }
  SUCCEED();
}
