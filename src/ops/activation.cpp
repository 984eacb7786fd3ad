// Activations with parameters: leaky_relu, elu, gelu (exact and tanh), silu, softplus, clamp.
// Shape rule, reference kernel and backward side by side; every op keeps its input's shape.
// Backward formulas use differentiable ops, so higher-order gradients work.
#include <cmath>
#include <numbers>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/elementwise.h"

namespace nabla::ops {
namespace {

// PyTorch implements these activations for floating tensors only.
std::vector<OutputSpec> floating_shape(const OpCall& call) {
  NABLA_CHECK(is_floating(call.inputs[0].dtype()), "{}: expected a floating point tensor, got {}; convert it first with "
              ".to(DType::f32)", op_name(call.op), call.inputs[0].describe());
  return unary_shape(call, ResultKind::same);
}

Tensor zero_like_grad(const Tensor& grad) { return zeros({}, {.dtype = grad.dtype()}); }

// Φ(x), the standard normal CDF, and φ(x), its density.
double normal_cdf(double x) { return 0.5 * std::erfc(-x * std::numbers::sqrt2 / 2); }
double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi); }

// d gelu/dx = Φ(x) + x·φ(x), as a function of its own whose derivative, φ(x)·(2 − x²), is written with
// differentiable ops: no erf op is needed for gradients of any order.
Tensor gelu_derivative(const Tensor& x) {
  return autograd::apply_function(
      "GeluDerivative", {x},
      [](autograd::FunctionContext& context, const std::vector<Tensor>& inputs) {
        context.save_for_backward({inputs[0]});
        std::vector<Tensor> outputs{empty(inputs[0].shape(), {.dtype = inputs[0].dtype()})};
        const Attrs attrs = NoAttrs{};
        elementwise_kernel<1>(KernelCall{inputs, outputs, attrs},
                              [](double v) { return normal_cdf(v) + v * normal_pdf(v); }, unsupported_int);
        return outputs;
      },
      [](autograd::FunctionContext& context, const std::vector<Tensor>& grads) {
        Tensor v = context.saved_tensors()[0];
        Tensor density = exp(v * v * -0.5) * (1.0 / std::sqrt(2 * std::numbers::pi));
        return std::vector<Tensor>{grads[0] * density * (2.0 - v * v)};
      })[0];
}

constexpr double gelu_tanh_scale = 0.7978845608028654;  // √(2/π)
constexpr double gelu_tanh_cube = 0.044715;

}  // namespace

// leaky_relu: y = x > 0 ? x : slope·x, dx = dy·(x > 0 ? 1 : slope) (slope at 0, as PyTorch)
std::vector<OutputSpec> shape_leaky_relu(const OpCall& call) { return floating_shape(call); }
void reference_leaky_relu(const KernelCall& call) {
  const double slope = std::get<ScalarAttrs>(call.attrs).value;
  elementwise_kernel<1>(call, [slope](double x) { return x > 0 ? x : x * slope; }, unsupported_int);
}
std::vector<Tensor> backward_leaky_relu(const BackwardCall& call) {
  const double slope = std::get<ScalarAttrs>(call.attrs).value;
  const Tensor& grad = call.grads[0];
  return {where(gt(call.inputs[0], wrapped_scalar(0.0)), grad, grad * slope)};
}

// elu: y = x > 0 ? x : α(eˣ − 1), dx = dy·(x > 0 ? 1 : y + α)
std::vector<OutputSpec> shape_elu(const OpCall& call) { return floating_shape(call); }
void reference_elu(const KernelCall& call) {
  const double alpha = std::get<ScalarAttrs>(call.attrs).value;
  elementwise_kernel<1>(call, [alpha](double x) { return x > 0 ? x : alpha * std::expm1(x); }, unsupported_int);
}
std::vector<Tensor> backward_elu(const BackwardCall& call) {
  const double alpha = std::get<ScalarAttrs>(call.attrs).value;
  const Tensor& grad = call.grads[0];
  return {where(gt(call.inputs[0], wrapped_scalar(0.0)), grad, grad * (call.outputs[0] + alpha))};
}

// gelu: y = x·Φ(x) (exact), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (tanh approximation)
std::vector<OutputSpec> shape_gelu(const OpCall& call) { return floating_shape(call); }
void reference_gelu(const KernelCall& call) {
  if (std::get<GeluAttrs>(call.attrs).tanh_approximation) {
    // ½x(1 + tanh u) written as x/(1 + e^−2u): the same function, without the cancellation of 1 + tanh u
    // that costs even double all its digits for x < −5 (PyTorch's form gives twice the true value at −7.2).
    elementwise_kernel<1>(call, [](double x) {
      return x / (1 + std::exp(-2 * gelu_tanh_scale * (x + gelu_tanh_cube * x * x * x)));
    }, unsupported_int);
  } else {
    elementwise_kernel<1>(call, [](double x) { return x * normal_cdf(x); }, unsupported_int);
  }
}
std::vector<Tensor> backward_gelu(const BackwardCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& grad = call.grads[0];
  // Under create_graph the composite runs: its ops are differentiable, the fused op is not.
  if (!autograd::grad_enabled() && grad.shape() == x.shape()) return {call1(OpId::gelu_backward, {grad, x}, call.attrs)};
  if (!std::get<GeluAttrs>(call.attrs).tanh_approximation) return {grad * gelu_derivative(x)};
  // y = x·σ(v), v = 2k(x + c·x³): dy/dx = σ(v) + x·σ(v)(1 − σ(v))·2k(1 + 3c·x²)
  Tensor x_squared = x * x;
  Tensor s = sigmoid((x + x_squared * x * gelu_tanh_cube) * (2 * gelu_tanh_scale));
  Tensor dv = (x_squared * (3 * gelu_tanh_cube) + 1.0) * (2 * gelu_tanh_scale);
  return {grad * (s + x * s * (1.0 - s) * dv)};
}

// silu: y = x·σ(x), dx = dy·σ(x)(1 + x(1 − σ(x)))
std::vector<OutputSpec> shape_silu(const OpCall& call) { return floating_shape(call); }
void reference_silu(const KernelCall& call) {
  elementwise_kernel<1>(call, [](double x) { return x / (1 + std::exp(-x)); }, unsupported_int);
}
std::vector<Tensor> backward_silu(const BackwardCall& call) {
  const Tensor& x = call.inputs[0];
  Tensor s = sigmoid(x);
  return {call.grads[0] * s * (x * (1.0 - s) + 1.0)};
}

// softplus: y = ln(1 + e^(βx))/β, or x where βx > threshold (as PyTorch); dx = dy·σ(βx), or dy there
std::vector<OutputSpec> shape_softplus(const OpCall& call) { return floating_shape(call); }
void reference_softplus(const KernelCall& call) {
  const auto attrs = std::get<SoftplusAttrs>(call.attrs);
  elementwise_kernel<1>(call, [attrs](double x) {
    const double z = attrs.beta * x;
    // max(z, 0) + ln(1 + e^−|z|) is ln(1 + e^z) without overflow for a large threshold.
    return z > attrs.threshold ? x : (std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z)))) / attrs.beta;
  }, unsupported_int);
}
std::vector<Tensor> backward_softplus(const BackwardCall& call) {
  const auto attrs = std::get<SoftplusAttrs>(call.attrs);
  const Tensor& grad = call.grads[0];
  Tensor z = call.inputs[0] * attrs.beta;
  return {where(gt(z, wrapped_scalar(attrs.threshold)), grad, grad * sigmoid(z))};
}

// clamp: y = min(max(x, min), max) (NaN stays NaN; min > max gives max everywhere, as PyTorch);
// dx = dy where min < x < max, else 0 (torch 2.15 gives 0 at the bounds themselves too).
// The backward reads the output, not the input: min < y < max exactly where min < x < max (y equals x
// strictly inside, a bound outside; with min ≥ max no y is inside, nor any x; NaN is inside neither), so
// the op keeps what the next layer keeps anyway and a conv → batch norm → ReLU6 layer frees its
// normalised activation once the clamp has read it.
namespace {
// The bounds are C++ doubles, so they promote as PyTorch's Python floats do: an integer or bool tensor
// clamps to float32 (torch.clamp(int64 tensor, min=-2.0) is float32), a floating tensor keeps its dtype.
DType clamp_dtype(DType input) { return is_floating(input) ? input : DType::f32; }
}  // namespace

std::vector<OutputSpec> shape_clamp(const OpCall& call) {
  const auto& attrs = std::get<ClampAttrs>(call.attrs);
  NABLA_CHECK(attrs.min || attrs.max, "clamp: at least one of min or max must be given (got neither) for {}",
              call.inputs[0].describe());
  return {{call.inputs[0].shape(), clamp_dtype(call.inputs[0].dtype())}};
}
void reference_clamp(const KernelCall& call) {
  const auto attrs = std::get<ClampAttrs>(call.attrs);
  elementwise_kernel<1>(call, [attrs](double x) {
    if (std::isnan(x)) return x;
    if (attrs.min) {
      if (std::isnan(*attrs.min)) return *attrs.min;
      x = x < *attrs.min ? *attrs.min : x;
    }
    if (attrs.max) {
      if (std::isnan(*attrs.max)) return *attrs.max;
      x = x > *attrs.max ? *attrs.max : x;
    }
    return x;
  }, [](int64_t x) { return x; });  // never used: results are floating (clamp_dtype)
}
std::vector<Tensor> backward_clamp(const BackwardCall& call) {
  return {clamp_gradient(call.grads[0], call.outputs[0], std::get<ClampAttrs>(call.attrs))};
}

Tensor clamp_gradient(const Tensor& grad, const Tensor& input_or_output, const ClampAttrs& attrs) {
  if (fused_clamp_backward_applies(grad, input_or_output)) {
    return call1(OpId::clamp_backward, {grad, input_or_output}, attrs);
  }
  Tensor inside;
  if (attrs.min) inside = gt(input_or_output, wrapped_scalar(*attrs.min));
  if (attrs.max) {
    Tensor below_max = lt(input_or_output, wrapped_scalar(*attrs.max));
    inside = inside.defined() ? logical_and(inside, below_max) : below_max;
  }
  return where(inside, grad, zero_like_grad(grad));
}

// gelu_backward: (grad, x) → grad·gelu′(x), in double and rounded once:
//   exact  gelu′(x) = Φ(x) + x·φ(x);   tanh  gelu′(x) = σ(v) + x·σ(v)(1 − σ(v))·2k(1 + 3c·x²), v = 2k(x + c·x³)
std::vector<OutputSpec> shape_gelu_backward(const OpCall& call) {
  const Tensor& grad = call.inputs[0];
  const Tensor& x = call.inputs[1];
  NABLA_CHECK(is_floating(grad.dtype()) && grad.dtype() == x.dtype(),
              "gelu_backward: the gradient {} and the input {} must be floating point of one dtype", grad.describe(),
              x.describe());
  NABLA_CHECK(grad.shape() == x.shape(), "gelu_backward: the gradient {} and the input {} must have the same shape",
              grad.describe(), x.describe());
  return {{grad.shape(), grad.dtype()}};
}
void reference_gelu_backward(const KernelCall& call) {
  if (std::get<GeluAttrs>(call.attrs).tanh_approximation) {
    elementwise_kernel<2>(call, [](double grad, double x) {
      const double s = 1 / (1 + std::exp(-2 * gelu_tanh_scale * (x + gelu_tanh_cube * x * x * x)));
      return grad * (s + x * s * (1 - s) * 2 * gelu_tanh_scale * (1 + 3 * gelu_tanh_cube * x * x));
    }, unsupported_int);
  } else {
    elementwise_kernel<2>(call, [](double grad, double x) { return grad * (normal_cdf(x) + x * normal_pdf(x)); },
                          unsupported_int);
  }
}
NABLA_NO_BACKWARD(gelu_backward)

// clamp_backward: (grad, x) → grad where min < x < max (a bound not given always holds), else 0, as
// where(inside, grad, 0): a NaN x or bound gives 0, whatever grad holds.
std::vector<OutputSpec> shape_clamp_backward(const OpCall& call) {
  const Tensor& grad = call.inputs[0];
  const Tensor& x = call.inputs[1];
  NABLA_CHECK(is_floating(grad.dtype()), "clamp_backward: the gradient must be floating point, got {}", grad.describe());
  NABLA_CHECK(grad.shape() == x.shape(), "clamp_backward: the gradient {} and the input {} must have the same shape",
              grad.describe(), x.describe());
  return {{grad.shape(), grad.dtype()}};
}
void reference_clamp_backward(const KernelCall& call) {
  const auto attrs = std::get<ClampAttrs>(call.attrs);
  elementwise_kernel<2>(call, [attrs](double grad, double x) {
    const bool inside = (!attrs.min || x > *attrs.min) && (!attrs.max || x < *attrs.max);
    return inside ? grad : 0.0;
  }, unsupported_int);
}
NABLA_NO_BACKWARD(clamp_backward)

bool fused_clamp_backward_applies(const Tensor& grad, const Tensor& x) {
  // Under create_graph the composite runs: its ops are differentiable, the fused op is not.
  return !autograd::grad_enabled() && grad.shape() == x.shape();
}

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return call1(OpId::leaky_relu, {x}, ops::ScalarAttrs{negative_slope});
}
Tensor elu(const Tensor& x, double alpha) { return call1(OpId::elu, {x}, ops::ScalarAttrs{alpha}); }
Tensor gelu(const Tensor& x, GeluApproximation approximation) {
  return call1(OpId::gelu, {x}, ops::GeluAttrs{approximation == GeluApproximation::tanh});
}
Tensor silu(const Tensor& x) { return call1(OpId::silu, {x}); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  return call1(OpId::softplus, {x}, ops::SoftplusAttrs{beta, threshold});
}
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  return call1(OpId::clamp, {x}, ops::ClampAttrs{min, max});
}
// PyTorch's relu6 is hardtanh(x, 0, 6), whose gradient is 1 only strictly inside (0, 6): the same as clamp's here.
Tensor functional::relu6(const Tensor& x) { return clamp(x, 0.0, 6.0); }
}  // namespace nabla
