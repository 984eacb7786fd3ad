// Pooling over the last two dims of a 3-D [C, H, W] or 4-D [N, C, H, W] input, as PyTorch: reference
// kernels (plain loops, computed in double), shape rules and backwards. The fast f32 kernels live in
// src/backend/cpu/pool.cpp.
//
//   max_pool2d          x [.., H, W] → values [.., OH, OW], indices int64 [.., OH, OW] into the H·W plane
//                       (the first maximum on ties; a NaN wins, the last NaN of the window as PyTorch)
//                       OH = ⌊(H + 2p − d(k − 1) − 1 (+ s − 1 with ceil_mode)) / s⌋ + 1, less one if the
//                       last window would start in the right padding (ceil_mode)
//                       dx = scatter_add(zeros [.., H·W], indices, dy)   (differentiable: gather back)
//   avg_pool2d          x [.., H, W] → [.., OH, OW]: each window's sum over its divisor (the window clipped
//                       to the padded input with count_include_pad, else to the input)
//                       dx = avg_pool2d_backward(dy); avg_pool2d_backward's backward is avg_pool2d
//   adaptive_avg_pool2d x [.., H, W] → [.., OH, OW], window i = [⌊i·H/OH⌋, ⌈(i + 1)·H/OH⌉)
//                       dx = adaptive_avg_pool2d_backward(dy), whose backward is adaptive_avg_pool2d
//   adaptive_max_pool2d x [.., H, W] → values, indices [.., OH, OW]; dx as max_pool2d's
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/element.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

using Pair = std::array<int64_t, 2>;

std::string pair_string(const Pair& pair) { return fmt::format("({}, {})", pair[0], pair[1]); }

// The planes (all dims before the last two) and the sizes of one pooling.
struct PoolGeometry {
  int64_t planes = 0;
  Pair input{0, 0}, output{0, 0};
};

void check_pool_input(const char* op, const Tensor& x, bool floating_only) {
  NABLA_CHECK(x.dim() == 3 || x.dim() == 4, "{}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got {}", op,
              x.describe());
  NABLA_CHECK(x.numel() > 0, "{}: expected a non-empty input, got {}", op, x.describe());
  NABLA_CHECK(!floating_only || is_floating(x.dtype()), "{}: input {} must be floating point", op, x.describe());
  NABLA_CHECK(is_floating(x.dtype()) || is_integral(x.dtype()) || x.dtype() == DType::u8,
              "{}: input {} must be a number type", op, x.describe());
}

// PyTorch's pooling_output_shape for one dim.
int64_t pooled_size(int64_t size, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation, bool ceil_mode) {
  const int64_t numerator = size + 2 * padding - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t count = (numerator >= 0 ? numerator / stride : -((-numerator + stride - 1) / stride)) + 1;
  // With ceil_mode the last window must start inside the input or its left padding.
  if (ceil_mode && (count - 1) * stride >= size + padding) --count;
  return count;
}

PoolGeometry window_geometry(const char* op, const Shape& shape, const WindowAttrs& attrs, const std::string& input) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  PoolGeometry g{numel(shape) / (shape[rank - 2] * shape[rank - 1]), {shape[rank - 2], shape[rank - 1]}, {0, 0}};
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t kernel = attrs.kernel[axis], stride = attrs.stride[axis], padding = attrs.padding[axis],
                  dilation = attrs.dilation[axis];
    NABLA_CHECK(kernel > 0 && stride > 0 && dilation > 0 && padding >= 0,
                "{}: kernel_size {}, stride {} and dilation {} must be positive and padding {} non-negative (input {})",
                op, pair_string(attrs.kernel), pair_string(attrs.stride), pair_string(attrs.dilation),
                pair_string(attrs.padding), input);
    NABLA_CHECK(padding <= (dilation * (kernel - 1) + 1) / 2,
                "{}: padding {} must be at most half of the effective kernel size (kernel_size {}, dilation {}); "
                "input {}",
                op, pair_string(attrs.padding), pair_string(attrs.kernel), pair_string(attrs.dilation), input);
    g.output[axis] = pooled_size(g.input[axis], kernel, stride, padding, dilation, attrs.ceil_mode);
  }
  NABLA_CHECK(g.output[0] > 0 && g.output[1] > 0,
              "{}: input {} gives an output of {}x{} with kernel_size {}, stride {}, padding {} and dilation {}; "
              "the output is too small",
              op, input, g.output[0], g.output[1], pair_string(attrs.kernel), pair_string(attrs.stride),
              pair_string(attrs.padding), pair_string(attrs.dilation));
  return g;
}

Shape pooled_shape(Shape shape, const Pair& output) {
  shape[shape.size() - 2] = output[0];
  shape[shape.size() - 1] = output[1];
  return shape;
}

void store_values(const Tensor& out, const std::vector<double>& values) {
  void* data = out.raw_data();
  for (size_t i = 0; i < values.size(); ++i) store_double(out.dtype(), data, static_cast<int64_t>(i), values[i]);
}

// The window of one output along one dim: [begin, end) in steps of `step` (before clipping to the input).
struct Span {
  int64_t begin, end, step;
};

// Max over each window: values and flat indices into the plane, PyTorch's rules for ties and NaN.
template <typename WindowOf>
void max_windows(const KernelCall& call, const PoolGeometry& g, WindowOf&& window_of) {
  const std::vector<double> x = call.inputs[0].to_vector();
  const Tensor& values = call.outputs[0];
  auto* indices = static_cast<int64_t*>(call.outputs[1].raw_data());
  const auto [height, width] = g.input;
  int64_t out = 0;
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    const double* in = x.data() + plane * height * width;
    for (int64_t oy = 0; oy < g.output[0]; ++oy) {
      for (int64_t ox = 0; ox < g.output[1]; ++ox, ++out) {
        const auto [rows, columns] = window_of(oy, ox);
        int64_t y0 = rows.begin, x0 = columns.begin;
        while (y0 < 0) y0 += rows.step;
        while (x0 < 0) x0 += columns.step;
        int64_t best_index = y0 * width + x0;
        double best = -std::numeric_limits<double>::infinity();
        for (int64_t iy = y0; iy < std::min(rows.end, height); iy += rows.step) {
          for (int64_t ix = x0; ix < std::min(columns.end, width); ix += columns.step) {
            const double value = in[iy * width + ix];
            if (value > best || std::isnan(value)) {
              best = value;
              best_index = iy * width + ix;
            }
          }
        }
        indices[out] = best_index;
        store_double(values.dtype(), values.raw_data(), out, in[best_index]);
      }
    }
  }
}

// dx = the gradient scattered to the index of each maximum, on the flattened planes.
Tensor max_backward(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  if (!grad.defined()) return {};
  const Shape& shape = call.input_meta[0].shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  Shape flat(shape.begin(), shape.end() - 2);
  flat.push_back(shape[rank - 2] * shape[rank - 1]);
  Tensor base = zeros(flat, {.dtype = grad.dtype()});
  return scatter_add(base, -1, call.outputs[1].flatten(-2), grad.flatten(-2)).reshape(shape);
}

// ---- average pooling: the window of one output and its divisor, as PyTorch's CPU kernel.
struct AverageWindow {
  int64_t y0, y1, x0, x1;
  double divisor;
};

AverageWindow average_window(const WindowAttrs& attrs, const Pair& input, int64_t oy, int64_t ox) {
  int64_t y0 = oy * attrs.stride[0] - attrs.padding[0], x0 = ox * attrs.stride[1] - attrs.padding[1];
  int64_t y1 = std::min(y0 + attrs.kernel[0], input[0] + attrs.padding[0]);
  int64_t x1 = std::min(x0 + attrs.kernel[1], input[1] + attrs.padding[1]);
  const int64_t padded_count = (y1 - y0) * (x1 - x0);
  y0 = std::max<int64_t>(y0, 0);
  x0 = std::max<int64_t>(x0, 0);
  y1 = std::min(y1, input[0]);
  x1 = std::min(x1, input[1]);
  const int64_t count = attrs.count_include_pad ? padded_count : (y1 - y0) * (x1 - x0);
  return {y0, y1, x0, x1, static_cast<double>(count)};
}

void check_average_attributes(const char* op, const WindowAttrs& attrs) {
  NABLA_CHECK(attrs.dilation[0] == 1 && attrs.dilation[1] == 1,
              "{}: dilation {} is not supported (PyTorch's avg_pool2d has none); use dilation 1", op,
              pair_string(attrs.dilation));
}

// visit(input_index, output_index, divisor) for every input element of every window.
template <typename Visit>
void for_each_average(const PoolGeometry& g, const WindowAttrs& attrs, Visit&& visit) {
  int64_t out = 0;
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    const int64_t base = plane * g.input[0] * g.input[1];
    for (int64_t oy = 0; oy < g.output[0]; ++oy) {
      for (int64_t ox = 0; ox < g.output[1]; ++ox, ++out) {
        const AverageWindow w = average_window(attrs, g.input, oy, ox);
        for (int64_t iy = w.y0; iy < w.y1; ++iy) {
          for (int64_t ix = w.x0; ix < w.x1; ++ix) visit(base + iy * g.input[1] + ix, out, w.divisor);
        }
      }
    }
  }
}

// ---- adaptive pooling: window i of n over `size` is [⌊i·size/n⌋, ⌈(i + 1)·size/n⌉).
int64_t adaptive_begin(int64_t i, int64_t size, int64_t count) { return i * size / count; }
int64_t adaptive_end(int64_t i, int64_t size, int64_t count) { return ((i + 1) * size + count - 1) / count; }

PoolGeometry adaptive_geometry(const char* op, const Shape& shape, const Pair& output, const std::string& input) {
  NABLA_CHECK(output[0] > 0 && output[1] > 0, "{}: output_size {} must be positive (input {})", op,
              pair_string(output), input);
  const int64_t rank = static_cast<int64_t>(shape.size());
  return {numel(shape) / (shape[rank - 2] * shape[rank - 1]), {shape[rank - 2], shape[rank - 1]}, output};
}

template <typename Visit>
void for_each_adaptive(const PoolGeometry& g, Visit&& visit) {
  int64_t out = 0;
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    const int64_t base = plane * g.input[0] * g.input[1];
    for (int64_t oy = 0; oy < g.output[0]; ++oy) {
      const int64_t y0 = adaptive_begin(oy, g.input[0], g.output[0]), y1 = adaptive_end(oy, g.input[0], g.output[0]);
      for (int64_t ox = 0; ox < g.output[1]; ++ox, ++out) {
        const int64_t x0 = adaptive_begin(ox, g.input[1], g.output[1]), x1 = adaptive_end(ox, g.input[1], g.output[1]);
        const double divisor = static_cast<double>((y1 - y0) * (x1 - x0));
        for (int64_t iy = y0; iy < y1; ++iy) {
          for (int64_t ix = x0; ix < x1; ++ix) visit(base + iy * g.input[1] + ix, out, divisor);
        }
      }
    }
  }
}

// The gradient of a pooling (an output-sized tensor) checked against the forward input's shape.
void check_pool_gradient(const char* op, const Tensor& grad, const Shape& input_shape, const Pair& output) {
  NABLA_CHECK(input_shape.size() >= 3 && grad.dim() == static_cast<int64_t>(input_shape.size()) &&
                  grad.shape() == pooled_shape(input_shape, output),
              "{}: gradient {} does not match the pooled shape {} of input {}", op, grad.describe(),
              input_shape.size() >= 3 ? shape_string(pooled_shape(input_shape, output)) : std::string("?"),
              shape_string(input_shape));
  NABLA_CHECK(is_floating(grad.dtype()), "{}: gradient {} must be floating point", op, grad.describe());
}

}  // namespace

// ---- max_pool2d: x [.., H, W] → values [.., OH, OW], indices int64 [.., OH, OW]
std::vector<OutputSpec> shape_max_pool2d(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  check_pool_input("max_pool2d", x, false);
  PoolGeometry g = window_geometry("max_pool2d", x.shape(), std::get<WindowAttrs>(call.attrs), x.describe());
  Shape shape = pooled_shape(x.shape(), g.output);
  return {{shape, x.dtype()}, {shape, DType::i64}};
}
void reference_max_pool2d(const KernelCall& call) {
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  PoolGeometry g = window_geometry("max_pool2d", x.shape(), attrs, x.describe());
  max_windows(call, g, [&](int64_t oy, int64_t ox) {
    const int64_t y0 = oy * attrs.stride[0] - attrs.padding[0], x0 = ox * attrs.stride[1] - attrs.padding[1];
    return std::pair{Span{y0, y0 + (attrs.kernel[0] - 1) * attrs.dilation[0] + 1, attrs.dilation[0]},
                     Span{x0, x0 + (attrs.kernel[1] - 1) * attrs.dilation[1] + 1, attrs.dilation[1]}};
  });
}
std::vector<Tensor> backward_max_pool2d(const BackwardCall& call) { return {max_backward(call)}; }

// ---- avg_pool2d: x [.., H, W] → [.., OH, OW]
std::vector<OutputSpec> shape_avg_pool2d(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  check_pool_input("avg_pool2d", x, true);
  check_average_attributes("avg_pool2d", attrs);
  PoolGeometry g = window_geometry("avg_pool2d", x.shape(), attrs, x.describe());
  return {{pooled_shape(x.shape(), g.output), x.dtype()}};
}
void reference_avg_pool2d(const KernelCall& call) {
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  PoolGeometry g = window_geometry("avg_pool2d", x.shape(), attrs, x.describe());
  const std::vector<double> in = x.to_vector();
  std::vector<double> out(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  for_each_average(g, attrs, [&](int64_t i, int64_t o, double divisor) { out[o] += in[i] / divisor; });
  store_values(call.outputs[0], out);
}
std::vector<Tensor> backward_avg_pool2d(const BackwardCall& call) {
  auto attrs = std::get<WindowAttrs>(call.attrs);
  attrs.input_shape = call.input_meta[0].shape;
  return {call1(OpId::avg_pool2d_backward, {call.grads[0]}, attrs)};
}

// ---- avg_pool2d_backward: dy [.., OH, OW] → dx [.., H, W] (input_shape)
std::vector<OutputSpec> shape_avg_pool2d_backward(const OpCall& call) {
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  const Tensor& grad = call.inputs[0];
  NABLA_CHECK(attrs.input_shape.size() == 3 || attrs.input_shape.size() == 4,
              "avg_pool2d_backward: input_shape {} must be 3-D or 4-D", shape_string(attrs.input_shape));
  check_average_attributes("avg_pool2d_backward", attrs);
  PoolGeometry g = window_geometry("avg_pool2d_backward", attrs.input_shape, attrs, shape_string(attrs.input_shape));
  check_pool_gradient("avg_pool2d_backward", grad, attrs.input_shape, g.output);
  return {{attrs.input_shape, grad.dtype()}};
}
void reference_avg_pool2d_backward(const KernelCall& call) {
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  PoolGeometry g = window_geometry("avg_pool2d_backward", attrs.input_shape, attrs, shape_string(attrs.input_shape));
  const std::vector<double> grad = call.inputs[0].to_vector();
  std::vector<double> dx(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  for_each_average(g, attrs, [&](int64_t i, int64_t o, double divisor) { dx[i] += grad[o] / divisor; });
  store_values(call.outputs[0], dx);
}
std::vector<Tensor> backward_avg_pool2d_backward(const BackwardCall& call) {
  return {call1(OpId::avg_pool2d, {call.grads[0]}, call.attrs)};
}

// ---- adaptive_avg_pool2d: x [.., H, W] → [.., OH, OW] (output_size)
std::vector<OutputSpec> shape_adaptive_avg_pool2d(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  check_pool_input("adaptive_avg_pool2d", x, true);
  PoolGeometry g = adaptive_geometry("adaptive_avg_pool2d", x.shape(), attrs.output_size, x.describe());
  return {{pooled_shape(x.shape(), g.output), x.dtype()}};
}
void reference_adaptive_avg_pool2d(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  PoolGeometry g = adaptive_geometry("adaptive_avg_pool2d", x.shape(), std::get<WindowAttrs>(call.attrs).output_size,
                                     x.describe());
  const std::vector<double> in = x.to_vector();
  std::vector<double> out(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  for_each_adaptive(g, [&](int64_t i, int64_t o, double divisor) { out[o] += in[i] / divisor; });
  store_values(call.outputs[0], out);
}
std::vector<Tensor> backward_adaptive_avg_pool2d(const BackwardCall& call) {
  auto attrs = std::get<WindowAttrs>(call.attrs);
  attrs.input_shape = call.input_meta[0].shape;
  return {call1(OpId::adaptive_avg_pool2d_backward, {call.grads[0]}, attrs)};
}

// ---- adaptive_avg_pool2d_backward: dy [.., OH, OW] → dx [.., H, W] (input_shape)
std::vector<OutputSpec> shape_adaptive_avg_pool2d_backward(const OpCall& call) {
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  const Tensor& grad = call.inputs[0];
  NABLA_CHECK(attrs.input_shape.size() == 3 || attrs.input_shape.size() == 4,
              "adaptive_avg_pool2d_backward: input_shape {} must be 3-D or 4-D", shape_string(attrs.input_shape));
  adaptive_geometry("adaptive_avg_pool2d_backward", attrs.input_shape, attrs.output_size,
                    shape_string(attrs.input_shape));
  check_pool_gradient("adaptive_avg_pool2d_backward", grad, attrs.input_shape, attrs.output_size);
  return {{attrs.input_shape, grad.dtype()}};
}
void reference_adaptive_avg_pool2d_backward(const KernelCall& call) {
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  PoolGeometry g = adaptive_geometry("adaptive_avg_pool2d_backward", attrs.input_shape, attrs.output_size,
                                     shape_string(attrs.input_shape));
  const std::vector<double> grad = call.inputs[0].to_vector();
  std::vector<double> dx(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  for_each_adaptive(g, [&](int64_t i, int64_t o, double divisor) { dx[i] += grad[o] / divisor; });
  store_values(call.outputs[0], dx);
}
std::vector<Tensor> backward_adaptive_avg_pool2d_backward(const BackwardCall& call) {
  return {call1(OpId::adaptive_avg_pool2d, {call.grads[0]}, call.attrs)};
}

// ---- adaptive_max_pool2d: x [.., H, W] → values, indices int64 [.., OH, OW]
std::vector<OutputSpec> shape_adaptive_max_pool2d(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  check_pool_input("adaptive_max_pool2d", x, true);
  PoolGeometry g = adaptive_geometry("adaptive_max_pool2d", x.shape(), std::get<WindowAttrs>(call.attrs).output_size,
                                     x.describe());
  Shape shape = pooled_shape(x.shape(), g.output);
  return {{shape, x.dtype()}, {shape, DType::i64}};
}
void reference_adaptive_max_pool2d(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  PoolGeometry g = adaptive_geometry("adaptive_max_pool2d", x.shape(), std::get<WindowAttrs>(call.attrs).output_size,
                                     x.describe());
  max_windows(call, g, [&](int64_t oy, int64_t ox) {
    return std::pair{Span{adaptive_begin(oy, g.input[0], g.output[0]), adaptive_end(oy, g.input[0], g.output[0]), 1},
                     Span{adaptive_begin(ox, g.input[1], g.output[1]), adaptive_end(ox, g.input[1], g.output[1]), 1}};
  });
}
std::vector<Tensor> backward_adaptive_max_pool2d(const BackwardCall& call) { return {max_backward(call)}; }

}  // namespace nabla::ops
