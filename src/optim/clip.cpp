#include "nabla/optim/clip.h"

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::optim {

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type) {
  NABLA_CHECK(max_norm >= 0, "clip_grad_norm_: max_norm must be non-negative, got {}", max_norm);
  NABLA_CHECK(norm_type > 0, "clip_grad_norm_: norm_type must be positive, got {}", norm_type);
  autograd::NoGradGuard no_grad;
  double total = 0;
  for (const Tensor& parameter : parameters) {
    const Tensor& grad = parameter.grad();
    if (!grad.defined()) continue;
    double norm = nabla::norm(grad.to(DType::f64), norm_type).item();
    total = std::isinf(norm_type) ? std::max(total, norm) : total + std::pow(norm, norm_type);
  }
  if (!std::isinf(norm_type)) total = std::pow(total, 1.0 / norm_type);
  if (!std::isfinite(total)) return total;
  // As PyTorch: coefficient max_norm / (total + 1e-6), applied only when it is below 1.
  double coefficient = max_norm / (total + 1e-6);
  if (coefficient < 1) {
    for (const Tensor& parameter : parameters) {
      Tensor grad = parameter.grad();
      if (grad.defined()) grad.mul_(coefficient);
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  NABLA_CHECK(clip_value >= 0, "clip_grad_value_: clip_value must be non-negative, got {}", clip_value);
  autograd::NoGradGuard no_grad;
  for (const Tensor& parameter : parameters) {
    Tensor grad = parameter.grad();
    if (grad.defined()) clamp_(grad, -clip_value, clip_value);
  }
}

ExponentialMovingAverage::ExponentialMovingAverage(std::vector<Tensor> parameters, double decay)
    : parameters_(std::move(parameters)), decay_(decay) {
  NABLA_CHECK(decay >= 0 && decay <= 1, "ExponentialMovingAverage: decay must be in [0, 1], got {}", decay);
  autograd::NoGradGuard no_grad;
  for (const Tensor& parameter : parameters_) shadow_.push_back(parameter.detach().clone());
}

void ExponentialMovingAverage::update() {
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& shadow = shadow_[i];
    copy_(shadow, shadow * decay_ + parameters_[i] * (1 - decay_));
  }
}

void ExponentialMovingAverage::swap() {
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Tensor live = parameters_[i].detach().clone();
    Tensor parameter = parameters_[i];
    copy_(parameter, shadow_[i]);
    copy_(shadow_[i], live);
  }
}

}  // namespace nabla::optim
