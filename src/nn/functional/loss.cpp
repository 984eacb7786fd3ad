// Losses as torch.nn.functional has them. cross_entropy with class-index targets runs the fused
// cross_entropy op (src/ops/softmax.cpp); everything else is composed of ops, so it is differentiable (to
// any order) for free, and as accurate as PyTorch's kernels: every formula below is PyTorch's.
// Pointwise losses require input and target of the same shape: PyTorch broadcasts them with a warning,
// which is almost always a bug ([N, 1] against [N]), so nabla refuses.
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/op.h"

namespace nabla {
namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::none: return loss;
    case Reduction::sum: return sum(loss);
    case Reduction::mean: return mean(loss);
  }
  return loss;
}

// Whether `shape` broadcasts to `target` without changing it (a weight over a loss's elements).
bool broadcasts_to(const Shape& shape, const Shape& target) {
  if (shape.size() > target.size()) return false;
  for (size_t d = 1; d <= shape.size(); ++d) {
    const int64_t size = shape[shape.size() - d];
    if (size != 1 && size != target[target.size() - d]) return false;
  }
  return true;
}

void check_pointwise(const char* op, const Tensor& input, const Tensor& target) {
  NABLA_CHECK(is_floating(input.dtype()), "{}: input must be floating point, got {} (target {})", op, input.describe(),
              target.describe());
  NABLA_CHECK(input.shape() == target.shape(),
              "{}: target {} must have the same shape as input {}; reshape one of them (broadcasting a loss is "
              "almost always a bug)", op, target.describe(), input.describe());
}

// log x, clamped below at −100 as PyTorch's binary_cross_entropy does. Where x ≤ e^−100 (x = 0 included)
// the value is −100 and the gradient 0, never 0·∞ = NaN.
Tensor clamped_log(const Tensor& x) {
  const double smallest = std::exp(-100.0);
  Tensor above = gt(x, wrapped_scalar(smallest));
  Tensor safe = where(above, x, ones({}, {.dtype = x.dtype()}));
  return where(above, log(safe), full({}, -100.0, {.dtype = x.dtype()}));
}

// Reads the class indices (data) and reports the first one out of range, as PyTorch's kernels do.
void check_class_indices(const char* op, const Tensor& target, int64_t classes, int64_t ignore_index,
                         const Tensor& input) {
  Tensor flat = target.reshape({-1});
  std::vector<double> labels = flat.to_vector();
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto label = static_cast<int64_t>(labels[i]);
    NABLA_CHECK(label == ignore_index || (label >= 0 && label < classes),
                "{}: target {} at position {} is out of range for input {} with {} classes (expected 0 to {}, or "
                "ignore_index {})", op, label, i, input.describe(), classes, classes - 1, ignore_index);
  }
}

// Class-index targets of an input with the class dim at 1 ([N, C, d…]) or alone ([C]): the target's
// expected shape is the input's without the class dim.
void check_index_target(const char* op, const Tensor& input, const Tensor& target) {
  NABLA_CHECK(is_floating(input.dtype()), "{}: input must be floating point, got {} (target {})", op, input.describe(),
              target.describe());
  NABLA_CHECK(is_integral(target.dtype()) && target.dtype() != DType::boolean,
              "{}: target must hold class indices as integers (int64), got {} (input {})", op, target.describe(),
              input.describe());
  NABLA_CHECK(input.dim() >= 1, "{}: input must be [C], [N, C] or [N, C, d1, …], got {}", op, input.describe());
  Shape expected = input.shape();
  expected.erase(expected.begin() + (input.dim() == 1 ? 0 : 1));
  NABLA_CHECK(target.shape() == expected, "{}: input {} needs a target of shape {}, got {}", op, input.describe(),
              shape_string(expected), target.describe());
}

void check_class_weight(const char* op, const Tensor& weight, const Tensor& input) {
  if (!weight.defined()) return;
  const int64_t classes = input.dim() == 1 ? input.shape()[0] : input.shape()[1];
  NABLA_CHECK(is_floating(weight.dtype()) && weight.shape() == Shape{classes},
              "{}: weight {} must be a floating tensor with one entry per class, [{}] (input {})", op, weight.describe(),
              classes, input.describe());
}

// Soft targets: class probabilities of the logits' shape. −Σ_c w_c·target_c·log_softmax_c per sample,
// the target smoothed towards uniform first; mean divides by the number of samples (as PyTorch).
Tensor cross_entropy_probabilities(const Tensor& logits, const Tensor& target,
                                   const functional::CrossEntropyOptions& options) {
  NABLA_CHECK(logits.shape() == target.shape(),
              "cross_entropy: probability targets {} must have the logits' shape {}", target.describe(),
              logits.describe());
  NABLA_CHECK(options.ignore_index < 0, "cross_entropy: ignore_index ({}) is not supported for probability targets",
              options.ignore_index);
  const int64_t class_dim = logits.dim() == 1 ? 0 : 1;
  const int64_t classes = logits.shape()[class_dim];
  Tensor smoothed = target;
  if (options.label_smoothing > 0) {
    smoothed = target * (1 - options.label_smoothing) + options.label_smoothing / static_cast<double>(classes);
  }
  Tensor log_probabilities = log_softmax(logits, class_dim);
  if (options.weight.defined()) {
    Shape along_classes(static_cast<size_t>(logits.dim()), 1);
    along_classes[class_dim] = classes;
    log_probabilities = log_probabilities * options.weight.reshape(along_classes);
  }
  return reduce(-sum(log_probabilities * smoothed, {class_dim}), options.reduction);
}

}  // namespace

Tensor functional::cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& options) {
  NABLA_CHECK(!(options.weight.defined() && options.weight.requires_grad() && autograd::grad_enabled()),
              "cross_entropy: class weight {} requires grad, but no gradient is computed for it; detach it",
              options.weight.describe());
  NABLA_CHECK(options.label_smoothing >= 0 && options.label_smoothing <= 1,
              "cross_entropy: label_smoothing must be between 0 and 1, got {}", options.label_smoothing);
  if (is_floating(target.dtype())) return cross_entropy_probabilities(logits, target, options);
  check_index_target("cross_entropy", logits, target);
  check_class_weight("cross_entropy", options.weight, logits);
  ops::LossAttrs attrs{options.reduction, options.ignore_index, options.label_smoothing, options.weight.defined()};
  // [N, C, d1, …]: every position is a sample; the op sees them as rows of [N·d1·…, C].
  const bool spatial = logits.dim() > 2;
  Tensor rows = logits, labels = target;
  if (spatial) {
    Shape order{0};
    for (int64_t d = 2; d < logits.dim(); ++d) order.push_back(d);
    order.push_back(1);
    rows = logits.permute(order).reshape({-1, logits.shape()[1]});
    labels = target.reshape({-1});
  }
  std::vector<Tensor> inputs{rows, labels};
  if (attrs.has_weight) inputs.push_back(options.weight);
  Tensor loss = ops::call1(ops::OpId::cross_entropy, std::move(inputs), attrs);
  return spatial && options.reduction == Reduction::none ? loss.reshape(target.shape()) : loss;
}

// nll_loss: input [C], [N, C] or [N, C, d…] of log-probabilities, target [], [N] or [N, d…]:
//   loss = −w[t]·input[t] (0 where t is ignored); mean divides by Σ w[t] over the targets not ignored.
Tensor functional::nll_loss(const Tensor& log_probabilities, const Tensor& target, const Tensor& weight,
                            int64_t ignore_index, Reduction reduction) {
  check_index_target("nll_loss", log_probabilities, target);
  check_class_weight("nll_loss", weight, log_probabilities);
  const bool unbatched = log_probabilities.dim() == 1;
  Tensor input = unbatched ? log_probabilities.unsqueeze(0) : log_probabilities;
  Tensor labels = (unbatched ? target.reshape({1}) : target).to(DType::i64);
  check_class_indices("nll_loss", labels, input.shape()[1], ignore_index, log_probabilities);
  Tensor kept = ne(labels, wrapped_scalar(ignore_index));
  Tensor safe = where(kept, labels, zeros({}, {.dtype = DType::i64}));  // ignored targets read class 0, weighted 0
  Tensor picked = gather(input, 1, safe.unsqueeze(1)).squeeze(1);
  Tensor weights = kept.to(input.dtype());
  if (weight.defined()) weights = index_select(weight, 0, safe.reshape({-1})).reshape(safe.shape()) * weights;
  Tensor loss = -picked * weights;
  switch (reduction) {
    case Reduction::none: return unbatched ? loss.reshape({}) : loss;
    case Reduction::sum: return sum(loss);
    case Reduction::mean: return sum(loss) / sum(weights);
  }
  return loss;
}

// mse_loss: (input − target)²
Tensor functional::mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pointwise("mse_loss", input, target);
  Tensor difference = input - target;
  return reduce(difference * difference, reduction);
}

// l1_loss: |input − target|
Tensor functional::l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pointwise("l1_loss", input, target);
  return reduce(abs(input - target), reduction);
}

// smooth_l1_loss: 0.5·d²/β where d = |input − target| < β, else d − 0.5·β; β = 0 is l1_loss.
Tensor functional::smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  check_pointwise("smooth_l1_loss", input, target);
  NABLA_CHECK(beta >= 0, "smooth_l1_loss: beta must be non-negative, got {}", beta);
  Tensor distance = abs(input - target);
  if (beta == 0) return reduce(distance, reduction);
  return reduce(where(lt(distance, wrapped_scalar(beta)), 0.5 * distance * distance / beta, distance - 0.5 * beta),
                reduction);
}

// huber_loss: 0.5·d² where d = |input − target| < δ, else δ·(d − 0.5·δ)
Tensor functional::huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  check_pointwise("huber_loss", input, target);
  NABLA_CHECK(delta > 0, "huber_loss: delta must be positive, got {}", delta);
  Tensor distance = abs(input - target);
  return reduce(where(lt(distance, wrapped_scalar(delta)), 0.5 * distance * distance, delta * (distance - 0.5 * delta)),
                reduction);
}

// binary_cross_entropy: −w·(y·log p + (1 − y)·log(1 − p)), each log clamped at −100 (as PyTorch).
Tensor functional::binary_cross_entropy(const Tensor& probabilities, const Tensor& target, const Tensor& weight,
                                        Reduction reduction) {
  check_pointwise("binary_cross_entropy", probabilities, target);
  {
    // PyTorch checks the range in its kernel; so does this (a pass over the data).
    std::vector<double> values = probabilities.reshape({-1}).to_vector();
    for (size_t i = 0; i < values.size(); ++i) {
      NABLA_CHECK(values[i] >= 0 && values[i] <= 1,
                  "binary_cross_entropy: input {} at position {} of {} is outside [0, 1]; apply sigmoid first, or "
                  "use binary_cross_entropy_with_logits", values[i], i, probabilities.describe());
    }
  }
  Tensor loss = -(target * clamped_log(probabilities) + (1.0 - target) * clamped_log(1.0 - probabilities));
  if (weight.defined()) {
    NABLA_CHECK(broadcasts_to(weight.shape(), loss.shape()),
                "binary_cross_entropy: weight {} does not broadcast to the input's shape {}", weight.describe(),
                shape_string(loss.shape()));
    loss = loss * weight;
  }
  return reduce(loss, reduction);
}

// binary_cross_entropy_with_logits, PyTorch's stable form with l = 1 + (pos_weight − 1)·y:
//   loss = w·((1 − y)·x + l·softplus(−x)),  softplus(−x) = log(1 + e^−x) without overflow.
Tensor functional::binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                                    const Tensor& pos_weight, Reduction reduction) {
  check_pointwise("binary_cross_entropy_with_logits", logits, target);
  Tensor log_weight;
  if (pos_weight.defined()) {
    NABLA_CHECK(broadcasts_to(pos_weight.shape(), logits.shape()),
                "binary_cross_entropy_with_logits: pos_weight {} does not broadcast to the input's shape {} (it "
                "holds one weight per class, the last dim)", pos_weight.describe(), shape_string(logits.shape()));
    log_weight = (pos_weight - 1.0) * target + 1.0;
  }
  Tensor softplus_negative = softplus(-logits);
  Tensor loss = (1.0 - target) * logits + (log_weight.defined() ? log_weight * softplus_negative : softplus_negative);
  if (weight.defined()) {
    NABLA_CHECK(broadcasts_to(weight.shape(), logits.shape()),
                "binary_cross_entropy_with_logits: weight {} does not broadcast to the input's shape {}",
                weight.describe(), shape_string(logits.shape()));
    loss = loss * weight;
  }
  return reduce(loss, reduction);
}

// kl_div: input holds log q. target p: p·log p − p·input (0 where p = 0, as xlogy);
// log_target: e^target·(target − input).
Tensor functional::kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  check_pointwise("kl_div", input, target);
  if (log_target) return reduce(exp(target) * (target - input), reduction);
  // log of 1 where p = 0, so that 0·log 0 is 0 and its gradient finite (a negative p still gives NaN).
  Tensor safe = where(eq(target, wrapped_scalar(0.0)), ones({}, {.dtype = target.dtype()}), target);
  return reduce(target * log(safe) - target * input, reduction);
}

}  // namespace nabla
