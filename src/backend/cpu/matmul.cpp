// Fast f32 matmul through oneDNN's row-major GEMM, dnnl_sgemm, one call per batch matrix.
//   a [..., n, k] · b [..., k, m] → out [batch, n, m]   (out is contiguous: the dispatcher allocated it)
// Applies when both operands are f32 and each operand's last two dims are row-major or transposed with a
// leading dimension sgemm accepts (contiguous, a .mT() of contiguous, or rows sliced out of a wider
// matrix); batch dims may have any strides, broadcast ones included. Anything else returns null and the
// reference kernel runs. Threads come from nabla's one OpenMP pool (Debian's libdnnl uses libgomp): either
// oneDNN parallelises each GEMM, or a batch of small GEMMs is split across the threads.
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "backend/cpu/fast.h"
#include "backend/cpu/kernels.h"
#include "ops/iterate.h"

namespace nabla::cpu {
namespace {

// How sgemm reads one rows×cols operand: 'N' row-major with `leading` elements between rows, or 'T'
// (stored transposed) with `leading` elements between columns.
struct MatrixLayout {
  char transpose;
  int64_t leading;
};

// A dim of size 1 never steps, so its stride does not constrain the layout.
std::optional<MatrixLayout> matrix_layout(int64_t rows, int64_t cols, int64_t row_stride, int64_t column_stride) {
  if (cols == 1 || column_stride == 1) {
    int64_t leading = rows == 1 ? cols : row_stride;
    if (leading >= std::max<int64_t>(cols, 1)) return MatrixLayout{'N', leading};
  }
  if (rows == 1 || row_stride == 1) {
    int64_t leading = cols == 1 ? rows : column_stride;
    if (leading >= std::max<int64_t>(rows, 1)) return MatrixLayout{'T', leading};
  }
  return std::nullopt;
}

std::optional<MatrixLayout> matrix_layout(const Tensor& t) {
  const int64_t rank = t.dim();
  return matrix_layout(t.shape()[rank - 2], t.shape()[rank - 1], t.strides()[rank - 2], t.strides()[rank - 1]);
}

// Strides of `t`'s batch dims seen as `batch` (0 where t is broadcast).
Shape batch_strides(const Tensor& t, const Shape& batch) {
  Shape full = batch;
  full.push_back(t.shape()[t.dim() - 2]);
  full.push_back(t.shape()[t.dim() - 1]);
  Shape strides = ops::broadcast_strides(t, full);
  strides.resize(batch.size());
  return strides;
}


// Whether to split a batch of GEMMs across threads (each GEMM then runs on one thread) rather than let
// oneDNN parallelise each GEMM: measured on 2 cores, splitting doubles small batched products (attention
// heads) and matches oneDNN on large ones, except when the batch divides badly among the threads.
bool split_batch(int64_t count, int64_t multiply_adds) {
  const int64_t threads = num_threads();
  if (count < 2 || threads < 2) return false;
  if (multiply_adds <= small_gemm) return true;
  const int64_t rounds = (count + threads - 1) / threads;
  return count * 10 >= rounds * threads * 9;  // at least 90 % of the threads busy in every round
}

struct GemmPlan {
  MatrixLayout a, b;
  int64_t n, m, k;
};

std::optional<GemmPlan> plan_gemm(const Tensor& a, const Tensor& b, const Tensor& out) {
  if (a.dtype() != DType::f32 || b.dtype() != DType::f32 || out.dtype() != DType::f32) return std::nullopt;
  if (!out.is_contiguous()) return std::nullopt;
  const int64_t rank = out.dim();
  const int64_t n = out.shape()[rank - 2], m = out.shape()[rank - 1], k = a.shape().back();
  // Empty products (k = 0 must still write zeros) are left to the reference kernel.
  if (n == 0 || m == 0 || k == 0 || out.numel() == 0) return std::nullopt;
  std::optional<MatrixLayout> a_layout = matrix_layout(a), b_layout = matrix_layout(b);
  if (!a_layout || !b_layout) return std::nullopt;
  return GemmPlan{*a_layout, *b_layout, n, m, k};
}

// The element offsets of each batch matrix in out, a and b, in row-major batch order.
std::vector<std::array<int64_t, 3>> batch_offsets(const Tensor& a, const Tensor& b, const Tensor& out) {
  const Shape batch(out.shape().begin(), out.shape().end() - 2);
  std::array<Shape, 3> strides{batch_strides(out, batch), batch_strides(a, batch), batch_strides(b, batch)};
  std::array<int64_t, 3> start{out.offset(), a.offset(), b.offset()};
  std::vector<std::array<int64_t, 3>> offsets;
  offsets.reserve(static_cast<size_t>(numel(batch)));
  ops::for_each_offset<3>(batch, strides, start, [&](const std::array<int64_t, 3>& offset) { offsets.push_back(offset); });
  return offsets;
}

void run_gemm(const ops::KernelCall& call) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const Tensor& out = call.outputs[0];
  const GemmPlan plan = *plan_gemm(a, b, out);  // matmul_fast checked that a plan exists
  const auto* a_data = static_cast<const float*>(a.storage()->data());
  const auto* b_data = static_cast<const float*>(b.storage()->data());
  auto* out_data = static_cast<float*>(out.storage()->data());
  const std::vector<std::array<int64_t, 3>> offsets = batch_offsets(a, b, out);
  const int64_t count = static_cast<int64_t>(offsets.size());
  int failures = 0;
  auto multiply = [&](int64_t i) {
    const std::array<int64_t, 3>& offset = offsets[static_cast<size_t>(i)];
    dnnl_status_t status = dnnl_sgemm(plan.a.transpose, plan.b.transpose, plan.n, plan.m, plan.k, 1.0f,
                                      a_data + offset[1], plan.a.leading, b_data + offset[2], plan.b.leading, 0.0f,
                                      out_data + offset[0], plan.m);
    return status == dnnl_success ? 0 : 1;
  };
  if (split_batch(count, plan.n * plan.m * plan.k)) {
    // Inside the parallel region each dnnl_sgemm call runs sequentially on its thread.
#pragma omp parallel for schedule(static) reduction(+ : failures)
    for (int64_t i = 0; i < count; ++i) failures += multiply(i);
  } else if (count * plan.n * plan.m * plan.k <= small_gemm) {
    OneThread serial;
    for (int64_t i = 0; i < count; ++i) failures += multiply(i);
  } else {
    for (int64_t i = 0; i < count; ++i) failures += multiply(i);
  }
  // Thrown after the parallel region (never inside it); the plan's checks make this unreachable.
  NABLA_CHECK(failures == 0, "matmul: dnnl_sgemm failed on {} of {} matrices for {} · {}", failures, count,
              a.describe(), b.describe());
}

}  // namespace

ops::Kernel matmul_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs&) {
  if (!plan_gemm(inputs[0], inputs[1], outputs[0])) return nullptr;
  return &run_gemm;
}

}  // namespace nabla::cpu
