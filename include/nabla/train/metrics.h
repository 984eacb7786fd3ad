#pragma once
// Classification metrics: accuracy, top-k accuracy, and a confusion matrix with per-class precision,
// recall, F1 and balanced accuracy.
#include <string>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::train {

// Fraction of rows of logits [N, C] whose true class is among the k largest.
double topk_accuracy(const Tensor& logits, const Tensor& targets, int64_t k = 1);

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t classes);
  void add(const Tensor& logits, const Tensor& targets);  // argmax of logits [N, C] vs targets [N]
  int64_t count(int64_t truth, int64_t predicted) const { return counts_[static_cast<size_t>(truth * classes_ + predicted)]; }
  int64_t classes() const { return classes_; }
  int64_t total() const;
  double accuracy() const;
  double precision(int64_t c) const;  // 0 when the class was never predicted
  double recall(int64_t c) const;     // 0 when the class never occurred
  double f1(int64_t c) const;
  double balanced_accuracy() const;   // mean recall over the classes that occur
  // The counts, row-major [truth, predicted]; add_counts adds another matrix's (a data-parallel evaluation
  // sums the ranks' matrices).
  const std::vector<int64_t>& counts() const { return counts_; }
  void add_counts(const std::vector<int64_t>& counts);
  std::string to_string(const std::vector<std::string>& names = {}) const;

 private:
  int64_t classes_;
  std::vector<int64_t> counts_;
};

}  // namespace nabla::train
