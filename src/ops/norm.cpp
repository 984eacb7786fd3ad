// Normalization as fused ops with outputs (y, mean, rstd): layer_norm, batch_norm and group_norm.
//   y = (x − mean) · rstd · weight + bias,   rstd = 1 / √(var + eps),   var biased (divides by the count)
// The reference kernels compute the statistics in double (two passes: mean, then centered squares).
// Backward passes are written with differentiable ops: with create_graph they recompute mean and rstd from
// x (so the second-order gradient also follows how the statistics depend on x), else they use the saved ones.
#include <cmath>
#include <span>
#include <vector>

#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/iterate.h"
#include "ops/kernel_rules.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

// Mean and rstd are kept in float32 for half-precision inputs (PyTorch's accumulate type).
DType statistics_dtype(DType x) { return x == DType::bf16 || x == DType::f16 ? DType::f32 : x; }

// How a reference kernel walks x: its shape (group_norm splits the channel dim into [groups, channels per
// group]), which dims are normalised together, and each operand's strides over that shape (0 where a
// weight or bias is broadcast).
struct NormLayout {
  Shape shape;
  std::vector<bool> reduced;
  Shape x_strides, weight_strides, bias_strides;
};

// One group's statistics, in row-major order of the dims that are not reduced.
struct Statistics {
  std::vector<double> mean, rstd;
};

template <typename Body>
void for_each_group(const NormLayout& layout, int64_t x_offset, Body&& body) {
  Shape outer_shape, outer_strides, inner_shape, inner_strides;
  for (size_t d = 0; d < layout.shape.size(); ++d) {
    (layout.reduced[d] ? inner_shape : outer_shape).push_back(layout.shape[d]);
    (layout.reduced[d] ? inner_strides : outer_strides).push_back(layout.x_strides[d]);
  }
  for_each_offset<1>(outer_shape, {outer_strides}, {x_offset}, [&](const std::array<int64_t, 1>& base) {
    body(inner_shape, inner_strides, base[0]);
  });
}

Statistics batch_statistics(const Tensor& x, const NormLayout& layout, double eps) {
  Statistics result;
  const void* data = x.storage()->data();
  for_each_group(layout, x.offset(), [&](const Shape& shape, const Shape& strides, int64_t base) {
    const double count = static_cast<double>(numel(shape));
    double total = 0, squares = 0;
    for_each_offset<1>(shape, {strides}, {base}, [&](const std::array<int64_t, 1>& offset) {
      total += load_double(x.dtype(), data, offset[0]);
    });
    const double mean = total / count;
    for_each_offset<1>(shape, {strides}, {base}, [&](const std::array<int64_t, 1>& offset) {
      const double centered = load_double(x.dtype(), data, offset[0]) - mean;
      squares += centered * centered;
    });
    result.mean.push_back(mean);
    result.rstd.push_back(1.0 / std::sqrt(squares / count + eps));
  });
  return result;
}

// y = (x − mean)·rstd·weight + bias over every element, then mean and rstd into outputs 1 and 2.
void write_normalized(const KernelCall& call, const NormLayout& layout, const Statistics& statistics) {
  const Tensor& x = call.inputs[0];
  const Tensor& weight = call.inputs[1];
  const Tensor& bias = call.inputs[2];
  const Tensor& y = call.outputs[0];
  // The statistics' index of each element: contiguous over the kept dims, 0 along the reduced ones.
  Shape statistics_strides(layout.shape.size(), 0);
  int64_t stride = 1;
  for (size_t d = layout.shape.size(); d-- > 0;) {
    if (layout.reduced[d]) continue;
    statistics_strides[d] = stride;
    stride *= layout.shape[d];
  }
  std::array<Shape, 5> strides{contiguous_strides(layout.shape), layout.x_strides, layout.weight_strides,
                               layout.bias_strides, statistics_strides};
  std::array<int64_t, 5> start{0, x.offset(), weight.offset(), bias.offset(), 0};
  const void *x_data = x.storage()->data(), *weight_data = weight.storage()->data(), *bias_data = bias.storage()->data();
  void* y_data = y.raw_data();
  for_each_offset<5>(layout.shape, strides, start, [&](const std::array<int64_t, 5>& offset) {
    const auto group = static_cast<size_t>(offset[4]);
    const double normalized = (load_double(x.dtype(), x_data, offset[1]) - statistics.mean[group]) * statistics.rstd[group];
    store_double(y.dtype(), y_data, offset[0],
                 normalized * load_double(weight.dtype(), weight_data, offset[2]) +
                     load_double(bias.dtype(), bias_data, offset[3]));
  });
  for (size_t i = 0; i < statistics.mean.size(); ++i) {
    store_double(call.outputs[1].dtype(), call.outputs[1].raw_data(), static_cast<int64_t>(i), statistics.mean[i]);
    store_double(call.outputs[2].dtype(), call.outputs[2].raw_data(), static_cast<int64_t>(i), statistics.rstd[i]);
  }
}

// Strides that lay a [C] tensor along dim 1 of a rank-`rank` shape (batch_norm's weight over [N, C, …]).
Shape channel_strides(const Tensor& channels, size_t rank) {
  Shape strides(rank, 0);
  strides[1] = channels.strides()[0];
  return strides;
}

}  // namespace

// Parameters (weight, bias, running statistics) have the input's dtype, or float32 for a half-precision
// input (PyTorch's only mixed case); anything else is refused rather than silently cast.
bool parameter_dtype_fits(DType parameter, DType input) {
  return parameter == input || (parameter == DType::f32 && (input == DType::bf16 || input == DType::f16));
}

namespace {

const char* parameter_name(size_t i) {
  static const char* const names[] = {"input", "weight", "bias", "running_mean", "running_var"};
  return i < 5 ? names[i] : "parameter";
}

void check_dtypes(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const char* op = op_name(call.op);
  NABLA_CHECK(is_floating(x.dtype()), "{}: input must be floating point, got {}; convert it with .to(DType::f32)", op,
              x.describe());
  for (size_t i = 1; i < call.inputs.size(); ++i) {
    NABLA_CHECK(parameter_dtype_fits(call.inputs[i].dtype(), x.dtype()),
                "{}: mixed dtypes: {} {} must have the input's dtype {} (input {})", op, parameter_name(i),
                call.inputs[i].describe(), dtype_name(x.dtype()), x.describe());
  }
}

// batch_norm and group_norm: x [N, C, …] with per-channel parameters [C] from input 1 on.
void check_channels(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const char* op = op_name(call.op);
  NABLA_CHECK(x.dim() >= 2, "{}: input must be [N, C, …] with at least 2 dims, got {}", op, x.describe());
  const Shape channels{x.shape()[1]};
  for (size_t i = 1; i < call.inputs.size(); ++i) {
    NABLA_CHECK(call.inputs[i].shape() == channels, "{}: {} {} must have shape {} (the channels of input {})", op,
                parameter_name(i), call.inputs[i].describe(), shape_string(channels), x.describe());
  }
}

// ---- backward helpers (differentiable ops only)

// dx of xhat = (x − mean)·rstd over `dims`, given dxhat:  rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat))
Tensor normalize_backward(const Tensor& dxhat, const Tensor& xhat, const Tensor& rstd, const std::vector<int64_t>& dims) {
  return rstd * (dxhat - mean(dxhat, dims, true) - xhat * mean(dxhat * xhat, dims, true));
}

struct SavedStatistics {
  Tensor mean, rstd;  // broadcastable against the grouped x
};

SavedStatistics statistics_for_backward(const Tensor& grouped, const Tensor& mean_saved, const Tensor& rstd_saved,
                                        const std::vector<int64_t>& dims, double eps) {
  if (!autograd::grad_enabled()) return {mean_saved, rstd_saved};
  // Building a graph (create_graph): recomputed, so their dependence on x is part of it.
  Tensor average = mean(grouped, dims, true);
  Tensor centered = grouped - average;
  return {average, 1.0 / sqrt(mean(centered * centered, dims, true) + eps)};
}

// [C, 1, …, 1]: the shape a per-channel gradient of an [N, C, …] input is summed to (then viewed as [C]).
Shape channel_sum_shape(const Shape& x_shape) {
  Shape shape(x_shape.size() - 1, 1);
  shape[0] = x_shape[1];
  return shape;
}
Shape channel_broadcast_shape(const Shape& x_shape) {
  Shape shape(x_shape.size(), 1);
  shape[1] = x_shape[1];
  return shape;
}

std::vector<int64_t> all_dims_but_channels(int64_t rank) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < rank; ++d) dims.push_back(d);
  return dims;
}

// Gradients of weight and bias that broadcast over [N, C, …] as [1, C, 1, …].
std::pair<Tensor, Tensor> channel_parameter_grads(const BackwardCall& call, const Tensor& xhat) {
  const Tensor& grad = call.grads[0];
  const Shape& x_shape = call.input_meta[0].shape;
  const Shape channels{x_shape[1]};
  Tensor dweight, dbias;
  if (call.needs_grad[1]) dweight = sum_to(grad * xhat, channel_sum_shape(x_shape)).reshape(channels);
  if (call.needs_grad[2]) dbias = sum_to(grad, channel_sum_shape(x_shape)).reshape(channels);
  return {dweight, dbias};
}

// batch_norm's and group_norm's first-order backward through their fused ops (src/ops/norm_backward.cpp):
// gradients for the inputs that need one (batch_norm in evaluation: none for the running statistics).
std::vector<Tensor> fused_norm_backward(OpId op, const BackwardCall& call) {
  std::vector<Tensor> grads = ops::call(op, {call.grads[0], call.inputs[0], call.inputs[1], call.outputs[1],
                                             call.outputs[2]}, call.attrs);
  std::vector<Tensor> result(call.inputs.size());
  for (size_t i = 0; i < 3; ++i) {
    if (call.needs_grad[i]) result[i] = std::move(grads[i]);
  }
  return result;
}

}  // namespace

// layer_norm: x [..., *normalized] (normalized = the last `normalized_dims` dims), weight, bias [*normalized]
//   → y [x's shape], mean and rstd [..., 1, …, 1] (float32 for half-precision x).
//   dxhat = dy·weight;  dx = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat));  dweight = Σ dy·xhat;  dbias = Σ dy
std::vector<OutputSpec> shape_layer_norm(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  NABLA_CHECK(call.inputs.size() == 3, "layer_norm: expected inputs (x, weight, bias), got {} tensors", call.inputs.size());
  check_dtypes(call);
  NABLA_CHECK(attrs.normalized_dims >= 1 && attrs.normalized_dims <= x.dim(),
              "layer_norm: can't normalise the last {} dims of input {}", attrs.normalized_dims, x.describe());
  const Shape normalized(x.shape().end() - attrs.normalized_dims, x.shape().end());
  for (size_t i = 1; i < 3; ++i) {
    NABLA_CHECK(call.inputs[i].shape() == normalized, "layer_norm: {} {} must have the normalized shape {} of input {}",
                i == 1 ? "weight" : "bias", call.inputs[i].describe(), shape_string(normalized), x.describe());
  }
  Shape statistics_shape = x.shape();
  for (int64_t d = x.dim() - attrs.normalized_dims; d < x.dim(); ++d) statistics_shape[d] = 1;
  const DType statistics = statistics_dtype(x.dtype());
  return {{x.shape(), x.dtype()}, {statistics_shape, statistics}, {statistics_shape, statistics}};
}
void reference_layer_norm(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  NormLayout layout{x.shape(), std::vector<bool>(x.shape().size(), false), x.strides(),
                    broadcast_strides(call.inputs[1], x.shape()), broadcast_strides(call.inputs[2], x.shape())};
  for (int64_t d = x.dim() - attrs.normalized_dims; d < x.dim(); ++d) layout.reduced[d] = true;
  write_normalized(call, layout, batch_statistics(x, layout, attrs.eps));
}
std::vector<Tensor> backward_layer_norm(const BackwardCall& call) {
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  const Tensor& weight = call.inputs[1];
  const Tensor& grad = call.grads[0];
  if (!autograd::grad_enabled() && x.numel() > 0) {
    // First order: these are group_norm_backward's formulas for one group over x seen as [rows, features]
    // (a statistic per row, the weight per column), so that fused op (and its fast kernel) computes them in a
    // few passes instead of a dozen broadcasting ops.
    const int64_t features = weight.numel(), rows = x.numel() / features;
    NormAttrs one_group = attrs;
    one_group.groups = 1;
    std::vector<Tensor> grads = ops::call(OpId::group_norm_backward,
                                          {grad.reshape({rows, features}), x.reshape({rows, features}),
                                           weight.reshape({features}), call.outputs[1].reshape({rows, 1}),
                                           call.outputs[2].reshape({rows, 1})}, one_group);
    return {call.needs_grad[0] ? grads[0].view(x.shape()) : Tensor(),
            call.needs_grad[1] ? grads[1].view(weight.shape()) : Tensor(),
            call.needs_grad[2] ? grads[2].view(weight.shape()) : Tensor()};
  }
  std::vector<int64_t> dims;
  for (int64_t d = x.dim() - attrs.normalized_dims; d < x.dim(); ++d) dims.push_back(d);
  SavedStatistics statistics = statistics_for_backward(x, call.outputs[1], call.outputs[2], dims, attrs.eps);
  Tensor xhat = (x - statistics.mean) * statistics.rstd;
  Tensor dx, dweight, dbias;
  if (call.needs_grad[0]) dx = normalize_backward(grad * weight, xhat, statistics.rstd, dims);
  if (call.needs_grad[1]) dweight = sum_to(grad * xhat, weight.shape());
  if (call.needs_grad[2]) dbias = sum_to(grad, weight.shape());
  return {dx, dweight, dbias};
}

// batch_norm: x [N, C, …], weight, bias [C] (training), plus running_mean, running_var [C] (eval)
//   → y [x's shape], mean and rstd [C]: over N and the spatial dims in training, the running ones in eval.
//   training: as layer_norm with the statistics per channel.  eval: dx = dy·weight·rstd (the statistics are constants)
std::vector<OutputSpec> shape_batch_norm(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  NABLA_CHECK(call.inputs.size() == (attrs.training ? 3u : 5u),
              "batch_norm: expected inputs {} in {}, got {} tensors",
              attrs.training ? "(x, weight, bias)" : "(x, weight, bias, running_mean, running_var)",
              attrs.training ? "training" : "evaluation", call.inputs.size());
  check_dtypes(call);
  check_channels(call);
  NABLA_CHECK(!attrs.training || x.numel() / x.shape()[1] > 1,
              "batch_norm: expected more than 1 value per channel when training, got input {}", x.describe());
  const Shape channels{x.shape()[1]};
  const DType statistics = statistics_dtype(x.dtype());
  return {{x.shape(), x.dtype()}, {channels, statistics}, {channels, statistics}};
}
void reference_batch_norm(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  const size_t rank = x.shape().size();
  NormLayout layout{x.shape(), std::vector<bool>(rank, true), x.strides(), channel_strides(call.inputs[1], rank),
                    channel_strides(call.inputs[2], rank)};
  layout.reduced[1] = false;
  if (attrs.training) return write_normalized(call, layout, batch_statistics(x, layout, attrs.eps));
  const Tensor& running_mean = call.inputs[3];
  const Tensor& running_var = call.inputs[4];
  Statistics statistics;
  for (int64_t c = 0; c < x.shape()[1]; ++c) {
    statistics.mean.push_back(load_double(running_mean.dtype(), running_mean.storage()->data(),
                                          running_mean.offset() + c * running_mean.strides()[0]));
    const double variance = load_double(running_var.dtype(), running_var.storage()->data(),
                                        running_var.offset() + c * running_var.strides()[0]);
    statistics.rstd.push_back(1.0 / std::sqrt(variance + attrs.eps));
  }
  write_normalized(call, layout, statistics);
}
std::vector<Tensor> backward_batch_norm(const BackwardCall& call) {
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  const Tensor& grad = call.grads[0];
  if (!autograd::grad_enabled()) return fused_norm_backward(OpId::batch_norm_backward, call);
  const Shape broadcast = channel_broadcast_shape(x.shape());
  Tensor weight = call.inputs[1].reshape(broadcast);
  Tensor dx;
  if (!attrs.training) {
    // The running statistics are buffers, not parameters: they get no gradient (as PyTorch).
    Tensor rstd = call.outputs[2].reshape(broadcast);
    Tensor xhat = (x - call.inputs[3].reshape(broadcast)) * rstd;
    if (call.needs_grad[0]) dx = grad * weight * rstd;
    auto [dweight, dbias] = channel_parameter_grads(call, xhat);
    return {dx, dweight, dbias, Tensor(), Tensor()};
  }
  const std::vector<int64_t> dims = all_dims_but_channels(x.dim());
  SavedStatistics statistics = statistics_for_backward(x, call.outputs[1].reshape(broadcast),
                                                       call.outputs[2].reshape(broadcast), dims, attrs.eps);
  Tensor xhat = (x - statistics.mean) * statistics.rstd;
  if (call.needs_grad[0]) dx = normalize_backward(grad * weight, xhat, statistics.rstd, dims);
  auto [dweight, dbias] = channel_parameter_grads(call, xhat);
  return {dx, dweight, dbias};
}

// group_norm: x [N, C, …], weight, bias [C]; the C channels form `groups` groups of C/groups
//   → y [x's shape], mean and rstd [N, groups], over each group's channels and spatial dims.
//   Backward as layer_norm on x viewed as [N, groups, C/groups·spatial], with weight applied per channel.
std::vector<OutputSpec> shape_group_norm(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const int64_t groups = std::get<NormAttrs>(call.attrs).groups;
  NABLA_CHECK(call.inputs.size() == 3, "group_norm: expected inputs (x, weight, bias), got {} tensors", call.inputs.size());
  check_dtypes(call);
  check_channels(call);
  NABLA_CHECK(groups >= 1 && x.shape()[1] % groups == 0,
              "group_norm: the {} channels of input {} do not divide into {} groups", x.shape()[1], x.describe(), groups);
  const Shape statistics_shape{x.shape()[0], groups};
  const DType statistics = statistics_dtype(x.dtype());
  return {{x.shape(), x.dtype()}, {statistics_shape, statistics}, {statistics_shape, statistics}};
}
void reference_group_norm(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  const int64_t per_group = x.shape()[1] / attrs.groups;
  // x seen as [N, groups, C/groups, …]: splitting a dim is always expressible with strides.
  NormLayout layout;
  layout.shape = {x.shape()[0], attrs.groups, per_group};
  layout.x_strides = {x.strides()[0], x.strides()[1] * per_group, x.strides()[1]};
  const int64_t weight_stride = call.inputs[1].strides()[0], bias_stride = call.inputs[2].strides()[0];
  layout.weight_strides = {0, weight_stride * per_group, weight_stride};
  layout.bias_strides = {0, bias_stride * per_group, bias_stride};
  for (int64_t d = 2; d < x.dim(); ++d) {
    layout.shape.push_back(x.shape()[d]);
    layout.x_strides.push_back(x.strides()[d]);
    layout.weight_strides.push_back(0);
    layout.bias_strides.push_back(0);
  }
  layout.reduced.assign(layout.shape.size(), true);
  layout.reduced[0] = layout.reduced[1] = false;
  write_normalized(call, layout, batch_statistics(x, layout, attrs.eps));
}
std::vector<Tensor> backward_group_norm(const BackwardCall& call) {
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  const Tensor& grad = call.grads[0];
  if (!autograd::grad_enabled()) return fused_norm_backward(OpId::group_norm_backward, call);
  const int64_t batch = x.shape()[0];
  const int64_t per_group = x.shape()[1] / attrs.groups * numel(std::span(x.shape()).subspan(2));
  const Shape grouped_shape{batch, attrs.groups, per_group};
  const Shape statistics_shape{batch, attrs.groups, 1};
  Tensor grouped = x.reshape(grouped_shape);
  SavedStatistics statistics = statistics_for_backward(grouped, call.outputs[1].reshape(statistics_shape),
                                                       call.outputs[2].reshape(statistics_shape), {2}, attrs.eps);
  Tensor xhat_grouped = (grouped - statistics.mean) * statistics.rstd;
  Tensor dx;
  if (call.needs_grad[0]) {
    Tensor dxhat = (grad * call.inputs[1].reshape(channel_broadcast_shape(x.shape()))).reshape(grouped_shape);
    dx = normalize_backward(dxhat, xhat_grouped, statistics.rstd, {2}).reshape(x.shape());
  }
  auto [dweight, dbias] = channel_parameter_grads(call, xhat_grouped.reshape(x.shape()));
  return {dx, dweight, dbias};
}

}  // namespace nabla::ops
