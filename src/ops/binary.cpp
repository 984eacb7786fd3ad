// Elementwise arithmetic with broadcasting and PyTorch promotion: add, sub, mul, div, pow, maximum, minimum,
// `where`, the in-place add_/mul_, the several-input lerp/addcmul/addcdiv, and copy_ (in place; its function
// is in src/ops/inplace.cpp). Comparisons and logical ops are in compare.cpp.
// Gradients of broadcast inputs are summed back to the input's shape (reduce_to).
#include <cmath>

#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/elementwise.h"

namespace nabla::ops {
namespace {

int64_t integer_pow(int64_t base, int64_t exponent) {
  if (exponent < 0) return base == 1 ? 1 : (base == -1 ? (exponent % 2 ? -1 : 1) : 0);
  int64_t result = 1;
  while (exponent) {
    if (exponent & 1) result *= base;
    base *= base;
    exponent >>= 1;
  }
  return result;
}

}  // namespace

// add: y = a + b
std::vector<OutputSpec> shape_add(const OpCall& call) { return broadcast_shape(call, ResultKind::same); }
void reference_add(const KernelCall& call) {
  elementwise_kernel<2>(call, [](double a, double b) { return a + b; }, [](int64_t a, int64_t b) { return a + b; });
}
std::vector<Tensor> backward_add(const BackwardCall& call) {
  return {reduce_to(call.grads[0], call, 0), reduce_to(call.grads[0], call, 1)};
}

// sub: y = a − b
std::vector<OutputSpec> shape_sub(const OpCall& call) {
  NABLA_CHECK(call.inputs[0].dtype() != DType::boolean || call.inputs[1].dtype() != DType::boolean,
              "sub: subtracting two bool tensors is not supported; use logical xor");
  return broadcast_shape(call, ResultKind::same);
}
void reference_sub(const KernelCall& call) {
  elementwise_kernel<2>(call, [](double a, double b) { return a - b; }, [](int64_t a, int64_t b) { return a - b; });
}
std::vector<Tensor> backward_sub(const BackwardCall& call) {
  return {reduce_to(call.grads[0], call, 0), call.needs_grad[1] ? reduce_to(-call.grads[0], call, 1) : Tensor()};
}

// mul: y = a·b, da = dy·b, db = dy·a
std::vector<OutputSpec> shape_mul(const OpCall& call) { return broadcast_shape(call, ResultKind::same); }
void reference_mul(const KernelCall& call) {
  elementwise_kernel<2>(call, [](double a, double b) { return a * b; }, [](int64_t a, int64_t b) { return a * b; });
}
std::vector<Tensor> backward_mul(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  return {call.needs_grad[0] ? reduce_to(grad * call.inputs[1], call, 0) : Tensor(),
          call.needs_grad[1] ? reduce_to(grad * call.inputs[0], call, 1) : Tensor()};
}

// div: y = a / b (true division), da = dy / b, db = −dy·a / b²
std::vector<OutputSpec> shape_div(const OpCall& call) { return broadcast_shape(call, ResultKind::floating); }
void reference_div(const KernelCall& call) {
  elementwise_kernel<2>(call, [](double a, double b) { return a / b; }, [](int64_t a, int64_t b) { return a / b; });
}
std::vector<Tensor> backward_div(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  return {call.needs_grad[0] ? reduce_to(grad / b, call, 0) : Tensor(),
          call.needs_grad[1] ? reduce_to(-grad * a / (b * b), call, 1) : Tensor()};
}

// pow: y = a^b, da = dy·b·a^(b−1), db = dy·y·ln a (0 where a = 0, as PyTorch)
std::vector<OutputSpec> shape_pow(const OpCall& call) { return broadcast_shape(call, ResultKind::same); }
void reference_pow(const KernelCall& call) {
  if (is_integral(call.outputs[0].dtype())) {
    // Checked before anything is written: an integer result can't hold a negative power (PyTorch refuses too).
    for (double exponent : call.inputs[1].to_vector()) {
      NABLA_CHECK(exponent >= 0, "pow: integers to negative integer powers are not allowed (exponent {}); "
                  "convert the base to float first", exponent);
    }
  }
  elementwise_kernel<2>(call, [](double a, double b) { return std::pow(a, b); }, integer_pow);
}
std::vector<Tensor> backward_pow(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  Tensor da, db;
  Tensor zero = zeros({}, {.dtype = grad.dtype()});
  // As PyTorch: d/da is 0 where b = 0 (not 0·a^−1 = NaN at a = 0); d/db is 0 where a = 0 and b ≥ 0.
  if (call.needs_grad[0]) da = reduce_to(where(eq(b, wrapped_scalar(0.0)), zero, grad * b * pow(a, b - 1.0)), call, 0);
  if (call.needs_grad[1]) {
    Tensor zero_base = eq(a, wrapped_scalar(0.0)) * ge(b, wrapped_scalar(0.0));
    db = reduce_to(where(zero_base, zero, grad * call.outputs[0] * log(a)), call, 1);
  }
  return {da, db};
}

// maximum: the larger of a and b; on ties the gradient is split in half, as PyTorch does.
std::vector<OutputSpec> shape_maximum(const OpCall& call) { return broadcast_shape(call, ResultKind::same); }
void reference_maximum(const KernelCall& call) {
  elementwise_kernel<2>(call, [](double a, double b) { return std::isnan(a) || a > b ? a : b; },
                        [](int64_t a, int64_t b) { return a > b ? a : b; });
}
std::vector<Tensor> backward_maximum(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  Tensor tie = eq(a, b) * 0.5;
  return {call.needs_grad[0] ? reduce_to(grad * (gt(a, b) + tie), call, 0) : Tensor(),
          call.needs_grad[1] ? reduce_to(grad * (lt(a, b) + tie), call, 1) : Tensor()};
}

// where: condition ? a : b; no gradient for the condition
std::vector<OutputSpec> shape_where(const OpCall& call) {
  NABLA_CHECK(call.inputs[0].dtype() == DType::boolean, "where: condition must be a bool tensor, got {}",
              call.inputs[0].describe());
  return broadcast_shape(call, ResultKind::same, 1);
}
void reference_where(const KernelCall& call) {
  elementwise_kernel<3>(call, [](double c, double a, double b) { return c != 0 ? a : b; },
                        [](int64_t c, int64_t a, int64_t b) { return c != 0 ? a : b; });
}
std::vector<Tensor> backward_where(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& condition = call.inputs[0];
  Tensor zero = zeros({}, {.dtype = grad.dtype()});
  return {Tensor(), call.needs_grad[1] ? reduce_to(where(condition, grad, zero), call, 1) : Tensor(),
          call.needs_grad[2] ? reduce_to(where(condition, zero, grad), call, 2) : Tensor()};
}

// add_: self += other (in place)
std::vector<OutputSpec> shape_add_(const OpCall& call) { return inplace_shape(call); }
void reference_add_(const KernelCall& call) { reference_add(call); }
std::vector<Tensor> backward_add_(const BackwardCall& call) {
  return {call.grads[0], call.needs_grad[1] ? reduce_to(call.grads[0], call, 1) : Tensor()};
}

// mul_: self *= other (in place); backward uses self's value from before the write
std::vector<OutputSpec> shape_mul_(const OpCall& call) { return inplace_shape(call); }
void reference_mul_(const KernelCall& call) { reference_mul(call); }
std::vector<Tensor> backward_mul_(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  return {call.needs_grad[0] ? grad * call.inputs[1] : Tensor(),
          call.needs_grad[1] ? reduce_to(grad * call.inputs[0], call, 1) : Tensor()};
}

// ---- elementwise ops with several inputs

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

Tensor add(const Tensor& a, const Tensor& b) { return call1(OpId::add, {a, b}); }
Tensor sub(const Tensor& a, const Tensor& b) { return call1(OpId::sub, {a, b}); }
Tensor mul(const Tensor& a, const Tensor& b) { return call1(OpId::mul, {a, b}); }
Tensor div(const Tensor& a, const Tensor& b) { return call1(OpId::div, {a, b}); }
Tensor pow(const Tensor& base, const Tensor& exponent) { return call1(OpId::pow, {base, exponent}); }
Tensor pow(const Tensor& base, double exponent) { return call1(OpId::pow, {base, wrapped_scalar(exponent)}); }
Tensor maximum(const Tensor& a, const Tensor& b) { return call1(OpId::maximum, {a, b}); }
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) { return call1(OpId::where, {condition, a, b}); }

Tensor minimum(const Tensor& a, const Tensor& b) { return call1(OpId::minimum, {a, b}); }
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

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, wrapped_scalar(b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, wrapped_scalar(b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, wrapped_scalar(b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, wrapped_scalar(b)); }
Tensor operator+(double a, const Tensor& b) { return add(wrapped_scalar(a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(wrapped_scalar(a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(wrapped_scalar(a), b); }
Tensor operator/(double a, const Tensor& b) { return div(wrapped_scalar(a), b); }

}  // namespace nabla
