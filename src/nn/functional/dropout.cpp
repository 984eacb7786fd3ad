// functional::dropout: the identity outside training, else the dropout op (src/ops/random.cpp) on a random
// stream reserved from the generator, so a call can be replayed exactly.
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/kernel_rules.h"
#include "ops/op.h"

namespace nabla {
using ops::call, ops::OpId;

Tensor functional::dropout(const Tensor& x, double p, bool training, Generator* generator) {
  NABLA_CHECK(p >= 0 && p <= 1, "dropout: probability has to be between 0 and 1, got {} (input {})", p, x.describe());
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;  // as PyTorch: zeros (NaN stays NaN), gradient zero
  ops::RandomAttrs attrs = ops::draw(generator, x.numel());
  attrs.p = p;
  return call(OpId::dropout, {x}, attrs)[0];
}

}  // namespace nabla
