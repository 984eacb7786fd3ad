#pragma once
// A linear support-vector classifier, one-vs-rest, trained by nabla's optimizers on the whole training set
// at once (it is small: HOG features of a few thousand images). For each class k, with y_ik = +1 when
// example i is of class k and −1 otherwise, it minimises scikit-learn's LinearSVC objective scaled by 1/(C·n):
//   (1 / (2·C·n)) · (‖w_k‖² + b_k²)  +  (1/n) Σ_i loss(y_ik · (w_k·x_i + b_k)),
//   loss(m) = max(0, 1 − m)  (hinge)  or  max(0, 1 − m)²  (squared hinge, LinearSVC's default).
// The bias is penalised as LinearSVC does (its intercept_scaling = 1 treats it as a weight on a constant 1).
#include <cstdint>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::vision {

enum class SvmLoss { hinge, squared_hinge };

struct LinearSvmOptions {
  double C = 1.0;
  SvmLoss loss = SvmLoss::squared_hinge;
  int64_t steps = 400;  // full-batch Adam steps, the learning rate annealed by cosine to zero
  double lr = 0.05;
};

class LinearSvm {
 public:
  explicit LinearSvm(const LinearSvmOptions& options = {});
  // features [N, F] (floating), labels i64 [N] in 0 … classes−1. Returns the objective after each step.
  std::vector<double> fit(const Tensor& features, const Tensor& labels, int64_t classes);
  Tensor decision_function(const Tensor& features) const;  // [N, classes]: w_k·x + b_k
  Tensor predict(const Tensor& features) const;            // i64 [N]: the class of the largest score
  double accuracy(const Tensor& features, const Tensor& labels) const;
  // The objective above (summed over the classes) at the current weights.
  Tensor objective(const Tensor& features, const Tensor& labels) const;

  LinearSvmOptions options;
  Tensor weight;  // [classes, F]
  Tensor bias;    // [classes]
};

}  // namespace nabla::vision
