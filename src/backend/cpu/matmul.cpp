// STUB: fast matmul through oneDNN comes with the matmul op.
#include "backend/cpu/fast.h"

namespace nabla::cpu {
ops::Kernel matmul_fast(const std::vector<Tensor>&, const std::vector<Tensor>&) { return nullptr; }
}  // namespace nabla::cpu
