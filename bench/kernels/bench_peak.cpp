// The machine's FP32 FMA peak, measured in the same run as the kernels it judges: every OpenMP thread runs
// many independent FMA chains (enough to cover the FMA latency on every FMA port), with the widest vectors
// the CPU offers. The ISA is chosen at run time (function target attributes + cpuid), so a portable build
// (-DNABLA_PORTABLE=ON) still measures the real peak. Counter: GFLOP/s (2 flops per lane per FMA).
#include <benchmark/benchmark.h>
#include <omp.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NABLA_BENCH_X86 1
#endif

#include <cstdint>

namespace {

constexpr int64_t fma_rounds = int64_t{1} << 20;  // per thread and benchmark iteration

// acc = acc · 0.5 + 0.5 converges to 1: no overflow, no denormals, and the compiler can't fold it away.
#if NABLA_BENCH_X86
constexpr int avx512_chains = 24;  // 24 of the 32 zmm registers: far more than latency × ports needs

__attribute__((target("avx512f"))) double fma_chains_avx512(int64_t rounds) {
  const __m512 scale = _mm512_set1_ps(0.5f), shift = _mm512_set1_ps(0.5f);
  __m512 acc[avx512_chains];
  for (int c = 0; c < avx512_chains; ++c) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  for (int64_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 24
    for (int c = 0; c < avx512_chains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], scale, shift);
  }
  __m512 total = acc[0];
  for (int c = 1; c < avx512_chains; ++c) total = _mm512_add_ps(total, acc[c]);
  // Summed through memory: GCC 12's _mm512_reduce_add_ps warns about its own undefined temporaries.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, total);
  double sum = 0;
  for (float lane : lanes) sum += lane;
  return sum;
}

constexpr int avx2_chains = 12;  // 12 of the 16 ymm registers

__attribute__((target("avx2,fma"))) double fma_chains_avx2(int64_t rounds) {
  const __m256 scale = _mm256_set1_ps(0.5f), shift = _mm256_set1_ps(0.5f);
  __m256 acc[avx2_chains];
  for (int c = 0; c < avx2_chains; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  for (int64_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 12
    for (int c = 0; c < avx2_chains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
  }
  __m256 total = acc[0];
  for (int c = 1; c < avx2_chains; ++c) total = _mm256_add_ps(total, acc[c]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, total);
  double sum = 0;
  for (float lane : lanes) sum += lane;
  return sum;
}
#endif

// Without AVX2 (or off x86): plain chains the compiler vectorises as far as the target allows.
constexpr int scalar_chains = 32;
double fma_chains_scalar(int64_t rounds) {
  float acc[scalar_chains];
  for (int c = 0; c < scalar_chains; ++c) acc[c] = static_cast<float>(c);
  for (int64_t r = 0; r < rounds; ++r) {
    for (int c = 0; c < scalar_chains; ++c) acc[c] = acc[c] * 0.5f + 0.5f;
  }
  double sum = 0;
  for (float value : acc) sum += value;
  return sum;
}

struct FmaKernel {
  const char* isa;
  double (*run)(int64_t rounds);
  double flops_per_round;  // chains × lanes × 2
};

FmaKernel widest_kernel() {
#if NABLA_BENCH_X86
  if (__builtin_cpu_supports("avx512f")) return {"avx512", &fma_chains_avx512, avx512_chains * 16 * 2.0};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {"avx2", &fma_chains_avx2, avx2_chains * 8 * 2.0};
#endif
  return {"scalar", &fma_chains_scalar, scalar_chains * 2.0};
}

void BM_Peak(benchmark::State& state) {
  const FmaKernel kernel = widest_kernel();
  const int threads = omp_get_max_threads();
  double sink = 0;
  for (auto _ : state) {
#pragma omp parallel reduction(+ : sink)
    sink += kernel.run(fma_rounds);
  }
  benchmark::DoNotOptimize(sink);
  const double flops = kernel.flops_per_round * static_cast<double>(fma_rounds) * threads;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = threads;
  state.SetLabel(kernel.isa);
}

}  // namespace

BENCHMARK(BM_Peak)->Name("BM_Peak/fma")->UseRealTime()->Unit(benchmark::kMillisecond);
