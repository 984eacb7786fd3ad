// Optimizer steps as ops, so that they go through the dispatcher: the profiler times them and dispatch
// observers see them like any other kernel. They write their tensors in place and have no gradient.
//
// adam_step_: (param, grad, exp_avg, exp_avg_sq[, max_exp_avg_sq]), all of one shape and one dtype (f32 or
// f64), contiguous. With t = step (src/optim/adam.cpp has the same update as tensor ops):
//   p ← p·(1 − lr·wd) (decoupled) | g ← g + wd·p (coupled)
//   m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  v̂ ← max(v̂, v) with amsgrad
//   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
#include <cmath>

#include "core/element.h"
#include "ops/op.h"

namespace nabla::ops {

namespace {
const char* const adam_tensor_names[] = {"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
}  // namespace

std::vector<OutputSpec> shape_adam_step_(const OpCall& call) {
  const auto& attrs = std::get<AdamStepAttrs>(call.attrs);
  const size_t expected = attrs.amsgrad ? 5 : 4;
  NABLA_CHECK(call.inputs.size() == expected,
              "adam_step_: expected {} tensors (param, grad, exp_avg, exp_avg_sq{}), got {}", expected,
              attrs.amsgrad ? ", max_exp_avg_sq" : "", call.inputs.size());
  NABLA_CHECK(attrs.step >= 1, "adam_step_: step counts updates from 1, got {}", attrs.step);
  const Tensor& param = call.inputs[0];
  NABLA_CHECK(param.dtype() == DType::f32 || param.dtype() == DType::f64, "adam_step_: param must be f32 or f64, got {}",
              param.describe());
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor& tensor = call.inputs[i];
    NABLA_CHECK(tensor.shape() == param.shape() && tensor.dtype() == param.dtype(),
                "adam_step_: {} {} must match param {}", adam_tensor_names[i], tensor.describe(), param.describe());
    NABLA_CHECK(tensor.is_contiguous(), "adam_step_: {} {} must be contiguous", adam_tensor_names[i], tensor.describe());
    // The kernels read every input once per element and write in place: written tensors may not overlap.
    for (size_t j = 0; j < i; ++j) {
      NABLA_CHECK(tensor.storage() != call.inputs[j].storage(), "adam_step_: {} and {} share storage",
                  adam_tensor_names[j], adam_tensor_names[i]);
    }
  }
  return {{param.shape(), param.dtype(), {}, 0}};
}

// In double, rounded once per stored value; the fast kernel (src/backend/cpu/adam.cpp) rounds each step as
// the composite does, so the two agree to the dtype's rounding.
void reference_adam_step_(const KernelCall& call) {
  const auto& a = std::get<AdamStepAttrs>(call.attrs);
  const DType dtype = call.inputs[0].dtype();
  void* param = call.inputs[0].raw_data();
  const void* grad = call.inputs[1].raw_data();
  void* first = call.inputs[2].raw_data();
  void* second = call.inputs[3].raw_data();
  void* second_max = a.amsgrad ? call.inputs[4].raw_data() : nullptr;
  const double correction1 = 1 - std::pow(a.beta1, static_cast<double>(a.step));
  const double correction2_sqrt = std::sqrt(1 - std::pow(a.beta2, static_cast<double>(a.step)));
  for (int64_t i = 0; i < call.inputs[0].numel(); ++i) {
    double p = load_double(dtype, param, i), g = load_double(dtype, grad, i);
    if (a.weight_decay != 0 && a.decoupled) p *= 1 - a.lr * a.weight_decay;
    if (a.weight_decay != 0 && !a.decoupled) g += a.weight_decay * p;
    const double m = a.beta1 * load_double(dtype, first, i) + (1 - a.beta1) * g;
    const double v = a.beta2 * load_double(dtype, second, i) + (1 - a.beta2) * g * g;
    store_double(dtype, first, i, m);
    store_double(dtype, second, i, v);
    double v_hat = v;
    if (a.amsgrad) {
      const double previous = load_double(dtype, second_max, i);
      v_hat = previous > v || std::isnan(previous) ? previous : v;  // maximum, keeping NaN as the composite does
      store_double(dtype, second_max, i, v_hat);
    }
    store_double(dtype, param, i, p - a.lr / correction1 * m / (std::sqrt(v_hat) / correction2_sqrt + a.eps));
  }
}
NABLA_NO_BACKWARD(adam_step_)

}  // namespace nabla::ops
