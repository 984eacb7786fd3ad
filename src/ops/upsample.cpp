// Resampling the last two dims of x [N, C, H, W] to [N, C, OH, OW], nearest or bilinear, with PyTorch's
// source-index rules (upsample_nearest2d, upsample_bilinear2d), and its adjoint:
//
//   upsample2d           out[.., oy, ox] = Σ_a Σ_b λy_a λx_b · x[.., y_a, x_b]   (two taps per axis)
//                        nearest: one tap, y = min(⌊oy · scale⌋, H − 1) in float as PyTorch, where scale
//                        is 1 / scale_factor when one was given, else H / OH
//                        bilinear: y = align_corners ? oy·(H − 1)/(OH − 1) : max((oy + ½)·scale − ½, 0),
//                        taps ⌊y⌋ and ⌊y⌋ + 1 (clamped) with weights 1 − frac, frac
//                        dx = upsample2d_backward(dy)
//   upsample2d_backward  dy [N, C, OH, OW] → dx [N, C, H, W] (input_shape): each dy scattered to its taps
//                        with its weights; its own backward is upsample2d
#include <algorithm>
#include <cmath>

#include "core/element.h"
#include "nabla/ops.h"
#include "ops/index_maps.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

// PyTorch's nearest_idx: exact shortcuts for equal and doubled sizes, else a float scale and floor.
int64_t nearest_source(int64_t position, int64_t input, int64_t output, double scale_factor) {
  if (output == input) return position;
  if (output == 2 * input) return position >> 1;
  const float scale = scale_factor > 0 ? static_cast<float>(1.0 / scale_factor)
                                       : static_cast<float>(input) / static_cast<float>(output);
  const auto source = static_cast<int64_t>(std::floor(static_cast<float>(position) * scale));
  return std::min(source, input - 1);
}

Taps linear_taps(int64_t position, int64_t input, int64_t output, double scale_factor, bool align_corners) {
  double source = 0;
  if (align_corners) {
    const double scale = output > 1 ? static_cast<double>(input - 1) / static_cast<double>(output - 1) : 0.0;
    source = scale * static_cast<double>(position);
  } else {
    const double scale = scale_factor > 0 ? 1.0 / scale_factor : static_cast<double>(input) / static_cast<double>(output);
    source = std::max(scale * (static_cast<double>(position) + 0.5) - 0.5, 0.0);
  }
  Taps taps;
  taps.first = std::min(static_cast<int64_t>(std::floor(source)), input - 1);
  taps.second = taps.first + (taps.first < input - 1 ? 1 : 0);
  taps.second_weight = std::clamp(source - static_cast<double>(taps.first), 0.0, 1.0);
  taps.first_weight = 1.0 - taps.second_weight;
  return taps;
}

}  // namespace

std::vector<Taps> axis_taps(int64_t input, int64_t output, double scale_factor, const UpsampleAttrs& attrs) {
  std::vector<Taps> taps(static_cast<size_t>(output));
  for (int64_t i = 0; i < output; ++i) {
    if (attrs.mode == UpsampleMode::nearest) {
      const int64_t source = nearest_source(i, input, output, scale_factor);
      taps[i] = {source, source, 1.0, 0.0};
    } else {
      taps[i] = linear_taps(i, input, output, scale_factor, attrs.align_corners);
    }
  }
  return taps;
}

namespace {

// visit(input_index, output_index, weight) for every tap of every output element.
template <typename Visit>
void for_each_tap(const Shape& input_shape, const UpsampleAttrs& attrs, Visit&& visit) {
  const int64_t height = input_shape[2], width = input_shape[3];
  const auto [out_height, out_width] = attrs.output_size;
  const std::vector<Taps> rows = axis_taps(height, out_height, attrs.scales[0], attrs);
  const std::vector<Taps> columns = axis_taps(width, out_width, attrs.scales[1], attrs);
  const int64_t planes = input_shape[0] * input_shape[1];
  int64_t out = 0;
  for (int64_t plane = 0; plane < planes; ++plane) {
    const int64_t base = plane * height * width;
    for (const Taps& row : rows) {
      for (const Taps& column : columns) {
        visit(base + row.first * width + column.first, out, row.first_weight * column.first_weight);
        if (attrs.mode == UpsampleMode::bilinear) {
          visit(base + row.first * width + column.second, out, row.first_weight * column.second_weight);
          visit(base + row.second * width + column.first, out, row.second_weight * column.first_weight);
          visit(base + row.second * width + column.second, out, row.second_weight * column.second_weight);
        }
        ++out;
      }
    }
  }
}

void check_upsample(const char* op, const Shape& input_shape, DType dtype, const UpsampleAttrs& attrs,
                    const std::string& input) {
  NABLA_CHECK(input_shape.size() == 4, "{}: expected a 4-D input [N, C, H, W], got {}", op, input);
  NABLA_CHECK(is_floating(dtype), "{}: input {} must be floating point", op, input);
  NABLA_CHECK(input_shape[2] > 0 && input_shape[3] > 0 && attrs.output_size[0] > 0 && attrs.output_size[1] > 0,
              "{}: input and output sizes must be positive, got input {} and output size ({}, {})", op, input,
              attrs.output_size[0], attrs.output_size[1]);
  NABLA_CHECK(!(attrs.align_corners && attrs.mode == UpsampleMode::nearest),
              "{}: align_corners can only be set with the bilinear mode", op);
}

void store_values(const Tensor& out, const std::vector<double>& values) {
  void* data = out.raw_data();
  for (size_t i = 0; i < values.size(); ++i) store_double(out.dtype(), data, static_cast<int64_t>(i), values[i]);
}

}  // namespace

// ---- upsample2d: x [N, C, H, W] → [N, C, OH, OW]
std::vector<OutputSpec> shape_upsample2d(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<UpsampleAttrs>(call.attrs);
  check_upsample("upsample2d", x.shape(), x.dtype(), attrs, x.describe());
  return {{{x.shape()[0], x.shape()[1], attrs.output_size[0], attrs.output_size[1]}, x.dtype()}};
}
void reference_upsample2d(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const std::vector<double> in = x.to_vector();
  std::vector<double> out(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  for_each_tap(x.shape(), std::get<UpsampleAttrs>(call.attrs),
               [&](int64_t i, int64_t o, double weight) { out[o] += weight * in[i]; });
  store_values(call.outputs[0], out);
}
std::vector<Tensor> backward_upsample2d(const BackwardCall& call) {
  auto attrs = std::get<UpsampleAttrs>(call.attrs);
  attrs.input_shape = call.input_meta[0].shape;
  return {call1(OpId::upsample2d_backward, {call.grads[0]}, attrs)};
}

// ---- upsample2d_backward: dy [N, C, OH, OW] → dx [N, C, H, W] (input_shape)
std::vector<OutputSpec> shape_upsample2d_backward(const OpCall& call) {
  const Tensor& grad = call.inputs[0];
  const auto& attrs = std::get<UpsampleAttrs>(call.attrs);
  const Shape& shape = attrs.input_shape;
  check_upsample("upsample2d_backward", shape, grad.dtype(), attrs, shape_string(shape));
  const Shape expected{shape[0], shape[1], attrs.output_size[0], attrs.output_size[1]};
  NABLA_CHECK(grad.shape() == expected, "upsample2d_backward: gradient {} must have the output's shape {} (input {})",
              grad.describe(), shape_string(expected), shape_string(shape));
  return {{shape, grad.dtype()}};
}
void reference_upsample2d_backward(const KernelCall& call) {
  const auto& attrs = std::get<UpsampleAttrs>(call.attrs);
  const std::vector<double> grad = call.inputs[0].to_vector();
  std::vector<double> dx(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  for_each_tap(attrs.input_shape, attrs, [&](int64_t i, int64_t o, double weight) { dx[i] += weight * grad[o]; });
  store_values(call.outputs[0], dx);
}
std::vector<Tensor> backward_upsample2d_backward(const BackwardCall& call) {
  return {call1(OpId::upsample2d, {call.grads[0]}, call.attrs)};
}

}  // namespace nabla::ops
