// The token dataset: windows are views of the one buffer, batches are inputs and their targets shifted by
// one, training epochs visit non-overlapping windows in a seeded order, and an epoch allocates nothing that
// stays.
#include <gtest/gtest.h>

#include <set>

#include "nabla/allocator.h"
#include "nabla/data/token_dataset.h"
#include "nabla/error.h"
#include "nabla/factory.h"

namespace nabla::data {
namespace {

Tensor counting_tokens(int64_t count) { return arange(0, static_cast<double>(count), 1, DType::i64); }

TEST(TokenDataset, AWindowIsAViewOfTheBufferAndItsTargetsAreShiftedByOne) {
  const Tensor tokens = counting_tokens(50);
  TokenDataset dataset(tokens, 8);
  EXPECT_EQ(dataset.size(), 42);
  const Batch window = dataset.window(5);
  EXPECT_EQ(window.inputs.storage(), tokens.storage());
  EXPECT_EQ(window.targets.storage(), tokens.storage());
  EXPECT_EQ(window.inputs.to_vector(), std::vector<double>({5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(window.targets.to_vector(), std::vector<double>({6, 7, 8, 9, 10, 11, 12, 13}));
}

TEST(TokenDataset, ABatchHoldsTheWindowsOfItsStarts) {
  TokenDataset dataset(counting_tokens(30), 4);
  EXPECT_EQ(dataset.size(), 26);
  const Batch batch = dataset.get_batch({0, 25, 3});  // 25: the last window, whose last target is token 29
  EXPECT_EQ(batch.inputs.shape(), (Shape{3, 4}));
  EXPECT_EQ(batch.targets.shape(), (Shape{3, 4}));
  EXPECT_EQ(batch.inputs.to_vector(), std::vector<double>({0, 1, 2, 3, 25, 26, 27, 28, 3, 4, 5, 6}));
  EXPECT_EQ(batch.targets.to_vector(), std::vector<double>({1, 2, 3, 4, 26, 27, 28, 29, 4, 5, 6, 7}));
  EXPECT_THROW(dataset.get_batch({26}), Error);  // its last target would be past the buffer
}

TEST(TokenDataset, RefusesTooFewTokensAndOtherDtypes) {
  EXPECT_THROW(TokenDataset(counting_tokens(8), 8), Error);
  EXPECT_THROW(TokenDataset(zeros({20}), 4), Error);
}

TEST(RandomWindowSampler, VisitsNonOverlappingWindowsInASeededOrderWithAnOffsetPerEpoch) {
  const int64_t context = 10, tokens = 1001;
  TokenDataset dataset(counting_tokens(tokens), context);
  RandomWindowSampler sampler(context);
  std::set<int64_t> offsets;
  size_t count = 0;
  for (int64_t epoch = 0; epoch < 8; ++epoch) {
    const std::vector<int64_t> starts = sampler.order(dataset.size(), 3, epoch);
    if (epoch == 0) count = starts.size();
    EXPECT_EQ(starts.size(), count) << "every epoch has as many windows";
    EXPECT_GE(count, static_cast<size_t>(tokens / context - 1));
    std::set<int64_t> distinct(starts.begin(), starts.end());
    EXPECT_EQ(distinct.size(), starts.size());
    for (int64_t start : starts) {
      EXPECT_EQ(start % context, starts[0] % context) << "windows do not overlap";
      EXPECT_LT(start, dataset.size());
    }
    EXPECT_FALSE(std::is_sorted(starts.begin(), starts.end()));
    EXPECT_EQ(sampler.order(dataset.size(), 3, epoch), starts) << "keyed by (seed, epoch)";
    offsets.insert(starts[0] % context);
  }
  EXPECT_GT(offsets.size(), 1u) << "the offset changes between epochs";
}

TEST(SequentialWindowSampler, StepsByTheContext) {
  SequentialWindowSampler sampler(4);
  EXPECT_EQ(sampler.order(13, 0, 0), std::vector<int64_t>({0, 4, 8, 12}));
}

// Batches gather into fresh tensors that die with the batch: after an epoch, the allocator holds no more bytes
// than before it, and the buffer is not copied (its storage is the one the loader's batches came from).
TEST(TokenDataset, AnEpochLeavesNoMemoryBehind) {
  const int64_t context = 16;
  auto dataset = std::make_shared<TokenDataset>(counting_tokens(20000), context);
  DataLoader loader(dataset, {.batch_size = 32, .seed = 1, .prefetch = 0,
                              .sampler = std::make_shared<RandomWindowSampler>(context)});
  auto run_epoch = [&](int64_t epoch) {
    int64_t windows = 0;
    for (Batch& batch : loader.batches(epoch)) {
      EXPECT_EQ(batch.inputs.size(1), context);
      windows += batch.inputs.size(0);
    }
    return windows;
  };
  run_epoch(0);
  const int64_t before = memory::stats().allocated;
  EXPECT_EQ(run_epoch(1), loader.examples_per_epoch());
  EXPECT_EQ(run_epoch(2), loader.examples_per_epoch());
  EXPECT_EQ(memory::stats().allocated, before);
}

}  // namespace
}  // namespace nabla::data
