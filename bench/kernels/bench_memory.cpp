// Memory bandwidth, and how much of it nabla's elementwise add reaches.
//   BM_Memory/memcpy: every OpenMP thread memcpy's its share of one 64 MiB buffer into another;
//                     bytes = read 64 MiB + write 64 MiB.
//   BM_Memory/add:    nabla::add of two 16M-float tensors into a fresh output (the caching allocator hands
//                     back the same warm block every iteration: steady state);
//                     bytes = read 2 × 64 MiB + write 64 MiB.
// Both report bytes_per_second over wall time; bench/kernels.sh prints add/memcpy.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "nabla/nabla.h"

namespace {

constexpr int64_t buffer_bytes = int64_t{64} << 20;
constexpr int64_t add_elements = int64_t{16} << 20;  // 16M floats = 64 MiB per tensor

struct FreeDeleter {
  void operator()(void* pointer) const { std::free(pointer); }
};
using Buffer = std::unique_ptr<char, FreeDeleter>;

Buffer aligned_buffer(int64_t bytes) { return Buffer(static_cast<char*>(std::aligned_alloc(64, static_cast<size_t>(bytes)))); }

// Thread t of `threads` works on [begin, end) of `bytes`, in 4 KiB pages.
std::pair<int64_t, int64_t> thread_share(int64_t bytes, int thread, int threads) {
  const int64_t pages = bytes / 4096;
  return {pages * thread / threads * 4096, pages * (thread + 1) / threads * 4096};
}

void BM_Memcpy(benchmark::State& state) {
  Buffer source = aligned_buffer(buffer_bytes), destination = aligned_buffer(buffer_bytes);
  // Touch every page first, with the split the copy uses.
#pragma omp parallel
  {
    auto [begin, end] = thread_share(buffer_bytes, omp_get_thread_num(), omp_get_num_threads());
    std::memset(source.get() + begin, 1, static_cast<size_t>(end - begin));
    std::memset(destination.get() + begin, 0, static_cast<size_t>(end - begin));
  }
  for (auto _ : state) {
#pragma omp parallel
    {
      auto [begin, end] = thread_share(buffer_bytes, omp_get_thread_num(), omp_get_num_threads());
      std::memcpy(destination.get() + begin, source.get() + begin, static_cast<size_t>(end - begin));
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * buffer_bytes);
  state.counters["threads"] = omp_get_max_threads();
}

void BM_Add(benchmark::State& state) {
  nabla::Tensor a = nabla::rand({add_elements}), b = nabla::rand({add_elements});
  for (int warm = 0; warm < 3; ++warm) nabla::add(a, b);  // pages of the output block touched once
  for (auto _ : state) {
    nabla::Tensor sum = nabla::add(a, b);
    benchmark::DoNotOptimize(sum.raw_data());
  }
  state.SetBytesProcessed(state.iterations() * 3 * add_elements * static_cast<int64_t>(sizeof(float)));
  state.counters["threads"] = omp_get_max_threads();
}

}  // namespace

BENCHMARK(BM_Memcpy)->Name("BM_Memory/memcpy")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Add)->Name("BM_Memory/add")->UseRealTime()->Unit(benchmark::kMillisecond);
