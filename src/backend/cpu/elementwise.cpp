// Fast float32 kernels for the elementwise unary ops and activations on contiguous tensors, and a fast
// copy_. Where the compiler targets AVX-512 (__AVX512F__) the transcendental ops use our own vector
// approximations and outputs of streaming_bytes or more go out with streaming stores; elsewhere
// (-DNABLA_PORTABLE=ON) each element is computed as the reference kernel does, in double and rounded once,
// in loops the compiler vectorises where it can. OpenMP above parallel_threshold, serial below; nothing
// here can throw once a kernel runs.
//
// Accuracy of the AVX-512 path against the reference kernels (double, rounded once), as the largest
// distance in float32 ulps over 2²⁴ random inputs per op (|x| ≤ 90; log/sqrt inputs over all exponents;
// sin/cos |x| ≤ 10⁴ and 10⁸) plus ±0, ±∞, NaN, denormals and FLT_MAX, measured on the dev machine:
//   exp 1, log 1, log1p 1, tanh 1, sigmoid 2, silu 3, elu 2, rsqrt 1; computed in double lanes (rounded
//   once): gelu (both forms) 1, softplus 0, sin/cos 0, leaky_relu 0; exact: the rest. NaN where the
//   reference gives NaN. Results below 10⁻³⁶ (exp, sigmoid, silu, gelu far out in their tails) can be
//   further off in ulps of their denormal range, by less than 2·10⁻⁴³ absolute.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numbers>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "backend/cpu/fast.h"

namespace nabla::cpu {

void for_each_chunk(int64_t count, const std::function<void(int64_t begin, int64_t end)>& body) {
  // Fixed chunks (not one range per thread) so that a chunk's work never depends on the thread count.
  constexpr int64_t chunk = 16384;
  if (count < parallel_threshold) {
    body(0, count);
    return;
  }
  const int64_t chunks = (count + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) body(c * chunk, std::min(count, (c + 1) * chunk));
}

namespace {

#ifdef __AVX512F__
// ---- AVX-512 math: 16 floats, or 8 doubles where float intermediates would lose the last bits.
namespace avx512 {

using Floats = __m512;
using Doubles = __m512d;
inline Floats splat(float v) { return _mm512_set1_ps(v); }
inline Doubles splat(double v) { return _mm512_set1_pd(v); }

// Clamps to [low, high] keeping NaN (min/max return their second operand when one is NaN).
inline Floats clamp_keep_nan(Floats x, float low, float high) {
  return _mm512_max_ps(splat(low), _mm512_min_ps(splat(high), x));
}
inline Floats with_sign_of(Floats magnitude, Floats sign_source) {
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(sign_source), _mm512_set1_epi32(INT32_MIN));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(magnitude), sign));
}

// eˣ = 2ⁿ·eʳ, n = round(x/ln 2), r = x − n·ln 2 (two-part ln 2, |r| ≤ 0.35), eʳ by its Taylor series to r⁷
// (truncation < 6·10⁻⁹); scalef applies 2ⁿ with correct overflow to ∞ and gradual underflow.
inline Floats exp(Floats x) {
  x = clamp_keep_nan(x, -104.0f, 89.0f);
  const Floats n = _mm512_roundscale_ps(_mm512_mul_ps(x, splat(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  Floats r = _mm512_fnmadd_ps(n, splat(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, splat(1.428606820309417e-6f), r);
  Floats p = splat(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, splat(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, splat(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, splat(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, splat(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, splat(0.5f));
  p = _mm512_fmadd_ps(p, r, splat(1.0f));
  p = _mm512_fmadd_ps(p, r, splat(1.0f));
  return _mm512_scalef_ps(p, n);
}

// eˣ − 1 without cancellation near 0: its Taylor series for |x| < ½, eˣ − 1 elsewhere (|result| > 0.39).
inline Floats expm1(Floats x) {
  Floats p = splat(1.0f / 362880);
  for (float c : {1.0f / 40320, 1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f}) p = _mm512_fmadd_ps(p, x, splat(c));
  const Floats series = _mm512_fmadd_ps(_mm512_mul_ps(x, x), p, x);
  const __mmask16 small = _mm512_cmp_ps_mask(_mm512_abs_ps(x), splat(0.5f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(small, _mm512_sub_ps(exp(x), splat(1.0f)), series);
}

// ln x = e·ln 2 + ln(1 + f), x = 2ᵉ(1 + f) with 1 + f in [0.75, 1.5); ln(1 + f) as fdlibm does, from
// s = f/(2 + f): f − (f²/2 − s(f²/2 + R(s²))), R the atanh series to s¹⁰ (|s| ≤ 0.2, truncation < 10⁻⁹).
inline Floats log_finite_positive(Floats x) {
  const Floats m = _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);
  Floats e = _mm512_getexp_ps(x);
  e = _mm512_mask_add_ps(e, _mm512_cmp_ps_mask(m, splat(1.0f), _CMP_LT_OQ), e, splat(1.0f));  // m was halved
  const Floats f = _mm512_sub_ps(m, splat(1.0f));
  const Floats s = _mm512_div_ps(f, _mm512_add_ps(splat(2.0f), f));
  const Floats z = _mm512_mul_ps(s, s);
  Floats r = splat(2.0f / 11);
  for (float c : {2.0f / 9, 2.0f / 7, 2.0f / 5, 2.0f / 3}) r = _mm512_fmadd_ps(r, z, splat(c));
  r = _mm512_mul_ps(r, z);
  const Floats half_f_squared = _mm512_mul_ps(_mm512_mul_ps(splat(0.5f), f), f);
  const Floats log_m = _mm512_sub_ps(f, _mm512_fnmadd_ps(s, _mm512_add_ps(half_f_squared, r), half_f_squared));
  // e·ln 2 in two parts: e·ln2_high is exact.
  return _mm512_fmadd_ps(e, splat(0.693145751953125f), _mm512_fmadd_ps(e, splat(1.428606820309417e-6f), log_m));
}
inline Floats log(Floats x) {
  Floats y = log_finite_positive(x);
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, splat(0.0f), _CMP_EQ_OQ), splat(-INFINITY));
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, splat(INFINITY), _CMP_EQ_OQ), splat(INFINITY));
  return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, splat(0.0f), _CMP_NGE_UQ), splat(NAN));  // x < 0 or NaN
}

// ln(1 + x) = ln u + (x − (u − 1))/u with u = 1 + x rounded: the second term restores what rounding lost.
inline Floats log1p(Floats x) {
  const Floats u = _mm512_add_ps(splat(1.0f), x);
  const Floats correction = _mm512_div_ps(_mm512_sub_ps(x, _mm512_sub_ps(u, splat(1.0f))), u);
  const __mmask16 finite = _mm512_cmp_ps_mask(_mm512_abs_ps(u), splat(INFINITY), _CMP_LT_OQ) &
                           _mm512_cmp_ps_mask(u, splat(0.0f), _CMP_NEQ_OQ);
  const Floats log_u = log(u);
  return _mm512_mask_add_ps(log_u, finite, log_u, correction);
}

// tanh: x·P(x²) for |x| < 0.625 (a fitted polynomial, relative error 4·10⁻⁹); else 1 − 2/(e^2|x| + 1).
inline Floats tanh(Floats x) {
  const Floats a = _mm512_abs_ps(x);
  const Floats z = _mm512_mul_ps(x, x);
  Floats p = splat(-0.005660187699131059f);
  for (float c : {0.020591201973261707f, -0.05372115155395395f, 0.13331128964892047f, -0.3333326062653033f}) {
    p = _mm512_fmadd_ps(p, z, splat(c));
  }
  const Floats small = _mm512_fmadd_ps(_mm512_mul_ps(x, z), p, x);
  const Floats e = exp(_mm512_add_ps(a, a));
  const Floats large = with_sign_of(_mm512_sub_ps(splat(1.0f), _mm512_div_ps(splat(2.0f), _mm512_add_ps(e, splat(1.0f)))), x);
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, splat(0.625f), _CMP_LT_OQ), large, small);
}

// σ(x) = 1/(1 + e^−|x|) for x ≥ 0 and e^−|x|/(1 + e^−|x|) below: e^−|x| never overflows.
// silu(x) = x·σ(x) with the same single division.
inline Floats sigmoid_times(Floats x, Floats factor) {
  const Floats z = exp(_mm512_sub_ps(splat(0.0f), _mm512_abs_ps(x)));
  const __mmask16 negative = _mm512_cmp_ps_mask(x, splat(0.0f), _CMP_LT_OQ);
  const Floats numerator = _mm512_mask_mul_ps(factor, negative, factor, z);
  return _mm512_div_ps(numerator, _mm512_add_ps(splat(1.0f), z));
}

// ---- double lanes: 16 floats as two halves of 8 doubles, for the ops whose arguments are computed
// (βx, x/√2, x + 0.044715x³, range reduction) and would carry float rounding into an exponent.
inline Doubles exp(Doubles x) {
  x = _mm512_max_pd(splat(-746.0), _mm512_min_pd(splat(710.0), x));
  const Doubles n = _mm512_roundscale_pd(_mm512_mul_pd(x, splat(1.4426950408889634)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  Doubles r = _mm512_fnmadd_pd(n, splat(6.93147180369123816490e-01), x);
  r = _mm512_fnmadd_pd(n, splat(1.90821492927058770002e-10), r);
  // Taylor to r¹² (|r| ≤ 0.35: truncation < 2·10⁻¹⁶).
  Doubles p = splat(1.0 / 479001600);
  for (double c : {1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120,
                   1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0}) {
    p = _mm512_fmadd_pd(p, r, splat(c));
  }
  return _mm512_scalef_pd(p, n);
}

// ln u for finite u > 0 (same scheme as the float log, series to s¹⁶).
inline Doubles log_finite_positive(Doubles x) {
  const Doubles m = _mm512_getmant_pd(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);
  Doubles e = _mm512_getexp_pd(x);
  e = _mm512_mask_add_pd(e, _mm512_cmp_pd_mask(m, splat(1.0), _CMP_LT_OQ), e, splat(1.0));
  const Doubles f = _mm512_sub_pd(m, splat(1.0));
  const Doubles s = _mm512_div_pd(f, _mm512_add_pd(splat(2.0), f));
  const Doubles z = _mm512_mul_pd(s, s);
  Doubles r = splat(2.0 / 17);
  for (double c : {2.0 / 15, 2.0 / 13, 2.0 / 11, 2.0 / 9, 2.0 / 7, 2.0 / 5, 2.0 / 3}) r = _mm512_fmadd_pd(r, z, splat(c));
  r = _mm512_mul_pd(r, z);
  const Doubles half_f_squared = _mm512_mul_pd(_mm512_mul_pd(splat(0.5), f), f);
  const Doubles log_m = _mm512_sub_pd(f, _mm512_fnmadd_pd(s, _mm512_add_pd(half_f_squared, r), half_f_squared));
  return _mm512_fmadd_pd(e, splat(6.93147180369123816490e-01), _mm512_fmadd_pd(e, splat(1.90821492927058770002e-10), log_m));
}

// ln(1 + x) for x in [0, 1].
inline Doubles log1p_unit(Doubles x) {
  const Doubles u = _mm512_add_pd(splat(1.0), x);
  const Doubles correction = _mm512_div_pd(_mm512_sub_pd(x, _mm512_sub_pd(u, splat(1.0))), u);
  return _mm512_add_pd(log_finite_positive(u), correction);
}

// erfc z for z ≥ 0: t·exp(−z² + P(t)), t = 1/(1 + z/2), P fitted (degree 12) on z in [0, 12] to a
// relative error of 2·10⁻¹⁰. Beyond 12 the result underflows anyway (P stays bounded as t → 0).
inline Doubles erfc_nonnegative(Doubles z) {
  const Doubles t = _mm512_div_pd(splat(1.0), _mm512_fmadd_pd(z, splat(0.5), splat(1.0)));
  Doubles p = splat(0.18143812909539428);
  for (double c : {-1.3416159702035013, 4.294371188009185, -7.685918583944999, 8.296001867267618, -5.545016486005909,
                   2.536595095458485, -1.0175386215284778, 0.11852014541720154, 0.05042173852569763,
                   0.3784612911385179, 0.999786489864647, -1.2655062831480226}) {
    p = _mm512_fmadd_pd(p, t, splat(c));
  }
  return _mm512_mul_pd(t, exp(_mm512_fnmadd_pd(z, z, p)));
}

// sin and cos: n = round(x·2/π), r = x − n·π/2 with π/2 in three parts (exact for |n| < 2²⁰), then the
// Taylor series of sin r or cos r (|r| ≤ π/4, truncation < 3·10⁻¹⁴) by the quadrant n mod 4.
inline Doubles sin_quadrant(Doubles x, double quadrant_shift) {
  const Doubles n = _mm512_roundscale_pd(_mm512_mul_pd(x, splat(0.63661977236758134)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  Doubles r = _mm512_fnmadd_pd(n, splat(1.57079632673412561417e+00), x);
  r = _mm512_fnmadd_pd(n, splat(6.07710050630396597660e-11), r);
  r = _mm512_fnmadd_pd(n, splat(2.02226624871116645580e-21), r);
  const Doubles z = _mm512_mul_pd(r, r);
  Doubles s = splat(1.0 / 6227020800);
  for (double c : {-1.0 / 39916800, 1.0 / 362880, -1.0 / 5040, 1.0 / 120, -1.0 / 6}) s = _mm512_fmadd_pd(s, z, splat(c));
  const Doubles sine = _mm512_fmadd_pd(_mm512_mul_pd(r, z), s, r);
  Doubles c = splat(1.0 / 87178291200);
  for (double k : {-1.0 / 479001600, 1.0 / 3628800, -1.0 / 40320, 1.0 / 720, -1.0 / 24, 0.5}) c = _mm512_fmadd_pd(c, z, splat(k));
  const Doubles cosine = _mm512_fnmadd_pd(z, c, splat(1.0));  // 1 − z·(½ − z/24 + …)
  // q = (n + shift) mod 4: odd quadrants take the cosine, quadrants 2 and 3 negate.
  const Doubles q = _mm512_add_pd(n, splat(quadrant_shift));
  const Doubles q_mod_4 = _mm512_fnmadd_pd(_mm512_roundscale_pd(_mm512_mul_pd(q, splat(0.25)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC), splat(4.0), q);
  const __mmask8 odd = _mm512_cmp_pd_mask(q_mod_4, splat(1.0), _CMP_EQ_OQ) | _mm512_cmp_pd_mask(q_mod_4, splat(3.0), _CMP_EQ_OQ);
  const __mmask8 negate = _mm512_cmp_pd_mask(q_mod_4, splat(2.0), _CMP_GE_OQ);
  const Doubles value = _mm512_mask_blend_pd(odd, sine, cosine);
  return _mm512_mask_sub_pd(value, negate, splat(0.0), value);
}

// Applies a double-lane function to 16 floats and rounds each result once.
template <typename Function>
inline Floats in_double(Floats x, Function function) {
  const Doubles low = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
  const Doubles high = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
  const __m256 low_result = _mm512_cvtpd_ps(function(low));
  const __m256 high_result = _mm512_cvtpd_ps(function(high));
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(low_result)),
                                             _mm256_castps_pd(high_result), 1));
}

}  // namespace avx512

// Ops that have a `vector` form use it on AVX-512; the rest run `scalar` in a loop the compiler vectorises.
template <typename Op>
concept Vectorised = requires(const Op& op, __m512 v) { op.vector(v); };
#endif

#ifdef __AVX512F__
// sin/cos lanes beyond the exact range reduction (|x| ≥ 10⁶, rare) are recomputed one by one.
template <typename Op>
__m512 with_large_fallback(__m512 x, __m512 result, const Op& op) {
  const __mmask16 large = _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(1e6f), _CMP_NLT_UQ);
  if (!large) return result;
  alignas(64) float in[16], out[16];
  _mm512_store_ps(in, x);
  _mm512_store_ps(out, result);
  for (int lane = 0; lane < 16; ++lane) {
    if (large & (1u << lane)) out[lane] = op.scalar(in[lane]);
  }
  return _mm512_load_ps(out);
}
#endif

// ---- the ops. `scalar` computes what the reference kernel computes (in double, rounded once).
struct Neg {
  float scalar(float x) const { return -x; }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN)));
  }
#endif
};
struct Abs {
  float scalar(float x) const { return std::fabs(x); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return _mm512_abs_ps(x); }
#endif
};
struct Sign {
  float scalar(float x) const { return x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    const __m512 zero = _mm512_setzero_ps();
    const __m512 positive = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ), _mm512_set1_ps(1.0f));
    return _mm512_mask_mov_ps(positive, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), _mm512_set1_ps(-1.0f));
  }
#endif
};
struct Relu {
  float scalar(float x) const { return x > 0 || x != x ? x : 0.0f; }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NLE_UQ), x); }
#endif
};
struct Floor {
  float scalar(float x) const { return std::floor(x); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
#endif
};
struct Ceil {
  float scalar(float x) const { return std::ceil(x); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return _mm512_roundscale_ps(x, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
#endif
};
struct Round {  // half to even
  float scalar(float x) const { return std::nearbyint(x); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
#endif
};
struct Sqrt {
  float scalar(float x) const { return std::sqrt(x); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return _mm512_sqrt_ps(x); }
#endif
};
struct Rsqrt {
  float scalar(float x) const { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_sqrt_ps(x)); }
#endif
};
struct Exp {
  float scalar(float x) const { return static_cast<float>(std::exp(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return avx512::exp(x); }
#endif
};
struct Log {
  float scalar(float x) const { return static_cast<float>(std::log(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return avx512::log(x); }
#endif
};
struct Log1p {
  float scalar(float x) const { return static_cast<float>(std::log1p(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return avx512::log1p(x); }
#endif
};
struct Tanh {
  float scalar(float x) const { return static_cast<float>(std::tanh(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return avx512::tanh(x); }
#endif
};
struct Sigmoid {
  float scalar(float x) const {
    const double v = x;
    return static_cast<float>(v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v)));
  }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return avx512::sigmoid_times(x, _mm512_set1_ps(1.0f)); }
#endif
};
struct Silu {
  float scalar(float x) const { return static_cast<float>(x / (1 + std::exp(-static_cast<double>(x)))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return avx512::sigmoid_times(x, x); }
#endif
};
struct Sin {
  float scalar(float x) const { return static_cast<float>(std::sin(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return with_large_fallback(x, avx512::in_double(x, [](__m512d v) { return avx512::sin_quadrant(v, 0); }), *this); }
#endif
};
struct Cos {
  float scalar(float x) const { return static_cast<float>(std::cos(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return with_large_fallback(x, avx512::in_double(x, [](__m512d v) { return avx512::sin_quadrant(v, 1); }), *this); }
#endif
};
struct LeakyRelu {
  double slope;
  float scalar(float x) const { return x > 0 ? x : static_cast<float>(x * slope); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    const __m512 scaled = avx512::in_double(x, [this](__m512d v) { return _mm512_mul_pd(v, _mm512_set1_pd(slope)); });
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), scaled, x);
  }
#endif
};
struct Elu {
  double alpha;
  float scalar(float x) const { return x > 0 ? x : static_cast<float>(alpha * std::expm1(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    const __m512 scaled = avx512::in_double(avx512::expm1(x), [this](__m512d v) { return _mm512_mul_pd(v, _mm512_set1_pd(alpha)); });
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), scaled, x);
  }
#endif
};
struct Gelu {
  float scalar(float x) const { return static_cast<float>(x * 0.5 * std::erfc(-x * std::numbers::sqrt2 / 2)); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    return avx512::in_double(x, [](__m512d v) {
      // Φ(x) = ½erfc(|x|/√2) below 0, 1 − ½erfc(|x|/√2) above: no cancellation on either side.
      const __m512d half_tail = _mm512_mul_pd(_mm512_set1_pd(0.5), avx512::erfc_nonnegative(
          _mm512_mul_pd(_mm512_abs_pd(v), _mm512_set1_pd(0.70710678118654752))));
      const __mmask8 negative = _mm512_cmp_pd_mask(v, _mm512_setzero_pd(), _CMP_LT_OQ);
      const __m512d cdf = _mm512_mask_blend_pd(negative, _mm512_sub_pd(_mm512_set1_pd(1.0), half_tail), half_tail);
      return _mm512_mul_pd(v, cdf);
    });
  }
#endif
};
struct GeluTanh {
  static constexpr double scale = 0.7978845608028654, cube = 0.044715;
  float scalar(float x) const {
    const double v = x;
    return static_cast<float>(v / (1 + std::exp(-2 * scale * (v + cube * v * v * v))));
  }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    // ½x(1 + tanh u) = x/(1 + e^−2u), as the reference computes it: no cancellation for negative x.
    return avx512::in_double(x, [](__m512d v) {
      const __m512d two_u = _mm512_mul_pd(v, _mm512_fmadd_pd(_mm512_mul_pd(v, v), _mm512_set1_pd(2 * scale * cube), _mm512_set1_pd(2 * scale)));
      return _mm512_div_pd(v, _mm512_add_pd(_mm512_set1_pd(1.0), avx512::exp(_mm512_sub_pd(_mm512_setzero_pd(), two_u))));
    });
  }
#endif
};
struct Softplus {
  double beta, threshold;
  float scalar(float x) const {
    const double z = beta * x;
    return z > threshold ? x : static_cast<float>((std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z)))) / beta);
  }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    return avx512::in_double(x, [this](__m512d v) {
      const __m512d z = _mm512_mul_pd(v, _mm512_set1_pd(beta));
      const __m512d tail = avx512::log1p_unit(avx512::exp(_mm512_sub_pd(_mm512_setzero_pd(), _mm512_abs_pd(z))));
      const __m512d smooth = _mm512_div_pd(_mm512_add_pd(_mm512_max_pd(z, _mm512_setzero_pd()), tail), _mm512_set1_pd(beta));
      return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(z, _mm512_set1_pd(threshold), _CMP_GT_OQ), smooth, v);
    });
  }
#endif
};
struct Clamp {
  // Float bounds give the reference's results exactly: x < low ⇔ x < float(low) up to x = float(low).
  bool has_min, has_max;
  float low, high;
  float scalar(float x) const {
    if (has_min) x = x < low ? low : x;
    if (has_max) x = x > high ? high : x;
    return x;
  }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    if (has_min) x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_set1_ps(low), _CMP_LT_OQ), _mm512_set1_ps(low));
    if (has_max) x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_set1_ps(high), _CMP_GT_OQ), _mm512_set1_ps(high));
    return x;
  }
#endif
};


// `streaming`: y[begin] is 64-byte aligned and whole vectors go out with streaming stores (see streaming_bytes).
template <typename Op>
void map_range(const float* x, float* y, int64_t begin, int64_t end, const Op& op, bool streaming) {
#ifdef __AVX512F__
  if constexpr (Vectorised<Op>) {
    int64_t i = begin;
    if (streaming) {
      for (; i + 16 <= end; i += 16) _mm512_stream_ps(y + i, op.vector(_mm512_loadu_ps(x + i)));
    } else {
      for (; i + 16 <= end; i += 16) _mm512_storeu_ps(y + i, op.vector(_mm512_loadu_ps(x + i)));
    }
    if (i < end) {
      const auto tail = static_cast<__mmask16>((1u << (end - i)) - 1);
      _mm512_mask_storeu_ps(y + i, tail, op.vector(_mm512_maskz_loadu_ps(tail, x + i)));
    }
    if (streaming) _mm_sfence();  // streaming stores are weakly ordered: publish them before the region ends
    return;
  }
#endif
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) y[i] = op.scalar(x[i]);
}

template <typename Op>
void map(const ops::KernelCall& call, const Op& op) {
  const auto* x = static_cast<const float*>(call.inputs[0].raw_data());
  auto* y = static_cast<float*>(call.outputs[0].raw_data());
  const int64_t count = call.outputs[0].numel();
  // Chunks start at multiples of 16 elements, so an aligned y keeps every chunk aligned.
  const bool streaming = count * 4 >= streaming_bytes && reinterpret_cast<uintptr_t>(y) % 64 == 0;
  for_each_chunk(count, [&](int64_t begin, int64_t end) { map_range(x, y, begin, end, op, streaming); });
}

// Bool results (isfinite, isnan, logical_not): plain loops on the bits, which the compiler vectorises.
template <typename Predicate>
void test_each(const ops::KernelCall& call, Predicate predicate) {
  const auto* x = static_cast<const float*>(call.inputs[0].raw_data());
  auto* y = static_cast<uint8_t*>(call.outputs[0].raw_data());
  for_each_chunk(call.outputs[0].numel(), [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) y[i] = predicate(x[i]) ? 1 : 0;
  });
}
bool finite(float x) { return (std::bit_cast<uint32_t>(x) & 0x7f800000u) != 0x7f800000u; }

Clamp make_clamp(const ops::ClampAttrs& attrs) {
  return {attrs.min.has_value(), attrs.max.has_value(), static_cast<float>(attrs.min.value_or(0)),
          static_cast<float>(attrs.max.value_or(0))};
}

void copy_contiguous(const ops::KernelCall& call) {
  const Tensor& self = call.outputs[0];
  auto* destination = static_cast<char*>(self.raw_data());
  const auto* source = static_cast<const char*>(call.inputs[1].raw_data());
  const auto size = static_cast<int64_t>(dtype_size(self.dtype()));
  for_each_chunk(self.numel(), [&](int64_t begin, int64_t end) {
    std::memcpy(destination + begin * size, source + begin * size, static_cast<size_t>((end - begin) * size));
  });
}

template <typename T>
void fill(const ops::KernelCall& call) {
  auto* y = static_cast<T*>(call.outputs[0].raw_data());
  const auto value = static_cast<T>(call.inputs[1].item());
  for_each_chunk(call.outputs[0].numel(), [&](int64_t begin, int64_t end) { std::fill(y + begin, y + end, value); });
}

}  // namespace

ops::Kernel elementwise_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const ops::Attrs& attrs) {
  const Tensor& x = inputs[0];
  const Tensor& out = outputs[0];
  if (x.dtype() != DType::f32 || !x.is_contiguous() || !out.is_contiguous() || x.numel() != out.numel()) return nullptr;
  using ops::OpId;
  using ops::KernelCall;
  if (out.dtype() == DType::boolean) {
    switch (op) {
      case OpId::isfinite: return [](const KernelCall& call) { test_each(call, finite); };
      case OpId::isnan: return [](const KernelCall& call) { test_each(call, [](float v) { return v != v; }); };
      case OpId::logical_not: return [](const KernelCall& call) { test_each(call, [](float v) { return v == 0.0f; }); };
      default: return nullptr;
    }
  }
  if (out.dtype() != DType::f32) return nullptr;
  switch (op) {
    case OpId::neg: return [](const KernelCall& call) { map(call, Neg{}); };
    case OpId::abs: return [](const KernelCall& call) { map(call, Abs{}); };
    case OpId::sign: return [](const KernelCall& call) { map(call, Sign{}); };
    case OpId::relu: case OpId::relu_: return [](const KernelCall& call) { map(call, Relu{}); };
    case OpId::floor: return [](const KernelCall& call) { map(call, Floor{}); };
    case OpId::ceil: return [](const KernelCall& call) { map(call, Ceil{}); };
    case OpId::round: return [](const KernelCall& call) { map(call, Round{}); };
    case OpId::sqrt: return [](const KernelCall& call) { map(call, Sqrt{}); };
    case OpId::rsqrt: return [](const KernelCall& call) { map(call, Rsqrt{}); };
    case OpId::exp: return [](const KernelCall& call) { map(call, Exp{}); };
    case OpId::log: return [](const KernelCall& call) { map(call, Log{}); };
    case OpId::log1p: return [](const KernelCall& call) { map(call, Log1p{}); };
    case OpId::tanh: return [](const KernelCall& call) { map(call, Tanh{}); };
    case OpId::sigmoid: return [](const KernelCall& call) { map(call, Sigmoid{}); };
    case OpId::silu: return [](const KernelCall& call) { map(call, Silu{}); };
    case OpId::sin: return [](const KernelCall& call) { map(call, Sin{}); };
    case OpId::cos: return [](const KernelCall& call) { map(call, Cos{}); };
    case OpId::leaky_relu:
      return [](const KernelCall& call) { map(call, LeakyRelu{std::get<ops::ScalarAttrs>(call.attrs).value}); };
    case OpId::elu: return [](const KernelCall& call) { map(call, Elu{std::get<ops::ScalarAttrs>(call.attrs).value}); };
    case OpId::gelu:
      return [](const KernelCall& call) {
        if (std::get<ops::GeluAttrs>(call.attrs).tanh_approximation) {
          map(call, GeluTanh{});
        } else {
          map(call, Gelu{});
        }
      };
    case OpId::softplus:
      return [](const KernelCall& call) {
        const auto& attrs = std::get<ops::SoftplusAttrs>(call.attrs);
        map(call, Softplus{attrs.beta, attrs.threshold});
      };
    case OpId::clamp: case OpId::clamp_: {
      // NaN bounds make every result NaN: the reference kernel handles that rare case.
      const auto& bounds = std::get<ops::ClampAttrs>(attrs);
      if (std::isnan(bounds.min.value_or(0)) || std::isnan(bounds.max.value_or(0))) return nullptr;
      return [](const KernelCall& call) { map(call, make_clamp(std::get<ops::ClampAttrs>(call.attrs))); };
    }
    default: return nullptr;
  }
}

ops::Kernel copy_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                      const ops::Attrs&) {
  const Tensor& self = outputs[0];
  const Tensor& source = inputs[1];
  if (!self.is_contiguous()) return nullptr;
  if (source.numel() == 1) {
    if (self.dtype() == DType::f32) return fill<float>;
    if (self.dtype() == DType::f64) return fill<double>;
    return nullptr;
  }
  // Overlapping storage (copy_ clones such a source first) and casts take the reference kernel.
  if (source.dtype() != self.dtype() || !source.is_contiguous() || source.shape() != self.shape() ||
      source.storage() == self.storage()) {
    return nullptr;
  }
  return copy_contiguous;
}

}  // namespace nabla::cpu
