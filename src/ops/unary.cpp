// Elementwise unary ops: shape rule, reference kernel and backward side by side.
// Backward formulas use differentiable ops, so higher-order gradients work.
#include <cmath>

#include "nabla/ops.h"
#include "ops/elementwise.h"

namespace nabla::ops {
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

// relu: y = max(x, 0), dx = dy·[y > 0] (the gradient at 0 is 0, as in PyTorch)
std::vector<OutputSpec> shape_relu(const OpCall& call) {
  NABLA_CHECK(call.inputs[0].dtype() != DType::boolean, "relu: not defined for bool tensors");
  return unary_shape(call, ResultKind::same);
}
void reference_relu(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return x > 0 ? x : (std::isnan(x) ? x : 0.0); },
                        [](int64_t x) { return x > 0 ? x : int64_t{0}; });
}
std::vector<Tensor> backward_relu(const BackwardCall& call) {
  return {call.grads[0] * gt(call.outputs[0], wrapped_scalar(0.0))};
}

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
}  // namespace nabla
