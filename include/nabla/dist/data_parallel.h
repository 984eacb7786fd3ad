#pragma once
// DistributedDataParallel: the same model on every rank, each rank on its shard of the global batch.
// At construction rank 0's parameters and buffers are broadcast, so every replica starts equal. During
// backward, as each parameter's gradient is accumulated, it joins a bucket (about bucket_bytes of
// gradients, in reverse registration order, which is roughly the order backward produces them); a full
// bucket is all-reduced (mean) at once on the process group's communication thread while backward goes on,
// and when the last gradient has arrived every bucket is waited for and each .grad holds the mean over
// ranks. With a mean-reduced loss that is the gradient of the global batch, so the optimizer step that
// follows is the same on every rank and the replicas stay equal.
#include <memory>
#include <string>

#include "nabla/dist/process_group.h"
#include "nabla/nn/module.h"

namespace nabla::dist {

struct DataParallelOptions {
  int64_t bucket_bytes = int64_t{1} << 20;  // gradients per all-reduce (PyTorch: 25 MiB, tuned for GPUs)
  bool broadcast_buffers = true;            // rank 0's buffers (running statistics) to all before each forward
  // Dropout in training draws each local row's mask at its row's place in the global batch (the input's row j
  // being global row rank + world_size · j, DistributedSampler's layout): the same masks as one process at the
  // global batch (nabla/nn/global_batch.h). Off: each rank draws for its own shard, as a process alone would.
  bool global_batch_dropout = true;
};

// What the last synchronised backward did (for tests, benchmarks and the lab).
struct ReductionStats {
  int64_t buckets = 0;         // all-reduces issued
  int64_t started_early = 0;   // of them, issued before backward delivered its last gradient (overlapped)
  int64_t bytes = 0;           // gradient bytes reduced
};

struct Reducer;

class DistributedDataParallel : public nn::Module {
 public:
  DistributedDataParallel(nn::ModulePtr module, ProcessGroupPtr group, DataParallelOptions options = {});
  ~DistributedDataParallel() override;

  Tensor forward(const Tensor& input) override;
  const nn::ModulePtr& module() const { return module_; }
  const ProcessGroupPtr& process_group() const { return group_; }

  // While a NoSync lives, backward only accumulates gradients locally (gradient accumulation over several
  // micro-batches); the first forward/backward after it reduces the accumulated sum.
  class NoSync {
   public:
    explicit NoSync(DistributedDataParallel& owner);
    ~NoSync();
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;
   private:
    DistributedDataParallel& owner_;
    bool previous_;
  };
  NoSync no_sync() { return NoSync(*this); }

  // Completes the reduction of the last backward: parameters that got no gradient count as zero. Backward
  // calls it by itself when every parameter got one; call it when some parameters were not used.
  void finish_reduction();
  ReductionStats last_reduction() const;
  int64_t bucket_count() const;

 private:
  nn::ModulePtr module_;
  ProcessGroupPtr group_;
  DataParallelOptions options_;
  std::shared_ptr<Reducer> reducer_;
  bool sync_ = true;
};

}  // namespace nabla::dist
