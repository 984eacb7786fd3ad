#pragma once
// Selectors for the fast CPU kernels; each returns null when its fast path does not apply.
#include "ops/op.h"

namespace nabla::cpu {

// Elements below which an elementwise kernel stays on one thread (fork/join costs more than it saves).
inline constexpr int64_t parallel_threshold = 32768;

ops::Kernel binary_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
ops::Kernel matmul_fast(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);

}  // namespace nabla::cpu
