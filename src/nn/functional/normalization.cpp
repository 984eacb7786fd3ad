// The normalization functions: layer_norm, batch_norm and group_norm call their fused ops (src/ops/norm.cpp)
// with weight and bias filled in (ones, zeros) when absent; batch_norm also keeps the running statistics,
// which are not op inputs in training, and updates them after the op.
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/kernel_rules.h"
#include "ops/op.h"

namespace nabla {
using ops::call, ops::OpId;

namespace {

// A missing weight or bias becomes ones or zeros that do not require grad (so none is computed for it).
Tensor parameter_or(const Tensor& parameter, const Shape& shape, double fill, DType dtype) {
  return parameter.defined() ? parameter : full(shape, fill, {.dtype = dtype});
}

void check_channel_input(const Tensor& x, const char* op) {
  NABLA_CHECK(x.dim() >= 2, "{}: input must be [N, C, …] with at least 2 dims, got {}", op, x.describe());
}

// running = (1 − momentum)·running + momentum·value, in place.
void update_running(const Tensor& running, const Tensor& value, double momentum) {
  Tensor target = running;
  target.mul_(1.0 - momentum);
  target.add_((value * momentum).to(running.dtype()));
}

}  // namespace

Tensor functional::layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                              double eps) {
  const auto count = static_cast<int64_t>(normalized_shape.size());
  NABLA_CHECK(count >= 1 && count <= x.dim() && Shape(x.shape().end() - count, x.shape().end()) == normalized_shape,
              "layer_norm: normalized_shape {} must be non-empty and match the last dims of input {}",
              shape_string(normalized_shape), x.describe());
  ops::NormAttrs attrs;
  attrs.normalized_dims = count;
  attrs.eps = eps;
  return call(OpId::layer_norm, {x, parameter_or(weight, normalized_shape, 1, x.dtype()),
                                 parameter_or(bias, normalized_shape, 0, x.dtype())}, attrs)[0];
}

Tensor functional::batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                              const Tensor& bias, bool training, double momentum, double eps) {
  check_channel_input(x, "batch_norm");
  const Shape channels{x.shape()[1]};
  ops::NormAttrs attrs;
  attrs.eps = eps;
  attrs.training = training;
  std::vector<Tensor> inputs{x, parameter_or(weight, channels, 1, x.dtype()), parameter_or(bias, channels, 0, x.dtype())};
  if (!training) {
    NABLA_CHECK(running_mean.defined() && running_var.defined(),
                "batch_norm: running_mean and running_var must be defined in evaluation mode (input {})", x.describe());
    inputs.push_back(running_mean);
    inputs.push_back(running_var);
    return call(OpId::batch_norm, std::move(inputs), attrs)[0];
  }
  for (const Tensor* running : {&running_mean, &running_var}) {
    // In training the running statistics are not op inputs: checked here as the op checks its inputs.
    NABLA_CHECK(!running->defined() ||
                    (running->shape() == channels && ops::parameter_dtype_fits(running->dtype(), x.dtype())),
                "batch_norm: {} {} must have shape {} and the input's dtype (mixed dtypes are refused; input {})",
                running == &running_mean ? "running_mean" : "running_var", running->describe(), shape_string(channels),
                x.describe());
  }
  std::vector<Tensor> outputs = call(OpId::batch_norm, std::move(inputs), attrs);
  if (running_mean.defined() || running_var.defined()) {
    autograd::NoGradGuard no_grad;
    if (running_mean.defined()) update_running(running_mean, outputs[1], momentum);
    if (running_var.defined()) {
      // The running variance is unbiased (as PyTorch): the biased one, recovered from rstd in float64,
      // times n / (n − 1).
      const double count = static_cast<double>(x.numel() / x.shape()[1]);
      Tensor rstd = outputs[2].to(DType::f64);
      update_running(running_var, (1.0 / (rstd * rstd) - eps) * (count / (count - 1)), momentum);
    }
  }
  return outputs[0];
}

Tensor functional::group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps) {
  check_channel_input(x, "group_norm");
  const Shape channels{x.shape()[1]};
  ops::NormAttrs attrs;
  attrs.groups = groups;
  attrs.eps = eps;
  return call(OpId::group_norm, {x, parameter_or(weight, channels, 1, x.dtype()), parameter_or(bias, channels, 0, x.dtype())},
              attrs)[0];
}

}  // namespace nabla
