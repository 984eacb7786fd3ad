// Fast f32 clamp_backward (the first-order backward of clamp, relu6 and relu): dx = grad where
// min < x < max, else 0, in one pass over contiguous operands of the same shape — where the composite
// took four (two comparisons, a logical_and and a where, or a comparison and a multiply for relu) and
// wrote three intermediate masks. The same select as the reference kernel: exact, NaN x gives 0.
#include <cmath>

#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {

template <bool has_min, bool has_max>
void clamp_backward(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::ClampAttrs>(call.attrs);
  const auto* grad = static_cast<const float*>(call.inputs[0].raw_data());
  const auto* x = static_cast<const float*>(call.inputs[1].raw_data());
  auto* dx = static_cast<float*>(call.outputs[0].raw_data());
  const auto low = static_cast<float>(attrs.min.value_or(0)), high = static_cast<float>(attrs.max.value_or(0));
  for_each_chunk(call.outputs[0].numel(), [=](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      const bool inside = (!has_min || x[i] > low) && (!has_max || x[i] < high);
      dx[i] = inside ? grad[i] : 0.0f;
    }
  });
}

// A bound that float32 rounds changes which inputs lie inside: those calls keep the reference kernel,
// which compares in double.
bool exact_in_float(std::optional<double> bound) {
  return !bound || static_cast<double>(static_cast<float>(*bound)) == *bound;
}

}  // namespace

ops::Kernel clamp_backward_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                                const ops::Attrs& attrs) {
  const Tensor &grad = inputs[0], &x = inputs[1], &dx = outputs[0];
  if (grad.dtype() != DType::f32 || x.dtype() != DType::f32 || dx.dtype() != DType::f32) return nullptr;
  if (!grad.is_contiguous() || !x.is_contiguous() || !dx.is_contiguous()) return nullptr;
  const auto& bounds = std::get<ops::ClampAttrs>(attrs);
  if (!exact_in_float(bounds.min) || !exact_in_float(bounds.max)) return nullptr;  // NaN included
  if (bounds.min && bounds.max) return clamp_backward<true, true>;
  if (bounds.min) return clamp_backward<true, false>;
  if (bounds.max) return clamp_backward<false, true>;
  return nullptr;  // clamp refuses calls without a bound
}

}  // namespace nabla::cpu
