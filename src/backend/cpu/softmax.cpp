// Fast f32 softmax and log_softmax along the last dim of a contiguous tensor, and cross_entropy's forward
// (log-softmax and NLL fused: one pass for the max, one for Σ e^(x − max), no probabilities stored).
// Row by row: OpenMP over rows above parallel_threshold elements; a row is always computed by one thread
// in a fixed order, so results do not depend on the thread count. Sums of exponentials accumulate in
// double. AVX-512 intrinsics where the compiler targets them (__AVX512F__), else portable loops the
// compiler vectorises (`omp simd`). Rows whose max is ±∞ or NaN take the reference kernel's formula exactly.
//
// Accuracy: e^x is simd.h's (Taylor to r⁷ on a two-part ln 2 reduction, within 1 ulp; the portable loop
// evaluates the same polynomial). Against the reference kernels (double, rounded once), measured on
// randn·3 and randn·30 logits [2000, 1000]: softmax within 0.5 ulp of max(1, |y|), log_softmax and the
// per-row loss within 1 ulp of max(1, |y|).
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/fast.h"
#include "backend/cpu/simd.h"
#include "ops/kernel_rules.h"

namespace nabla::cpu {
namespace {

constexpr float negative_infinity = -std::numeric_limits<float>::infinity();

using simd::exp_highest;
using simd::exp_lowest;

#ifdef __AVX512F__

using simd::accumulate_in_double;
using simd::splat;
using simd::tail_mask16;

// The largest element, or NaN when the row holds one (the caller then takes the reference formula).
float row_max(const float* x, int64_t n) {
  __m512 best = splat(negative_infinity);
  __mmask16 nan = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    best = _mm512_max_ps(v, best);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  }
  if (i < n) {
    const __m512 v = _mm512_mask_loadu_ps(splat(negative_infinity), tail_mask16(n - i), x + i);
    best = _mm512_max_ps(v, best);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  }
  return nan ? std::numeric_limits<float>::quiet_NaN() : _mm512_reduce_max_ps(best);
}

// Σ e^(x_i − shift), in double; stores each e^(x_i − shift) into `exps` when given.
double row_sum_exp(const float* x, int64_t n, float shift, float* exps) {
  __m512d low = _mm512_setzero_pd(), high = _mm512_setzero_pd();
  const __m512 shift_vector = splat(shift);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = simd::exp(_mm512_sub_ps(_mm512_loadu_ps(x + i), shift_vector));
    if (exps) _mm512_storeu_ps(exps + i, e);
    accumulate_in_double(low, high, e);
  }
  if (i < n) {
    const __mmask16 mask = tail_mask16(n - i);
    const __m512 e = _mm512_maskz_mov_ps(mask, simd::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), shift_vector)));
    if (exps) _mm512_mask_storeu_ps(exps + i, mask, e);
    accumulate_in_double(low, high, e);
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(low, high));
}

void row_scale(float* y, int64_t n, float factor) {
  const __m512 f = splat(factor);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), f));
  if (i < n) {
    const __mmask16 mask = tail_mask16(n - i);
    _mm512_mask_storeu_ps(y + i, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, y + i), f));
  }
}

// y = (x − shift) − log_total
void row_log_softmax(const float* x, float* y, int64_t n, float shift, float log_total) {
  const __m512 s = splat(shift), l = splat(log_total);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), s), l));
  if (i < n) {
    const __mmask16 mask = tail_mask16(n - i);
    _mm512_mask_storeu_ps(y + i, mask, _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), s), l));
  }
}

#else  // portable: scalar code that the compiler vectorises

// The same e^x, for x already in [exp_lowest, exp_highest] (no NaN: rows holding one never get here). Written without
// branches or library calls so that a loop of it vectorises; the clamp runs in a loop of its own, since
// GCC would otherwise duplicate this code into the clamp's branches and give up (-ftrapping-math).
inline float exp_in_range(float x) {
  // Round to nearest by the 1.5·2²³ trick (exact for |t| < 2²²).
  const float t = x * simd::exp_log2_e;
  const float n = (t + 12582912.0f) - 12582912.0f;
  float r = x - n * simd::exp_ln2_high;
  r = r - n * simd::exp_ln2_low;
  float e = simd::exp_taylor[0];
  for (int k = 1; k < simd::exp_taylor_terms; ++k) e = e * r + simd::exp_taylor[k];
  // 2^n in two factors, each a normal float for n in [−150, 128], so the one rounding happens last.
  const auto whole = static_cast<int32_t>(n);
  const int32_t half = whole >> 1;
  const float first = std::bit_cast<float>(static_cast<uint32_t>(half + 127) << 23);
  const float second = std::bit_cast<float>(static_cast<uint32_t>(whole - half + 127) << 23);
  return e * first * second;
}

float row_max(const float* x, int64_t n) {
  float best = negative_infinity;
  int nan = 0;
#pragma omp simd reduction(max : best) reduction(| : nan)
  for (int64_t i = 0; i < n; ++i) {
    best = x[i] > best ? x[i] : best;
    nan |= x[i] != x[i];
  }
  return nan ? std::numeric_limits<float>::quiet_NaN() : best;
}

double row_sum_exp(const float* x, int64_t n, float shift, float* exps) {
  constexpr int64_t block = 256;
  float buffer[block];
  double total = 0;
  for (int64_t start = 0; start < n; start += block) {
    const int64_t count = std::min(block, n - start);
    float* e = exps ? exps + start : buffer;
#pragma omp simd
    for (int64_t i = 0; i < count; ++i) {
      const float shifted = x[start + i] - shift;
      e[i] = shifted < exp_lowest ? exp_lowest : (shifted > exp_highest ? exp_highest : shifted);
    }
#pragma omp simd
    for (int64_t i = 0; i < count; ++i) e[i] = exp_in_range(e[i]);
#pragma omp simd reduction(+ : total)
    for (int64_t i = 0; i < count; ++i) total += e[i];
  }
  return total;
}

void row_scale(float* y, int64_t n, float factor) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] *= factor;
}

void row_log_softmax(const float* x, float* y, int64_t n, float shift, float log_total) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - shift) - log_total;
}

#endif

// Σ x_i·w_i and Σ x_i in double (label smoothing's term): loops the compiler vectorises on either target.
double row_dot(const float* x, const float* w, int64_t n) {
  double total = 0;
#pragma omp simd reduction(+ : total)
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * static_cast<double>(w[i]);
  return total;
}
double row_sum(const float* x, int64_t n) {
  double total = 0;
#pragma omp simd reduction(+ : total)
  for (int64_t i = 0; i < n; ++i) total += x[i];
  return total;
}

// lse of a row whose max is ±∞, as the reference kernel computes it (an infinite max is not taken out).
double reference_lse(const float* x, int64_t n) {
  double largest = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i) largest = std::max(largest, static_cast<double>(x[i]));
  const double shift = std::isinf(largest) ? 0.0 : largest;
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += std::exp(static_cast<double>(x[i]) - shift);
  return std::log(total) + shift;
}

// log Σ e^x of a row: max + log Σ e^(x − max).
double row_lse(const float* x, int64_t n) {
  const float largest = row_max(x, n);
  if (!std::isfinite(largest)) return reference_lse(x, n);
  return static_cast<double>(largest) + std::log(row_sum_exp(x, n, largest, nullptr));
}

template <bool log_result>
void softmax_rows(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const auto* in = static_cast<const float*>(x.raw_data());
  auto* out = static_cast<float*>(call.outputs[0].raw_data());
  const int64_t n = x.shape().back(), rows = x.numel() / n;
#pragma omp parallel for schedule(static) if (x.numel() >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    const float* xs = in + row * n;
    float* ys = out + row * n;
    const float largest = row_max(xs, n);
    if (!std::isfinite(largest)) {
      const double lse = reference_lse(xs, n);
      for (int64_t i = 0; i < n; ++i) {
        const double shifted = static_cast<double>(xs[i]) - lse;
        ys[i] = static_cast<float>(log_result ? shifted : std::exp(shifted));
      }
    } else if (log_result) {
      row_log_softmax(xs, ys, n, largest, static_cast<float>(std::log(row_sum_exp(xs, n, largest, nullptr))));
    } else {
      row_scale(ys, n, static_cast<float>(1.0 / row_sum_exp(xs, n, largest, ys)));
    }
  }
}

// loss_n = (1 − ε)·w[t]·(lse − x[t]) + ε/C·(lse·Σw − Σ w_c·x_c) per row (reference: src/ops/softmax.cpp).
// Rows run in parallel into a buffer; the reduction then adds them in row order (thread-count independent).
void cross_entropy_rows(const ops::KernelCall& call) {
  const Tensor& logits = call.inputs[0];
  const Tensor& target = call.inputs[1];
  const auto& attrs = std::get<ops::LossAttrs>(call.attrs);
  ops::check_cross_entropy_targets(logits, target, attrs);  // throws here, never inside the parallel region
  const int64_t classes = logits.shape().back(), rows = logits.numel() / classes;
  const auto* in = static_cast<const float*>(logits.raw_data());
  const auto* labels = static_cast<const int64_t*>(target.raw_data());
  const float* weight = attrs.has_weight ? static_cast<const float*>(call.inputs[2].raw_data()) : nullptr;
  const double smoothing = attrs.label_smoothing;
  const double weight_total = weight ? row_sum(weight, classes) : static_cast<double>(classes);
  std::vector<double> losses(static_cast<size_t>(rows)), row_weights(static_cast<size_t>(rows));
#pragma omp parallel for schedule(static) if (logits.numel() >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t label = labels[row];
    if (label == attrs.ignore_index) continue;  // loss and weight stay 0
    const float* xs = in + row * classes;
    const double lse = row_lse(xs, classes);
    const double picked_weight = weight ? weight[label] : 1.0;
    double loss = (1 - smoothing) * picked_weight * (lse - xs[label]);
    if (smoothing > 0) {
      const double weighted_logits = weight ? row_dot(xs, weight, classes) : row_sum(xs, classes);
      loss += smoothing / static_cast<double>(classes) * (lse * weight_total - weighted_logits);
    }
    losses[static_cast<size_t>(row)] = loss;
    row_weights[static_cast<size_t>(row)] = picked_weight;
  }
  auto* out = static_cast<float*>(call.outputs[0].raw_data());
  if (attrs.reduction == Reduction::none) {
    for (int64_t row = 0; row < rows; ++row) out[row] = static_cast<float>(losses[static_cast<size_t>(row)]);
    return;
  }
  double total = 0, denominator = 0;
  for (int64_t row = 0; row < rows; ++row) {
    total += losses[static_cast<size_t>(row)];
    denominator += row_weights[static_cast<size_t>(row)];
  }
  out[0] = static_cast<float>(attrs.reduction == Reduction::sum ? total : total / denominator);
}

bool contiguous_f32(const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous(); }

}  // namespace

ops::Kernel softmax_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                         const ops::Attrs& attrs) {
  const Tensor& x = inputs[0];
  if (!contiguous_f32(x) || !contiguous_f32(outputs[0]) || x.dim() == 0 || x.numel() == 0) return nullptr;
  if (wrap_dim(std::get<ops::DimAttrs>(attrs).dim, x.dim(), "softmax") != x.dim() - 1) return nullptr;
  return op == ops::OpId::log_softmax ? &softmax_rows<true> : &softmax_rows<false>;
}

ops::Kernel cross_entropy_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                               const ops::Attrs& attrs) {
  const Tensor& logits = inputs[0];
  const Tensor& target = inputs[1];
  if (!contiguous_f32(logits) || !contiguous_f32(outputs[0]) || logits.numel() == 0) return nullptr;
  if (target.dtype() != DType::i64 || !target.is_contiguous()) return nullptr;
  if (std::get<ops::LossAttrs>(attrs).has_weight && !contiguous_f32(inputs[2])) return nullptr;
  return &cross_entropy_rows;
}

}  // namespace nabla::cpu
