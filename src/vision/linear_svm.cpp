// One-vs-rest linear SVM trained with nabla's optimizers (include/nabla/vision/linear_svm.h).
#include "nabla/vision/linear_svm.h"

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/scheduler.h"

namespace nabla::vision {

LinearSvm::LinearSvm(const LinearSvmOptions& options_) : options(options_) {
  NABLA_CHECK(options.C > 0 && options.steps >= 1 && options.lr > 0,
              "LinearSvm: C, steps and lr must be positive, got {}, {}, {}", options.C, options.steps, options.lr);
}

Tensor LinearSvm::decision_function(const Tensor& features) const {
  NABLA_CHECK(weight.defined(), "LinearSvm: fit it before asking for scores");
  NABLA_CHECK(features.dim() == 2 && features.size(1) == weight.size(1),
              "LinearSvm: expected features [N, {}], got {}", weight.size(1), features.describe());
  return functional::linear(features.to(weight.dtype()), weight, bias);
}

Tensor LinearSvm::predict(const Tensor& features) const {
  autograd::NoGradGuard no_grad;
  return argmax(decision_function(features), 1);
}

double LinearSvm::accuracy(const Tensor& features, const Tensor& labels) const {
  return (predict(features) == labels).to(DType::f64).mean().item<double>();
}

Tensor LinearSvm::objective(const Tensor& features, const Tensor& labels) const {
  const int64_t n = features.size(0), classes = weight.size(0);
  // y_ik = +1 for the example's own class, −1 for the others
  const Tensor signs = one_hot(labels, classes).to(weight.dtype()) * 2.0 - 1.0;
  const Tensor shortfall = relu(1.0 - signs * decision_function(features));  // max(0, 1 − margin)
  const Tensor loss = options.loss == SvmLoss::hinge ? shortfall : shortfall * shortfall;
  const Tensor penalty = ((weight * weight).sum() + (bias * bias).sum()) / (2.0 * options.C * static_cast<double>(n));
  return loss.sum() / static_cast<double>(n) + penalty;
}

std::vector<double> LinearSvm::fit(const Tensor& features, const Tensor& labels, int64_t classes) {
  NABLA_CHECK(features.dim() == 2 && features.is_floating_point(), "LinearSvm::fit: expected floating features [N, F], got {}",
              features.describe());
  NABLA_CHECK(labels.dim() == 1 && labels.size(0) == features.size(0) && labels.dtype() == DType::i64,
              "LinearSvm::fit: expected i64 labels [{}], got {}", features.size(0), labels.describe());
  NABLA_CHECK(classes >= 2, "LinearSvm::fit: needs at least 2 classes, got {}", classes);
  const DType dtype = features.dtype();
  weight = zeros({classes, features.size(1)}, {.dtype = dtype}).requires_grad_();
  bias = zeros({classes}, {.dtype = dtype}).requires_grad_();
  optim::Adam optimizer({weight, bias}, {.lr = options.lr});
  optim::CosineAnnealingLR schedule(optimizer, options.steps);
  std::vector<double> history;
  for (int64_t step = 0; step < options.steps; ++step) {
    optimizer.zero_grad();
    const Tensor value = objective(features, labels);
    value.backward();
    optimizer.step();
    schedule.step();
    history.push_back(value.item<double>());
  }
  weight = weight.detach();
  bias = bias.detach();
  return history;
}

}  // namespace nabla::vision
