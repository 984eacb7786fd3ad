// conv2d on the zoo's layer shapes — LeNet-5 at batch 128, ResNet-20 at batch 32 — through nabla and
// through oneDNN primitives called directly, in one binary so the ratio is taken in one run:
//
//   BM_ConvForward/<layer>/nabla     functional::conv2d(x, w, b)
//   BM_ConvForward/<layer>/onednn    oneDNN's forward convolution on the same NCHW tensors: the primitive
//                                    in its preferred layout (format `any`) with reorders at the edges, the
//                                    weight reordered once outside the loop — what nabla's fast path does,
//                                    without nabla around it (except on the 1×1 stride-2 shortcuts, which
//                                    nabla runs as stride-1 convolutions of a subsampled view of the image:
//                                    src/backend/cpu/conv.cpp, subsampled; the twin keeps the strided
//                                    primitive that a direct caller would write)
//   BM_ConvBackward/…/nabla          dx and dw as conv2d's backward computes them: conv_transpose2d(dy, w)
//                                    and conv2d_backward_weight(x, dy) (nabla ops, through the dispatcher)
//   BM_ConvBackward/…/onednn         oneDNN's backward-data and backward-weights convolutions, edges as above
//   BM_ConvTrainStep/…/nabla         forward with bias, then autograd's backward (dx, dw, db)
//   BM_ConvTrainStep/…/onednn        forward, backward data, backward weights with the bias gradient
//   …/onednn_blocked                 the same primitives with every operand already in oneDNN's layout
//                                    (no edge reorders): what keeping activations blocked between layers
//                                    could reach
// The first LeNet layer's input is data: no dx is computed for it on either side.
//
// Threads come from the environment (OMP_NUM_THREADS / NABLA_NUM_THREADS); both sides share libgomp's pool.
// Rate counters: FLOP/s of the convolution(s) (2·N·O·OH·OW·C/g·kh·kw per direction).
#include <benchmark/benchmark.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <stdexcept>
#include <string>
#include <unordered_map>

#include "nabla/autograd.h"
#include "nabla/nabla.h"
#include "nabla/nn/functional.h"
#include "ops/op.h"

namespace {

using namespace nabla;
using dnnl::memory;

struct ConvShape {
  int64_t batch, in, height, width, out, kernel, stride, padding;
  int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  double flops() const {
    return 2.0 * static_cast<double>(batch * out * out_height() * out_width() * in * kernel * kernel);
  }
  Shape input() const { return {batch, in, height, width}; }
  Shape weight() const { return {out, in, kernel, kernel}; }
  Shape output() const { return {batch, out, out_height(), out_width()}; }
};

// ---- LeNet-5 (batch 128) and ResNet-20 (batch 32) layers
const ConvShape lenet_conv1{128, 1, 28, 28, 6, 5, 1, 2};
const ConvShape lenet_conv2{128, 6, 14, 14, 16, 5, 1, 0};
const ConvShape resnet_stem{32, 3, 32, 32, 16, 3, 1, 1};
const ConvShape resnet_16{32, 16, 32, 32, 16, 3, 1, 1};
const ConvShape resnet_16_to_32{32, 16, 32, 32, 32, 3, 2, 1};
const ConvShape resnet_32{32, 32, 16, 16, 32, 3, 1, 1};
const ConvShape resnet_32_to_64{32, 32, 16, 16, 64, 3, 2, 1};
const ConvShape resnet_64{32, 64, 8, 8, 64, 3, 1, 1};
const ConvShape resnet_shortcut_16_to_32{32, 16, 32, 32, 32, 1, 2, 0};
const ConvShape resnet_shortcut_32_to_64{32, 32, 16, 16, 64, 1, 2, 0};

Tensor random(const Shape& shape, uint64_t seed) {
  Generator generator(seed);
  return rand(shape, {}, &generator) * 2.0 - 1.0;
}

void set_rate(benchmark::State& state, double flops) {
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- nabla

void nabla_forward(benchmark::State& state, ConvShape s) {
  Tensor x = random(s.input(), 1), w = random(s.weight(), 2), b = random({s.out}, 3);
  const functional::Conv2dOptions options{.stride = s.stride, .padding = s.padding};
  for (auto _ : state) benchmark::DoNotOptimize(functional::conv2d(x, w, b, options));
  set_rate(state, s.flops());
}

void nabla_backward(benchmark::State& state, ConvShape s) {
  Tensor x = random(s.input(), 1), w = random(s.weight(), 2), dy = random(s.output(), 4);
  const int64_t padding_h = s.height - ((s.out_height() - 1) * s.stride - 2 * s.padding + s.kernel);
  const int64_t padding_w = s.width - ((s.out_width() - 1) * s.stride - 2 * s.padding + s.kernel);
  const functional::ConvTranspose2dOptions transpose{.stride = s.stride, .padding = s.padding,
                                                     .output_padding = {padding_h, padding_w}};
  ops::ConvAttrs attrs;
  attrs.stride = {s.stride, s.stride};
  attrs.padding = {s.padding, s.padding};
  attrs.weight_shape = w.shape();
  for (auto _ : state) {
    // The first layer's input is data: its dx is never computed in training (as autograd would skip it).
    if (s.in > 1) benchmark::DoNotOptimize(functional::conv_transpose2d(dy, w, {}, transpose));
    benchmark::DoNotOptimize(ops::call1(ops::OpId::conv2d_backward_weight, {x, dy}, attrs));
  }
  set_rate(state, s.flops() * (s.in > 1 ? 2 : 1));
}

void nabla_train_step(benchmark::State& state, ConvShape s) {
  Tensor x = random(s.input(), 1), w = random(s.weight(), 2), b = random({s.out}, 3), dy = random(s.output(), 4);
  if (s.in > 1) x.requires_grad_();
  w.requires_grad_();
  b.requires_grad_();
  const functional::Conv2dOptions options{.stride = s.stride, .padding = s.padding};
  for (auto _ : state) {
    functional::conv2d(x, w, b, options).backward(dy);
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
  }
  set_rate(state, s.flops() * (s.in > 1 ? 3 : 2));
}

// ---- oneDNN, called directly

dnnl::engine& engine() {
  static dnnl::engine instance(dnnl::engine::kind::cpu, 0);
  return instance;
}
dnnl::stream& stream() {
  static dnnl::stream instance(engine());
  return instance;
}

// A tensor-sized buffer in a given layout, filled with U(-1, 1)-like values.
memory filled(const memory::desc& desc, uint64_t seed) {
  memory m(desc, engine());
  auto* data = static_cast<float*>(m.get_data_handle());
  uint64_t state = seed * 2654435761u + 1;
  for (size_t i = 0; i < desc.get_size() / sizeof(float); ++i) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    data[i] = static_cast<float>(static_cast<double>(state >> 40) / static_cast<double>(1u << 24) * 2 - 1);
  }
  return m;
}

// One operand: the user's NCHW memory, the primitive's layout, and the reorder between them (if any).
struct Operand {
  memory user, inner;
  dnnl::reorder convert;
  bool same = true;
};

Operand input_operand(const memory& user, const memory::desc& inner) {
  Operand operand{user, user, {}, user.get_desc() == inner};
  if (!operand.same) {
    operand.inner = memory(inner, engine());
    operand.convert = dnnl::reorder(user, operand.inner);
  }
  return operand;
}

Operand output_operand(const memory& user, const memory::desc& inner) {
  Operand operand{user, user, {}, user.get_desc() == inner};
  if (!operand.same) {
    operand.inner = memory(inner, engine());
    operand.convert = dnnl::reorder(operand.inner, user);
  }
  return operand;
}

void convert_in(Operand& operand, bool edges) {
  if (edges && !operand.same) operand.convert.execute(stream(), operand.user, operand.inner);
}
void convert_out(Operand& operand, bool edges) {
  if (edges && !operand.same) operand.convert.execute(stream(), operand.inner, operand.user);
}

// Every primitive of one layer, with its operands, built once.
struct DirectConv {
  bool data_gradient;
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data backward_data;
  dnnl::convolution_backward_weights backward_weights, backward_weights_without_bias;
  Operand src, weights, bias, dst;                         // forward
  Operand diff_dst_data, weights_data, diff_src;           // backward data
  Operand src_weights, diff_dst_weights, diff_weights;     // backward weights
  memory diff_bias, forward_scratch, data_scratch, weights_scratch;

  explicit DirectConv(const ConvShape& s) : data_gradient(s.in > 1) {
    auto plain = [](const Shape& shape) {
      return memory::desc(memory::dims(shape.begin(), shape.end()), memory::data_type::f32,
                          shape.size() == 1 ? memory::format_tag::x : memory::format_tag::nchw);
    };
    auto any = [](const Shape& shape) {
      return memory::desc(memory::dims(shape.begin(), shape.end()), memory::data_type::f32, memory::format_tag::any);
    };
    auto channels_last = [](const Shape& shape) {
      return memory::desc(memory::dims(shape.begin(), shape.end()), memory::data_type::f32, memory::format_tag::nhwc);
    };
    const memory::dims stride{s.stride, s.stride}, padding{s.padding, s.padding}, dilation{0, 0};
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const memory::desc bias_desc = plain({s.out});
    auto forward_for = [&](const memory::desc& src, const memory::desc& weight, const memory::desc& dst,
                           const memory::desc& bias_or_none) {
      return dnnl::convolution_forward::primitive_desc(
          dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src,
                                          weight, bias_or_none, dst, stride, dilation, padding, padding),
          attr, engine());
    };
    dnnl::convolution_forward::primitive_desc forward_pd = forward_for(any(s.input()), any(s.weight()), any(s.output()), bias_desc);
    // The layouts nabla's plans choose (src/backend/cpu/conv.cpp, Layout): backward data into few
    // channels on the plain layouts; backward weights in channels-last when `any` gets no AVX-512 kernel.
    const bool plain_data = s.in <= 4;
    const memory::desc data_src = plain_data ? plain(s.input()) : any(s.input());
    const memory::desc data_weight = plain_data ? plain(s.weight()) : any(s.weight());
    const memory::desc data_dst = plain_data ? plain(s.output()) : any(s.output());
    dnnl::convolution_backward_data::primitive_desc data_pd(
        dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, data_src, data_weight, data_dst,
                                              stride, dilation, padding, padding),
        attr, engine(), forward_for(data_src, data_weight, data_dst, memory::desc()));
    auto weights_for = [&](const memory::desc& src, const memory::desc& dst, const memory::desc& bias_or_none) {
      return dnnl::convolution_backward_weights::primitive_desc(
          dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, src, any(s.weight()),
                                                   bias_or_none, dst, stride, dilation, padding, padding),
          attr, engine(), forward_for(src, any(s.weight()), dst, bias_or_none));
    };
    auto wide = [](const dnnl::primitive_desc_base& pd) {
      return std::string(pd.impl_info_str()).find("avx512") != std::string::npos;
    };
    auto weights_pd = weights_for(any(s.input()), any(s.output()), bias_desc);
    auto weights_without_bias_pd = weights_for(any(s.input()), any(s.output()), memory::desc());
    if (!wide(weights_without_bias_pd)) {
      auto candidate = weights_for(channels_last(s.input()), channels_last(s.output()), bias_desc);
      auto candidate_without_bias = weights_for(channels_last(s.input()), channels_last(s.output()), memory::desc());
      if (wide(candidate_without_bias)) {
        weights_pd = candidate;
        weights_without_bias_pd = candidate_without_bias;
      }
    }
    forward = dnnl::convolution_forward(forward_pd);
    backward_data = dnnl::convolution_backward_data(data_pd);
    backward_weights = dnnl::convolution_backward_weights(weights_pd);
    backward_weights_without_bias = dnnl::convolution_backward_weights(weights_without_bias_pd);

    memory x = filled(plain(s.input()), 1), w = filled(plain(s.weight()), 2), b = filled(bias_desc, 3);
    memory y(plain(s.output()), engine()), dy = filled(plain(s.output()), 4);
    memory dx(plain(s.input()), engine()), dw(plain(s.weight()), engine());
    src = input_operand(x, forward_pd.src_desc());
    weights = input_operand(w, forward_pd.weights_desc());
    convert_in(weights, true);  // weights are reordered once, as nabla's cache does for unchanged weights
    bias = input_operand(b, bias_desc);
    dst = output_operand(y, forward_pd.dst_desc());
    diff_dst_data = input_operand(dy, data_pd.diff_dst_desc());
    weights_data = input_operand(w, data_pd.weights_desc());
    convert_in(weights_data, true);
    diff_src = output_operand(dx, data_pd.diff_src_desc());
    src_weights = input_operand(x, weights_pd.src_desc());
    diff_dst_weights = input_operand(dy, weights_pd.diff_dst_desc());
    diff_weights = output_operand(dw, weights_pd.diff_weights_desc());
    diff_bias = memory(bias_desc, engine());
    forward_scratch = memory(forward_pd.scratchpad_desc(), engine());
    data_scratch = memory(data_pd.scratchpad_desc(), engine());
    const bool same_layouts = weights_pd.src_desc() == weights_without_bias_pd.src_desc() &&
                              weights_pd.diff_dst_desc() == weights_without_bias_pd.diff_dst_desc() &&
                              weights_pd.diff_weights_desc() == weights_without_bias_pd.diff_weights_desc();
    if (!same_layouts) throw std::runtime_error("bench_conv: backward weights with and without bias differ in layout");
    const bool larger = weights_without_bias_pd.scratchpad_desc().get_size() > weights_pd.scratchpad_desc().get_size();
    weights_scratch = memory((larger ? weights_without_bias_pd : weights_pd).scratchpad_desc(), engine());
  }

  void run_forward(bool edges) {
    convert_in(src, edges);
    forward.execute(stream(), {{DNNL_ARG_SRC, src.inner}, {DNNL_ARG_WEIGHTS, weights.inner}, {DNNL_ARG_BIAS, bias.inner},
                               {DNNL_ARG_DST, dst.inner}, {DNNL_ARG_SCRATCHPAD, forward_scratch}});
    convert_out(dst, edges);
  }

  void run_backward(bool edges, bool with_bias) {
    if (data_gradient) {
      convert_in(diff_dst_data, edges);
      backward_data.execute(stream(), {{DNNL_ARG_DIFF_DST, diff_dst_data.inner}, {DNNL_ARG_WEIGHTS, weights_data.inner},
                                       {DNNL_ARG_DIFF_SRC, diff_src.inner}, {DNNL_ARG_SCRATCHPAD, data_scratch}});
      convert_out(diff_src, edges);
    }
    convert_in(src_weights, edges);
    convert_in(diff_dst_weights, edges);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src_weights.inner}, {DNNL_ARG_DIFF_DST, diff_dst_weights.inner},
                                         {DNNL_ARG_DIFF_WEIGHTS, diff_weights.inner},
                                         {DNNL_ARG_SCRATCHPAD, weights_scratch}};
    if (with_bias) args[DNNL_ARG_DIFF_BIAS] = diff_bias;
    (with_bias ? backward_weights : backward_weights_without_bias).execute(stream(), args);
    convert_out(diff_weights, edges);
  }
};

enum class Side { nabla, onednn, onednn_blocked };

// Each benchmark: the same layer through nabla, through oneDNN with the edge reorders nabla also does,
// or through oneDNN with every operand already blocked.
void BM_ConvForward(benchmark::State& state, ConvShape s, Side side) {
  if (side == Side::nabla) return nabla_forward(state, s);
  DirectConv conv(s);
  for (auto _ : state) {
    conv.run_forward(side == Side::onednn);
    stream().wait();
  }
  set_rate(state, s.flops());
}

void BM_ConvBackward(benchmark::State& state, ConvShape s, Side side) {
  if (side == Side::nabla) return nabla_backward(state, s);
  DirectConv conv(s);
  for (auto _ : state) {
    conv.run_backward(side == Side::onednn, false);
    stream().wait();
  }
  set_rate(state, s.flops() * (s.in > 1 ? 2 : 1));
}

void BM_ConvTrainStep(benchmark::State& state, ConvShape s, Side side) {
  if (side == Side::nabla) return nabla_train_step(state, s);
  DirectConv conv(s);
  for (auto _ : state) {
    conv.run_forward(side == Side::onednn);
    conv.run_backward(side == Side::onednn, true);
    stream().wait();
  }
  set_rate(state, s.flops() * (s.in > 1 ? 3 : 2));
}

}  // namespace

// Names: BM_Conv<Forward|Backward|TrainStep>/<layer>/<nabla|onednn|onednn_blocked>; bench/kernels.sh pairs
// each …/nabla with its …/onednn twin.
#define NABLA_CONV_BENCHMARK(kind, layer, side) \
  BENCHMARK_CAPTURE(BM_Conv##kind, layer/side, layer, Side::side)->Unit(benchmark::kMillisecond)->UseRealTime()
#define NABLA_CONV_BENCHMARKS(layer)                 \
  NABLA_CONV_BENCHMARK(Forward, layer, nabla);       \
  NABLA_CONV_BENCHMARK(Forward, layer, onednn);      \
  NABLA_CONV_BENCHMARK(Backward, layer, nabla);      \
  NABLA_CONV_BENCHMARK(Backward, layer, onednn);     \
  NABLA_CONV_BENCHMARK(TrainStep, layer, nabla);     \
  NABLA_CONV_BENCHMARK(TrainStep, layer, onednn);    \
  NABLA_CONV_BENCHMARK(Forward, layer, onednn_blocked); \
  NABLA_CONV_BENCHMARK(Backward, layer, onednn_blocked)

NABLA_CONV_BENCHMARKS(lenet_conv1);
NABLA_CONV_BENCHMARKS(lenet_conv2);
NABLA_CONV_BENCHMARKS(resnet_stem);
NABLA_CONV_BENCHMARKS(resnet_16);
NABLA_CONV_BENCHMARKS(resnet_16_to_32);
NABLA_CONV_BENCHMARKS(resnet_32);
NABLA_CONV_BENCHMARKS(resnet_32_to_64);
NABLA_CONV_BENCHMARKS(resnet_64);
NABLA_CONV_BENCHMARKS(resnet_shortcut_16_to_32);
NABLA_CONV_BENCHMARKS(resnet_shortcut_32_to_64);
