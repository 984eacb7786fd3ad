#pragma once
// Gradient clipping and an exponential moving average of weights.
#include <vector>

#include "nabla/tensor.h"

namespace nabla::optim {

// Scales all gradients so their joint p-norm is at most max_norm; returns the norm before clipping.
// A non-finite norm is returned as is and the gradients are left alone (the caller decides).
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0);
// Clamps every gradient element to [−clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

// shadow ← decay·shadow + (1 − decay)·parameter after each update(); swap() exchanges the shadow
// weights with the live ones (evaluate with the average, then swap back).
class ExponentialMovingAverage {
 public:
  ExponentialMovingAverage(std::vector<Tensor> parameters, double decay = 0.999);
  void update();
  void swap();
  const std::vector<Tensor>& shadow() const { return shadow_; }

 private:
  std::vector<Tensor> parameters_, shadow_;
  double decay_;
};

}  // namespace nabla::optim
