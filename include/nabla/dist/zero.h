#pragma once
// ZeroRedundancyOptimizer (ZeRO stage 1): the optimizer's state sharded over the ranks. Data-parallel
// replicas hold the same parameters and, after DistributedDataParallel's all-reduce, the same gradients, so
// every rank would compute the same update and keep the same state (Adam: two buffers per parameter, twice
// the model's size). Here each parameter is owned by one rank (whole parameters, dealt greedily so that the
// ranks own about equal numbers of elements): only the owner keeps its state and computes its update, and
// then broadcasts the new values to the others. The optimizer state per rank falls to about 1/world_size; the
// training is the same (the same update on the same gradient, by one rank instead of all).
#include <functional>
#include <memory>
#include <vector>

#include "nabla/dist/process_group.h"
#include "nabla/optim/optimizer.h"

namespace nabla::dist {

class ZeroRedundancyOptimizer {
 public:
  // Builds the inner optimizer (any of optim's) over the parameters it is given: this rank's shard.
  using OptimizerFactory = std::function<std::shared_ptr<optim::Optimizer>(std::vector<Tensor> parameters)>;
  ZeroRedundancyOptimizer(std::vector<Tensor> parameters, ProcessGroupPtr group, const OptimizerFactory& make);

  // The owner's update of each parameter from its .grad (already averaged over the ranks), then every
  // parameter broadcast from its owner, so all replicas hold the new values.
  void step();
  void zero_grad();  // every parameter's gradient, owned or not

  int owner(size_t parameter) const { return owners_.at(parameter); }
  optim::Optimizer& local_optimizer() { return *local_; }  // over this rank's shard (lr, schedulers)
  // Bytes of optimizer state this rank holds (its shard's buffers), for measuring the saving.
  int64_t state_bytes() const;

 private:
  std::vector<Tensor> parameters_;
  std::vector<int> owners_;
  ProcessGroupPtr group_;
  std::shared_ptr<optim::Optimizer> local_;
};

// The bytes of an optimizer's state tensors (what ZeRO-1 shards).
int64_t optimizer_state_bytes(const optim::Optimizer& optimizer);

}  // namespace nabla::dist
