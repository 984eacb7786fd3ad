// Elementwise binary ops with broadcasting and PyTorch promotion, `where`, and the in-place add_/mul_.
// Gradients of broadcast inputs are summed back to the input's shape (sum_to).
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
