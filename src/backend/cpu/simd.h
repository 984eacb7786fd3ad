#pragma once
// The AVX-512 vector math that the fast CPU kernels share: e^x, ln, tanh, σ, erfc, sin/cos on 16 floats
// (or 8 doubles where float intermediates would lose the last bits), tail masks and double accumulation.
// One copy of each approximation, so that every kernel that computes e^x computes the same e^x.
// Include this header rather than <immintrin.h>: it also silences GCC's false positives from inside the
// intrinsics headers.
//
// The e^x constants are outside the __AVX512F__ block so that the portable loops use the same polynomial.
#include <cmath>
#include <cstdint>

#ifdef __AVX512F__
// GCC 12 reports `__Y may be used uninitialized` from inside avx512fintrin.h (the undefined vectors that
// some intrinsics start from on purpose) wherever they are inlined; the warning is located in the header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace nabla::cpu::simd {

// eˣ = 2ⁿ·eʳ, n = round(x·log₂e), r = x − n·ln 2 with ln 2 in two parts (n·exp_ln2_high is exact,
// |r| ≤ 0.35), eʳ by its Taylor series to r⁷ (truncation < 6·10⁻⁹), evaluated by Horner from the highest
// term. x is clamped to [−104, 89] first: beyond it eˣ is 0 or ∞ in float anyway.
inline constexpr float exp_log2_e = 1.44269504f;
inline constexpr float exp_ln2_high = 0.693145751953125f, exp_ln2_low = 1.428606820309417e-6f;
inline constexpr int exp_taylor_terms = 8;
inline constexpr float exp_taylor[exp_taylor_terms] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24,
                                                       1.0f / 6,    0.5f,        1.0f,        1.0f};
inline constexpr float exp_lowest = -104.0f, exp_highest = 89.0f;

#ifdef __AVX512F__

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

// eˣ on 16 floats (within 1 ulp, NaN passes through), the scheme above; scalef applies 2ⁿ with correct
// overflow to ∞ and gradual underflow.
inline Floats exp(Floats x) {
  x = clamp_keep_nan(x, exp_lowest, exp_highest);
  const Floats n = _mm512_roundscale_ps(_mm512_mul_ps(x, splat(exp_log2_e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  Floats r = _mm512_fnmadd_ps(n, splat(exp_ln2_high), x);
  r = _mm512_fnmadd_ps(n, splat(exp_ln2_low), r);
  Floats p = splat(exp_taylor[0]);
  for (int k = 1; k < exp_taylor_terms; ++k) p = _mm512_fmadd_ps(p, r, splat(exp_taylor[k]));
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


// Masks of the first `count` lanes (count < 16, or < 8) for a row's tail.
inline __mmask16 tail_mask16(int64_t count) { return static_cast<__mmask16>((1u << count) - 1); }
inline __mmask8 tail_mask8(int64_t count) { return static_cast<__mmask8>((1u << count) - 1); }

// Adds 16 floats, widened to double, to two accumulators of 8 doubles.
inline void accumulate_in_double(__m512d& low, __m512d& high, __m512 values) {
  low = _mm512_add_pd(low, _mm512_cvtps_pd(_mm512_castps512_ps256(values)));
  high = _mm512_add_pd(high, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(values), 1))));
}

#endif  // __AVX512F__

}  // namespace nabla::cpu::simd
