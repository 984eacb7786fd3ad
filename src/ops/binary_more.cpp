// More elementwise ops with several inputs (broadcasting, PyTorch promotion): minimum, logical_and/or/xor,
// lerp, addcmul, addcdiv; copy_ (in place; its function is in src/ops/inplace.cpp).
// Gradients of broadcast inputs are summed back to the input's shape (sum_to).
#include <cmath>

#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/elementwise.h"

namespace nabla::ops {

// minimum: the smaller of a and b (NaN if either is NaN); on ties the gradient is split in half, as PyTorch.
std::vector<OutputSpec> shape_minimum(const OpCall& call) { return broadcast_shape(call, ResultKind::same); }
void reference_minimum(const KernelCall& call) {
  elementwise_kernel<2>(call, [](double a, double b) { return std::isnan(a) || a < b ? a : b; },
                        [](int64_t a, int64_t b) { return a < b ? a : b; });
}
std::vector<Tensor> backward_minimum(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  Tensor tie = eq(a, b) * 0.5;
  return {call.needs_grad[0] ? reduce_to(grad * (lt(a, b) + tie), call, 0) : Tensor(),
          call.needs_grad[1] ? reduce_to(grad * (gt(a, b) + tie), call, 1) : Tensor()};
}

// logical_and/or/xor: any dtypes (nonzero is true, NaN included) → bool. Not differentiable.
std::vector<OutputSpec> shape_logical_and(const OpCall& call) { return broadcast_shape(call, ResultKind::boolean); }
void reference_logical_and(const KernelCall& call) {
  compare_kernel(call, [](auto a, auto b) { return a != 0 && b != 0; });
}
NABLA_NO_BACKWARD(logical_and)

std::vector<OutputSpec> shape_logical_or(const OpCall& call) { return broadcast_shape(call, ResultKind::boolean); }
void reference_logical_or(const KernelCall& call) {
  compare_kernel(call, [](auto a, auto b) { return a != 0 || b != 0; });
}
NABLA_NO_BACKWARD(logical_or)

std::vector<OutputSpec> shape_logical_xor(const OpCall& call) { return broadcast_shape(call, ResultKind::boolean); }
void reference_logical_xor(const KernelCall& call) {
  compare_kernel(call, [](auto a, auto b) { return (a != 0) != (b != 0); });
}
NABLA_NO_BACKWARD(logical_xor)

// lerp: y = start + weight·(end − start); start, end, weight broadcast together.
// dstart = dy·(1 − weight), dend = dy·weight, dweight = dy·(end − start)
std::vector<OutputSpec> shape_lerp(const OpCall& call) {
  const Tensor& start = call.inputs[0];
  const Tensor& end = call.inputs[1];
  const Tensor& weight = call.inputs[2];
  NABLA_CHECK(is_floating(start.dtype()), "lerp: expected a floating point start, got {}; convert it first with "
              ".to(DType::f32)", start.describe());
  NABLA_CHECK(end.dtype() == start.dtype(), "lerp: expected end of dtype {} (start's), got {}",
              dtype_name(start.dtype()), end.describe());
  // As PyTorch: a number or a 0-dim weight may have any floating type; a tensor weight must match start.
  bool scalar_weight = weight.impl()->wrapped_number || weight.dim() == 0;
  NABLA_CHECK(scalar_weight ? is_floating(weight.dtype()) : weight.dtype() == start.dtype(),
              "lerp: expected weight of dtype {} (start's), got {}", dtype_name(start.dtype()), weight.describe());
  Shape shape = broadcast_shapes(broadcast_shapes(start.shape(), end.shape(), "lerp"), weight.shape(), "lerp");
  return {{shape, start.dtype()}};
}
void reference_lerp(const KernelCall& call) {
  // PyTorch's two-sided form: exact at weight = 0 and at weight = 1.
  elementwise_kernel<3>(call, [](double start, double end, double weight) {
    return std::fabs(weight) < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);
  }, unsupported_int);
}
std::vector<Tensor> backward_lerp(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& start = call.inputs[0];
  const Tensor& end = call.inputs[1];
  const Tensor& weight = call.inputs[2];
  if (weight.dim() == 0 && !call.needs_grad[2]) {
    // A number (or 0-dim) weight: 1 − weight in double, not in the promoted type of a 0-dim tensor.
    const double w = weight.item();
    return {call.needs_grad[0] ? reduce_to(grad * (1.0 - w), call, 0) : Tensor(),
            call.needs_grad[1] ? reduce_to(grad * w, call, 1) : Tensor(), Tensor()};
  }
  return {call.needs_grad[0] ? reduce_to(grad * (1.0 - weight), call, 0) : Tensor(),
          call.needs_grad[1] ? reduce_to(grad * weight, call, 1) : Tensor(),
          call.needs_grad[2] ? reduce_to(grad * (end - start), call, 2) : Tensor()};
}

// addcmul: y = self + value·t1·t2; dself = dy, dt1 = dy·value·t2, dt2 = dy·value·t1.
// Integer results scale by value truncated to an integer, as PyTorch.
std::vector<OutputSpec> shape_addcmul(const OpCall& call) { return broadcast_shape(call, ResultKind::same); }
void reference_addcmul(const KernelCall& call) {
  const double value = std::get<ScalarAttrs>(call.attrs).value;
  const auto integer_value = static_cast<int64_t>(value);
  elementwise_kernel<3>(call, [value](double self, double t1, double t2) { return self + value * t1 * t2; },
                        [integer_value](int64_t self, int64_t t1, int64_t t2) { return self + integer_value * t1 * t2; });
}
std::vector<Tensor> backward_addcmul(const BackwardCall& call) {
  const double value = std::get<ScalarAttrs>(call.attrs).value;
  const Tensor& grad = call.grads[0];
  return {call.needs_grad[0] ? reduce_to(grad, call, 0) : Tensor(),
          call.needs_grad[1] ? reduce_to(grad * call.inputs[2] * value, call, 1) : Tensor(),
          call.needs_grad[2] ? reduce_to(grad * call.inputs[1] * value, call, 2) : Tensor()};
}

// addcdiv: y = self + value·t1/t2; dself = dy, dt1 = dy·value/t2, dt2 = −dy·value·t1/t2²
std::vector<OutputSpec> shape_addcdiv(const OpCall& call) {
  const Tensor& t1 = call.inputs[1];
  const Tensor& t2 = call.inputs[2];
  NABLA_CHECK(!(is_integral(t1.dtype()) && is_integral(t2.dtype())),
              "addcdiv: integer division of tensor1 {} by tensor2 {} is not supported (as PyTorch); convert one "
              "of them to floating point first", t1.describe(), t2.describe());
  return broadcast_shape(call, ResultKind::same);
}
void reference_addcdiv(const KernelCall& call) {
  const double value = std::get<ScalarAttrs>(call.attrs).value;
  elementwise_kernel<3>(call, [value](double self, double t1, double t2) { return self + value * t1 / t2; },
                        unsupported_int);
}
std::vector<Tensor> backward_addcdiv(const BackwardCall& call) {
  const double value = std::get<ScalarAttrs>(call.attrs).value;
  const Tensor& grad = call.grads[0];
  const Tensor& t1 = call.inputs[1];
  const Tensor& t2 = call.inputs[2];
  return {call.needs_grad[0] ? reduce_to(grad, call, 0) : Tensor(),
          call.needs_grad[1] ? reduce_to(grad * value / t2, call, 1) : Tensor(),
          call.needs_grad[2] ? reduce_to(grad * t1 * -value / (t2 * t2), call, 2) : Tensor()};
}

// copy_: self ← src, broadcast to self's shape and cast to self's dtype (in place).
// Self's old value is overwritten, so its gradient is zero; src's is the gradient summed to its shape.
std::vector<OutputSpec> shape_copy_(const OpCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& src = call.inputs[1];
  Shape shape = broadcast_shapes(self.shape(), src.shape(), "copy_");
  NABLA_CHECK(shape == self.shape(), "copy_: src {} does not broadcast to self's shape {}", src.describe(),
              shape_string(self.shape()));
  return {{self.shape(), self.dtype()}};
}
void reference_copy_(const KernelCall& call) { copy_elements(call.outputs[0], call.inputs[1]); }
std::vector<Tensor> backward_copy_(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  return {call.needs_grad[0] ? zeros(call.input_meta[0].shape, {.dtype = grad.dtype()}) : Tensor(),
          call.needs_grad[1] ? reduce_to(grad, call, 1) : Tensor()};
}

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;

Tensor minimum(const Tensor& a, const Tensor& b) { return call1(OpId::minimum, {a, b}); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return call1(OpId::logical_and, {a, b}); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return call1(OpId::logical_or, {a, b}); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return call1(OpId::logical_xor, {a, b}); }
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  return call1(OpId::lerp, {start, end, weight});
}
Tensor lerp(const Tensor& start, const Tensor& end, double weight) {
  return call1(OpId::lerp, {start, end, wrapped_scalar(weight)});
}
Tensor addcmul(const Tensor& self, const Tensor& tensor1, const Tensor& tensor2, double value) {
  return call1(OpId::addcmul, {self, tensor1, tensor2}, ops::ScalarAttrs{value});
}
Tensor addcdiv(const Tensor& self, const Tensor& tensor1, const Tensor& tensor2, double value) {
  return call1(OpId::addcdiv, {self, tensor1, tensor2}, ops::ScalarAttrs{value});
}

}  // namespace nabla
