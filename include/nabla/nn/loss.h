#pragma once
// Losses as modules: loss(input, target). Each wraps the function of the same name in
// nabla/nn/functional.h; FocalLoss is defined here.
#include "nabla/nn/functional.h"
#include "nabla/nn/module.h"

namespace nabla::nn {

class Loss : public Module {
 public:
  using Module::Module;
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  // Through nn::call, so a loss's hooks run as any module's.
  Tensor operator()(const Tensor& input, const Tensor& target) { return call(*this, input, target); }
};

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(functional::CrossEntropyOptions options = {}) : Loss("CrossEntropyLoss"), options(std::move(options)) {}
  Tensor forward(const Tensor& logits, const Tensor& target) override { return functional::cross_entropy(logits, target, options); }
  functional::CrossEntropyOptions options;
};

class NLLLoss : public Loss {
 public:
  explicit NLLLoss(Tensor weight = {}, int64_t ignore_index = -100, Reduction reduction = Reduction::mean)
      : Loss("NLLLoss"), weight(std::move(weight)), ignore_index(ignore_index), reduction(reduction) {}
  Tensor forward(const Tensor& log_probabilities, const Tensor& target) override {
    return functional::nll_loss(log_probabilities, target, weight, ignore_index, reduction);
  }
  Tensor weight;
  int64_t ignore_index;
  Reduction reduction;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::mean) : Loss("MSELoss"), reduction(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override { return functional::mse_loss(input, target, reduction); }
  Reduction reduction;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(Reduction reduction = Reduction::mean) : Loss("L1Loss"), reduction(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override { return functional::l1_loss(input, target, reduction); }
  Reduction reduction;
};

class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(Reduction reduction = Reduction::mean, double beta = 1.0)
      : Loss("SmoothL1Loss"), reduction(reduction), beta(beta) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::smooth_l1_loss(input, target, reduction, beta);
  }
  Reduction reduction;
  double beta;
};

class HuberLoss : public Loss {
 public:
  explicit HuberLoss(Reduction reduction = Reduction::mean, double delta = 1.0)
      : Loss("HuberLoss"), reduction(reduction), delta(delta) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::huber_loss(input, target, reduction, delta);
  }
  Reduction reduction;
  double delta;
};

class BCELoss : public Loss {
 public:
  explicit BCELoss(Tensor weight = {}, Reduction reduction = Reduction::mean)
      : Loss("BCELoss"), weight(std::move(weight)), reduction(reduction) {}
  Tensor forward(const Tensor& probabilities, const Tensor& target) override {
    return functional::binary_cross_entropy(probabilities, target, weight, reduction);
  }
  Tensor weight;
  Reduction reduction;
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(Tensor weight = {}, Tensor pos_weight = {}, Reduction reduction = Reduction::mean)
      : Loss("BCEWithLogitsLoss"), weight(std::move(weight)), pos_weight(std::move(pos_weight)), reduction(reduction) {}
  Tensor forward(const Tensor& logits, const Tensor& target) override {
    return functional::binary_cross_entropy_with_logits(logits, target, weight, pos_weight, reduction);
  }
  Tensor weight, pos_weight;
  Reduction reduction;
};

class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(Reduction reduction = Reduction::mean, bool log_target = false)
      : Loss("KLDivLoss"), reduction(reduction), log_target(log_target) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return functional::kl_div(input, target, reduction, log_target);
  }
  Reduction reduction;
  bool log_target;
};

// Focal loss (Lin et al. 2017) for multi-class logits [N, C] and int targets [N]:
// −α_t (1 − p_t)^γ log p_t, which down-weights easy examples. γ = 0 and no α is cross entropy.
class FocalLoss : public Loss {
 public:
  explicit FocalLoss(double gamma = 2.0, Tensor alpha = {}, Reduction reduction = Reduction::mean)
      : Loss("FocalLoss"), gamma(gamma), alpha(std::move(alpha)), reduction(reduction) {}
  Tensor forward(const Tensor& logits, const Tensor& target) override;
  double gamma;
  Tensor alpha;  // [C] per-class weights, optional
  Reduction reduction;
};

}  // namespace nabla::nn
