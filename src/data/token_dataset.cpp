#include "nabla/data/token_dataset.h"

#include <numeric>

#include "nabla/factory.h"
#include "nabla/ops.h"
#include "nabla/random.h"

namespace nabla::data {
namespace {

// The buffer positions start + shift + j (j < T) of every start, flattened: one index_select gathers a batch.
Tensor positions(const std::vector<int64_t>& starts, int64_t context, int64_t shift) {
  Tensor index = empty({static_cast<int64_t>(starts.size()) * context}, DType::i64);
  int64_t* out = index.data<int64_t>();
  for (int64_t start : starts) {
    for (int64_t j = 0; j < context; ++j) *out++ = start + shift + j;
  }
  return index;
}

}  // namespace

TokenDataset::TokenDataset(Tensor tokens, int64_t context) : tokens_(std::move(tokens)), context_(context) {
  NABLA_CHECK(tokens_.dim() == 1 && tokens_.dtype() == DType::i64,
              "TokenDataset: tokens must be one int64 buffer [N], got {}", tokens_.describe());
  NABLA_CHECK(context_ >= 1, "TokenDataset: the context must be at least 1 token, got {}", context_);
  NABLA_CHECK(tokens_.numel() >= context_ + 1,
              "TokenDataset: {} tokens are too few for one window of {} and its next token; use a shorter context "
              "or more text", tokens_.numel(), context_);
  if (!tokens_.is_contiguous()) tokens_ = tokens_.contiguous();
}

Batch TokenDataset::get_batch(const std::vector<int64_t>& indices) const {
  for (int64_t start : indices) {
    NABLA_CHECK(start >= 0 && start < size(), "TokenDataset: window {} is out of range [0, {})", start, size());
  }
  const auto batch = static_cast<int64_t>(indices.size());
  return {index_select(tokens_, 0, positions(indices, context_, 0)).view({batch, context_}),
          index_select(tokens_, 0, positions(indices, context_, 1)).view({batch, context_})};
}

Batch TokenDataset::window(int64_t start) const {
  NABLA_CHECK(start >= 0 && start < size(), "TokenDataset: window {} is out of range [0, {})", start, size());
  return {tokens_.narrow(0, start, context_), tokens_.narrow(0, start + 1, context_)};
}

RandomWindowSampler::RandomWindowSampler(int64_t context) : context_(context) {
  NABLA_CHECK(context >= 1, "RandomWindowSampler: the context must be at least 1, got {}", context);
}

std::vector<int64_t> RandomWindowSampler::order(int64_t dataset_size, uint64_t seed, int64_t epoch) const {
  NABLA_CHECK(dataset_size >= 1, "RandomWindowSampler: no windows to sample");
  // Every offset up to the largest must leave as many windows: count them at the largest offset.
  const int64_t largest_offset = std::min(context_ - 1, dataset_size - 1);
  const int64_t count = (dataset_size - 1 - largest_offset) / context_ + 1;
  Generator generator(seed ^ (0xD1B54A32D192ED03ull * static_cast<uint64_t>(epoch + 1)));
  const auto block = philox(generator.seed(), generator.reserve(1));
  const int64_t offset = static_cast<int64_t>(block[0] % static_cast<uint64_t>(largest_offset + 1));
  const std::vector<double> shuffled = randperm(count, {}, &generator).to_vector();
  std::vector<int64_t> starts;
  starts.reserve(shuffled.size());
  for (double k : shuffled) starts.push_back(offset + static_cast<int64_t>(k) * context_);
  return starts;
}

SequentialWindowSampler::SequentialWindowSampler(int64_t context) : context_(context) {
  NABLA_CHECK(context >= 1, "SequentialWindowSampler: the context must be at least 1, got {}", context);
}

std::vector<int64_t> SequentialWindowSampler::order(int64_t dataset_size, uint64_t, int64_t) const {
  std::vector<int64_t> starts;
  for (int64_t start = 0; start < dataset_size; start += context_) starts.push_back(start);
  return starts;
}

}  // namespace nabla::data
