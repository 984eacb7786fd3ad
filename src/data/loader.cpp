#include "nabla/data/loader.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::data {
namespace {

std::vector<int64_t> permutation(int64_t count, uint64_t seed, int64_t epoch) {
  Generator generator(seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(epoch + 1)));
  std::vector<double> order = randperm(count, {}, &generator).to_vector();
  return {order.begin(), order.end()};
}

// Uniform numbers in [0, 1) for one sample, from its key: element i of the sample's own Philox stream.
struct SampleRandom {
  uint64_t key;
  uint64_t counter = 0;
  double uniform() {
    auto block = philox(key, counter++);
    return uniform_double(block[0], block[1]);
  }
  double normal() {
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }
};

// Calls fn(sample_index, pointer to the sample's data, random source) on a float32 contiguous copy.
template <typename Function>
Tensor per_sample(const Tensor& batch, const std::vector<uint64_t>& keys, Function&& function) {
  NABLA_CHECK(static_cast<int64_t>(keys.size()) == batch.size(0), "transform: {} keys for a batch of {}", keys.size(),
              batch.size(0));
  Tensor result = batch.to(DType::f32).contiguous().clone();
  int64_t sample_size = result.numel() / std::max<int64_t>(result.size(0), 1);
  float* data = result.data<float>();
  for (int64_t i = 0; i < result.size(0); ++i) {
    SampleRandom random{keys[static_cast<size_t>(i)]};
    function(i, data + i * sample_size, random);
  }
  return result;
}

struct Image {
  int64_t channels, height, width;
};
Image image_of(const Tensor& batch, const char* name) {
  NABLA_CHECK(batch.dim() == 4, "{}: expects images [B, C, H, W], got {}", name, batch.describe());
  return {batch.size(1), batch.size(2), batch.size(3)};
}

class FunctionTransform : public Transform {
 public:
  explicit FunctionTransform(std::function<Tensor(const Tensor&, const std::vector<uint64_t>&)> function)
      : function_(std::move(function)) {}
  Tensor apply(const Tensor& batch, const std::vector<uint64_t>& keys) const override { return function_(batch, keys); }

 private:
  std::function<Tensor(const Tensor&, const std::vector<uint64_t>&)> function_;
};

TransformPtr make(std::function<Tensor(const Tensor&, const std::vector<uint64_t>&)> function) {
  return std::make_shared<FunctionTransform>(std::move(function));
}

}  // namespace

uint64_t sample_key(uint64_t seed, int64_t epoch, int64_t index) {
  auto block = philox(seed, (static_cast<uint64_t>(epoch) << 40) ^ static_cast<uint64_t>(index));
  return (static_cast<uint64_t>(block[0]) << 32) | block[1];
}

// ---- samplers
std::vector<int64_t> SequentialSampler::order(int64_t dataset_size, uint64_t, int64_t) const {
  std::vector<int64_t> result(static_cast<size_t>(dataset_size));
  std::iota(result.begin(), result.end(), 0);
  return result;
}

std::vector<int64_t> RandomSampler::order(int64_t dataset_size, uint64_t seed, int64_t epoch) const {
  return permutation(dataset_size, seed, epoch);
}

WeightedSampler::WeightedSampler(std::vector<double> weights, int64_t count) : count_(count) {
  NABLA_CHECK(!weights.empty(), "WeightedSampler: no weights");
  double total = 0;
  for (double weight : weights) {
    NABLA_CHECK(std::isfinite(weight) && weight >= 0, "WeightedSampler: weights must be finite and non-negative, got {}",
                weight);
    total += weight;
    cumulative_.push_back(total);
  }
  NABLA_CHECK(total > 0, "WeightedSampler: the weights sum to zero");
}

std::shared_ptr<WeightedSampler> WeightedSampler::balancing(const std::vector<int64_t>& labels) {
  std::map<int64_t, int64_t> counts;
  for (int64_t label : labels) ++counts[label];
  std::vector<double> weights;
  for (int64_t label : labels) weights.push_back(1.0 / static_cast<double>(counts[label]));
  return std::make_shared<WeightedSampler>(weights);
}

std::vector<int64_t> WeightedSampler::order(int64_t dataset_size, uint64_t seed, int64_t epoch) const {
  NABLA_CHECK(static_cast<int64_t>(cumulative_.size()) == dataset_size,
              "WeightedSampler: {} weights for a data set of {}", cumulative_.size(), dataset_size);
  int64_t count = count_ > 0 ? count_ : dataset_size;
  SampleRandom random{sample_key(seed, epoch, -1)};
  std::vector<int64_t> result;
  for (int64_t i = 0; i < count; ++i) {
    double target = random.uniform() * cumulative_.back();
    result.push_back(std::upper_bound(cumulative_.begin(), cumulative_.end(), target) - cumulative_.begin());
  }
  return result;
}

std::vector<int64_t> BalancedUndersampler::order(int64_t dataset_size, uint64_t seed, int64_t epoch) const {
  NABLA_CHECK(static_cast<int64_t>(labels_.size()) == dataset_size, "BalancedUndersampler: {} labels for a data set of {}",
              labels_.size(), dataset_size);
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (int64_t index : permutation(dataset_size, seed, epoch)) by_class[labels_[static_cast<size_t>(index)]].push_back(index);
  size_t smallest = SIZE_MAX;
  for (auto& [label, members] : by_class) smallest = std::min(smallest, members.size());
  std::vector<int64_t> kept;
  for (auto& [label, members] : by_class) kept.insert(kept.end(), members.begin(), members.begin() + static_cast<std::ptrdiff_t>(smallest));
  std::vector<int64_t> mixed = permutation(static_cast<int64_t>(kept.size()), seed + 1, epoch), result;
  for (int64_t position : mixed) result.push_back(kept[static_cast<size_t>(position)]);
  return result;
}

// ---- transforms
TransformPtr normalize(std::vector<double> mean, std::vector<double> std) {
  NABLA_CHECK(mean.size() == std.size() && !mean.empty(), "normalize: mean and std need the same, non-zero length");
  for (double s : std) NABLA_CHECK(s > 0, "normalize: std must be positive, got {}", s);
  return make([mean, std](const Tensor& batch, const std::vector<uint64_t>&) {
    NABLA_CHECK(mean.size() == 1 || (batch.dim() >= 2 && batch.size(1) == static_cast<int64_t>(mean.size())),
                "normalize: {} channel statistics for a batch {}", mean.size(), batch.describe());
    Shape shape(static_cast<size_t>(batch.dim()), 1);
    if (mean.size() > 1) shape[1] = static_cast<int64_t>(mean.size());
    Tensor m = from_vector(mean, shape), s = from_vector(std, shape);
    return (batch - m) / s;
  });
}

TransformPtr standardize() {
  return make([](const Tensor& batch, const std::vector<uint64_t>&) {
    std::vector<int64_t> dims;
    for (int64_t d = 1; d < batch.dim(); ++d) dims.push_back(d);
    Tensor centered = batch - mean(batch, dims, true);
    return centered / (sqrt(mean(centered * centered, dims, true)) + 1e-8);
  });
}

TransformPtr min_max_scale() {
  return make([](const Tensor& batch, const std::vector<uint64_t>& keys) {
    return per_sample(batch, keys, [&](int64_t, float* sample, SampleRandom&) {
      int64_t size = batch.numel() / batch.size(0);
      auto [low, high] = std::minmax_element(sample, sample + size);
      float lowest = *low, range = *high - *low;
      for (int64_t i = 0; i < size; ++i) sample[i] = range > 0 ? (sample[i] - lowest) / range : 0.0f;
    });
  });
}

TransformPtr random_crop(int64_t size, int64_t padding) {
  NABLA_CHECK(size > 0 && padding >= 0, "random_crop: size must be positive and padding non-negative");
  return make([size, padding](const Tensor& batch, const std::vector<uint64_t>& keys) {
    Image image = image_of(batch, "random_crop");
    NABLA_CHECK(size <= image.height + 2 * padding && size <= image.width + 2 * padding,
                "random_crop: a {}x{} crop does not fit images {} padded by {}", size, size, batch.describe(), padding);
    Tensor source = batch.to(DType::f32).contiguous();
    Tensor result = zeros({batch.size(0), image.channels, size, size});
    const float* in = source.data<float>();
    float* out = result.data<float>();
    for (int64_t b = 0; b < batch.size(0); ++b) {
      SampleRandom random{keys[static_cast<size_t>(b)]};
      int64_t top = static_cast<int64_t>(random.uniform() * static_cast<double>(image.height + 2 * padding - size + 1));
      int64_t left = static_cast<int64_t>(random.uniform() * static_cast<double>(image.width + 2 * padding - size + 1));
      for (int64_t c = 0; c < image.channels; ++c) {
        for (int64_t y = 0; y < size; ++y) {
          int64_t source_y = top + y - padding;
          if (source_y < 0 || source_y >= image.height) continue;
          for (int64_t x = 0; x < size; ++x) {
            int64_t source_x = left + x - padding;
            if (source_x < 0 || source_x >= image.width) continue;
            out[((b * image.channels + c) * size + y) * size + x] =
                in[((b * image.channels + c) * image.height + source_y) * image.width + source_x];
          }
        }
      }
    }
    return result;
  });
}

TransformPtr random_horizontal_flip(double p) {
  NABLA_CHECK(p >= 0 && p <= 1, "random_horizontal_flip: p must be in [0, 1], got {}", p);
  return make([p](const Tensor& batch, const std::vector<uint64_t>& keys) {
    Image image = image_of(batch, "random_horizontal_flip");
    return per_sample(batch, keys, [&](int64_t, float* sample, SampleRandom& random) {
      if (random.uniform() >= p) return;
      for (int64_t row = 0; row < image.channels * image.height; ++row) {
        std::reverse(sample + row * image.width, sample + (row + 1) * image.width);
      }
    });
  });
}

TransformPtr random_erasing(double p, std::pair<double, double> scale, std::pair<double, double> ratio, double value) {
  NABLA_CHECK(p >= 0 && p <= 1, "random_erasing: p must be in [0, 1], got {}", p);
  NABLA_CHECK(scale.first >= 0 && scale.first <= scale.second && scale.second <= 1,
              "random_erasing: scale must be (low, high) with 0 <= low <= high <= 1, got ({}, {})", scale.first, scale.second);
  NABLA_CHECK(ratio.first > 0 && ratio.first <= ratio.second && std::isfinite(ratio.second),
              "random_erasing: ratio must be (low, high) with 0 < low <= high, got ({}, {})", ratio.first, ratio.second);
  NABLA_CHECK(std::isfinite(value), "random_erasing: value must be finite, got {}", value);
  const double log_low = std::log(ratio.first), log_high = std::log(ratio.second);
  return make([=](const Tensor& batch, const std::vector<uint64_t>& keys) {
    Image image = image_of(batch, "random_erasing");
    const double image_area = static_cast<double>(image.height * image.width);
    return per_sample(batch, keys, [&](int64_t, float* sample, SampleRandom& random) {
      if (random.uniform() >= p) return;
      for (int attempt = 0; attempt < 10; ++attempt) {
        const double area = image_area * (scale.first + random.uniform() * (scale.second - scale.first));
        const double aspect = std::exp(log_low + random.uniform() * (log_high - log_low));
        // nearbyint rounds halves to even, as Python's round() in torchvision.
        const auto height = static_cast<int64_t>(std::nearbyint(std::sqrt(area * aspect)));
        const auto width = static_cast<int64_t>(std::nearbyint(std::sqrt(area / aspect)));
        if (height >= image.height || width >= image.width) continue;
        const auto top = static_cast<int64_t>(random.uniform() * static_cast<double>(image.height - height + 1));
        const auto left = static_cast<int64_t>(random.uniform() * static_cast<double>(image.width - width + 1));
        for (int64_t c = 0; c < image.channels; ++c) {
          for (int64_t y = top; y < top + height; ++y) {
            std::fill_n(sample + (c * image.height + y) * image.width + left, width, static_cast<float>(value));
          }
        }
        return;
      }
    });
  });
}

TransformPtr gaussian_noise(double std) {
  NABLA_CHECK(std >= 0, "gaussian_noise: std must be non-negative, got {}", std);
  return make([std](const Tensor& batch, const std::vector<uint64_t>& keys) {
    int64_t size = batch.numel() / std::max<int64_t>(batch.size(0), 1);
    return per_sample(batch, keys, [&](int64_t, float* sample, SampleRandom& random) {
      for (int64_t i = 0; i < size; ++i) sample[i] += static_cast<float>(std * random.normal());
    });
  });
}

TransformPtr compose(std::vector<TransformPtr> transforms) {
  return make([transforms](const Tensor& batch, const std::vector<uint64_t>& keys) {
    Tensor result = batch;
    std::vector<uint64_t> stage_keys = keys;
    for (const TransformPtr& transform : transforms) {
      result = transform->apply(result, stage_keys);
      for (uint64_t& key : stage_keys) key = key * 6364136223846793005ull + 1442695040888963407ull;  // a new key per stage
    }
    return result;
  });
}

// ---- the loader
DataLoader::DataLoader(DatasetPtr dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  NABLA_CHECK(dataset_ != nullptr, "DataLoader: no data set");
  NABLA_CHECK(options_.batch_size > 0, "DataLoader: batch_size must be positive, got {}", options_.batch_size);
  NABLA_CHECK(options_.prefetch >= 0, "DataLoader: prefetch must be non-negative, got {}", options_.prefetch);
  if (!options_.sampler) {
    if (options_.shuffle) options_.sampler = std::make_shared<RandomSampler>();
    else options_.sampler = std::make_shared<SequentialSampler>();
  }
}

DataLoader::EpochIterator DataLoader::begin() const {
  return EpochIterator(std::shared_ptr<Epoch>(epoch(next_epoch_++).release()));
}

int64_t DataLoader::examples_per_epoch() const {
  return static_cast<int64_t>(options_.sampler->order(dataset_->size(), options_.seed, 0).size());
}

int64_t DataLoader::batches_per_epoch() const {
  int64_t examples = examples_per_epoch();
  return options_.drop_last ? examples / options_.batch_size : (examples + options_.batch_size - 1) / options_.batch_size;
}

std::unique_ptr<DataLoader::Epoch> DataLoader::epoch(int64_t epoch, int64_t first_batch) const {
  return std::make_unique<Epoch>(*this, epoch, first_batch);
}

DataLoader::Epoch::Epoch(const DataLoader& loader, int64_t epoch, int64_t first_batch)
    : loader_(loader), epoch_(epoch), next_batch_(first_batch) {
  order_ = loader.options_.sampler->order(loader.dataset_->size(), loader.options_.seed, epoch);
  int64_t examples = static_cast<int64_t>(order_.size()), size = loader.options_.batch_size;
  batch_count_ = loader.options_.drop_last ? examples / size : (examples + size - 1) / size;
  NABLA_CHECK(first_batch >= 0 && first_batch <= batch_count_, "DataLoader: can't start at batch {} of {}", first_batch,
              batch_count_);
  if (loader.options_.prefetch > 0) worker_ = std::thread([this] { produce(); });
}

DataLoader::Epoch::~Epoch() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Batch DataLoader::Epoch::make(int64_t batch) const {
  int64_t size = loader_.options_.batch_size;
  auto begin = order_.begin() + batch * size;
  auto end = order_.begin() + std::min<int64_t>((batch + 1) * size, static_cast<int64_t>(order_.size()));
  std::vector<int64_t> indices(begin, end);
  Batch result = loader_.dataset_->get_batch(indices);
  if (loader_.options_.transform) {
    std::vector<uint64_t> keys;
    for (int64_t index : indices) keys.push_back(sample_key(loader_.options_.seed, epoch_, index));
    result.inputs = loader_.options_.transform->apply(result.inputs, keys);
  }
  return result;
}

void DataLoader::Epoch::produce() {
  // The loader thread must not start OpenMP teams of its own: they would compete with the training
  // step's for the same cores.
  omp_set_num_threads(1);
  try {
    for (int64_t batch = next_batch_; batch < batch_count_; ++batch) {
      Batch made = make(batch);
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || static_cast<int64_t>(ready_.size()) < loader_.options_.prefetch; });
      if (stop_) return;
      ready_.push_back(std::move(made));
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  done_ = true;
  changed_.notify_all();
}

std::optional<Batch> DataLoader::Epoch::next() {
  if (!worker_.joinable()) {
    if (next_batch_ >= batch_count_) return std::nullopt;
    return make(next_batch_++);
  }
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || done_; });
  if (!ready_.empty()) {
    Batch batch = std::move(ready_.front());
    ready_.pop_front();
    ++next_batch_;
    changed_.notify_all();
    return batch;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

}  // namespace nabla::data
