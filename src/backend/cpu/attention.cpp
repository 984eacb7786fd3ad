// Fast f32 scaled_dot_product_attention and attention_backward (formulas: src/ops/attention.cpp).
// Each batch matrix of q, k, v (and dout, out) is read in place: its last dim must be contiguous; rows,
// and batch dims (broadcast ones included), may have any stride. The masks (bool or f32) are read with
// any strides. Products go through oneDNN's sgemm, called on one thread per task:
//   forward   tasks of (batch, block of `block_rows` query rows): S = scale·Q·Kᵀ for the block, the mask,
//             a row softmax (e^x in float, sums in double), dropout's factors, then out = P·V.
//   backward  one task per batch, walking its blocks of `block_rows` query rows: P recomputed from the saved
//             log-sum-exp, dP = dout·Vᵀ, dS = P ⊙ (D ⊙ dP − Δ)·scale, then dq = dS·K, and dk += dSᵀ·Q,
//             dv += (P ⊙ D)ᵀ·dout over the blocks.
// Causal attention builds no mask: a block of query rows [first, first + rows) sees only keys j < first + rows,
// so its scores, softmax and products stop there — the key blocks above the diagonal are never computed
// (about half the work of a square problem); only the triangle inside the diagonal block is set to −∞.
// A task's results are written by one thread only, in a fixed order, so they do not depend on the
// thread count. Scratch (scores, probabilities) is allocated once per thread, outside the task loop.
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/fast.h"
#include "backend/cpu/simd.h"
#include "ops/iterate.h"
#include "ops/kernel_rules.h"

namespace nabla::cpu {
namespace {

constexpr float negative_infinity = -std::numeric_limits<float>::infinity();
constexpr int64_t block_rows = 64;

// One operand seen as batch + [rows, cols]: the element offset of each batch matrix and its row stride.
struct MatrixOperand {
  const float* data = nullptr;
  std::vector<int64_t> offsets;  // one per batch matrix, row-major over the broadcast batch
  int64_t leading = 0;           // elements between rows, for sgemm (≥ cols)
  const float* batch(int64_t b) const { return data + offsets[static_cast<size_t>(b)]; }
};

Shape with_matrix(Shape batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

std::vector<int64_t> batch_offsets(const Tensor& t, const Shape& batch, int64_t rows, int64_t cols) {
  Shape strides = ops::broadcast_strides(t, with_matrix(batch, rows, cols));
  strides.resize(batch.size());
  std::vector<int64_t> offsets;
  ops::for_each_offset<1>(batch, {strides}, {t.offset()}, [&](const std::array<int64_t, 1>& o) { offsets.push_back(o[0]); });
  return offsets;
}

// Whether sgemm can read t's last two dims in place: unit column stride, rows at least `cols` apart.
bool readable(const Tensor& t) {
  if (t.dtype() != DType::f32 || t.dim() < 2) return false;
  const int64_t rank = t.dim(), rows = t.shape()[rank - 2], cols = t.shape()[rank - 1];
  if (cols != 1 && t.strides()[rank - 1] != 1) return false;
  return rows == 1 || t.strides()[rank - 2] >= cols;
}

MatrixOperand matrix_operand(const Tensor& t, const Shape& batch) {
  const int64_t rank = t.dim(), rows = t.shape()[rank - 2], cols = t.shape()[rank - 1];
  MatrixOperand operand;
  operand.data = static_cast<const float*>(t.storage()->data());
  operand.offsets = batch_offsets(t, batch, rows, cols);
  operand.leading = rows == 1 ? std::max<int64_t>(cols, 1) : t.strides()[rank - 2];
  return operand;
}

// The mask as batch + [L, S] with broadcast strides: added (f32) or keep/drop (bool).
struct Mask {
  const void* data = nullptr;
  bool boolean = false;
  std::vector<int64_t> offsets;
  int64_t row_stride = 0, col_stride = 0;
};

Mask mask_of(const Tensor& mask, const Shape& batch, int64_t queries, int64_t keys) {
  Mask result;
  result.data = mask.storage()->data();
  result.boolean = mask.dtype() == DType::boolean;
  const Shape strides = ops::broadcast_strides(mask, with_matrix(batch, queries, keys));
  result.row_stride = strides[strides.size() - 2];
  result.col_stride = strides.back();
  result.offsets = batch_offsets(mask, batch, queries, keys);
  return result;
}

struct Problem {
  Shape batch;
  int64_t batches = 0, queries = 0, keys = 0, head = 0, value_head = 0;
  float scale = 1;
  const ops::AttentionAttrs* attrs = nullptr;
  MatrixOperand q, k, v;
  bool has_mask = false;
  Mask mask;
};

// q, k, v at inputs[first …]; `batch` is the broadcast batch (the outputs' leading dims).
Problem problem_of(const ops::KernelCall& call, size_t first, const Shape& batch) {
  const auto& attrs = std::get<ops::AttentionAttrs>(call.attrs);
  const Tensor& q = call.inputs[first];
  const Tensor& k = call.inputs[first + 1];
  const Tensor& v = call.inputs[first + 2];
  Problem p;
  p.batch = batch;
  p.batches = numel(batch);
  p.queries = q.shape()[q.dim() - 2];
  p.keys = k.shape()[k.dim() - 2];
  p.head = q.shape().back();
  p.value_head = v.shape().back();
  p.scale = static_cast<float>(attrs.scale ? *attrs.scale : 1.0 / std::sqrt(static_cast<double>(p.head)));
  p.attrs = &attrs;
  p.q = matrix_operand(q, batch);
  p.k = matrix_operand(k, batch);
  p.v = matrix_operand(v, batch);
  p.has_mask = attrs.has_mask;
  if (p.has_mask) p.mask = mask_of(call.inputs.back(), batch, p.queries, p.keys);
  return p;
}

// Row-major sgemm on the calling thread (inside a parallel region oneDNN runs it sequentially); c = α·a·b + β·c.
void gemm(char transpose_a, char transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, float beta = 0.0f) {
  dnnl_sgemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// The keys that query rows [first, first + rows) can see: all of them, or under the causal mask those
// before the block's last row (the blocks above the diagonal are skipped, not masked).
// At least one: query row i always sees key 0.
int64_t visible_keys(const Problem& p, int64_t first, int64_t rows) {
  return p.attrs->causal ? std::min(p.keys, first + rows) : p.keys;
}

// Scores of query rows [first, first + rows) of batch b against the first `keys` keys into scores [rows, S]
// (row stride S; columns from `keys` on are left alone): scale·q·kᵀ, masked.
void block_scores(const Problem& p, int64_t b, int64_t first, int64_t rows, int64_t keys, float* scores) {
  const int64_t S = p.keys;
  gemm('N', 'T', rows, keys, p.head, p.scale, p.q.batch(b) + first * p.q.leading, p.q.leading, p.k.batch(b),
       p.k.leading, scores, S);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = first + r;
    float* row = scores + r * S;
    if (p.attrs->causal) std::fill(row + std::min(keys, i + 1), row + keys, negative_infinity);
    if (!p.has_mask) continue;
    const int64_t base = p.mask.offsets[static_cast<size_t>(b)] + i * p.mask.row_stride;
    if (p.mask.boolean) {
      const auto* keep = static_cast<const uint8_t*>(p.mask.data) + base;
      for (int64_t j = 0; j < S; ++j) row[j] = keep[j * p.mask.col_stride] ? row[j] : negative_infinity;
    } else {
      const auto* add = static_cast<const float*>(p.mask.data) + base;
      for (int64_t j = 0; j < S; ++j) row[j] += add[j * p.mask.col_stride];
    }
  }
}

// Multiplies row i of batch b's probabilities (its first `keys` columns) by dropout's factors.
void apply_dropout(const Problem& p, int64_t b, int64_t i, int64_t keys, float* row) {
  if (p.attrs->dropout_p == 0) return;
  for (int64_t j = 0; j < keys; ++j) {
    row[j] *= static_cast<float>(ops::attention_keep_factor(*p.attrs, p.queries, p.keys, b, i, j));
  }
}

// The row passes of the softmax and of its gradient, over the first `keys` scores of a row: 16 lanes with
// AVX-512 (e^x from simd.h, within an ulp of std::exp; sums in double lanes), else scalar loops.
#ifdef __AVX512F__
// row[j] = e^(row[j] − largest); returns Σ row[j] in double.
double exponentiate_row(float* row, int64_t keys, float largest) {
  const __m512 shift = _mm512_set1_ps(largest);
  __m512d low = _mm512_setzero_pd(), high = _mm512_setzero_pd();
  for (int64_t j = 0; j < keys; j += 16) {
    const __mmask16 mask = simd::tail_mask16(std::min<int64_t>(16, keys - j));
    const __m512 value = _mm512_maskz_mov_ps(mask, simd::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, row + j), shift)));
    _mm512_mask_storeu_ps(row + j, mask, value);
    simd::accumulate_in_double(low, high, value);
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(low, high));
}

void scale_row(float* row, int64_t keys, float factor) {
  const __m512 f = _mm512_set1_ps(factor);
  for (int64_t j = 0; j < keys; j += 16) {
    const __mmask16 mask = simd::tail_mask16(std::min<int64_t>(16, keys - j));
    _mm512_mask_storeu_ps(row + j, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, row + j), f));
  }
}

// Without dropout: P = e^(score − lse) into row, dS = P·(dP − Δ)·scale into drow (which holds dP).
void score_gradients(float* row, float* drow, int64_t keys, float total, float delta, float scale) {
  const __m512 t = _mm512_set1_ps(total), d = _mm512_set1_ps(delta), s = _mm512_set1_ps(scale);
  for (int64_t j = 0; j < keys; j += 16) {
    const __mmask16 mask = simd::tail_mask16(std::min<int64_t>(16, keys - j));
    const __m512 probability = simd::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, row + j), t));
    const __m512 dp = _mm512_maskz_loadu_ps(mask, drow + j);
    _mm512_mask_storeu_ps(drow + j, mask, _mm512_mul_ps(_mm512_mul_ps(probability, _mm512_sub_ps(dp, d)), s));
    _mm512_mask_storeu_ps(row + j, mask, probability);
  }
}
#else
double exponentiate_row(float* row, int64_t keys, float largest) {
  double total = 0;
  for (int64_t j = 0; j < keys; ++j) {
    row[j] = std::exp(row[j] - largest);
    total += row[j];
  }
  return total;
}

void scale_row(float* row, int64_t keys, float factor) {
  for (int64_t j = 0; j < keys; ++j) row[j] *= factor;
}

void score_gradients(float* row, float* drow, int64_t keys, float total, float delta, float scale) {
  for (int64_t j = 0; j < keys; ++j) {
    const float probability = std::exp(row[j] - total);
    drow[j] = probability * (drow[j] - delta) * scale;
    row[j] = probability;
  }
}
#endif

void attention_forward(const ops::KernelCall& call) {
  const Tensor& out = call.outputs[0];
  const Problem p = problem_of(call, 0, Shape(out.shape().begin(), out.shape().end() - 2));
  const int64_t L = p.queries, S = p.keys, Ev = p.value_head;
  auto* out_data = static_cast<float*>(out.raw_data());
  auto* lse = static_cast<float*>(call.outputs[1].raw_data());
  const int64_t blocks = (L + block_rows - 1) / block_rows, tasks = p.batches * blocks;
  const bool parallel = tasks > 1 && p.batches * L * S * (p.head + Ev) >= small_gemm;
  const int threads = parallel ? omp_get_max_threads() : 1;  // before OneThread sets it to 1
  // Every sgemm runs on its calling thread, also outside a parallel region, so its summation order is fixed.
  OneThread serial_gemm;
#pragma omp parallel if (parallel) num_threads(threads)
  {
    std::vector<float> scores(static_cast<size_t>(std::min(L, block_rows) * S));
#pragma omp for schedule(static)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t b = task / blocks, first = task % blocks * block_rows, rows = std::min(block_rows, L - first);
      const int64_t keys = visible_keys(p, first, rows);
      float* out_rows = out_data + (b * L + first) * Ev;
      block_scores(p, b, first, rows, keys, scores.data());
      for (int64_t r = 0; r < rows; ++r) {
        float* row = scores.data() + r * S;
        const float largest = *std::max_element(row, row + keys);
        float& total_log = lse[b * L + first + r];
        if (largest == negative_infinity) {  // fully masked: zeros out, no gradient
          std::fill(row, row + keys, 0.0f);
          total_log = negative_infinity;
          continue;
        }
        const double total = exponentiate_row(row, keys, largest);
        scale_row(row, keys, static_cast<float>(1.0 / total));
        total_log = static_cast<float>(largest + std::log(total));
        apply_dropout(p, b, first + r, keys, row);
      }
      gemm('N', 'N', rows, Ev, keys, 1.0f, scores.data(), S, p.v.batch(b), p.v.leading, out_rows, Ev);
    }
  }
}

// (dout, q, k, v, out, lse[, mask]) → (dq, dk, dv) over the broadcast batch.
void attention_backward(const ops::KernelCall& call) {
  const Tensor& dq = call.outputs[0];
  const Problem p = problem_of(call, 1, Shape(dq.shape().begin(), dq.shape().end() - 2));
  const int64_t L = p.queries, S = p.keys, E = p.head, Ev = p.value_head;
  const MatrixOperand dout = matrix_operand(call.inputs[0], p.batch), out = matrix_operand(call.inputs[4], p.batch);
  const auto* lse = static_cast<const float*>(call.inputs[5].raw_data());
  auto* dq_data = static_cast<float*>(dq.raw_data());
  auto* dk_data = static_cast<float*>(call.outputs[1].raw_data());
  auto* dv_data = static_cast<float*>(call.outputs[2].raw_data());
  const bool parallel = p.batches > 1 && p.batches * L * S * (E + Ev) >= small_gemm;
  const int threads = parallel ? omp_get_max_threads() : 1;  // before OneThread sets it to 1
  const bool dropout = p.attrs->dropout_p > 0;
  OneThread serial_gemm;
#pragma omp parallel if (parallel) num_threads(threads)
  {
    const size_t scratch = static_cast<size_t>(std::min(L, block_rows) * S);
    std::vector<float> probabilities(scratch), dscores(scratch);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < p.batches; ++b) {
      float *P = probabilities.data(), *dS = dscores.data();
      float *dk = dk_data + b * S * E, *dv = dv_data + b * S * Ev;
      std::fill(dk, dk + S * E, 0.0f);  // accumulated over the query blocks below
      std::fill(dv, dv + S * Ev, 0.0f);
      for (int64_t first = 0; first < L; first += block_rows) {
        const int64_t rows = std::min(block_rows, L - first), keys = visible_keys(p, first, rows);
        float* dq = dq_data + (b * L + first) * E;
        const float* g_rows = dout.batch(b) + first * dout.leading;
        block_scores(p, b, first, rows, keys, P);
        gemm('N', 'T', rows, keys, Ev, 1.0f, g_rows, dout.leading, p.v.batch(b), p.v.leading, dS, S);  // dP
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = first + r;
          float *row = P + r * S, *drow = dS + r * S;
          const float total = lse[b * L + i];
          if (total == negative_infinity) {  // a fully masked row: no gradient
            std::fill(row, row + keys, 0.0f);
            std::fill(drow, drow + keys, 0.0f);
            continue;
          }
          const float *g = dout.batch(b) + i * dout.leading, *o = out.batch(b) + i * out.leading;
          double delta = 0;
          for (int64_t e = 0; e < Ev; ++e) delta += static_cast<double>(g[e]) * o[e];
          const auto delta_f = static_cast<float>(delta);
          if (!dropout) {
            score_gradients(row, drow, keys, total, delta_f, p.scale);
            continue;
          }
          for (int64_t j = 0; j < keys; ++j) {
            const float probability = std::exp(row[j] - total);
            const auto keep = static_cast<float>(ops::attention_keep_factor(*p.attrs, L, S, b, i, j));
            drow[j] = probability * (keep * drow[j] - delta_f) * p.scale;
            row[j] = probability * keep;
          }
        }
        gemm('N', 'N', rows, E, keys, 1.0f, dS, S, p.k.batch(b), p.k.leading, dq, E);
        gemm('T', 'N', keys, E, rows, 1.0f, dS, S, p.q.batch(b) + first * p.q.leading, p.q.leading, dk, E, 1.0f);
        gemm('T', 'N', keys, Ev, rows, 1.0f, P, S, g_rows, dout.leading, dv, Ev, 1.0f);
      }
    }
  }
}

bool contiguous_f32(const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous(); }

bool mask_readable(const Tensor& mask) { return mask.dtype() == DType::boolean || mask.dtype() == DType::f32; }

}  // namespace

ops::Kernel attention_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                           const ops::Attrs& attrs) {
  const bool has_mask = std::get<ops::AttentionAttrs>(attrs).has_mask;
  const bool backward = op == ops::OpId::attention_backward;
  // forward: (q, k, v[, mask]);  backward: (dout, q, k, v, out, lse[, mask])
  const size_t matrices = backward ? 5 : 3;
  for (size_t i = 0; i < matrices; ++i) if (!readable(inputs[i])) return nullptr;
  if (backward && !contiguous_f32(inputs[5])) return nullptr;
  if (has_mask && !mask_readable(inputs.back())) return nullptr;
  for (const Tensor& output : outputs) if (!contiguous_f32(output) || output.numel() == 0) return nullptr;
  const size_t first = backward ? 1 : 0;
  for (size_t i = first; i < first + 3; ++i) if (inputs[i].numel() == 0) return nullptr;
  return backward ? &attention_backward : &attention_forward;
}

}  // namespace nabla::cpu
