#pragma once
// Selectors for the fast CPU kernels; each returns null when its fast path does not apply.
#include <omp.h>

#include <functional>

#include "ops/op.h"

namespace nabla::cpu {

// Elements below which an elementwise kernel stays on one thread (fork/join costs more than it saves).
inline constexpr int64_t parallel_threshold = 32768;
// Outputs of at least this many bytes are written with streaming (non-temporal) stores by the elementwise
// kernels: they would evict most of the L3 anyway, and a normal store first reads each output line from
// memory (read for ownership), so c = a + b moves 4 bytes for every 3 it needs.
inline constexpr int64_t streaming_bytes = int64_t{32} << 20;

// Up to about this many multiply-adds (128×32×128), oneDNN runs a GEMM or a convolution on one thread or
// gains little from two.
inline constexpr int64_t small_gemm = int64_t{1} << 19;

// Runs its scope's oneDNN calls on the calling thread alone (oneDNN sizes its parallel regions from
// omp_get_max_threads()). A small GEMM or convolution (batch-1 inference) takes about as long as a
// fork/join of the team, and on a busy machine waiting for a descheduled team member costs far more.
class OneThread {
 public:
  OneThread() : previous_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneThread() { omp_set_num_threads(previous_); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;
 private:
  int previous_;
};

// Every selector has this signature, so that fast_kernels.def can list any of them for any op. It returns
// the kernel that covers this call (dtype, layout, size), or null for the reference kernel. A selector
// may ignore the arguments it does not need. Define it in its kernel's file and list it in
// fast_kernels.def, which declares it here.
using Selector = ops::Kernel (*)(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                                 const ops::Attrs& attrs);
#define NABLA_DECLARE_SELECTOR(selector)                                                                       \
  ops::Kernel selector(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, \
                       const ops::Attrs& attrs)

// Every selector that fast_kernels.def lists, declared from that list (so a new one needs no line here).
#define NABLA_FAST_KERNEL(op, selector) NABLA_DECLARE_SELECTOR(selector);
#include "backend/cpu/fast_kernels.def"
#undef NABLA_FAST_KERNEL

// Calls body.template operator()<T>() with the unsigned type of dtype's element size, for kernels that only
// move elements (copies, indexing, where): they serve every dtype. False when no such type exists.
template <typename Body>
bool by_element_size(DType dtype, Body&& body) {
  switch (dtype_size(dtype)) {
    case 1: body.template operator()<uint8_t>(); return true;
    case 2: body.template operator()<uint16_t>(); return true;
    case 4: body.template operator()<uint32_t>(); return true;
    case 8: body.template operator()<uint64_t>(); return true;
    default: return false;
  }
}

// Copies source (any strides) into contiguous memory of its dtype, in parallel above a size (copy.cpp).
void copy_to_contiguous(const Tensor& source, void* destination);

// Runs body over [0, count) in fixed chunks: serially below parallel_threshold, else on OpenMP threads.
// body must not throw (validate before calling).
void for_each_chunk(int64_t count, const std::function<void(int64_t begin, int64_t end)>& body);

}  // namespace nabla::cpu
