#pragma once
// Samplers, transforms and the DataLoader. Randomness is keyed, never stateful: an epoch's order comes from
// Philox(seed, epoch) and a sample's augmentation from (seed, epoch, sample index), so a prefetching thread,
// a different batch size or a resumed run all see the same numbers.
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "nabla/data/dataset.h"

namespace nabla::data {

// ---- samplers: the order in which an epoch visits the data set
class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::vector<int64_t> order(int64_t dataset_size, uint64_t seed, int64_t epoch) const = 0;
};
class SequentialSampler : public Sampler {
 public:
  std::vector<int64_t> order(int64_t dataset_size, uint64_t seed, int64_t epoch) const override;
};
class RandomSampler : public Sampler {
 public:
  std::vector<int64_t> order(int64_t dataset_size, uint64_t seed, int64_t epoch) const override;
};
// Draws `count` examples with replacement, each with probability ∝ its weight (oversampling rare classes:
// weight = 1 / class frequency). count 0 means the data set's size.
class WeightedSampler : public Sampler {
 public:
  explicit WeightedSampler(std::vector<double> weights, int64_t count = 0);
  static std::shared_ptr<WeightedSampler> balancing(const std::vector<int64_t>& labels);  // 1 / class frequency
  std::vector<int64_t> order(int64_t dataset_size, uint64_t seed, int64_t epoch) const override;
 private:
  std::vector<double> cumulative_;
  int64_t count_;
};
// Undersampling: each epoch keeps every example of the rarest class and as many of each other class.
class BalancedUndersampler : public Sampler {
 public:
  explicit BalancedUndersampler(std::vector<int64_t> labels) : labels_(std::move(labels)) {}
  std::vector<int64_t> order(int64_t dataset_size, uint64_t seed, int64_t epoch) const override;
 private:
  std::vector<int64_t> labels_;
};

// ---- transforms on a batch [B, C, H, W] (or [B, F]); `keys` holds one random key per sample
class Transform {
 public:
  virtual ~Transform() = default;
  virtual Tensor apply(const Tensor& batch, const std::vector<uint64_t>& keys) const = 0;
};
using TransformPtr = std::shared_ptr<const Transform>;

// (x − mean[c]) / std[c] per channel (dim 1); one value each applies to every channel.
TransformPtr normalize(std::vector<double> mean, std::vector<double> std);
TransformPtr standardize();    // per sample: zero mean, unit variance
TransformPtr min_max_scale();  // per sample: to [0, 1]
TransformPtr random_crop(int64_t size, int64_t padding);  // zero-pad, then crop size×size at a random place
TransformPtr random_horizontal_flip(double p = 0.5);
// torchvision's RandomErasing: with probability p, up to 10 tries at a rectangle whose area is a uniform
// `scale` fraction of the image and whose aspect ratio (height / width) is log-uniform in `ratio`; the first
// that fits (height < H and width < W, after rounding) is set to `value` in every channel at a uniformly
// drawn place. When no try fits the image is left as it is.
TransformPtr random_erasing(double p = 0.5, std::pair<double, double> scale = {0.02, 0.33},
                            std::pair<double, double> ratio = {0.3, 3.3}, double value = 0);
TransformPtr gaussian_noise(double std);
TransformPtr compose(std::vector<TransformPtr> transforms);

// The key of sample `index` in `epoch`: the Philox block of (seed, epoch, index).
uint64_t sample_key(uint64_t seed, int64_t epoch, int64_t index);

// ---- the loader
struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;
  uint64_t seed = 0;
  int64_t prefetch = 2;  // batches prepared ahead by a background thread; 0: none, on the caller's thread
  std::shared_ptr<const Sampler> sampler = nullptr;  // the visiting order; default: by `shuffle`
  TransformPtr transform = nullptr;                  // applied to each batch (augmentation, normalisation)
};

class DataLoader {
 public:
  DataLoader(DatasetPtr dataset, LoaderOptions options);
  int64_t batches_per_epoch() const;
  int64_t examples_per_epoch() const;
  const Dataset& dataset() const { return *dataset_; }

  // One pass over the data. Batches come out in order; `first_batch` skips ahead (resuming mid-epoch).
  class Epoch {
   public:
    Epoch(const DataLoader& loader, int64_t epoch, int64_t first_batch);
    ~Epoch();
    Epoch(const Epoch&) = delete;
    Epoch& operator=(const Epoch&) = delete;
    std::optional<Batch> next();  // empty at the end of the epoch; rethrows a loading error

    // Walks an epoch's batches with next(); for range-for, see DataLoader::batches.
    class Iterator {
     public:
      using value_type = Batch;
      using difference_type = std::ptrdiff_t;
      Iterator() = default;  // the end
      explicit Iterator(Epoch* epoch) : epoch_(epoch) { ++*this; }
      Batch& operator*() { return *batch_; }
      Batch* operator->() { return &*batch_; }
      Iterator& operator++() {
        batch_ = epoch_->next();
        if (!batch_) epoch_ = nullptr;
        return *this;
      }
      void operator++(int) { ++*this; }
      bool operator==(const Iterator& other) const { return epoch_ == other.epoch_; }

     private:
      Epoch* epoch_ = nullptr;
      std::optional<Batch> batch_;
    };

   private:
    Batch make(int64_t batch) const;
    void produce();
    const DataLoader& loader_;
    int64_t epoch_, next_batch_, batch_count_;
    std::vector<int64_t> order_;
    std::thread worker_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Batch> ready_;
    std::exception_ptr error_;
    bool stop_ = false, done_ = false;
  };
  std::unique_ptr<Epoch> epoch(int64_t epoch, int64_t first_batch = 0) const;

  // Range-for over one epoch: `for (data::Batch& batch : loader.batches(3)) …`. The range owns the epoch
  // (a range-for over `*loader.epoch(3)` would not keep the temporary alive in C++20).
  class EpochRange {
   public:
    explicit EpochRange(std::unique_ptr<Epoch> epoch) : epoch_(std::move(epoch)) {}
    Epoch::Iterator begin() { return Epoch::Iterator(epoch_.get()); }
    Epoch::Iterator end() { return Epoch::Iterator(); }

   private:
    std::unique_ptr<Epoch> epoch_;
  };
  EpochRange batches(int64_t epoch, int64_t first_batch = 0) const { return EpochRange(this->epoch(epoch, first_batch)); }

  // Range-for over the next epoch, as LibTorch's `for (auto& batch : *loader)`: each loop over the loader
  // is one more epoch (0, 1, 2, …), with that epoch's keyed order and augmentation.
  class EpochIterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    EpochIterator() = default;
    explicit EpochIterator(std::shared_ptr<Epoch> epoch) : epoch_(std::move(epoch)), at_(epoch_.get()) {}
    Batch& operator*() { return *at_; }
    Batch* operator->() { return &*at_; }
    EpochIterator& operator++() {
      ++at_;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const EpochIterator& other) const { return at_ == other.at_; }

   private:
    std::shared_ptr<Epoch> epoch_;  // kept alive while the loop runs
    Epoch::Iterator at_;
  };
  EpochIterator begin() const;
  EpochIterator end() const { return EpochIterator(); }

 private:
  DatasetPtr dataset_;
  LoaderOptions options_;
  mutable int64_t next_epoch_ = 0;  // advanced by each range-for over the loader
};

}  // namespace nabla::data
