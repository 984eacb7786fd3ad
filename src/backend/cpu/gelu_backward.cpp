// Fast f32 gelu_backward (gelu's first-order backward, the formulas in src/ops/activation.cpp): dx = grad·gelu′(x)
// in one pass over contiguous operands of one shape, where the composite took a dozen elementwise ops for the
// tanh form and a scalar erfc and exp per element for the exact one. Computed in double lanes and rounded once,
// as the reference kernel: the exact form's Φ from simd::erfc_nonnegative (relative error 2·10⁻¹⁰), φ and σ from
// simd::exp; so results agree with the reference to about an ulp of float.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "backend/cpu/fast.h"
#include "backend/cpu/simd.h"

namespace nabla::cpu {
namespace {

constexpr double tanh_scale = 0.7978845608028654, tanh_cube = 0.044715;  // √(2/π) and c, as gelu's

#ifndef __AVX512F__
double exact_derivative(double x) {
  const double cdf = 0.5 * std::erfc(-x * std::numbers::sqrt2 / 2);
  return cdf + x * std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi);
}
double tanh_derivative(double x) {
  const double s = 1 / (1 + std::exp(-2 * tanh_scale * (x + tanh_cube * x * x * x)));
  return s + x * s * (1 - s) * 2 * tanh_scale * (1 + 3 * tanh_cube * x * x);
}
#else
__m512d exact_derivative(__m512d x) {
  // Φ(x) = ½erfc(|x|/√2) below 0, 1 − ½erfc(|x|/√2) above (no cancellation on either side), as gelu's kernel.
  const __m512d half_tail = _mm512_mul_pd(_mm512_set1_pd(0.5), simd::erfc_nonnegative(_mm512_mul_pd(
      _mm512_abs_pd(x), _mm512_set1_pd(std::numbers::sqrt2 / 2))));
  const __mmask8 negative = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ);
  const __m512d cdf = _mm512_mask_blend_pd(negative, _mm512_sub_pd(_mm512_set1_pd(1.0), half_tail), half_tail);
  const __m512d density = _mm512_mul_pd(simd::exp(_mm512_mul_pd(_mm512_mul_pd(x, x), _mm512_set1_pd(-0.5))),
                                        _mm512_set1_pd(1 / std::sqrt(2 * std::numbers::pi)));
  return _mm512_fmadd_pd(x, density, cdf);
}
__m512d tanh_derivative(__m512d x) {
  const __m512d one = _mm512_set1_pd(1.0), squared = _mm512_mul_pd(x, x);
  const __m512d v = _mm512_mul_pd(_mm512_fmadd_pd(squared, _mm512_set1_pd(tanh_cube), one), x);  // x + c·x³
  const __m512d s = _mm512_div_pd(one, _mm512_add_pd(one, simd::exp(_mm512_mul_pd(v, _mm512_set1_pd(-2 * tanh_scale)))));
  const __m512d dv = _mm512_mul_pd(_mm512_fmadd_pd(squared, _mm512_set1_pd(3 * tanh_cube), one), _mm512_set1_pd(2 * tanh_scale));
  return _mm512_fmadd_pd(_mm512_mul_pd(_mm512_mul_pd(x, s), _mm512_sub_pd(one, s)), dv, s);
}
#endif

template <bool tanh_form>
void gelu_backward(const ops::KernelCall& call) {
  const auto* grad = static_cast<const float*>(call.inputs[0].raw_data());
  const auto* x = static_cast<const float*>(call.inputs[1].raw_data());
  auto* dx = static_cast<float*>(call.outputs[0].raw_data());
  for_each_chunk(call.outputs[0].numel(), [=](int64_t begin, int64_t end) {
#ifdef __AVX512F__
    for (int64_t i = begin; i < end; i += 8) {
      const __mmask8 mask = simd::tail_mask8(std::min<int64_t>(8, end - i));
      const __m512d values = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(mask, x + i));
      const __m512d grads = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(mask, grad + i));
      const __m512d derivative = tanh_form ? tanh_derivative(values) : exact_derivative(values);
      _mm256_mask_storeu_ps(dx + i, mask, _mm512_cvtpd_ps(_mm512_mul_pd(grads, derivative)));
    }
#else
    for (int64_t i = begin; i < end; ++i) {
      const double derivative = tanh_form ? tanh_derivative(x[i]) : exact_derivative(x[i]);
      dx[i] = static_cast<float>(grad[i] * derivative);
    }
#endif
  });
}

}  // namespace

ops::Kernel gelu_backward_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                               const ops::Attrs& attrs) {
  const Tensor &grad = inputs[0], &x = inputs[1], &dx = outputs[0];
  if (grad.dtype() != DType::f32 || x.dtype() != DType::f32 || dx.dtype() != DType::f32) return nullptr;
  if (!grad.is_contiguous() || !x.is_contiguous() || !dx.is_contiguous()) return nullptr;
  if (std::get<ops::GeluAttrs>(attrs).tanh_approximation) return &gelu_backward<true>;
  return &gelu_backward<false>;
}

}  // namespace nabla::cpu
