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

#include "backend/cpu/fast.h"
#include "backend/cpu/simd.h"

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
  __m512 vector(__m512 x) const { return simd::exp(x); }
#endif
};
struct Log {
  float scalar(float x) const { return static_cast<float>(std::log(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return simd::log(x); }
#endif
};
struct Log1p {
  float scalar(float x) const { return static_cast<float>(std::log1p(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return simd::log1p(x); }
#endif
};
struct Tanh {
  float scalar(float x) const { return static_cast<float>(std::tanh(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return simd::tanh(x); }
#endif
};
struct Sigmoid {
  float scalar(float x) const {
    const double v = x;
    return static_cast<float>(v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v)));
  }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return simd::sigmoid_times(x, _mm512_set1_ps(1.0f)); }
#endif
};
struct Silu {
  float scalar(float x) const { return static_cast<float>(x / (1 + std::exp(-static_cast<double>(x)))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return simd::sigmoid_times(x, x); }
#endif
};
struct Sin {
  float scalar(float x) const { return static_cast<float>(std::sin(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return with_large_fallback(x, simd::in_double(x, [](__m512d v) { return simd::sin_quadrant(v, 0); }), *this); }
#endif
};
struct Cos {
  float scalar(float x) const { return static_cast<float>(std::cos(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const { return with_large_fallback(x, simd::in_double(x, [](__m512d v) { return simd::sin_quadrant(v, 1); }), *this); }
#endif
};
struct LeakyRelu {
  double slope;
  float scalar(float x) const { return x > 0 ? x : static_cast<float>(x * slope); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    const __m512 scaled = simd::in_double(x, [this](__m512d v) { return _mm512_mul_pd(v, _mm512_set1_pd(slope)); });
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), scaled, x);
  }
#endif
};
struct Elu {
  double alpha;
  float scalar(float x) const { return x > 0 ? x : static_cast<float>(alpha * std::expm1(static_cast<double>(x))); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    const __m512 scaled = simd::in_double(simd::expm1(x), [this](__m512d v) { return _mm512_mul_pd(v, _mm512_set1_pd(alpha)); });
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), scaled, x);
  }
#endif
};
struct Gelu {
  float scalar(float x) const { return static_cast<float>(x * 0.5 * std::erfc(-x * std::numbers::sqrt2 / 2)); }
#ifdef __AVX512F__
  __m512 vector(__m512 x) const {
    return simd::in_double(x, [](__m512d v) {
      // Φ(x) = ½erfc(|x|/√2) below 0, 1 − ½erfc(|x|/√2) above: no cancellation on either side.
      const __m512d half_tail = _mm512_mul_pd(_mm512_set1_pd(0.5), simd::erfc_nonnegative(
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
    return simd::in_double(x, [](__m512d v) {
      const __m512d two_u = _mm512_mul_pd(v, _mm512_fmadd_pd(_mm512_mul_pd(v, v), _mm512_set1_pd(2 * scale * cube), _mm512_set1_pd(2 * scale)));
      return _mm512_div_pd(v, _mm512_add_pd(_mm512_set1_pd(1.0), simd::exp(_mm512_sub_pd(_mm512_setzero_pd(), two_u))));
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
    return simd::in_double(x, [this](__m512d v) {
      const __m512d z = _mm512_mul_pd(v, _mm512_set1_pd(beta));
      const __m512d tail = simd::log1p_unit(simd::exp(_mm512_sub_pd(_mm512_setzero_pd(), _mm512_abs_pd(z))));
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
