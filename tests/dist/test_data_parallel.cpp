// Data-parallel training reproduces single-process training on the global batch. Every rank trains the
// reference (one process, global batch B) itself, then the data-parallel replica (local batch B / world on
// its DistributedSampler shard), and compares the parameters after 100 steps: equal within 1e-6 relative
// (mean-reduced loss). With dropout the ranks draw the masks of their rows of the global batch, so the same
// holds (and does not when each rank draws for its own shard: the negative). With batch norm: SyncBatchNorm
// equals BatchNorm at the global batch, and plain per-rank BatchNorm does not (the negative).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>

#include "nabla/dist/data_parallel.h"
#include "nabla/dist/sampler.h"
#include "nabla/dist/sync_batch_norm.h"
#include "nabla/factory.h"
#include "nabla/models/registry.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/linear.h"
#include "nabla/ops.h"
#include "nabla/optim/optimizer.h"
#include "nabla/random.h"
#include "tests/dist/dist_test_support.h"

namespace nabla::dist {
namespace {

constexpr int64_t examples = 96, global_batch = 32;
// NABLA_DIST_TEST_STEPS overrides the 100 steps (to see where two runs part, when they do).
const int64_t steps = std::getenv("NABLA_DIST_TEST_STEPS") ? std::atoll(std::getenv("NABLA_DIST_TEST_STEPS")) : 100;
constexpr uint64_t data_seed = 7;

struct Data {
  Tensor images, labels;
};

Data make_data() {
  manual_seed(123);
  Data data;
  data.images = randn({examples, 1, 28, 28});
  data.labels = randint(0, 10, {examples});
  return data;
}

using ModelFactory = std::function<nn::ModulePtr()>;

// The batches of step `step` for a visiting order of `per_epoch` examples per epoch and batch `batch`.
Tensor batch_indices(const data::Sampler& sampler, int64_t batch, int64_t step) {
  std::vector<int64_t> order = sampler.order(examples, data_seed, 0);
  const int64_t per_epoch = static_cast<int64_t>(order.size()) / batch;  // batches per epoch (sizes divide)
  order = sampler.order(examples, data_seed, step / per_epoch);
  int64_t first = step % per_epoch * batch;
  std::vector<double> picked(order.begin() + first, order.begin() + first + batch);
  return from_vector(picked, {batch}, DType::i64);
}

// Trains `model` (already wrapped, or not) for `steps` SGD steps and returns the inner module's parameters.
std::vector<Tensor> train(const nn::ModulePtr& model, const std::vector<Tensor>& parameters, const Data& data,
                          const data::Sampler& sampler, int64_t batch) {
  manual_seed(99);  // dropout's stream starts at the same place in both runs (the replicas' inits differ)
  optim::SGD optimizer(parameters, {.lr = 0.01, .momentum = 0.9});
  for (int64_t step = 0; step < steps; ++step) {
    Tensor indices = batch_indices(sampler, batch, step);
    Tensor loss = cross_entropy((*model)(index_select(data.images, 0, indices)), index_select(data.labels, 0, indices));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  return parameters;
}

double max_relative_difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    std::vector<double> x = a[i].to_vector(), y = b[i].to_vector();
    double scale = 0;
    for (double value : y) scale = std::max(scale, std::abs(value));
    for (size_t k = 0; k < x.size(); ++k) worst = std::max(worst, std::abs(x[k] - y[k]) / std::max(scale, 1e-12));
  }
  return worst;
}

struct Comparison {
  double difference = 0;   // data-parallel vs reference, max relative
  double moved = 0;        // reference after training vs before: training did something
  ReductionStats reduction;
};

Comparison compare(ProcessGroup& group, const ProcessGroupPtr& group_ptr, const ModelFactory& make_reference,
                   const ModelFactory& make_replica, DataParallelOptions options = {.bucket_bytes = 4096}) {
  const Data data = make_data();
  manual_seed(42);
  nn::ModulePtr reference = make_reference();
  std::vector<Tensor> initial;
  for (const Tensor& parameter : reference->parameters()) initial.push_back(parameter.clone());
  std::vector<Tensor> single = train(reference, reference->parameters(), data, data::RandomSampler(), global_batch);

  // Replicas start from different weights on purpose: rank 0 is seeded as the reference, and the broadcast
  // from rank 0 must make the others equal to it.
  manual_seed(42 + static_cast<uint64_t>(group.rank()) * 1000);
  nn::ModulePtr inner = make_replica();
  auto replica = std::make_shared<DistributedDataParallel>(inner, group_ptr, options);
  DistributedSampler shard(group.rank(), group.world_size());
  const int64_t local_batch = global_batch / group.world_size();
  std::vector<Tensor> parallel = train(replica, inner->parameters(), data, shard, local_batch);
  return {max_relative_difference(parallel, single), max_relative_difference(initial, single), replica->last_reduction()};
}

nn::ModulePtr make_mlp() {
  return models::registry().make("mlp", {.overrides = {{"hidden", {64, 32}}}});
}
nn::ModulePtr make_lenet() { return models::registry().make("lenet"); }

TEST(DataParallel, MlpInTwoProcessesEqualsOneProcessAtTheGlobalBatch) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  Comparison result = compare(*group, group, make_mlp, make_mlp);
  EXPECT_GT(result.moved, 1e-3) << "training did not change the weights";
  EXPECT_LE(result.difference, 1e-6);
  EXPECT_GT(result.reduction.buckets, 1) << "a 4 KiB bucket size should split the MLP's gradients";
  EXPECT_GT(result.reduction.started_early, 0) << "no bucket was reduced while backward was still running";
}

TEST(DataParallel, LenetInTwoProcessesEqualsOneProcessAtTheGlobalBatch) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  Comparison result = compare(*group, group, make_lenet, make_lenet);
  EXPECT_GT(result.moved, 1e-3);
  EXPECT_LE(result.difference, 1e-6);
}

// An MLP with dropout: [N, 1, 28, 28] → flatten → 64 → ReLU → dropout 0.3 → 10.
nn::ModulePtr make_dropout_mlp() {
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(std::make_shared<nn::Linear>(28 * 28, 64));
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Dropout>(0.3));
  net->push_back(std::make_shared<nn::Linear>(64, 10));
  return net;
}

TEST(DataParallel, DropoutInTwoProcessesDrawsTheGlobalBatchsMasksAndEqualsOneProcess) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  Comparison result = compare(*group, group, make_dropout_mlp, make_dropout_mlp);
  EXPECT_GT(result.moved, 1e-3);
  EXPECT_LE(result.difference, 1e-6);
  // The negative: each rank drawing masks for its own shard (as a process alone) trains another network.
  Comparison own = compare(*group, group, make_dropout_mlp, make_dropout_mlp,
                           {.bucket_bytes = 4096, .global_batch_dropout = false});
  EXPECT_GT(own.difference, 1e-3) << "per-shard dropout matched the global batch's: the test could not tell";
}

// A small conv net with batch norm: [N, 1, 28, 28] → conv 4 → BN → ReLU → flatten → linear 10.
nn::ModulePtr make_bn_net(std::shared_ptr<nn::Module> norm) {
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = 1, .out_channels = 4, .kernel_size = 5,
                                                                .stride = 3}));
  net->push_back(norm);
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(std::make_shared<nn::Linear>(4 * 8 * 8, 10));
  return net;
}

TEST(DataParallel, SyncBatchNormEqualsBatchNormAtTheGlobalBatchAndPlainBatchNormDoesNot) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  auto batch_norm = [] { return make_bn_net(std::make_shared<nn::BatchNorm2d>(4)); };
  auto sync_batch_norm = [&] { return make_bn_net(std::make_shared<SyncBatchNorm>(nn::BatchNormOptions{.num_features = 4}, group)); };
  Comparison synced = compare(*group, group, batch_norm, sync_batch_norm);
  EXPECT_GT(synced.moved, 1e-3);
  EXPECT_LE(synced.difference, 1e-6);
  Comparison plain = compare(*group, group, batch_norm, batch_norm);
  EXPECT_GT(plain.difference, 1e-3) << "per-rank BatchNorm matched the global batch: the test could not tell";
}

TEST(DataParallel, NoSyncAccumulatesLocallyAndTheNextBackwardReducesTheSum) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  manual_seed(5);
  nn::ModulePtr inner = std::make_shared<nn::Linear>(3, 2);
  auto model = std::make_shared<DistributedDataParallel>(inner, group);
  const Tensor weight = inner->parameters()[0];  // a handle: parameters() returns a fresh vector
  Tensor x = full({4, 3}, group->rank() + 1);
  {
    auto guard = model->no_sync();
    sum((*model)(x)).backward();
  }
  // Local only: every row of dweight is the column sum of x, (rank + 1) · 4.
  EXPECT_EQ(weight.grad().to_vector(), std::vector<double>(6, (group->rank() + 1) * 4.0));
  sum((*model)(x)).backward();
  // Now reduced: the mean over ranks of 2 · 4 · (rank + 1).
  double mean = 0;
  for (int rank = 0; rank < group->world_size(); ++rank) mean += 8.0 * (rank + 1) / group->world_size();
  EXPECT_EQ(weight.grad().to_vector(), std::vector<double>(6, mean));
}

// A module with two layers whose forward uses only the first.
struct FirstOfTwo : nn::Module {
  std::shared_ptr<nn::Linear> used, unused;
  FirstOfTwo() : nn::Module("FirstOfTwo") {
    used = register_module("used", std::make_shared<nn::Linear>(3, 2));
    unused = register_module("unused", std::make_shared<nn::Linear>(3, 2));
  }
  Tensor forward(const Tensor& x) override { return (*used)(x); }
};

TEST(DataParallel, AnUnusedParameterIsNamedAtTheNextForwardAndFinishReductionCountsItAsZero) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  auto inner = std::make_shared<FirstOfTwo>();
  auto model = std::make_shared<DistributedDataParallel>(inner, group);
  sum((*model)(ones({1, 3}))).backward();
  try {
    (*model)(ones({1, 3}));
    ADD_FAILURE() << "the missing gradients went unnoticed";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("unused.weight"), std::string::npos) << error.what();
  }
  model->finish_reduction();
  EXPECT_EQ(inner->unused->weight.grad().to_vector(), std::vector<double>(6, 0.0));
  EXPECT_EQ(inner->used->weight.grad().to_vector(), std::vector<double>(6, 1.0));
}

}  // namespace
}  // namespace nabla::dist
