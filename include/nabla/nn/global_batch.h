#pragma once
// The global batch that a forward's input is one shard of. In data-parallel training each rank's forward sees
// only its shard; DistributedSampler's layout puts the global batch's row rank + world_size · j at local row j.
// While a GlobalBatchGuard lives on this thread (DistributedDataParallel's forward sets one), dropout draws
// each local row's numbers at its global row's place in the stream of the whole global batch: the numbers are
// keyed by (generator seed, the offset the step reached, global element index), so N ranks drop exactly the
// elements that one process at the global batch drops, and every rank's generator advances by the global
// batch's draw (the stream after a step does not depend on the world size, so a checkpoint resumes anywhere).
#include <cstdint>

namespace nabla::functional {

struct GlobalBatch {
  int64_t rank = 0, world_size = 1;
  // Rows of the forward's input (dim 0). Only tensors with this many rows in dim 0 are taken as rows of the
  // batch; anything else (a parameter-shaped mask, a sequence-first layout) draws as in one process.
  int64_t local_rows = 0;
};

// The innermost guard's batch on this thread, or null (one process: every draw as it is).
const GlobalBatch* current_global_batch();

class GlobalBatchGuard {
 public:
  explicit GlobalBatchGuard(GlobalBatch batch);
  ~GlobalBatchGuard();
  GlobalBatchGuard(const GlobalBatchGuard&) = delete;
  GlobalBatchGuard& operator=(const GlobalBatchGuard&) = delete;

 private:
  GlobalBatch batch_;
  const GlobalBatch* previous_;
};

}  // namespace nabla::functional
