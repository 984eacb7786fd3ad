// Fast bernoulli and dropout over contiguous f32/f64 tensors. Each element draws the same uniform as the
// reference kernel (ops::random_uniform at its flat index, a pure function of (seed, offset, index)), and the
// arithmetic is the reference's (in double, rounded once on store), so the results are bit-identical and do not
// depend on how the elements are split across threads. What the reference spends is its per-element dtype
// dispatch and index walk, so bernoulli is a plain loop over raw pointers. Dropout (a training step's largest
// draw: an LSTM's activations between layers) also spends the Philox rounds: element i reads half of block
// offset + i/2, which random_uniform computes twice, once per half. Here each block is computed once, sixteen
// blocks at a time in AVX-512 lanes.
#include <algorithm>
#include <array>

#include "backend/cpu/fast.h"
#include "nabla/random.h"
#include "ops/kernel_rules.h"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace nabla::cpu {
namespace {

// Philox blocks for 16 consecutive counters: word[w][j] is word w of philox(seed, first + j).
constexpr int64_t blocks_per_batch = 16;
struct PhiloxBatch {
  alignas(64) uint32_t word[4][blocks_per_batch];
};

#ifdef __AVX512F__
// The high 32 bits of each lane's 32 × 32-bit product (AVX-512 multiplies the even lanes; the odd ones shifted).
// The zero-masked forms with every lane kept: GCC 12 warns falsely about the unmasked ones' undefined operand.
inline __m512i multiply_high(__m512i a, __m512i multiplier) {
  constexpr __mmask8 all = 0xFF;
  const __m512i even = _mm512_maskz_srli_epi64(all, _mm512_maskz_mul_epu32(all, a, multiplier), 32);
  const __m512i odd = _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, a, 32), multiplier);
  return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}

// nabla::philox (src/core/random.cpp), round for round, in 16 lanes.
void philox_batch(uint64_t seed, uint64_t first, PhiloxBatch& out) {
  alignas(64) uint32_t low[blocks_per_batch], high[blocks_per_batch];
  for (int64_t j = 0; j < blocks_per_batch; ++j) {
    const uint64_t counter = first + static_cast<uint64_t>(j);
    low[j] = static_cast<uint32_t>(counter);
    high[j] = static_cast<uint32_t>(counter >> 32);
  }
  const __m512i multiplier0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i multiplier1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  __m512i c0 = _mm512_load_si512(low), c1 = _mm512_load_si512(high), c2 = _mm512_setzero_si512(), c3 = c2;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const __m512i next0 = _mm512_xor_si512(_mm512_xor_si512(multiply_high(c2, multiplier1), c1),
                                           _mm512_set1_epi32(static_cast<int>(k0)));
    const __m512i next1 = _mm512_mullo_epi32(c2, multiplier1);
    const __m512i next2 = _mm512_xor_si512(_mm512_xor_si512(multiply_high(c0, multiplier0), c3),
                                           _mm512_set1_epi32(static_cast<int>(k1)));
    const __m512i next3 = _mm512_mullo_epi32(c0, multiplier0);
    c0 = next0; c1 = next1; c2 = next2; c3 = next3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  _mm512_store_si512(out.word[0], c0);
  _mm512_store_si512(out.word[1], c1);
  _mm512_store_si512(out.word[2], c2);
  _mm512_store_si512(out.word[3], c3);
}
#else
void philox_batch(uint64_t seed, uint64_t first, PhiloxBatch& out) {
  for (int64_t j = 0; j < blocks_per_batch; ++j) {
    const std::array<uint32_t, 4> block = philox(seed, first + static_cast<uint64_t>(j));
    for (int w = 0; w < 4; ++w) out.word[w][j] = block[static_cast<size_t>(w)];
  }
}
#endif

// Calls body(i, u) for i in [begin, end) with u = ops::random_uniform(attrs, i), computing each block once.
template <typename Body>
void for_each_uniform(const ops::RandomAttrs& attrs, int64_t begin, int64_t end, Body&& body) {
  PhiloxBatch batch;
  for (int64_t i = begin; i < end;) {
    const int64_t first_block = i / 2, stop = std::min(end, (first_block + blocks_per_batch) * 2);
    philox_batch(attrs.seed, attrs.offset + static_cast<uint64_t>(first_block), batch);
    for (; i < stop; ++i) {
      const int64_t j = i / 2 - first_block, lane = i % 2 * 2;
      body(i, uniform_double(batch.word[lane][j], batch.word[lane + 1][j]));
    }
  }
}

template <typename T>
void bernoulli_contiguous(const ops::KernelCall& call) {
  const Tensor& p = call.inputs[0];
  ops::check_bernoulli_probabilities(p);  // before the parallel region: it throws naming the bad value
  const auto& attrs = std::get<ops::RandomAttrs>(call.attrs);
  const auto* probability = static_cast<const T*>(p.raw_data());
  auto* out = static_cast<T*>(call.outputs[0].raw_data());
  for_each_chunk(p.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const bool success = ops::random_uniform(attrs, static_cast<uint64_t>(i)) < static_cast<double>(probability[i]);
      out[i] = success ? T(1) : T(0);
    }
  });
}

template <typename T>
void dropout_contiguous(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::RandomAttrs>(call.attrs);
  const double scale = ops::dropout_scale(attrs.p);
  const auto* x = static_cast<const T*>(call.inputs[0].raw_data());
  auto* out = static_cast<T*>(call.outputs[0].raw_data());
  auto* mask = static_cast<uint8_t*>(call.outputs[1].raw_data());
  for_each_chunk(call.inputs[0].numel(), [&](int64_t begin, int64_t end) {
    for_each_uniform(attrs, begin, end, [&](int64_t i, double uniform) {
      const bool kept = uniform >= attrs.p;
      mask[i] = kept ? 1 : 0;
      // Multiplied, not assigned, so a dropped NaN stays NaN (as the reference and PyTorch).
      out[i] = static_cast<T>(static_cast<double>(x[i]) * (kept ? scale : 0.0));
    });
  });
}

}  // namespace

ops::Kernel random_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs&) {
  const Tensor& x = inputs[0];
  if (!x.is_contiguous() || x.numel() == 0) return nullptr;
  for (const Tensor& output : outputs) {
    if (!output.is_contiguous()) return nullptr;
  }
  const bool f32 = x.dtype() == DType::f32, f64 = x.dtype() == DType::f64;
  if (!f32 && !f64) return nullptr;
  switch (op) {
    case ops::OpId::bernoulli: return f32 ? &bernoulli_contiguous<float> : &bernoulli_contiguous<double>;
    case ops::OpId::dropout: return f32 ? &dropout_contiguous<float> : &dropout_contiguous<double>;
    default: return nullptr;
  }
}

}  // namespace nabla::cpu
