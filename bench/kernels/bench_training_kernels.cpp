// The kernels of a training step that once ran only on reference kernels (issue 13), and the step itself:
//
//   BM_LeNetStep/batch_norm:0|1        one SGD step (forward, backward, update) of a LeNet-like CNN on
//                                      [128, 1, 28, 28]: conv5(6, pad 2) [BatchNorm2d] relu maxpool2
//                                      conv5(16) [BatchNorm2d] relu maxpool2 linear 120-84-10, cross entropy;
//                                      its label names the ops of a step that ran on a reference kernel
//   BM_<kernel>/fast, BM_<kernel>/reference   one op (forward + backward where it has one) on the fast kernel,
//                                      and forced onto the reference kernel (ReferenceOnlyGuard)
//
// Threads come from the environment (NABLA_NUM_THREADS / OMP_NUM_THREADS).
#include <benchmark/benchmark.h>

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "backend/cpu/kernels.h"
#include "nabla/autograd.h"
#include "nabla/nabla.h"
#include "nabla/nn/functional.h"
#include "ops/observer.h"

namespace {

using namespace nabla;
namespace F = functional;

Tensor uniform(const Shape& shape, uint64_t seed, double scale = 1.0) {
  Generator generator(seed);
  return (rand(shape, {}, &generator) * 2.0 - 1.0) * scale;
}

struct LeNet {
  bool batch_norm;
  std::vector<Tensor> parameters;
  Tensor conv1, conv1_bias, conv2, conv2_bias, fc1, fc1_bias, fc2, fc2_bias, fc3, fc3_bias;
  Tensor norm1_weight, norm1_bias, norm2_weight, norm2_bias, mean1, var1, mean2, var2;

  explicit LeNet(bool with_batch_norm) : batch_norm(with_batch_norm) {
    auto parameter = [&](const Shape& shape, uint64_t seed, double scale, double offset = 0.0) {
      Tensor p = uniform(shape, seed, scale) + offset;
      p.requires_grad_();
      parameters.push_back(p);
      return p;
    };
    conv1 = parameter({6, 1, 5, 5}, 1, 0.2);
    conv1_bias = parameter({6}, 2, 0.1);
    conv2 = parameter({16, 6, 5, 5}, 3, 0.08);
    conv2_bias = parameter({16}, 4, 0.1);
    fc1 = parameter({400, 120}, 5, 0.05);
    fc1_bias = parameter({120}, 6, 0.05);
    fc2 = parameter({120, 84}, 7, 0.09);
    fc2_bias = parameter({84}, 8, 0.05);
    fc3 = parameter({84, 10}, 9, 0.1);
    fc3_bias = parameter({10}, 10, 0.05);
    if (batch_norm) {
      norm1_weight = parameter({6}, 11, 0.1, 1.0);
      norm1_bias = parameter({6}, 12, 0.1);
      norm2_weight = parameter({16}, 13, 0.1, 1.0);
      norm2_bias = parameter({16}, 14, 0.1);
      mean1 = zeros({6});
      var1 = ones({6});
      mean2 = zeros({16});
      var2 = ones({16});
    }
  }

  Tensor forward(const Tensor& x) {
    Tensor h = F::conv2d(x, conv1, conv1_bias, {.padding = 2});
    if (batch_norm) h = F::batch_norm(h, mean1, var1, norm1_weight, norm1_bias, true);
    h = F::max_pool2d(relu(h), {.kernel_size = 2});
    h = F::conv2d(h, conv2, conv2_bias);
    if (batch_norm) h = F::batch_norm(h, mean2, var2, norm2_weight, norm2_bias, true);
    h = F::max_pool2d(relu(h), {.kernel_size = 2}).flatten(1);
    h = relu(matmul(h, fc1) + fc1_bias);
    h = relu(matmul(h, fc2) + fc2_bias);
    return matmul(h, fc3) + fc3_bias;
  }

  void step(const Tensor& x, const Tensor& labels) {
    Tensor loss = F::cross_entropy(forward(x), labels, {});
    loss.backward();
    autograd::NoGradGuard no_grad;
    for (Tensor& p : parameters) {
      if (!p.grad().defined()) continue;
      p.add_(p.grad() * -0.01);
      p.zero_grad();
    }
  }
};

void BM_LeNetStep(benchmark::State& state) {
  LeNet net(state.range(0) != 0);
  Tensor x = uniform({128, 1, 28, 28}, 20);
  Generator generator(21);
  Tensor labels = randint(0, 10, {128}, {.dtype = DType::i64}, &generator);
  // Warm-up (oneDNN plans, allocator caches), counting the ops that fell back to a reference kernel.
  std::set<std::string> reference_ops;
  int64_t reference_calls = 0;
  {
    ops::ObserveDispatch observer([&](const ops::Dispatched& call) {
      if (call.kernel != ops::KernelKind::reference) return;
      ++reference_calls;
      reference_ops.insert(ops::op_name(call.op));
    });
    net.step(x, labels);
  }
  std::string label;
  for (const std::string& name : reference_ops) label += (label.empty() ? "reference: " : " ") + name;
  state.SetLabel(label);
  state.counters["reference_calls"] = static_cast<double>(reference_calls);
  for (auto _ : state) net.step(x, labels);
  state.SetItemsProcessed(state.iterations() * 128);
}
BENCHMARK(BM_LeNetStep)->ArgName("batch_norm")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Forward, and backward when `inputs_with_grad` inputs need a gradient (the first ones).
void run_op(benchmark::State& state, const std::vector<Shape>& shapes, size_t inputs_with_grad,
            const std::function<Tensor(const std::vector<Tensor>&)>& op) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < shapes.size(); ++i) {
    inputs.push_back(uniform(shapes[i], 30 + i));
    if (i < inputs_with_grad) inputs.back().requires_grad_();
  }
  const bool reference = state.range(0) != 0;
  auto once = [&] {
    std::optional<cpu::ReferenceOnlyGuard> guard;
    if (reference) guard.emplace();
    Tensor y = op(inputs);
    if (inputs_with_grad > 0) y.backward(ones(y.shape()));
    for (Tensor& input : inputs) input.zero_grad();
    benchmark::DoNotOptimize(y);
  };
  once();
  for (auto _ : state) once();
}

#define NABLA_KERNEL_BENCHMARK(name, ...)                                                   \
  void BM_##name(benchmark::State& state) { run_op(state, __VA_ARGS__); }                  \
  BENCHMARK(BM_##name)->ArgName("reference")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)

// The LeNet shapes: batch_norm after conv1 [128, 6, 28, 28].
NABLA_KERNEL_BENCHMARK(BatchNormTrainStep, {{128, 6, 28, 28}, {6}, {6}}, 3,
                       [](const auto& x) { return F::batch_norm(x[0], {}, {}, x[1], x[2], true); });
NABLA_KERNEL_BENCHMARK(GroupNormTrainStep, {{32, 32, 28, 28}, {32}, {32}}, 3,
                       [](const auto& x) { return F::group_norm(x[0], 8, x[1], x[2]); });
// A ViT-ish block: 64 sequences × 4 heads × 64 tokens × 32 dims.
NABLA_KERNEL_BENCHMARK(AttentionTrainStep, {{64, 4, 64, 32}, {64, 4, 64, 32}, {64, 4, 64, 32}}, 3,
                       [](const auto& x) { return F::scaled_dot_product_attention(x[0], x[1], x[2]); });
// The char-GPT's attention (batch 32 × 4 heads × 128 tokens × 32 dims), full and causal: the causal kernel skips
// the keys above each block of 64 query rows, so with two blocks it computes 3/4 of the full one's scores.
NABLA_KERNEL_BENCHMARK(AttentionGptTrainStep, {{32, 4, 128, 32}, {32, 4, 128, 32}, {32, 4, 128, 32}}, 3,
                       [](const auto& x) { return F::scaled_dot_product_attention(x[0], x[1], x[2]); });
NABLA_KERNEL_BENCHMARK(CausalAttentionGptTrainStep, {{32, 4, 128, 32}, {32, 4, 128, 32}, {32, 4, 128, 32}}, 3,
                       [](const auto& x) { return F::scaled_dot_product_attention(x[0], x[1], x[2], {.is_causal = true}); });
NABLA_KERNEL_BENCHMARK(UpsampleBilinearTrainStep, {{32, 16, 32, 32}}, 1, [](const auto& x) {
  return F::interpolate(x[0], {.scale_factor = 2.0, .mode = UpsampleMode::bilinear});
});
NABLA_KERNEL_BENCHMARK(PadReflect, {{32, 16, 32, 32}}, 0,
                       [](const auto& x) { return F::pad(x[0], {2, 2, 2, 2}, PadMode::reflect); });
NABLA_KERNEL_BENCHMARK(UnfoldTrainStep, {{32, 16, 28, 28}}, 1,
                       [](const auto& x) { return F::unfold(x[0], {.kernel_size = 3, .padding = 1}); });
// The general broadcasting loop of the binary ops (strided_binary.cpp): a [512, 512] operand over a batch of 64,
// and a transposed operand.
NABLA_KERNEL_BENCHMARK(AddBroadcastBatch, {{64, 512, 512}, {512, 512}}, 0, [](const auto& x) { return x[0] + x[1]; });
NABLA_KERNEL_BENCHMARK(AddTransposed, {{2048, 2048}, {2048, 2048}}, 0, [](const auto& x) { return x[0] + x[1].t(); });

}  // namespace
