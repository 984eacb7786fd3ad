// Fast float32 reductions of contiguous inputs:
//   sum / mean  over every element     x [n]             → 0-dim (or [1, …] with keepdim)
//               over the trailing dims x [rows, n]       → [rows]      (n: the trailing dims' product, e.g.
//                                                                        H·W, squeeze-excitation's gate gradient)
//               over the leading dims  x [n, columns]    → [columns]   (the bias gradient of [N, C])
//   max         along the last dim     x [rows, n]       → values [rows], indices [rows] (first on ties, NaN wins)
// Results do not depend on the thread count: work is cut into fixed-size pieces chosen from the shape only,
// each piece is summed in a fixed order, and the pieces are combined in a fixed order. Sums accumulate in
// double (as the reference kernel does), so the float32 result is the reference's to within its last bit.

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/fast.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/simd.h"
#include "ops/reduce.h"

namespace nabla::cpu {
namespace {

constexpr int64_t chunk = 4096;   // elements summed as one piece of a long run
constexpr int sum_lanes = 64;     // interleaved partial sums: 8 AVX-512 registers of doubles hide the add latency
constexpr int lanes = 16;         // running maxima: one AVX-512 register of floats
constexpr int64_t tile = 256;     // columns per piece of a leading-dims sum
constexpr int64_t block = 16384;  // elements per row block of a narrow leading-dims sum

// Σ x[0, n) in double with `sum_lanes` interleaved partial sums, which the compiler keeps in vector
// registers without reordering any one of them, combined pairwise in a fixed order.
double sum_chunk(const float* x, int64_t n) {
  double partial[sum_lanes] = {};
  int64_t i = 0;
  for (; i + sum_lanes <= n; i += sum_lanes) {
    for (int j = 0; j < sum_lanes; ++j) partial[j] += static_cast<double>(x[i + j]);
  }
  for (int j = 0; i < n; ++i, ++j) partial[j] += static_cast<double>(x[i]);
  for (int width = sum_lanes / 2; width > 0; width /= 2) {
    for (int j = 0; j < width; ++j) partial[j] += partial[j + width];
  }
  return partial[0];
}

int64_t chunk_count(int64_t n) { return (n + chunk - 1) / chunk; }

// Σ x[0, n): chunk sums added in chunk order, on this thread.
double sum_serial(const float* x, int64_t n) {
  double total = 0;
  for (int64_t c = 0; c < chunk_count(n); ++c) total += sum_chunk(x + c * chunk, std::min(chunk, n - c * chunk));
  return total;
}

// The same sum, its chunks spread over the threads: the same chunks, added in the same order.
double sum_parallel(const float* x, int64_t n, std::vector<double>& partial) {
  const int64_t chunks = chunk_count(n);
  partial.assign(static_cast<size_t>(chunks), 0.0);
#pragma omp parallel for schedule(static) if (n >= parallel_threshold)
  for (int64_t c = 0; c < chunks; ++c) partial[c] = sum_chunk(x + c * chunk, std::min(chunk, n - c * chunk));
  double total = 0;
  for (double value : partial) total += value;
  return total;
}

// out[r] = Σ_i x[r, i] / divisor for `rows` rows of n: rows in parallel when there are enough of them,
// otherwise each row's chunks in parallel. Either way each row is summed by sum_serial's order.
void sum_rows(const float* x, float* out, int64_t rows, int64_t n, double divisor) {
  if (rows >= num_threads() || rows * n < parallel_threshold) {
#pragma omp parallel for schedule(static) if (rows * n >= parallel_threshold)
    for (int64_t r = 0; r < rows; ++r) out[r] = static_cast<float>(sum_serial(x + r * n, n) / divisor);
    return;
  }
  std::vector<double> partial;
  for (int64_t r = 0; r < rows; ++r) out[r] = static_cast<float>(sum_parallel(x + r * n, n, partial) / divisor);
}

// totals[j] += Σ_r x[r, first + j] for j < width, rows in order (independent columns vectorise).
void add_columns(const float* x, int64_t columns, int64_t first, int64_t width, int64_t row_begin, int64_t row_end,
                 double* totals) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* row = x + r * columns + first;
    for (int64_t j = 0; j < width; ++j) totals[j] += static_cast<double>(row[j]);
  }
}

// out[c] = Σ_r x[r, c] / divisor. Wide rows: threads take tiles of columns, each column summed in row order.
// Narrow rows: fixed blocks of rows are summed into per-block totals, then the blocks are added in order.
void sum_columns(const float* x, float* out, int64_t rows, int64_t columns, double divisor) {
  const bool parallel = rows * columns >= parallel_threshold;
  if (columns >= tile) {
    const int64_t tiles = (columns + tile - 1) / tile;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t t = 0; t < tiles; ++t) {
      double totals[tile] = {};
      const int64_t width = std::min(tile, columns - t * tile);
      add_columns(x, columns, t * tile, width, 0, rows, totals);
      for (int64_t j = 0; j < width; ++j) out[t * tile + j] = static_cast<float>(totals[j] / divisor);
    }
    return;
  }
  const int64_t rows_per_block = std::max<int64_t>(1, block / columns);
  const int64_t blocks = (rows + rows_per_block - 1) / rows_per_block;
  std::vector<double> partial(static_cast<size_t>(blocks * columns), 0.0);
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t b = 0; b < blocks; ++b) {
    add_columns(x, columns, 0, columns, b * rows_per_block, std::min(rows, (b + 1) * rows_per_block),
                partial.data() + b * columns);
  }
  for (int64_t c = 0; c < columns; ++c) {
    double total = 0;
    for (int64_t b = 0; b < blocks; ++b) total += partial[static_cast<size_t>(b * columns + c)];
    out[c] = static_cast<float>(total / divisor);
  }
}

// ---- which layout a reduction has

enum class Layout { none, all, last, leading };

struct ReductionShape {
  Layout layout = Layout::none;
  int64_t outer = 1, inner = 1;  // all: 1 × n; last (the trailing dims): rows × n; leading: n × columns
};

ReductionShape classify(const Tensor& x, const std::vector<int64_t>& raw_dims) {
  const int64_t rank = x.dim();
  std::vector<int64_t> dims = ops::normalize_dims(raw_dims, rank, "sum");  // validated by the shape rule
  ReductionShape result;
  const auto count = static_cast<int64_t>(dims.size());
  bool leading = true, trailing = true;
  for (int64_t i = 0; i < count; ++i) {
    leading = leading && dims[i] == i;
    trailing = trailing && dims[i] == rank - count + i;  // dims are sorted
  }
  int64_t reduced = 1;
  for (int64_t d : dims) reduced *= x.shape()[d];
  if (count == rank || rank == 0) {
    result = {Layout::all, 1, x.numel()};
  } else if (trailing && count > 0) {
    result = {Layout::last, x.numel() / reduced, reduced};
  } else if (leading && count > 0) {
    result = {Layout::leading, reduced, x.numel() / reduced};
  }
  return result;
}

void run_sum(const ops::KernelCall& call, bool mean) {
  const Tensor& x = call.inputs[0];
  const ReductionShape shape = classify(x, std::get<ops::ReduceAttrs>(call.attrs).dims);
  const auto* in = static_cast<const float*>(x.raw_data());
  auto* out = static_cast<float*>(call.outputs[0].raw_data());
  switch (shape.layout) {
    case Layout::all: {
      std::vector<double> partial;
      double total = sum_parallel(in, shape.inner, partial);
      out[0] = static_cast<float>(mean ? total / static_cast<double>(shape.inner) : total);
      break;
    }
    case Layout::last:
      sum_rows(in, out, shape.outer, shape.inner, mean ? static_cast<double>(shape.inner) : 1.0);
      break;
    case Layout::leading:
      sum_columns(in, out, shape.outer, shape.inner, mean ? static_cast<double>(shape.outer) : 1.0);
      break;
    case Layout::none:
      break;  // never selected
  }
}

// ---- max along the last dim

// The index of the first maximum of x[0, n) (n > 0); a NaN is larger than everything (the first NaN wins).
// Pass 1 finds the largest value with `lanes` independent running maxima (and notes any NaN); pass 2 finds
// where it first occurs.
#ifdef __AVX512F__
int64_t first_max(const float* x, int64_t n) {
  __m512 best = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __mmask16 unordered = 0;
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const __m512 value = _mm512_loadu_ps(x + i);
    best = _mm512_max_ps(value, best);
    unordered |= _mm512_cmp_ps_mask(value, value, _CMP_UNORD_Q);
  }
  float largest = _mm512_reduce_max_ps(best);
  for (; i < n; ++i) {
    largest = x[i] > largest ? x[i] : largest;
    unordered |= x[i] != x[i];
  }
  const __m512 target = _mm512_set1_ps(largest);
  for (i = 0; i + lanes <= n; i += lanes) {
    const __m512 value = _mm512_loadu_ps(x + i);
    const __mmask16 hit = unordered ? _mm512_cmp_ps_mask(value, value, _CMP_UNORD_Q)
                                    : _mm512_cmp_ps_mask(value, target, _CMP_EQ_OQ);
    if (hit) return i + __builtin_ctz(hit);
  }
  for (; i < n; ++i) {
    if (unordered ? std::isnan(x[i]) : x[i] == largest) return i;
  }
  return 0;  // unreachable: some element equals the largest
}
#else
int64_t first_max(const float* x, int64_t n) {
  float best[lanes];
  int unordered[lanes] = {};
  std::fill(best, best + lanes, -std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    for (int j = 0; j < lanes; ++j) {
      const float value = x[i + j];
      best[j] = value > best[j] ? value : best[j];
      unordered[j] |= value != value;
    }
  }
  for (int j = 0; i < n; ++i, ++j) {
    best[j] = x[i] > best[j] ? x[i] : best[j];
    unordered[j] |= x[i] != x[i];
  }
  bool any_nan = false;
  float largest = best[0];
  for (int j = 0; j < lanes; ++j) {
    any_nan = any_nan || unordered[j];
    largest = best[j] > largest ? best[j] : largest;
  }
  for (int64_t k = 0; k < n; ++k) {
    if (any_nan ? std::isnan(x[k]) : x[k] == largest) return k;
  }
  return 0;  // unreachable: some element equals the largest
}
#endif

void run_max(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const int64_t n = x.dim() == 0 ? 1 : x.shape().back();
  const int64_t rows = x.numel() / n;
  const auto* in = static_cast<const float*>(x.raw_data());
  auto* values = static_cast<float*>(call.outputs[0].raw_data());
  auto* indices = static_cast<int64_t*>(call.outputs[1].raw_data());
#pragma omp parallel for schedule(static) if (x.numel() >= parallel_threshold && rows > 1)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t index = first_max(in + r * n, n);
    indices[r] = index;
    values[r] = in[r * n + index];
  }
}

bool contiguous_f32(const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous(); }

}  // namespace

// int64, int32 and bool sums (integer_sum.cpp).
ops::Kernel integer_sum_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const ops::Attrs& attrs);

ops::Kernel reduce_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs& attrs) {
  const Tensor& x = inputs[0];
  if (is_integral(x.dtype())) return integer_sum_fast(op, inputs, outputs, attrs);
  if (!contiguous_f32(x) || x.numel() == 0) return nullptr;
  for (const Tensor& out : outputs) {
    if (!out.is_contiguous()) return nullptr;
  }
  switch (op) {
    case ops::OpId::sum:
    case ops::OpId::mean:
      if (outputs[0].dtype() != DType::f32) return nullptr;
      if (classify(x, std::get<ops::ReduceAttrs>(attrs).dims).layout == Layout::none) return nullptr;
      if (op == ops::OpId::sum) return [](const ops::KernelCall& call) { run_sum(call, false); };
      return [](const ops::KernelCall& call) { run_sum(call, true); };
    case ops::OpId::max: {
      const int64_t dim = std::get<ops::DimAttrs>(attrs).dim;
      if (x.dim() == 0 || (dim != x.dim() - 1 && dim != -1)) return nullptr;
      return run_max;
    }
    default:
      return nullptr;
  }
}

}  // namespace nabla::cpu
