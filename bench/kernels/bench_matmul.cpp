// nabla::matmul against a direct oneDNN dnnl_sgemm call on the same shapes, fp32, C = A·B (M×K · K×N):
//   1024³, 2048³, 128×784×256 (an MLP layer's forward) and 784×128×256 with A stored transposed (its weight
//   gradient, dW = Xᵀ·dY with X [128, 784]: nabla::matmul(x.mT(), dy), sgemm 'T').
// Names pair up as BM_Matmul/<shape>/nabla and BM_Matmul/<shape>/sgemm; counter GFLOP/s = 2·M·N·K / time.
// nabla's output comes from its caching allocator, so after the first call it reuses the same warm block,
// as the sgemm side reuses its C buffer.
#include <benchmark/benchmark.h>
#include <oneapi/dnnl/dnnl.h>

#include <string>
#include <vector>

#include "nabla/nabla.h"

namespace {

struct GemmShape {
  int64_t m, k, n;
  bool transposed_a;  // A is stored as [K, M]
  std::string name() const {
    return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) + (transposed_a ? "_At" : "");
  }
  double flops() const { return 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n); }
};

void report(benchmark::State& state, const GemmShape& shape) {
  state.counters["GFLOP/s"] = benchmark::Counter(shape.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void matmul_nabla(benchmark::State& state, GemmShape shape) {
  // A as the caller holds it: [M, K], or the transposed view of a row-major [K, M].
  nabla::Tensor a = shape.transposed_a ? nabla::randn({shape.k, shape.m}).mT() : nabla::randn({shape.m, shape.k});
  nabla::Tensor b = nabla::randn({shape.k, shape.n});
  nabla::matmul(a, b);  // warm: the output block is allocated and touched once
  for (auto _ : state) {
    nabla::Tensor c = nabla::matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  report(state, shape);
}

void matmul_sgemm(benchmark::State& state, GemmShape shape) {
  std::vector<float> a(static_cast<size_t>(shape.m * shape.k)), b(static_cast<size_t>(shape.k * shape.n));
  std::vector<float> c(static_cast<size_t>(shape.m * shape.n));
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 17) * 0.1f - 0.8f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 13) * 0.1f - 0.6f;
  const char transpose_a = shape.transposed_a ? 'T' : 'N';
  const int64_t lda = shape.transposed_a ? shape.m : shape.k;
  auto multiply = [&] {
    return dnnl_sgemm(transpose_a, 'N', shape.m, shape.n, shape.k, 1.0f, a.data(), lda, b.data(), shape.n, 0.0f,
                      c.data(), shape.n);
  };
  if (multiply() != dnnl_success) {
    state.SkipWithError("dnnl_sgemm failed");
    return;
  }
  for (auto _ : state) {
    multiply();
    benchmark::DoNotOptimize(c.data());
  }
  report(state, shape);
}

const bool registered = [] {
  const GemmShape shapes[] = {{1024, 1024, 1024, false}, {2048, 2048, 2048, false}, {128, 784, 256, false},
                              {784, 128, 256, true}};
  for (const GemmShape& shape : shapes) {
    const std::string base = "BM_Matmul/" + shape.name();
    benchmark::RegisterBenchmark((base + "/nabla").c_str(), matmul_nabla, shape)->UseRealTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((base + "/sgemm").c_str(), matmul_sgemm, shape)->UseRealTime()->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
