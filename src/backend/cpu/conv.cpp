// Fast f32 convolution through oneDNN: conv2d runs oneDNN's forward convolution, conv_transpose2d its
// backward-data convolution (conv2d's dx is a conv_transpose2d, so the two share it), and
// conv2d_backward_weight its backward-weights convolution.
//
// Each (direction, dims, attributes, tensor strides) gets a plan once — the primitive, created with
// format `any` so oneDNN picks its preferred (blocked) layouts (measured exceptions: see Layout),
// plus the reorders that convert at the edges — kept in an LRU cache and reused every step. 1×1 strided
// convolutions run as stride-1 convolutions of a subsampled view of the image (see subsampled). Weights are
// reordered once per (storage, version) (onednn.h). Activations are converted to and from nabla's NCHW
// at every call; keeping them blocked between layers is a later optimisation (DESIGN.md) that would drop
// those edge reorders (measured: they cost 5–15 % on 3×3 layers, up to half the time of 1×1 layers).
//
// The fast path applies to float32 tensors oneDNN can address (no broadcast or negative strides) with
// non-empty shapes; anything else, or a configuration oneDNN refuses, runs the reference kernel.
#include <omp.h>

#include <algorithm>
#include <string>

#include "backend/cpu/fast.h"
#include "backend/cpu/onednn.h"

namespace nabla::cpu {
namespace {

namespace dnn = onednn;
using dnnl::memory;

enum class Direction : int64_t { forward, backward_data, backward_weights };

// Everything a plan depends on. All int64 (no padding bytes): PlanCache compares keys bytewise.
struct ConvKey {
  int64_t direction, batch, groups, image_channels, output_channels, has_bias;
  int64_t image[2], output[2], kernel[2], stride[2], padding_left[2], padding_right[2], dilation[2];
  int64_t image_strides[4], output_strides[4], weight_strides[4];
};

// The three tensors of a convolution, seen from the image side and the output side (src/ops/conv.cpp).
struct ConvTensors {
  const Tensor* image;
  const Tensor* output;
  const Tensor* weight;
};

void copy_strides(int64_t (&target)[4], const Tensor& t) {
  for (int d = 0; d < 4; ++d) target[d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
}

// The key for a call, or nothing when oneDNN's geometry cannot express it (right padding < 0).
std::optional<ConvKey> make_key(Direction direction, const ConvTensors& t, const ops::ConvAttrs& attrs, bool bias) {
  ConvKey key{};
  key.direction = static_cast<int64_t>(direction);
  key.batch = t.image->shape()[0];
  key.groups = attrs.groups;
  key.image_channels = t.image->shape()[1];
  key.output_channels = t.output->shape()[1];
  key.has_bias = bias ? 1 : 0;
  for (int axis = 0; axis < 2; ++axis) {
    key.image[axis] = t.image->shape()[2 + axis];
    key.output[axis] = t.output->shape()[2 + axis];
    key.kernel[axis] = t.weight->shape()[2 + axis];
    key.stride[axis] = attrs.stride[axis];
    key.dilation[axis] = attrs.dilation[axis];
    key.padding_left[axis] = attrs.padding[axis];
    // oneDNN wants output = ⌊(image + left + right − extent) / stride⌋ + 1: right = left, unless the sizes
    // disagree with that (output_padding ≥ stride in conv_transpose2d and its weight gradient), then the
    // right padding that makes them agree.
    const int64_t extent = attrs.dilation[axis] * (key.kernel[axis] - 1) + 1;
    int64_t right = attrs.padding[axis];
    if ((key.image[axis] + 2 * right - extent) / attrs.stride[axis] + 1 != key.output[axis]) {
      right = (key.output[axis] - 1) * attrs.stride[axis] + extent - key.image[axis] - attrs.padding[axis];
    }
    if (right < 0) return std::nullopt;
    key.padding_right[axis] = right;
  }
  copy_strides(key.image_strides, *t.image);
  copy_strides(key.output_strides, *t.output);
  copy_strides(key.weight_strides, *t.weight);
  return key;
}

// A 1×1 convolution with stride s > 1 and no padding (ResNet's shortcuts) reads only every s-th pixel of
// its image: it is the stride-1 1×1 convolution of the subsampled image. Its plans run that one, and the
// image edge addresses those pixels through a strided view of the tensor: the edge reorder moves 1/s² of
// the image instead of all of it, and the primitive needs no strided driver. Backward data writes only
// those pixels, so the kernel zeroes the image first; it is a fresh, contiguous output there. Measured on
// the shortcuts (1 thread, oneDNN 2.6, AVX-512): 1.05–1.6× faster than the strided primitive in each
// direction, edges included.
//
// oneDNN accepts a strided view only if each dim's step times its size stays within the next dim's step:
// dense image planes whose sampled rows and columns fit (output · stride ≤ image, so 13 rows at stride 2,
// 7 · 2 > 13, keep the strided primitive).
bool subsampled(const ConvKey& key) {
  const bool one_by_one = key.kernel[0] == 1 && key.kernel[1] == 1;
  const bool strided = key.stride[0] > 1 || key.stride[1] > 1;
  bool fits = true;
  for (int axis = 0; axis < 2; ++axis) {
    fits = fits && key.padding_left[axis] == 0 && key.padding_right[axis] == 0 &&
           key.output[axis] * key.stride[axis] <= key.image[axis];
  }
  if (!one_by_one || !strided || !fits) return false;
  const Shape image{key.batch, key.image_channels, key.image[0], key.image[1]};
  const Shape dense = contiguous_strides(image);
  // Planes dense for the view; the whole image dense for backward data, which zeroes it.
  const int first = key.direction == static_cast<int64_t>(Direction::backward_data) ? 0 : 2;
  for (int d = first; d < 4; ++d) {
    if (image[d] > 1 && key.image_strides[d] != dense[d]) return false;
  }
  return true;
}

bool applies(const std::vector<const Tensor*>& tensors) {
  for (const Tensor* t : tensors) {
    if (!dnn::addressable(*t)) return false;
  }
  return true;
}

// ---- plans

// How a plan lays out activations and weights inside the primitive:
//   preferred      format `any`: oneDNN's choice, blocked (nChw16c, OIhw16i16o …) on AVX-512
//   plain          NCHW and OIHW as nabla stores them: oneDNN's GEMM convolution, no edge reorders
//   channels_last  NHWC activations, weights `any`
// Measured on the zoo's layers (1 thread, oneDNN 2.6, AVX-512): `preferred` is fastest or within a few
// percent everywhere except the cases that the rules below route elsewhere.
enum class Layout { preferred, plain, channels_last };

memory::desc laid_out(const memory::dims& dims, Layout layout, bool weight) {
  memory::format_tag tag = memory::format_tag::any;
  if (layout == Layout::plain) tag = weight ? (dims.size() == 5 ? memory::format_tag::goihw : memory::format_tag::oihw)
                                            : memory::format_tag::nchw;
  if (layout == Layout::channels_last && !weight) tag = memory::format_tag::nhwc;
  return memory::desc(dims, memory::data_type::f32, tag);
}

struct Descriptors {
  memory::desc image, weight, output, bias;
  memory::dims stride, dilation, padding_left, padding_right;
};

Descriptors descriptors(const ConvKey& key, Layout layout) {
  const int64_t groups = key.groups;
  memory::dims weight_dims{key.output_channels, key.image_channels / groups, key.kernel[0], key.kernel[1]};
  if (groups > 1) weight_dims = {groups, key.output_channels / groups, key.image_channels / groups, key.kernel[0], key.kernel[1]};
  // A subsampled plan's primitive sees an image of the output's size, at stride 1.
  const bool subsample = subsampled(key);
  const int64_t* image = subsample ? key.output : key.image;
  const memory::dims stride = subsample ? memory::dims{1, 1} : memory::dims{key.stride[0], key.stride[1]};
  return {laid_out({key.batch, key.image_channels, image[0], image[1]}, layout, false),
          laid_out(weight_dims, layout, true),
          laid_out({key.batch, key.output_channels, key.output[0], key.output[1]}, layout, false),
          key.has_bias ? memory::desc({key.output_channels}, memory::data_type::f32, memory::format_tag::x) : memory::desc(),
          stride,
          {key.dilation[0] - 1, key.dilation[1] - 1},
          {key.padding_left[0], key.padding_left[1]},
          {key.padding_right[0], key.padding_right[1]}};
}

// A 1×1 convolution at stride 1 without padding or groups (MobileNetV2's and EfficientNet's expansions and
// projections) is a GEMM per image on the plain layouts: no edge reorders, which on the blocked layouts cost
// as much as the convolution itself.
bool pointwise(const ConvKey& key) {
  return key.kernel[0] == 1 && key.kernel[1] == 1 && key.stride[0] == 1 && key.stride[1] == 1 && key.groups == 1 &&
         key.padding_left[0] == 0 && key.padding_left[1] == 0 && key.padding_right[0] == 0 && key.padding_right[1] == 0 &&
         key.dilation[0] == 1 && key.dilation[1] == 1;
}

// Subsampled forward convolutions (see subsampled) onto output planes of at least 256 pixels run 1.1–1.2×
// faster as oneDNN's GEMM convolution on the plain layouts (one GEMM per image, as wide as the plane, and
// no output reorder) than blocked; on smaller planes (8×8) the blocked kernel is 1.2–1.5× faster.
Layout forward_layout(const ConvKey& key) {
  if (pointwise(key)) return Layout::plain;
  return subsampled(key) && key.output[0] * key.output[1] >= 256 ? Layout::plain : Layout::preferred;
}

// Backward data into an image of few channels (a network's first layer: LeNet's 1, ResNet's 3) is 1.5–4×
// slower in the blocked layouts than oneDNN's GEMM convolution on the plain ones; subsampled backward data
// is as fast or up to 1.15× faster on the plain ones.
Layout backward_data_layout(const ConvKey& key) {
  return key.image_channels <= 4 || subsampled(key) || pointwise(key) ? Layout::plain : Layout::preferred;
}

// Whether oneDNN picked an AVX-512 kernel. For backward weights with few image channels (LeNet's 6 → 16)
// the preferred layouts get an AVX2 kernel, and channels-last an AVX-512 one that is ~1.6× faster.
bool wide_kernel(const dnnl::primitive_desc_base& descriptor) {
  return std::string(descriptor.impl_info_str()).find("avx512") != std::string::npos;
}

dnnl::convolution_forward::primitive_desc forward_descriptor(const Descriptors& d, const dnnl::primitive_attr& attr) {
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, d.image,
                                       d.weight, d.bias, d.output, d.stride, d.dilation, d.padding_left, d.padding_right);
  return dnnl::convolution_forward::primitive_desc(desc, attr, dnn::engine());
}

// The user-side descriptors, from the tensors of the first call (the key pins their strides). A subsampled
// plan's image is a view of every stride-th pixel: the tensor's spatial strides times the conv's strides.
struct UserDescriptors {
  memory::desc image, weight, output;
};

memory::desc describe_image(const Tensor& image, const ConvKey& key) {
  if (!subsampled(key)) return dnn::describe(image);
  const Shape& strides = image.strides();
  return dnn::describe({key.batch, key.image_channels, key.output[0], key.output[1]},
                       {strides[0], strides[1], strides[2] * key.stride[0], strides[3] * key.stride[1]});
}

UserDescriptors user_descriptors(const ConvTensors& t, const ConvKey& key) {
  return {describe_image(*t.image, key), dnn::describe_grouped_weight(*t.weight, key.groups), dnn::describe(*t.output)};
}

struct ForwardPlan {
  bool ok = false;  // false: oneDNN refused this configuration; the reference kernel runs
  dnnl::convolution_forward::primitive_desc descriptor;
  dnnl::convolution_forward primitive;
  dnn::Edge image, weight, output;
  memory::desc bias;
};

struct BackwardDataPlan {
  bool ok = false;
  dnnl::convolution_backward_data::primitive_desc descriptor;
  dnnl::convolution_backward_data primitive;
  dnn::Edge output, weight, image;  // diff_dst in, weights in, diff_src out
};

struct BackwardWeightsPlan {
  bool ok = false;
  dnnl::convolution_backward_weights::primitive_desc descriptor;
  dnnl::convolution_backward_weights primitive;
  dnn::Edge image, output, weight;  // src in, diff_dst in, diff_weights out
};

ForwardPlan make_forward_plan(const ConvKey& key, const ConvTensors& t) {
  ForwardPlan plan;
  try {
    const UserDescriptors user = user_descriptors(t, key);
    Descriptors d = descriptors(key, forward_layout(key));
    plan.descriptor = forward_descriptor(d, dnn::user_scratchpad());
    plan.primitive = dnnl::convolution_forward(plan.descriptor);
    plan.image = dnn::make_input_edge(user.image, plan.descriptor.src_desc());
    plan.weight = dnn::make_input_edge(user.weight, plan.descriptor.weights_desc());
    plan.output = dnn::make_output_edge(plan.descriptor.dst_desc(), user.output);
    plan.bias = d.bias;
    plan.ok = true;
  } catch (const dnnl::error&) {
    plan.ok = false;
  }
  return plan;
}

BackwardDataPlan make_backward_data_plan(const ConvKey& key, const ConvTensors& t) {
  BackwardDataPlan plan;
  try {
    const UserDescriptors user = user_descriptors(t, key);
    Descriptors d = descriptors(key, backward_data_layout(key));
    d.bias = memory::desc();
    auto hint = forward_descriptor(d, dnnl::primitive_attr());
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.image, d.weight, d.output,
                                               d.stride, d.dilation, d.padding_left, d.padding_right);
    plan.descriptor = dnnl::convolution_backward_data::primitive_desc(desc, dnn::user_scratchpad(), dnn::engine(), hint);
    plan.primitive = dnnl::convolution_backward_data(plan.descriptor);
    plan.output = dnn::make_input_edge(user.output, plan.descriptor.diff_dst_desc());
    plan.weight = dnn::make_input_edge(user.weight, plan.descriptor.weights_desc());
    plan.image = dnn::make_output_edge(plan.descriptor.diff_src_desc(), user.image);
    plan.ok = true;
  } catch (const dnnl::error&) {
    plan.ok = false;
  }
  return plan;
}

dnnl::convolution_backward_weights::primitive_desc backward_weights_descriptor(const ConvKey& key, Layout layout) {
  Descriptors d = descriptors(key, layout);
  d.bias = memory::desc();
  auto hint = forward_descriptor(d, dnnl::primitive_attr());
  dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, d.image, d.weight, d.output,
                                                d.stride, d.dilation, d.padding_left, d.padding_right);
  return dnnl::convolution_backward_weights::primitive_desc(desc, dnn::user_scratchpad(), dnn::engine(), hint);
}

BackwardWeightsPlan make_backward_weights_plan(const ConvKey& key, const ConvTensors& t) {
  BackwardWeightsPlan plan;
  try {
    const UserDescriptors user = user_descriptors(t, key);
    plan.descriptor = backward_weights_descriptor(key, pointwise(key) ? Layout::plain : Layout::preferred);
    if (!wide_kernel(plan.descriptor)) {
      auto channels_last = backward_weights_descriptor(key, Layout::channels_last);
      if (wide_kernel(channels_last)) plan.descriptor = channels_last;
    }
    plan.primitive = dnnl::convolution_backward_weights(plan.descriptor);
    plan.image = dnn::make_input_edge(user.image, plan.descriptor.src_desc());
    plan.output = dnn::make_input_edge(user.output, plan.descriptor.diff_dst_desc());
    plan.weight = dnn::make_output_edge(plan.descriptor.diff_weights_desc(), user.weight);
    plan.ok = true;
  } catch (const dnnl::error&) {
    plan.ok = false;
  }
  return plan;
}

// A few hundred plans cover every layer of the zoo's models in both directions and all batch sizes in use.
constexpr size_t plan_capacity = 512;

template <typename Plan>
dnn::PlanCache<ConvKey, Plan>& plans() {
  static dnn::PlanCache<ConvKey, Plan> cache(plan_capacity);
  return cache;
}

template <typename Plan, typename Make>
std::shared_ptr<const Plan> find_plan(const ConvKey& key, const ConvTensors& t, Make&& make) {
  return plans<Plan>().get(key, [&] { return make(key, t); });
}

// ---- the views of each op's call

ConvTensors forward_tensors(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  return {&inputs[0], &outputs[0], &inputs[1]};
}
ConvTensors transpose_tensors(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  return {&outputs[0], &inputs[0], &inputs[1]};
}
ConvTensors weight_tensors(const std::vector<Tensor>& inputs, const Tensor& weight, bool transposed) {
  return {&inputs[transposed ? 1 : 0], &inputs[transposed ? 0 : 1], &weight};
}

// conv_transpose2d's bias, added over each output plane after the backward-data convolution.
void add_bias(const Tensor& out, const Tensor& bias) {
  const int64_t channels = out.shape()[1];
  const int64_t planes = out.shape()[0] * channels;
  const int64_t plane = out.shape()[2] * out.shape()[3];
  float* data = static_cast<float*>(out.raw_data());
  const float* values = static_cast<const float*>(bias.raw_data());
  const int64_t stride = bias.strides()[0];
#pragma omp parallel for schedule(static) if (planes * plane >= parallel_threshold)
  for (int64_t p = 0; p < planes; ++p) {
    const float value = values[(p % channels) * stride];
    float* row = data + p * plane;
    for (int64_t i = 0; i < plane; ++i) row[i] += value;
  }
}

// Zeroes a contiguous f32 tensor (on all threads when it is large).
void zero(const Tensor& t) {
  float* data = static_cast<float*>(t.raw_data());
  for_each_chunk(t.numel(), [data](int64_t begin, int64_t end) { std::fill(data + begin, data + end, 0.0f); });
}

// ---- kernels (the selector checked that a plan exists and is ok)

void run_forward(const ops::KernelCall& call) {
  const ConvTensors t = forward_tensors(call.inputs, call.outputs);
  const bool bias = call.inputs.size() == 3;
  const ConvKey key = *make_key(Direction::forward, t, std::get<ops::ConvAttrs>(call.attrs), bias);
  auto plan = find_plan<ForwardPlan>(key, t, make_forward_plan);
  dnn::guarded("conv2d", [&] {
    dnn::Buffer image_buffer, output_buffer, scratch_buffer;
    memory image = dnn::input_memory(plan->image, *t.image, image_buffer);
    dnn::CachedWeight weight = dnn::cached_weight(*t.weight, plan->weight);
    memory output = dnn::output_memory(plan->output, *t.output, output_buffer);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, image}, {DNNL_ARG_WEIGHTS, weight.memory}, {DNNL_ARG_DST, output},
        {DNNL_ARG_SCRATCHPAD, dnn::scratchpad(plan->descriptor.scratchpad_desc(), scratch_buffer)}};
    if (bias) args[DNNL_ARG_BIAS] = dnn::wrap(call.inputs[2], plan->bias);
    plan->primitive.execute(dnn::stream(), args);
    dnn::finish_output(plan->output, output, *t.output);
    dnn::stream().wait();
  });
}

void run_transpose(const ops::KernelCall& call) {
  const ConvTensors t = transpose_tensors(call.inputs, call.outputs);
  const ConvKey key = *make_key(Direction::backward_data, t, std::get<ops::ConvAttrs>(call.attrs), false);
  auto plan = find_plan<BackwardDataPlan>(key, t, make_backward_data_plan);
  if (subsampled(key)) zero(*t.image);  // the primitive writes every stride-th pixel only
  dnn::guarded("conv_transpose2d", [&] {
    dnn::Buffer output_buffer, image_buffer, scratch_buffer;
    memory output = dnn::input_memory(plan->output, *t.output, output_buffer);
    dnn::CachedWeight weight = dnn::cached_weight(*t.weight, plan->weight);
    memory image = dnn::output_memory(plan->image, *t.image, image_buffer);
    plan->primitive.execute(dnn::stream(), {{DNNL_ARG_DIFF_DST, output},
                                            {DNNL_ARG_WEIGHTS, weight.memory},
                                            {DNNL_ARG_DIFF_SRC, image},
                                            {DNNL_ARG_SCRATCHPAD, dnn::scratchpad(plan->descriptor.scratchpad_desc(), scratch_buffer)}});
    dnn::finish_output(plan->image, image, *t.image);
    dnn::stream().wait();
  });
  if (call.inputs.size() == 3) add_bias(call.outputs[0], call.inputs[2]);
}

void run_backward_weights(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::ConvAttrs>(call.attrs);
  const ConvTensors t = weight_tensors(call.inputs, call.outputs[0], attrs.transposed);
  const ConvKey key = *make_key(Direction::backward_weights, t, attrs, false);
  auto plan = find_plan<BackwardWeightsPlan>(key, t, make_backward_weights_plan);
  dnn::guarded("conv2d_backward_weight", [&] {
    dnn::Buffer image_buffer, output_buffer, weight_buffer, scratch_buffer;
    memory image = dnn::input_memory(plan->image, *t.image, image_buffer);
    memory output = dnn::input_memory(plan->output, *t.output, output_buffer);
    memory weight = dnn::output_memory(plan->weight, *t.weight, weight_buffer);
    plan->primitive.execute(dnn::stream(), {{DNNL_ARG_SRC, image},
                                            {DNNL_ARG_DIFF_DST, output},
                                            {DNNL_ARG_DIFF_WEIGHTS, weight},
                                            {DNNL_ARG_SCRATCHPAD, dnn::scratchpad(plan->descriptor.scratchpad_desc(), scratch_buffer)}});
    dnn::finish_output(plan->weight, weight, *t.weight);
    dnn::stream().wait();
  });
}

// Finds (or creates) the plan now, so a configuration oneDNN refuses falls back to the reference kernel.
template <typename Plan, typename Make>
bool plan_ok(Direction direction, const ConvTensors& t, const ops::ConvAttrs& attrs, bool bias, Make&& make) {
  if (!applies({t.image, t.output, t.weight})) return false;
  std::optional<ConvKey> key = make_key(direction, t, attrs, bias);
  return key && find_plan<Plan>(*key, t, make)->ok;
}

bool bias_applies(const std::vector<Tensor>& inputs) {
  return inputs.size() < 3 || (dnn::addressable(inputs[2]) && (inputs[2].shape()[0] == 1 || inputs[2].strides()[0] == 1));
}

}  // namespace

ops::Kernel conv_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                      const ops::Attrs& attrs) {
  const auto& conv = std::get<ops::ConvAttrs>(attrs);
  switch (op) {
    case ops::OpId::conv2d:
      if (!bias_applies(inputs)) return nullptr;
      return plan_ok<ForwardPlan>(Direction::forward, forward_tensors(inputs, outputs), conv, inputs.size() == 3, make_forward_plan)
                 ? &run_forward : nullptr;
    case ops::OpId::conv_transpose2d:
      if (inputs.size() == 3 && !dnn::addressable(inputs[2])) return nullptr;
      return plan_ok<BackwardDataPlan>(Direction::backward_data, transpose_tensors(inputs, outputs), conv, false,
                                       make_backward_data_plan)
                 ? &run_transpose : nullptr;
    case ops::OpId::conv2d_backward_weight:
      return plan_ok<BackwardWeightsPlan>(Direction::backward_weights,
                                          weight_tensors(inputs, outputs[0], conv.transposed), conv, false,
                                          make_backward_weights_plan)
                 ? &run_backward_weights : nullptr;
    default:
      return nullptr;
  }
}

namespace {

// Multiply-adds of a conv2d: each output element sums in_channels/groups × kernel taps (weight [out, in/groups, kh, kw]).
bool small_convolution(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  const Tensor& weight = inputs[1];
  if (weight.dim() == 0 || weight.size(0) == 0) return false;
  return outputs[0].numel() * (weight.numel() / weight.size(0)) <= small_gemm;
}

// A small conv2d (batch-1 inference) runs on the calling thread: see OneThread.
void run_small_conv2d(const ops::KernelCall& call) {
  OneThread serial;
  conv_fast(ops::OpId::conv2d, call.inputs, call.outputs, call.attrs)(call);
}

}  // namespace

ops::Kernel conv2d_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs& attrs) {
  if (!small_convolution(inputs, outputs)) return conv_fast(op, inputs, outputs, attrs);
  OneThread serial;  // oneDNN fixes a primitive's thread count when the plan is made, here
  return conv_fast(op, inputs, outputs, attrs) ? &run_small_conv2d : nullptr;
}

}  // namespace nabla::cpu
