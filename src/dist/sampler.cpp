#include "nabla/dist/sampler.h"

#include "nabla/error.h"

namespace nabla::dist {

DistributedSampler::DistributedSampler(int rank, int world_size, DistributedSamplerOptions options)
    : rank_(rank), world_size_(world_size), options_(std::move(options)) {
  NABLA_CHECK(world_size_ >= 1 && rank_ >= 0 && rank_ < world_size_,
              "DistributedSampler: rank {} is not in a world of {}", rank_, world_size_);
  base_ = options_.base;
  if (!base_) {
    if (options_.shuffle) {
      base_ = std::make_shared<data::RandomSampler>();
    } else {
      base_ = std::make_shared<data::SequentialSampler>();
    }
  }
}

int64_t DistributedSampler::shard_size(int64_t dataset_size) const {
  if (options_.remainder == Remainder::drop) return dataset_size / world_size_;
  if (options_.remainder == Remainder::keep) return (dataset_size - rank_ + world_size_ - 1) / world_size_;
  return (dataset_size + world_size_ - 1) / world_size_;
}

std::vector<int64_t> DistributedSampler::order(int64_t dataset_size, uint64_t seed, int64_t epoch) const {
  std::vector<int64_t> full = base_->order(dataset_size, seed, epoch);
  NABLA_CHECK(!full.empty() || dataset_size == 0, "DistributedSampler: the base sampler gave an empty order");
  const int64_t length = static_cast<int64_t>(full.size());
  const int64_t kept = options_.remainder == Remainder::drop   ? length / world_size_ * world_size_
                       : options_.remainder == Remainder::keep ? length
                                                               : (length + world_size_ - 1) / world_size_ * world_size_;
  std::vector<int64_t> shard;
  shard.reserve(static_cast<size_t>(kept / world_size_));
  for (int64_t position = rank_; position < kept; position += world_size_) {
    shard.push_back(full[static_cast<size_t>(position % length)]);  // past the end: padding from the start
  }
  return shard;
}

}  // namespace nabla::dist
