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

ops::Kernel binary_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
// eq/ne/lt/le/gt/ge of f32/f64 tensors with a tensor of their layout or a one-element operand (compare.cpp).
ops::Kernel compare_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
// scatter_add along the last dim, contiguous f32/f64 with an int64 index of self's leading dims (scatter.cpp).
ops::Kernel scatter_add_fast(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const ops::Attrs& attrs);
ops::Kernel matmul_fast(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
// f32 unary ops and activations on contiguous tensors; copy_ between same-dtype contiguous tensors (elementwise.cpp).
ops::Kernel elementwise_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const ops::Attrs& attrs);
ops::Kernel copy_fast(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
// Runs body over [0, count) in fixed chunks: serially below parallel_threshold, else on OpenMP threads.
// body must not throw (validate before calling).
void for_each_chunk(int64_t count, const std::function<void(int64_t begin, int64_t end)>& body);
// f32 sum/mean over all, the last or the leading dims, and max along the last dim; thread-count independent
// (reduce.cpp).
ops::Kernel reduce_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs& attrs);
// f32 softmax/log_softmax along the last dim, cross_entropy forward (fused log-softmax + NLL) (softmax.cpp).
ops::Kernel softmax_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                         const ops::Attrs& attrs);
ops::Kernel cross_entropy_fast(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                               const ops::Attrs& attrs);
// f32 layer_norm forward on contiguous x, weight and bias (norm.cpp).
ops::Kernel layer_norm_fast(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);

// f32 conv2d, conv_transpose2d and conv2d_backward_weight through oneDNN (conv.cpp); max/avg pooling (pool.cpp).
ops::Kernel conv_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                      const ops::Attrs& attrs);
ops::Kernel pool_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                      const ops::Attrs& attrs);

// Training-step kernels for normalisation, attention, resampling and windows; each declines (null) all but
// f32 contiguous operands. batch_norm, group_norm and their fused backward ops (channel_norm.cpp).
ops::Kernel channel_norm_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
// scaled_dot_product_attention and attention_backward (attention.cpp).
ops::Kernel attention_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                           const ops::Attrs& attrs);
// upsample2d and upsample2d_backward (resample.cpp); pad (pad.cpp); im2col and col2im (unfold.cpp).
ops::Kernel upsample_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
ops::Kernel pad_fast(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
ops::Kernel unfold_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);

}  // namespace nabla::cpu
