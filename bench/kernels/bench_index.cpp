// The indexing, joining, choosing and ordering kernels, fast against reference, at training-step sizes.
//   BM_Index/<op>/0: the fast kernel (src/backend/cpu/index.cpp, copy.cpp, select.cpp, order.cpp)
//   BM_Index/<op>/1: the same call on the reference kernel (ReferenceOnlyGuard)
// bench/kernels.sh runs the binary on 2 threads; filter with --benchmark_filter=BM_Index.
#include <benchmark/benchmark.h>

#include <functional>
#include <optional>
#include <string>

#include "backend/cpu/kernels.h"
#include "nabla/nabla.h"

namespace {
using nabla::Tensor;

// Indices in [0, size) of the given shape.
Tensor random_indices(const nabla::Shape& shape, int64_t size) {
  return nabla::floor(nabla::rand(shape) * static_cast<double>(size)).to(nabla::DType::i64);
}

struct Workload {
  std::string name;
  std::function<std::function<Tensor()>()> prepare;  // builds the inputs once, returns the timed call
};

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> list = {
      {"index_select_embedding_8000x512_ids4096",
       [] {
         Tensor weight = nabla::rand({8000, 512}), ids = random_indices({4096}, 8000);
         return [=] { return nabla::index_select(weight, 0, ids); };
       }},
      {"index_add_embedding_backward_8000x512_ids4096",
       [] {
         Tensor base = nabla::zeros({8000, 512}), ids = random_indices({4096}, 8000), grad = nabla::rand({4096, 512});
         return [=] { return nabla::index_add(base, 0, ids, grad); };
       }},
      {"gather_1024x1000_dim1",
       [] {
         Tensor x = nabla::rand({1024, 1000}), index = random_indices({1024, 1000}, 1000);
         return [=] { return nabla::gather(x, 1, index); };
       }},
      {"cat_2x2048x1024_dim1",
       [] {
         Tensor a = nabla::rand({2048, 1024}), b = nabla::rand({2048, 1024});
         return [=] { return nabla::cat({a, b}, 1); };
       }},
      {"where_4096x1024",
       [] {
         Tensor x = nabla::rand({4096, 1024}), y = nabla::rand({4096, 1024});
         Tensor condition = nabla::gt(x, y);
         return [=] { return nabla::where(condition, x, y); };
       }},
      {"masked_fill_causal_8x8x256x256",
       [] {
         Tensor scores = nabla::rand({8, 8, 256, 256});
         Tensor mask = nabla::gt(nabla::rand({256, 256}), nabla::scalar_tensor(0.5));
         return [=] { return nabla::masked_fill(scores, mask, -1e9); };
       }},
      {"cumsum_1024x1024_dim1",
       [] {
         Tensor x = nabla::rand({1024, 1024});
         return [=] { return nabla::cumsum(x, 1); };
       }},
      {"sort_512x1024",
       [] {
         Tensor x = nabla::rand({512, 1024});
         return [=] { return nabla::sort(x).first; };
       }},
      {"topk50_64x32000",
       [] {
         Tensor x = nabla::rand({64, 32000});
         return [=] { return nabla::topk(x, 50).first; };
       }},
      {"clone_heads_8x256x8x64_transposed",
       [] {
         Tensor x = nabla::rand({8, 256, 8, 64});
         return [=] { return x.transpose(1, 2).contiguous(); };
       }},
      {"cast_f32_to_f64_2048x1024",
       [] {
         Tensor x = nabla::rand({2048, 1024});
         return [=] { return x.to(nabla::DType::f64); };
       }},
  };
  return list;
}

void BM_Index(benchmark::State& state, const Workload& workload, bool reference) {
  nabla::autograd::NoGradGuard no_grad;
  std::function<Tensor()> run = workload.prepare();
  std::optional<nabla::cpu::ReferenceOnlyGuard> guard;
  if (reference) guard.emplace();
  run();  // warm: the output block comes from the caching allocator afterwards
  for (auto _ : state) benchmark::DoNotOptimize(run());
}

const bool registered = [] {
  for (const Workload& workload : workloads()) {
    for (int reference = 0; reference < 2; ++reference) {
      benchmark::RegisterBenchmark(("BM_Index/" + workload.name + (reference ? "/reference" : "/fast")).c_str(),
                                   [&workload, reference](benchmark::State& state) { BM_Index(state, workload, reference); })
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.2);
    }
  }
  return true;
}();

}  // namespace
