#pragma once
// Datasets: indexable collections of (input, target) examples, and the in-memory one everything else
// reduces to. Batches are gathered with one index_select per tensor, not one copy per example.
#include <memory>
#include <string>
#include <vector>

#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::data {

struct Batch {
  Tensor inputs;   // [B, ...]
  Tensor targets;  // [B] int64 class indices (or [B, ...] for regression)
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Batch get_batch(const std::vector<int64_t>& indices) const = 0;
  // Class of each example (classification sets), for stratified splits and balanced samplers.
  virtual std::vector<int64_t> labels() const;
  virtual std::vector<std::string> class_names() const { return {}; }
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// inputs [N, ...] and targets [N, ...] held in memory. uint8 inputs (images) are converted to float32 in
// [0, 1] per batch, so a data set costs one byte a pixel in memory.
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets, std::vector<std::string> class_names = {});
  int64_t size() const override { return inputs_.size(0); }
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  std::vector<int64_t> labels() const override;
  std::vector<std::string> class_names() const override { return class_names_; }
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
  std::vector<std::string> class_names_;
};

// A view of some examples of another data set (splits, folds, subsets).
class Subset : public Dataset {
 public:
  Subset(DatasetPtr base, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  std::vector<int64_t> labels() const override;
  std::vector<std::string> class_names() const override { return base_->class_names(); }
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  DatasetPtr base_;
  std::vector<int64_t> indices_;
};

// ---- Fashion-MNIST (IDX files of the Debian package dataset-fashion-mnist)
enum class Split { train, test };
// Looks in `directory`, else $NABLA_DATA, else /usr/share/datasets/fashion-mnist. A missing or corrupt file
// is one error naming it (and how to get it).
std::shared_ptr<TensorDataset> fashion_mnist(Split split, const std::string& directory = "");
std::string fashion_mnist_directory(const std::string& directory = "");
extern const std::vector<std::string> fashion_mnist_classes;

// ---- splits (seeded)
std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>> random_split(DatasetPtr dataset, double first_fraction,
                                                                         uint64_t seed);
// Keeps each class's share in both parts.
std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>> stratified_split(DatasetPtr dataset, double first_fraction,
                                                                             uint64_t seed);
// The same with exactly `first_count` examples in the first part (each class's share rounded by largest
// remainders): a held-out validation set of a given size. The split depends only on the data set and seed.
std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>> stratified_split_by_count(DatasetPtr dataset,
                                                                                      int64_t first_count, uint64_t seed);
// k folds: fold i is (train = all but part i, validation = part i).
std::vector<std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>>> k_fold(DatasetPtr dataset, int64_t k,
                                                                                uint64_t seed);

}  // namespace nabla::data
