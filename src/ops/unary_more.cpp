// More elementwise unary ops: abs, sign, log1p, rsqrt, sin, cos, floor/ceil/round, isfinite/isnan and
// logical_not. Shape rule, reference kernel and backward side by side; every op keeps its input's shape.
// Backward formulas use differentiable ops, so higher-order gradients work.
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

// logical_not: x == 0, as bool (NaN is true, so its negation is false)
std::vector<OutputSpec> shape_logical_not(const OpCall& call) { return unary_shape(call, ResultKind::boolean); }
void reference_logical_not(const KernelCall& call) { predicate_kernel(call, [](double x) { return x == 0; }); }
NABLA_NO_BACKWARD(logical_not)

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;
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
Tensor logical_not(const Tensor& x) { return call1(OpId::logical_not, {x}); }
}  // namespace nabla
