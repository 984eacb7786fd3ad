// The process group's collectives on 2+ ranks: each result against the value computed from every rank's
// known input.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/factory.h"
#include "nabla/ops.h"
#include "tests/dist/dist_test_support.h"

namespace nabla::dist {
namespace {

// Rank r's input: element i is (r + 1) · (i + 1) + r / 8 (distinct per rank and element, exact in f32).
Tensor rank_values(int rank, int64_t count, DType dtype) {
  std::vector<double> values;
  for (int64_t i = 0; i < count; ++i) {
    values.push_back(dtype == DType::i64 ? (rank + 1) * (i + 1) : (rank + 1) * (i + 1) + rank / 8.0);
  }
  return from_vector(values, {count}, dtype);
}

TEST(Collectives, AllReduceSumAndMeanEqualTheSumOfEveryRanksInput) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  const int world = group->world_size();
  for (DType dtype : {DType::f32, DType::f64, DType::i64}) {
    Tensor summed = rank_values(group->rank(), 1000, dtype);
    group->all_reduce(summed, ReduceOp::sum);
    Tensor expected = zeros({1000}, dtype == DType::i64 ? DType::i64 : DType::f64);
    for (int rank = 0; rank < world; ++rank) expected = expected + rank_values(rank, 1000, expected.dtype());
    std::vector<double> got = summed.to_vector(), want = expected.to_vector();
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << dtype_name(dtype) << " element " << i;
    if (dtype == DType::i64) continue;
    Tensor averaged = rank_values(group->rank(), 1000, dtype);
    group->all_reduce(averaged, ReduceOp::mean);
    got = averaged.to_vector();
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i] / world, 1e-6 * std::abs(want[i]));
  }
}

TEST(Collectives, BroadcastGivesEveryRankTheRootsTensor) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  for (int root = 0; root < group->world_size(); ++root) {
    Tensor tensor = rank_values(group->rank(), 37, DType::f32);
    group->broadcast(tensor, root);
    EXPECT_EQ(tensor.to_vector(), rank_values(root, 37, DType::f32).to_vector()) << "root " << root;
  }
}

TEST(Collectives, AllGatherAndReduceScatterPlaceEachRanksPart) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  const int world = group->world_size();
  Tensor gathered = zeros({5 * world});
  group->all_gather(gathered, rank_values(group->rank(), 5, DType::f32));
  for (int rank = 0; rank < world; ++rank) {
    EXPECT_EQ(gathered.narrow(0, 5 * rank, 5).to_vector(), rank_values(rank, 5, DType::f32).to_vector());
  }
  Tensor part = zeros({3});
  group->reduce_scatter(part, rank_values(group->rank(), 3 * world, DType::f32), ReduceOp::sum);
  Tensor total = zeros({3 * world}, DType::f64);
  for (int rank = 0; rank < world; ++rank) total = total + rank_values(rank, 3 * world, DType::f64);
  EXPECT_EQ(part.to_vector(), total.narrow(0, 3 * group->rank(), 3).to_vector());
}

TEST(Collectives, AsynchronousWorkCompletesInIssueOrder) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  std::vector<Tensor> tensors;
  std::vector<WorkPtr> pending;
  for (int k = 0; k < 8; ++k) {
    tensors.push_back(full({100 + k}, group->rank() + k));
    pending.push_back(group->all_reduce_async(tensors.back(), ReduceOp::sum));
  }
  pending.push_back(group->barrier_async());
  for (WorkPtr& work : pending) work->wait();
  double rank_sum = 0;
  for (int rank = 0; rank < group->world_size(); ++rank) rank_sum += rank;
  for (int k = 0; k < 8; ++k) {
    EXPECT_TRUE(pending[static_cast<size_t>(k)]->is_completed());
    EXPECT_EQ(tensors[static_cast<size_t>(k)].to_vector(),
              std::vector<double>(static_cast<size_t>(100 + k), rank_sum + k * group->world_size()));
  }
}

TEST(Collectives, BadTensorsAreRefusedBeforeAnythingIsSent) {
  NABLA_DIST_GROUP_OR_SKIP(group);
  Tensor matrix = zeros({4, 6});
  EXPECT_THROW(group->all_reduce(matrix.t()), Error);                       // not contiguous
  EXPECT_THROW(group->all_reduce(zeros({3}, DType::i64), ReduceOp::mean), Error);  // mean of integers
  EXPECT_THROW(group->all_gather(zeros({3}), zeros({3})), Error);            // output too small
  EXPECT_THROW(group->broadcast(zeros({3}), group->world_size()), Error);    // root out of range
  try {
    group->all_reduce(zeros({2}, DType::u8));
    ADD_FAILURE() << "u8 was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("all_reduce"), std::string::npos) << error.what();
  }
  // The group still works after refusals.
  Tensor one = ones({1});
  group->all_reduce(one);
  EXPECT_EQ(one.item(), group->world_size());
}

}  // namespace
}  // namespace nabla::dist
