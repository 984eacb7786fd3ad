// Elementwise unary ops: neg, exp, log, sqrt, tanh, sigmoid, relu; abs, sign, log1p, rsqrt, sin, cos;
// floor/ceil/round; isfinite/isnan. Shape rule, reference kernel and backward side by side; every op keeps
// its input's shape. Backward formulas use differentiable ops, so higher-order gradients work.
// Activations with parameters are in activation.cpp, logical_not with the other logical ops in compare.cpp.
#include <cmath>

#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/elementwise.h"

namespace nabla::ops {
namespace {

auto keep_int = [](int64_t x) { return x; };

std::vector<OutputSpec> refuse_bool(const OpCall& call, const char* why) {
  NABLA_CHECK(call.inputs[0].dtype() != DType::boolean, "{}: not defined for bool tensors (got {}); {}",
              op_name(call.op), call.inputs[0].describe(), why);
  return unary_shape(call, ResultKind::same);
}

}  // namespace

// neg: y = -x
std::vector<OutputSpec> shape_neg(const OpCall& call) {
  NABLA_CHECK(call.inputs[0].dtype() != DType::boolean, "neg: negation of a bool tensor is not supported; use logical not");
  return unary_shape(call, ResultKind::same);
}
void reference_neg(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return -x; }, [](int64_t x) { return -x; });
}
std::vector<Tensor> backward_neg(const BackwardCall& call) { return {-call.grads[0]}; }

// exp: y = e^x, dx = dy·y
std::vector<OutputSpec> shape_exp(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_exp(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::exp(x); }, unsupported_int);
}
std::vector<Tensor> backward_exp(const BackwardCall& call) { return {call.grads[0] * call.outputs[0]}; }

// log: y = ln x, dx = dy / x
std::vector<OutputSpec> shape_log(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_log(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::log(x); }, unsupported_int);
}
std::vector<Tensor> backward_log(const BackwardCall& call) { return {call.grads[0] / call.inputs[0]}; }

// sqrt: y = √x, dx = dy / (2y)
std::vector<OutputSpec> shape_sqrt(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_sqrt(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::sqrt(x); }, unsupported_int);
}
std::vector<Tensor> backward_sqrt(const BackwardCall& call) { return {call.grads[0] / (2.0 * call.outputs[0])}; }

// tanh: dx = dy·(1 − y²)
std::vector<OutputSpec> shape_tanh(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_tanh(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::tanh(x); }, unsupported_int);
}
std::vector<Tensor> backward_tanh(const BackwardCall& call) {
  const Tensor& y = call.outputs[0];
  return {call.grads[0] * (1.0 - y * y)};
}

// sigmoid: y = 1 / (1 + e^−x), dx = dy·y·(1 − y)
std::vector<OutputSpec> shape_sigmoid(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_sigmoid(const KernelCall& call) {
  // Written to stay finite for large |x| in both directions.
  elementwise_kernel<1>(call, [](double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); },
                        unsupported_int);
}
std::vector<Tensor> backward_sigmoid(const BackwardCall& call) {
  const Tensor& y = call.outputs[0];
  return {call.grads[0] * y * (1.0 - y)};
}

// relu: y = max(x, 0), dx = dy·[y > 0] (the gradient at 0 is 0, as in PyTorch); first order in one pass as
// clamp_backward(dy, y) with min 0, which also gives 0 where y ≤ 0 and dy is not finite (as PyTorch's
// threshold_backward)
std::vector<OutputSpec> shape_relu(const OpCall& call) {
  NABLA_CHECK(call.inputs[0].dtype() != DType::boolean, "relu: not defined for bool tensors");
  return unary_shape(call, ResultKind::same);
}
void reference_relu(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return x > 0 ? x : (std::isnan(x) ? x : 0.0); },
                        [](int64_t x) { return x > 0 ? x : int64_t{0}; });
}
std::vector<Tensor> backward_relu(const BackwardCall& call) {
  if (fused_clamp_backward_applies(call.grads[0], call.outputs[0])) {
    return {call1(OpId::clamp_backward, {call.grads[0], call.outputs[0]}, ClampAttrs{0.0, std::nullopt})};
  }
  return {call.grads[0] * gt(call.outputs[0], wrapped_scalar(0.0))};
}

// ---- the rest of the unary set

// abs: y = |x|, dx = dy·sign(x) (0 at x = 0, as PyTorch)
std::vector<OutputSpec> shape_abs(const OpCall& call) { return refuse_bool(call, "a bool is its own absolute value"); }
void reference_abs(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::fabs(x); }, [](int64_t x) { return x < 0 ? -x : x; });
}
std::vector<Tensor> backward_abs(const BackwardCall& call) { return {call.grads[0] * sign(call.inputs[0])}; }

// sign: y = −1, 0 or 1 (0 for ±0 and NaN, as PyTorch); bool stays bool. The gradient is 0 everywhere.
std::vector<OutputSpec> shape_sign(const OpCall& call) { return unary_shape(call, ResultKind::same); }
void reference_sign(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); },
                        [](int64_t x) { return static_cast<int64_t>(x > 0) - static_cast<int64_t>(x < 0); });
}
std::vector<Tensor> backward_sign(const BackwardCall& call) {
  return {zeros(call.input_meta[0].shape, {.dtype = call.grads[0].dtype()})};
}

// log1p: y = ln(1 + x), accurate for small x; dx = dy / (1 + x)
std::vector<OutputSpec> shape_log1p(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_log1p(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::log1p(x); }, unsupported_int);
}
std::vector<Tensor> backward_log1p(const BackwardCall& call) { return {call.grads[0] / (call.inputs[0] + 1.0)}; }

// rsqrt: y = 1/√x, dx = −dy·y³/2
std::vector<OutputSpec> shape_rsqrt(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_rsqrt(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return 1.0 / std::sqrt(x); }, unsupported_int);
}
std::vector<Tensor> backward_rsqrt(const BackwardCall& call) {
  const Tensor& y = call.outputs[0];
  return {call.grads[0] * (y * y * y) * -0.5};
}

// sin: dx = dy·cos x
std::vector<OutputSpec> shape_sin(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_sin(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::sin(x); }, unsupported_int);
}
std::vector<Tensor> backward_sin(const BackwardCall& call) { return {call.grads[0] * cos(call.inputs[0])}; }

// cos: dx = −dy·sin x
std::vector<OutputSpec> shape_cos(const OpCall& call) { return unary_shape(call, ResultKind::floating); }
void reference_cos(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::cos(x); }, unsupported_int);
}
std::vector<Tensor> backward_cos(const BackwardCall& call) { return {call.grads[0] * -sin(call.inputs[0])}; }

// floor, ceil, round (half to even): integers are returned as they are. Not differentiable.
std::vector<OutputSpec> shape_floor(const OpCall& call) { return refuse_bool(call, "convert it first with .to(DType::f32)"); }
void reference_floor(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::floor(x); }, keep_int);
}
NABLA_NO_BACKWARD(floor)

std::vector<OutputSpec> shape_ceil(const OpCall& call) { return refuse_bool(call, "convert it first with .to(DType::f32)"); }
void reference_ceil(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return std::ceil(x); }, keep_int);
}
NABLA_NO_BACKWARD(ceil)

std::vector<OutputSpec> shape_round(const OpCall& call) { return refuse_bool(call, "convert it first with .to(DType::f32)"); }
void reference_round(const KernelCall& call) {
  // nearbyint rounds in the current mode, round-to-nearest-even by default: 0.5 → 0, 1.5 → 2, 2.5 → 2.
  elementwise_kernel<1>(call, [](double x) { return std::nearbyint(x); }, keep_int);
}
NABLA_NO_BACKWARD(round)

// isfinite, isnan: bool results (integers are always finite and never NaN)
std::vector<OutputSpec> shape_isfinite(const OpCall& call) { return unary_shape(call, ResultKind::boolean); }
void reference_isfinite(const KernelCall& call) { predicate_kernel(call, [](double x) { return std::isfinite(x); }); }
NABLA_NO_BACKWARD(isfinite)

std::vector<OutputSpec> shape_isnan(const OpCall& call) { return unary_shape(call, ResultKind::boolean); }
void reference_isnan(const KernelCall& call) { predicate_kernel(call, [](double x) { return std::isnan(x); }); }
NABLA_NO_BACKWARD(isnan)

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;
Tensor neg(const Tensor& x) { return call1(OpId::neg, {x}); }
Tensor exp(const Tensor& x) { return call1(OpId::exp, {x}); }
Tensor log(const Tensor& x) { return call1(OpId::log, {x}); }
Tensor sqrt(const Tensor& x) { return call1(OpId::sqrt, {x}); }
Tensor tanh(const Tensor& x) { return call1(OpId::tanh, {x}); }
Tensor sigmoid(const Tensor& x) { return call1(OpId::sigmoid, {x}); }
Tensor relu(const Tensor& x) { return call1(OpId::relu, {x}); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor abs(const Tensor& x) { return call1(OpId::abs, {x}); }
Tensor sign(const Tensor& x) { return call1(OpId::sign, {x}); }
Tensor log1p(const Tensor& x) { return call1(OpId::log1p, {x}); }
Tensor rsqrt(const Tensor& x) { return call1(OpId::rsqrt, {x}); }
Tensor sin(const Tensor& x) { return call1(OpId::sin, {x}); }
Tensor cos(const Tensor& x) { return call1(OpId::cos, {x}); }
Tensor floor(const Tensor& x) { return call1(OpId::floor, {x}); }
Tensor ceil(const Tensor& x) { return call1(OpId::ceil, {x}); }
Tensor round(const Tensor& x) { return call1(OpId::round, {x}); }
Tensor isfinite(const Tensor& x) { return call1(OpId::isfinite, {x}); }
Tensor isnan(const Tensor& x) { return call1(OpId::isnan, {x}); }
}  // namespace nabla
