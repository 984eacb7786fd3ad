// ZeRO-1: sharding Adam's state over 2 ranks trains exactly as every rank keeping all of it, and each rank
// keeps only its share of the state (here uneven: whole parameters are dealt, and the first layer is most of it).
#include <gtest/gtest.h>

#include "nabla/dist/data_parallel.h"
#include "nabla/dist/sampler.h"
#include "nabla/dist/zero.h"
#include "nabla/factory.h"
#include "nabla/models/registry.h"
#include "nabla/ops.h"
#include "nabla/random.h"
#include "tests/dist/dist_test_support.h"

namespace nabla::dist {
namespace {

constexpr int64_t examples = 64, global_batch = 16, steps = 20;

// Trains a data-parallel MLP with Adam for `steps` steps; `sharded` puts Adam inside ZeRO-1. Returns the
// parameters and this rank's optimizer state bytes.
std::pair<std::vector<Tensor>, int64_t> train(const ProcessGroupPtr& group, bool sharded) {
  manual_seed(8);
  Tensor images = randn({examples, 1, 28, 28});
  Tensor labels = randint(0, 10, {examples});
  nn::ModulePtr inner = models::registry().make("mlp", {.overrides = {{"hidden", {32, 16}}}});
  auto model = std::make_shared<DistributedDataParallel>(inner, group);
  auto adam = [](std::vector<Tensor> parameters) {
    return std::make_shared<optim::Adam>(parameters, optim::AdamOptions{.lr = 1e-2});
  };
  std::unique_ptr<ZeroRedundancyOptimizer> zero;
  std::shared_ptr<optim::Optimizer> plain;
  if (sharded) zero = std::make_unique<ZeroRedundancyOptimizer>(inner->parameters(), group, adam);
  else plain = adam(inner->parameters());
  DistributedSampler sampler(group->rank(), group->world_size());
  const int64_t local_batch = global_batch / group->world_size();
  for (int64_t step = 0; step < steps; ++step) {
    std::vector<int64_t> order = sampler.order(examples, 1, step * global_batch / examples);
    const int64_t first = step * local_batch % static_cast<int64_t>(order.size());
    Tensor rows = from_vector(std::vector<double>(order.begin() + first, order.begin() + first + local_batch),
                              {local_batch}, DType::i64);
    sharded ? zero->zero_grad() : plain->zero_grad();
    cross_entropy((*model)(index_select(images, 0, rows)), index_select(labels, 0, rows)).backward();
    sharded ? zero->step() : plain->step();
  }
  std::vector<Tensor> parameters;
  for (const Tensor& parameter : inner->parameters()) parameters.push_back(parameter.detach().clone());
  return {parameters, sharded ? zero->state_bytes() : optimizer_state_bytes(*plain)};
}

TEST(Zero, ShardedAdamTrainsAsFullAdamAndEachRankHoldsOnlyItsShareOfTheState) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  auto [full_parameters, full_bytes] = train(group, false);
  auto [sharded_parameters, sharded_bytes] = train(group, true);
  ASSERT_EQ(full_parameters.size(), sharded_parameters.size());
  for (size_t i = 0; i < full_parameters.size(); ++i) {
    EXPECT_EQ(max(abs(full_parameters[i] - sharded_parameters[i])).item(), 0.0) << "parameter " << i;
  }
  // Every byte of state is held by exactly one rank, and no rank holds more than its share plus one parameter's.
  Tensor total = full({}, static_cast<double>(sharded_bytes), DType::f64);
  group->all_reduce(total);
  EXPECT_EQ(static_cast<int64_t>(total.item()), full_bytes);
  EXPECT_LT(sharded_bytes, full_bytes);
  EXPECT_GT(sharded_bytes, 0);
}

}  // namespace
}  // namespace nabla::dist
