// Fast f32 layer_norm forward for contiguous x, weight and bias: row by row (a row is the normalized
// dims), three passes — Σx, Σ(x − mean)², then y = (x − mean)·(rstd·w) + b — each in double lanes, so the
// result matches the reference kernel (double, rounded once) to the last bit or two. OpenMP over rows
// above parallel_threshold elements; a row is computed by one thread, so results do not depend on the
// thread count. AVX-512 intrinsics under __AVX512F__, else loops the compiler vectorises (`omp simd`).

#include <cmath>

#include "backend/cpu/fast.h"
#include "backend/cpu/simd.h"

namespace nabla::cpu {
namespace {

#ifdef __AVX512F__

// 8 floats as 8 doubles, from an aligned-or-not pointer; `mask` keeps the first lanes of a tail.
inline __m512d load8(const float* x) { return _mm512_cvtps_pd(_mm256_loadu_ps(x)); }
inline __m512d load8(const float* x, __mmask8 mask) { return _mm512_cvtps_pd(_mm256_maskz_loadu_ps(mask, x)); }
using simd::tail_mask8;

double row_sum(const float* x, int64_t n) {
  __m512d total = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) total = _mm512_add_pd(total, load8(x + i));
  if (i < n) total = _mm512_add_pd(total, load8(x + i, tail_mask8(n - i)));
  return _mm512_reduce_add_pd(total);
}

double row_centered_squares(const float* x, int64_t n, double mean) {
  const __m512d m = _mm512_set1_pd(mean);
  __m512d total = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d centered = _mm512_sub_pd(load8(x + i), m);
    total = _mm512_fmadd_pd(centered, centered, total);
  }
  if (i < n) {
    const __mmask8 mask = tail_mask8(n - i);
    const __m512d centered = _mm512_maskz_sub_pd(mask, load8(x + i, mask), m);
    total = _mm512_fmadd_pd(centered, centered, total);
  }
  return _mm512_reduce_add_pd(total);
}

inline __m512d normalize8(__m512d x, __m512d w, __m512d b, __m512d mean, __m512d rstd) {
  return _mm512_fmadd_pd(_mm512_sub_pd(x, mean), _mm512_mul_pd(rstd, w), b);
}

void row_normalize(const float* x, const float* w, const float* b, float* y, int64_t n, double mean, double rstd) {
  const __m512d m = _mm512_set1_pd(mean), r = _mm512_set1_pd(rstd);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm512_cvtpd_ps(normalize8(load8(x + i), load8(w + i), load8(b + i), m, r)));
  }
  if (i < n) {
    const __mmask8 mask = tail_mask8(n - i);
    const __m512d result = normalize8(load8(x + i, mask), load8(w + i, mask), load8(b + i, mask), m, r);
    _mm256_mask_storeu_ps(y + i, mask, _mm512_cvtpd_ps(result));
  }
}

#else  // portable

double row_sum(const float* x, int64_t n) {
  double total = 0;
#pragma omp simd reduction(+ : total)
  for (int64_t i = 0; i < n; ++i) total += x[i];
  return total;
}

double row_centered_squares(const float* x, int64_t n, double mean) {
  double total = 0;
#pragma omp simd reduction(+ : total)
  for (int64_t i = 0; i < n; ++i) {
    const double centered = static_cast<double>(x[i]) - mean;
    total += centered * centered;
  }
  return total;
}

void row_normalize(const float* x, const float* w, const float* b, float* y, int64_t n, double mean, double rstd) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>((static_cast<double>(x[i]) - mean) * (rstd * static_cast<double>(w[i])) + b[i]);
  }
}

#endif

void layer_norm_rows(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<ops::NormAttrs>(call.attrs);
  const int64_t n = call.inputs[1].numel(), rows = x.numel() / n;
  const auto* in = static_cast<const float*>(x.raw_data());
  const auto* weight = static_cast<const float*>(call.inputs[1].raw_data());
  const auto* bias = static_cast<const float*>(call.inputs[2].raw_data());
  auto* out = static_cast<float*>(call.outputs[0].raw_data());
  auto* means = static_cast<float*>(call.outputs[1].raw_data());
  auto* rstds = static_cast<float*>(call.outputs[2].raw_data());
  const double count = static_cast<double>(n);
#pragma omp parallel for schedule(static) if (x.numel() >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    const float* xs = in + row * n;
    const double mean = row_sum(xs, n) / count;
    const double rstd = 1.0 / std::sqrt(row_centered_squares(xs, n, mean) / count + attrs.eps);
    row_normalize(xs, weight, bias, out + row * n, n, mean, rstd);
    means[row] = static_cast<float>(mean);
    rstds[row] = static_cast<float>(rstd);
  }
}

bool contiguous_f32(const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous(); }

}  // namespace

ops::Kernel layer_norm_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                            const ops::Attrs&) {
  for (const Tensor& input : inputs) if (!contiguous_f32(input)) return nullptr;
  for (const Tensor& output : outputs) if (!contiguous_f32(output)) return nullptr;
  if (inputs[0].numel() == 0 || inputs[1].numel() == 0) return nullptr;
  return &layer_norm_rows;
}

}  // namespace nabla::cpu
