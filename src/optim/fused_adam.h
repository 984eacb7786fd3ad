#pragma once
// Adam's update in one pass over the elements, instead of a dozen tensor ops that each read and write
// every element and allocate a result. It takes contiguous f32/f64 parameters whose gradient and state
// share their dtype and shape; it follows the composite update of adam.cpp operation for operation, so
// f64 results are the same and f32 ones agree to rounding.
#include <map>
#include <string>

#include "nabla/tensor.h"

namespace nabla::optim {

struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled_weight_decay, amsgrad;
  double correction1, correction2_sqrt;  // 1 − β₁ᵗ and √(1 − β₂ᵗ)
};

// Whether fused_adam_update covers this parameter, its gradient and its state so far.
bool fused_adam_applies(const Tensor& parameter, const Tensor& grad, const std::map<std::string, Tensor>& state);
// Updates the parameter and its state in place, creating the state (zeros) on the first step.
void fused_adam_update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, const AdamStep& step);

}  // namespace nabla::optim
