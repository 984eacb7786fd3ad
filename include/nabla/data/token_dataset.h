#pragma once
// A language model's data: one int64 buffer of token ids (documents joined by the end-of-text token) from
// which (B, T) input windows and their targets — the same windows shifted by one token — are served.
//
// Example i of the data set is the window starting at token i, so the data set's size is the number of start
// positions (tokens − T). A window is a view of the buffer (window() shares its storage: nothing is copied per
// sample); a batch gathers its windows with one index_select for inputs and one for targets. Which windows an
// epoch visits is the sampler's business: RandomWindowSampler for training, SequentialWindowSampler for
// validation.
#include <cstdint>

#include "nabla/data/dataset.h"
#include "nabla/data/loader.h"

namespace nabla::data {

class TokenDataset : public Dataset {
 public:
  // tokens: int64 [N] with N ≥ context + 1 (one window and its last target).
  TokenDataset(Tensor tokens, int64_t context);
  int64_t size() const override { return tokens_.numel() - context_; }
  // inputs [B, T] = tokens[s, s+T) and targets [B, T] = tokens[s+1, s+T+1) for each start s in `indices`.
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  // The window at `start` as views of the buffer (inputs [T], targets [T]), sharing its storage.
  Batch window(int64_t start) const;
  int64_t context() const { return context_; }
  const Tensor& tokens() const { return tokens_; }

 private:
  Tensor tokens_;
  int64_t context_;
};

// Training: every epoch, non-overlapping windows (starts offset + k·T) in a random order, the offset in [0, T)
// drawn anew each epoch, so across epochs the model sees every position at every place in its window. The
// number of windows is the same in every epoch (about tokens / T), and all is keyed by (seed, epoch).
class RandomWindowSampler : public Sampler {
 public:
  explicit RandomWindowSampler(int64_t context);
  std::vector<int64_t> order(int64_t dataset_size, uint64_t seed, int64_t epoch) const override;

 private:
  int64_t context_;
};

// Validation: the windows at 0, T, 2T, … in order — each token predicted once (the last < T tokens are not).
class SequentialWindowSampler : public Sampler {
 public:
  explicit SequentialWindowSampler(int64_t context);
  std::vector<int64_t> order(int64_t dataset_size, uint64_t seed, int64_t epoch) const override;

 private:
  int64_t context_;
};

}  // namespace nabla::data
