#pragma once
// The CPU backend's fast kernels. fast_kernel looks the op up in the table that fast_kernels.def lists and
// asks its selector; it returns null when no fast path covers the call (dtype, layout, size), and the
// dispatcher then runs the reference kernel. Tests compare the two.
#include "ops/op.h"

namespace nabla::cpu {

ops::Kernel fast_kernel(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs& attrs);
// Whether fast_kernels.def lists a fast kernel for op (which may still decline a particular call).
bool has_fast_kernel(ops::OpId op);

// Lets tests and benchmarks force the reference kernels (thread-local).
class ReferenceOnlyGuard {
 public:
  ReferenceOnlyGuard();
  ~ReferenceOnlyGuard();
 private:
  bool previous_;
};
// False inside a ReferenceOnlyGuard on this thread.
bool fast_kernels_enabled();

// Threads: NABLA_NUM_THREADS, else OpenMP's default. One OpenMP pool, shared with oneDNN. At most
// max_threads: OpenMP allocates per-thread state up front, and a mistyped count would exhaust memory.
inline constexpr int max_threads = 1024;
void set_num_threads(int threads);
int num_threads();

}  // namespace nabla::cpu
