#include "nabla/train/metrics.h"
#include "nabla/train/segmentation_metrics.h"

#include <algorithm>

#include "nabla/ops.h"

namespace nabla::train {

double topk_accuracy(const Tensor& logits, const Tensor& targets, int64_t k) {
  NABLA_CHECK(logits.dim() == 2 && targets.dim() == 1 && logits.size(0) == targets.size(0),
              "topk_accuracy: expected logits [N, C] and targets [N], got {} and {}", logits.describe(), targets.describe());
  NABLA_CHECK(k >= 1 && k <= logits.size(1), "topk_accuracy: k = {} must be between 1 and C = {}", k, logits.size(1));
  if (logits.size(0) == 0) return 0;
  std::vector<double> scores = logits.to_vector(), truth = targets.to_vector();
  const int64_t classes = logits.size(1);
  int64_t hits = 0;
  for (int64_t row = 0; row < logits.size(0); ++row) {
    const double* values = scores.data() + row * classes;
    auto label = static_cast<int64_t>(truth[static_cast<size_t>(row)]);
    // The true class is in the top k when fewer than k classes score strictly higher.
    int64_t higher = std::count_if(values, values + classes, [&](double v) { return v > values[label]; });
    hits += higher < k;
  }
  return static_cast<double>(hits) / static_cast<double>(logits.size(0));
}

ConfusionMatrix::ConfusionMatrix(int64_t classes) : classes_(classes), counts_(static_cast<size_t>(classes * classes), 0) {
  NABLA_CHECK(classes > 0, "ConfusionMatrix: classes must be positive, got {}", classes);
}

void ConfusionMatrix::add(const Tensor& logits, const Tensor& targets) {
  if (logits.dim() == 4 && targets.dim() == 3) {  // a pixel is an example: [N, C, H, W] → [N·H·W, C]
    NABLA_CHECK(logits.size(0) == targets.size(0) && logits.size(2) == targets.size(1) && logits.size(3) == targets.size(2),
                "ConfusionMatrix: expected logits [N, {}, H, W] and targets [N, H, W], got {} and {}", classes_,
                logits.describe(), targets.describe());
    add(logits.permute({0, 2, 3, 1}).reshape({-1, logits.size(1)}), targets.reshape({-1}));
    return;
  }
  NABLA_CHECK(logits.dim() == 2 && logits.size(1) == classes_ && targets.dim() == 1 && targets.size(0) == logits.size(0),
              "ConfusionMatrix: expected logits [N, {}] and targets [N], got {} and {}", classes_, logits.describe(),
              targets.describe());
  std::vector<double> predicted = argmax(logits, 1).to_vector(), truth = targets.to_vector();
  for (size_t i = 0; i < truth.size(); ++i) {
    auto t = static_cast<int64_t>(truth[i]);
    NABLA_CHECK(t >= 0 && t < classes_, "ConfusionMatrix: target {} is out of range for {} classes", t, classes_);
    ++counts_[static_cast<size_t>(t * classes_ + static_cast<int64_t>(predicted[i]))];
  }
}

void ConfusionMatrix::add_counts(const std::vector<int64_t>& counts) {
  NABLA_CHECK(counts.size() == counts_.size(), "ConfusionMatrix: {} counts added to a matrix of {} classes ({} counts)",
              counts.size(), classes_, counts_.size());
  for (size_t i = 0; i < counts.size(); ++i) counts_[i] += counts[i];
}

int64_t ConfusionMatrix::total() const {
  int64_t sum = 0;
  for (int64_t c : counts_) sum += c;
  return sum;
}

double ConfusionMatrix::accuracy() const {
  int64_t correct = 0;
  for (int64_t c = 0; c < classes_; ++c) correct += count(c, c);
  return total() ? static_cast<double>(correct) / static_cast<double>(total()) : 0.0;
}

double ConfusionMatrix::precision(int64_t c) const {
  int64_t predicted = 0;
  for (int64_t t = 0; t < classes_; ++t) predicted += count(t, c);
  return predicted ? static_cast<double>(count(c, c)) / static_cast<double>(predicted) : 0.0;
}

double ConfusionMatrix::recall(int64_t c) const {
  int64_t actual = 0;
  for (int64_t p = 0; p < classes_; ++p) actual += count(c, p);
  return actual ? static_cast<double>(count(c, c)) / static_cast<double>(actual) : 0.0;
}

double ConfusionMatrix::f1(int64_t c) const {
  double p = precision(c), r = recall(c);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double ConfusionMatrix::balanced_accuracy() const {
  double sum = 0;
  int64_t present = 0;
  for (int64_t c = 0; c < classes_; ++c) {
    int64_t actual = 0;
    for (int64_t p = 0; p < classes_; ++p) actual += count(c, p);
    if (actual == 0) continue;
    sum += recall(c);
    ++present;
  }
  return present ? sum / static_cast<double>(present) : 0.0;
}

std::string ConfusionMatrix::to_string(const std::vector<std::string>& names) const {
  auto name = [&](int64_t c) { return c < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(c)] : std::to_string(c); };
  std::string out = fmt::format("{:<14} {:>9} {:>9} {:>9}\n", "class", "precision", "recall", "F1");
  for (int64_t c = 0; c < classes_; ++c) {
    out += fmt::format("{:<14} {:>9.4f} {:>9.4f} {:>9.4f}\n", name(c), precision(c), recall(c), f1(c));
  }
  out += fmt::format("accuracy {:.4f}, balanced accuracy {:.4f}\n", accuracy(), balanced_accuracy());
  return out;
}

double intersection_over_union(const ConfusionMatrix& matrix, int64_t c) {
  int64_t predicted = 0, actual = 0;
  for (int64_t other = 0; other < matrix.classes(); ++other) predicted += matrix.count(other, c), actual += matrix.count(c, other);
  const int64_t united = predicted + actual - matrix.count(c, c);
  return united ? static_cast<double>(matrix.count(c, c)) / static_cast<double>(united) : 0.0;
}

double mean_intersection_over_union(const ConfusionMatrix& matrix) {
  double sum = 0;
  int64_t present = 0;
  for (int64_t c = 0; c < matrix.classes(); ++c) {
    int64_t seen = 0;
    for (int64_t other = 0; other < matrix.classes(); ++other) seen += matrix.count(other, c) + matrix.count(c, other);
    if (seen == 0) continue;
    sum += intersection_over_union(matrix, c);
    ++present;
  }
  return present ? sum / static_cast<double>(present) : 0.0;
}

}  // namespace nabla::train
