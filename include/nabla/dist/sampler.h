#pragma once
// DistributedSampler: each rank visits its own shard of every epoch's order. Every rank computes the same
// order (the base sampler keyed by the loader's seed and the epoch), makes its length a multiple of the world
// size — by padding with its first examples again, or by dropping its last ones, as asked — and keeps the
// positions rank, rank + world_size, … . So with a local batch b = B / world_size, the ranks' k-th batches
// together hold exactly the k-th global batch of size B of a single process visiting the same order.
#include <memory>

#include "nabla/data/loader.h"

namespace nabla::dist {

// pad: every shard has ceil(n / world) examples, the last ones visited twice; drop: floor(n / world), the
// last examples unvisited; keep: every example once, shards differing by one (for evaluation, where no
// collective runs per batch and each example must count exactly once).
enum class Remainder { pad, drop, keep };

struct DistributedSamplerOptions {
  bool shuffle = true;                     // base order: RandomSampler, else SequentialSampler
  Remainder remainder = Remainder::pad;    // when the data set does not divide by the world size
  std::shared_ptr<const data::Sampler> base = nullptr;  // a custom base order (overrides shuffle)
};

class DistributedSampler : public data::Sampler {
 public:
  DistributedSampler(int rank, int world_size, DistributedSamplerOptions options = {});
  std::vector<int64_t> order(int64_t dataset_size, uint64_t seed, int64_t epoch) const override;
  // The examples each rank visits per epoch.
  int64_t shard_size(int64_t dataset_size) const;

 private:
  int rank_, world_size_;
  DistributedSamplerOptions options_;
  std::shared_ptr<const data::Sampler> base_;
};

}  // namespace nabla::dist
