// functional::dropout: the identity outside training, else the dropout op (src/ops/random.cpp) on a random
// stream reserved from the generator, so a call can be replayed exactly. Inside a data-parallel forward
// (nabla/nn/global_batch.h) a rank's rows draw their numbers at their places in the global batch's stream.
#include "nabla/nn/global_batch.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/kernel_rules.h"
#include "ops/op.h"

namespace nabla {
using ops::call, ops::OpId;

namespace functional {
namespace {
thread_local const GlobalBatch* innermost_global_batch = nullptr;
}  // namespace

const GlobalBatch* current_global_batch() { return innermost_global_batch; }
GlobalBatchGuard::GlobalBatchGuard(GlobalBatch batch) : batch_(batch), previous_(innermost_global_batch) {
  innermost_global_batch = &batch_;
}
GlobalBatchGuard::~GlobalBatchGuard() { innermost_global_batch = previous_; }
}  // namespace functional

namespace {

Tensor dropout_op(const Tensor& x, double p, Generator* generator) {
  ops::RandomAttrs attrs = ops::draw(generator, x.numel());
  attrs.p = p;
  return call(OpId::dropout, {x}, attrs)[0];
}

// Dropout of a shard whose local row j is row rank + world · j of the global batch: x is set among zero rows
// at those places ([b, world, …] flattened is exactly that layout), the whole global batch is dropped (element
// i of it draws uniform i of the stream, as in one process), and this rank's rows are kept. Every rank draws
// the whole global batch's numbers, world_size times its own share; a dropout kernel that drew only given
// rows would save that, the numbers being a pure function of (seed, offset, global index) already.
Tensor dropout_global_rows(const Tensor& x, double p, Generator* generator, const functional::GlobalBatch& batch) {
  std::vector<Tensor> rows(static_cast<size_t>(batch.world_size), zeros_like(x));
  rows[static_cast<size_t>(batch.rank)] = x;
  Tensor spread = stack(rows, 1);  // [b, world, …]
  Shape global = x.shape();
  global[0] *= batch.world_size;
  return dropout_op(spread.reshape(global), p, generator).reshape(spread.shape()).select(1, batch.rank);
}

}  // namespace

Tensor functional::dropout(const Tensor& x, double p, bool training, Generator* generator) {
  NABLA_CHECK(p >= 0 && p <= 1, "dropout: probability has to be between 0 and 1, got {} (input {})", p, x.describe());
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;  // as PyTorch: zeros (NaN stays NaN), gradient zero
  const GlobalBatch* batch = current_global_batch();
  if (batch && batch->world_size > 1 && x.dim() >= 1 && x.size(0) == batch->local_rows) {
    return dropout_global_rows(x, p, generator, *batch);
  }
  return dropout_op(x, p, generator);
}

}  // namespace nabla
