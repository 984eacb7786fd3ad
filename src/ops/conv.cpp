// Convolution: im2col/col2im (unfold/fold), conv2d, conv_transpose2d and the weight gradient. Reference
// kernels are plain loops over every tap, computed in double and rounded once on store; the fast f32
// kernels (oneDNN) live in src/backend/cpu/conv.cpp. Each backward is made of the other ops, so gradients
// of any order work.
//
// A convolution is seen from two sides: the image side (conv2d's input, conv_transpose2d's output) and
// the output side (conv2d's output, conv_transpose2d's input). The weight is [O, C/g, kh, kw] with O the
// output side's channels and C the image side's, in both ops (PyTorch's conv_transpose2d weight
// [C_in, C_out/g, kh, kw] is exactly that). One tap joins image[n, c, oy·s − p + i·d, ox·s − p + j·d],
// output[n, o, oy, ox] and weight[o, c mod C/g, i, j] for c in o's group.
//
//   conv2d            x [N, C, H, W], w [O, C/g, kh, kw], b [O] → y [N, O, OH, OW]
//                     OH = ⌊(H + 2p − d(kh − 1) − 1) / s⌋ + 1
//                     dx = conv_transpose2d(dy, w) with the output padding that restores H, W
//                     dw = conv2d_backward_weight(x, dy), db = Σ_{N, OH, OW} dy
//   conv_transpose2d  x [N, C, H, W], w [C, O/g, kh, kw], b [O] → y [N, O, OH, OW]
//                     OH = (H − 1)s − 2p + d(kh − 1) + output_padding + 1
//                     dx = conv2d(dy, w), dw = conv2d_backward_weight(x, dy, transposed), db = Σ dy
//   conv2d_backward_weight (x, dy) → dw (weight_shape): dw[o, c, i, j] = Σ_{n, oy, ox} output · image
//                     (not differentiable as an op; the conv backwards wrap it in a small autograd
//                     function when a backward pass is itself differentiated, so second order works)
//   im2col            x [N, C, H, W] → [N, C·kh·kw, L], L = OH·OW;   dx = col2im(dy)
//   col2im            cols [N, C·kh·kw, L] → [N, C, H, W] summing overlaps;   dcols = im2col(dy)
#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/ops.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

using Pair = std::array<int64_t, 2>;

// The sizes of one convolution, image side and output side (see the top of the file).
struct ConvGeometry {
  int64_t batch = 0, groups = 1;
  int64_t image_channels = 0, output_channels = 0;
  Pair image{0, 0}, output{0, 0}, kernel{1, 1};
  Pair stride{1, 1}, padding{0, 0}, dilation{1, 1};
};

// The number of window positions along one dim (may be ≤ 0 when the window does not fit).
int64_t windows(int64_t size, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

std::string pair_string(const Pair& pair) { return fmt::format("({}, {})", pair[0], pair[1]); }

void check_window_attributes(const char* op, const Pair& stride, const Pair& padding, const Pair& dilation) {
  for (int axis = 0; axis < 2; ++axis) {
    NABLA_CHECK(stride[axis] > 0 && dilation[axis] > 0 && padding[axis] >= 0,
                "{}: stride {} and dilation {} must be positive and padding {} non-negative", op, pair_string(stride),
                pair_string(dilation), pair_string(padding));
  }
}

// Visits every tap: visit(image_index, output_index, weight_index), each a row-major index into the
// contiguous image [N, C, H, W], output [N, O, OH, OW] and weight [O, C/g, kh, kw].
template <typename Visit>
void for_each_tap(const ConvGeometry& g, Visit&& visit) {
  const int64_t image_per_group = g.image_channels / g.groups;
  const int64_t output_per_group = g.output_channels / g.groups;
  const auto [height, width] = g.image;
  const auto [out_height, out_width] = g.output;
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t o = 0; o < g.output_channels; ++o) {
      const int64_t first_channel = (o / output_per_group) * image_per_group;
      for (int64_t oy = 0; oy < out_height; ++oy) {
        for (int64_t ox = 0; ox < out_width; ++ox) {
          const int64_t output_index = ((n * g.output_channels + o) * out_height + oy) * out_width + ox;
          for (int64_t c = 0; c < image_per_group; ++c) {
            const int64_t plane = (n * g.image_channels + first_channel + c) * height;
            for (int64_t i = 0; i < g.kernel[0]; ++i) {
              const int64_t iy = oy * g.stride[0] - g.padding[0] + i * g.dilation[0];
              if (iy < 0 || iy >= height) continue;
              for (int64_t j = 0; j < g.kernel[1]; ++j) {
                const int64_t ix = ox * g.stride[1] - g.padding[1] + j * g.dilation[1];
                if (ix < 0 || ix >= width) continue;
                const int64_t weight_index = ((o * image_per_group + c) * g.kernel[0] + i) * g.kernel[1] + j;
                visit((plane + iy) * width + ix, output_index, weight_index);
              }
            }
          }
        }
      }
    }
  }
}

// Writes row-major values into a freshly allocated (contiguous) output, rounding once.
void store_values(const Tensor& out, const std::vector<double>& values) {
  void* data = out.raw_data();
  for (size_t i = 0; i < values.size(); ++i) store_double(out.dtype(), data, static_cast<int64_t>(i), values[i]);
}

ConvAttrs forward_attrs(ConvAttrs attrs) {
  attrs.output_padding = {0, 0};
  attrs.weight_shape.clear();
  attrs.transposed = false;
  return attrs;
}

// ---- checks shared by conv2d and conv_transpose2d

void check_conv_inputs(const char* op, const std::vector<Tensor>& inputs, const ConvAttrs& attrs) {
  NABLA_CHECK(inputs.size() == 2 || inputs.size() == 3, "{}: expected (input, weight) or (input, weight, bias), got {} tensors",
              op, inputs.size());
  const Tensor& x = inputs[0];
  const Tensor& w = inputs[1];
  NABLA_CHECK(x.dim() == 4, "{}: expected a 4-D input [N, C, H, W], got {}; add a batch dim with unsqueeze(0)", op,
              x.describe());
  NABLA_CHECK(w.dim() == 4, "{}: expected a 4-D weight, got {} (input {})", op, w.describe(), x.describe());
  NABLA_CHECK(is_floating(x.dtype()), "{}: input {} must be floating point", op, x.describe());
  NABLA_CHECK(w.dtype() == x.dtype(), "{}: weight {} must have the input's dtype ({}); convert it with .to()", op,
              w.describe(), x.describe());
  if (inputs.size() == 3) {
    NABLA_CHECK(inputs[2].dtype() == x.dtype(), "{}: bias {} must have the input's dtype ({}); convert it with .to()",
                op, inputs[2].describe(), x.describe());
  }
  NABLA_CHECK(attrs.groups > 0, "{}: groups must be positive, got {}", op, attrs.groups);
  check_window_attributes(op, attrs.stride, attrs.padding, attrs.dilation);
}

void check_bias(const char* op, const std::vector<Tensor>& inputs, int64_t channels) {
  if (inputs.size() < 3) return;
  const Tensor& bias = inputs[2];
  NABLA_CHECK(bias.dim() == 1 && bias.shape()[0] == channels,
              "{}: bias {} must be 1-D with one value per output channel ({}) for weight {}", op, bias.describe(),
              channels, inputs[1].describe());
}

// conv2d's geometry from (x, w): validates channels, groups and sizes.
ConvGeometry conv2d_geometry(const std::vector<Tensor>& inputs, const ConvAttrs& attrs) {
  const char* op = "conv2d";
  check_conv_inputs(op, inputs, attrs);
  const Tensor& x = inputs[0];
  const Tensor& w = inputs[1];
  const int64_t groups = attrs.groups;
  NABLA_CHECK(w.shape()[0] % groups == 0,
              "conv2d: weight {} has {} output channels, which groups={} does not divide (input {})", w.describe(),
              w.shape()[0], groups, x.describe());
  NABLA_CHECK(x.shape()[1] == w.shape()[1] * groups,
              "conv2d: input {} has {} channels but weight {} with groups={} expects {} (weight.shape[1] × groups)",
              x.describe(), x.shape()[1], w.describe(), groups, w.shape()[1] * groups);
  check_bias(op, inputs, w.shape()[0]);
  ConvGeometry g{x.shape()[0], groups, x.shape()[1], w.shape()[0], {x.shape()[2], x.shape()[3]},
                 {0, 0}, {w.shape()[2], w.shape()[3]}, attrs.stride, attrs.padding, attrs.dilation};
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t padded = g.image[axis] + 2 * g.padding[axis];
    const int64_t extent = g.dilation[axis] * (g.kernel[axis] - 1) + 1;
    NABLA_CHECK(g.kernel[axis] > 0 && extent <= padded,
                "conv2d: kernel {}x{} (dilation {}) is larger than the padded input {}x{} of input {} (weight {}); "
                "use a smaller kernel or more padding",
                g.kernel[0], g.kernel[1], pair_string(g.dilation), g.image[0] + 2 * g.padding[0],
                g.image[1] + 2 * g.padding[1], x.describe(), w.describe());
    g.output[axis] = windows(g.image[axis], g.kernel[axis], g.stride[axis], g.padding[axis], g.dilation[axis]);
  }
  return g;
}

// conv_transpose2d's geometry from (x, w): x is the output side, the result the image side.
ConvGeometry conv_transpose2d_geometry(const std::vector<Tensor>& inputs, const ConvAttrs& attrs) {
  const char* op = "conv_transpose2d";
  check_conv_inputs(op, inputs, attrs);
  const Tensor& x = inputs[0];
  const Tensor& w = inputs[1];
  const int64_t groups = attrs.groups;
  NABLA_CHECK(w.shape()[0] % groups == 0,
              "conv_transpose2d: weight {} has {} input channels, which groups={} does not divide (input {})",
              w.describe(), w.shape()[0], groups, x.describe());
  NABLA_CHECK(x.shape()[1] == w.shape()[0],
              "conv_transpose2d: input {} has {} channels but weight {} expects {} (weight.shape[0])", x.describe(),
              x.shape()[1], w.describe(), w.shape()[0]);
  const int64_t out_channels = w.shape()[1] * groups;
  check_bias(op, inputs, out_channels);
  ConvGeometry g{x.shape()[0], groups, out_channels, x.shape()[1], {0, 0},
                 {x.shape()[2], x.shape()[3]}, {w.shape()[2], w.shape()[3]}, attrs.stride, attrs.padding,
                 attrs.dilation};
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t extra = attrs.output_padding[axis];
    NABLA_CHECK(extra >= 0 && (extra < g.stride[axis] || extra < g.dilation[axis]),
                "conv_transpose2d: output_padding {} must be smaller than either stride {} or dilation {} (input {})",
                pair_string(attrs.output_padding), pair_string(g.stride), pair_string(g.dilation), x.describe());
    g.image[axis] = (g.output[axis] - 1) * g.stride[axis] - 2 * g.padding[axis] +
                    g.dilation[axis] * (g.kernel[axis] - 1) + extra + 1;
    NABLA_CHECK(g.kernel[axis] > 0 && g.image[axis] > 0,
                "conv_transpose2d: input {} with weight {}, stride {}, padding {} gives an empty output of {}x{}",
                x.describe(), w.describe(), pair_string(g.stride), pair_string(g.padding), g.image[0], g.image[1]);
  }
  return g;
}

// conv2d_backward_weight's geometry from (x, dy): image and output sides swap when transposed.
ConvGeometry weight_gradient_geometry(const std::vector<Tensor>& inputs, const ConvAttrs& attrs) {
  const char* op = "conv2d_backward_weight";
  const Tensor& image = attrs.transposed ? inputs[1] : inputs[0];
  const Tensor& output = attrs.transposed ? inputs[0] : inputs[1];
  const Shape& weight = attrs.weight_shape;
  NABLA_CHECK(image.dim() == 4 && output.dim() == 4 && weight.size() == 4,
              "{}: expected a 4-D input, gradient and weight shape, got {}, {} and {}", op, inputs[0].describe(),
              inputs[1].describe(), shape_string(weight));
  NABLA_CHECK(is_floating(image.dtype()) && image.dtype() == output.dtype(),
              "{}: input {} and gradient {} must have one floating dtype", op, inputs[0].describe(),
              inputs[1].describe());
  NABLA_CHECK(attrs.groups > 0 && weight[0] % attrs.groups == 0, "{}: groups={} must divide weight {}'s dim 0", op,
              attrs.groups, shape_string(weight));
  check_window_attributes(op, attrs.stride, attrs.padding, attrs.dilation);
  ConvGeometry g{image.shape()[0], attrs.groups, image.shape()[1], output.shape()[1],
                 {image.shape()[2], image.shape()[3]}, {output.shape()[2], output.shape()[3]},
                 {weight[2], weight[3]}, attrs.stride, attrs.padding, attrs.dilation};
  NABLA_CHECK(output.shape()[0] == image.shape()[0] && weight[0] == g.output_channels &&
                  weight[1] * attrs.groups == g.image_channels,
              "{}: input {} and gradient {} do not fit weight {} with groups={} (transposed: {})", op,
              inputs[0].describe(), inputs[1].describe(), shape_string(weight), attrs.groups, attrs.transposed);
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t fit = windows(g.image[axis], g.kernel[axis], g.stride[axis], g.padding[axis], g.dilation[axis]);
    NABLA_CHECK(g.kernel[axis] > 0 && g.output[axis] <= fit,
                "{}: gradient {} is larger than the {}x{} windows that input {} gives for weight {}", op,
                output.describe(), windows(g.image[0], g.kernel[0], g.stride[0], g.padding[0], g.dilation[0]),
                windows(g.image[1], g.kernel[1], g.stride[1], g.padding[1], g.dilation[1]), image.describe(),
                shape_string(weight));
  }
  return g;
}

// ---- the ops that backward passes call

// conv2d of `image` whose result is cut to `size` (conv_transpose2d's output padding can leave its
// backward conv a row or column larger than its input when output_padding ≥ stride).
Tensor conv_to_size(const Tensor& image, const Tensor& weight, const ConvAttrs& attrs, const Pair& size) {
  Tensor result = call1(OpId::conv2d, {image, weight}, forward_attrs(attrs));
  if (result.shape()[2] != size[0]) result = result.narrow(2, 0, size[0]);
  if (result.shape()[3] != size[1]) result = result.narrow(3, 0, size[1]);
  return result;
}

// conv_transpose2d of `output` with the output padding that makes its result `size`.
Tensor transpose_to_size(const Tensor& output, const Tensor& weight, ConvAttrs attrs, const Pair& size) {
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t base = (output.shape()[2 + axis] - 1) * attrs.stride[axis] - 2 * attrs.padding[axis] +
                         attrs.dilation[axis] * (weight.shape()[2 + axis] - 1) + 1;
    attrs.output_padding[axis] = size[axis] - base;
  }
  attrs.weight_shape.clear();
  attrs.transposed = false;
  return call1(OpId::conv_transpose2d, {output, weight}, attrs);
}

Pair spatial(const Shape& shape) { return {shape[2], shape[3]}; }

// db = Σ_{N, OH, OW} dy, as two single-dim sums over [N, O, OH·OW] (the inner one contiguous), which the
// reduction fast path covers; one sum over dims {0, 2, 3} measured ~20× slower on LeNet's and ResNet's shapes.
Tensor bias_gradient(const Tensor& grad) { return grad.flatten(2).sum({2}).sum({0}); }

// dw through the op; when a backward pass is itself being differentiated, through a small autograd
// function whose backward is the two other convolutions (dw is bilinear in image and output).
Tensor weight_gradient(const Tensor& x, const Tensor& grad, ConvAttrs attrs, const Shape& weight_shape,
                       bool transposed) {
  attrs.weight_shape = weight_shape;
  attrs.transposed = transposed;
  attrs.output_padding = {0, 0};
  if (!autograd::grad_enabled() || !(x.requires_grad() || grad.requires_grad())) {
    return call1(OpId::conv2d_backward_weight, {x, grad}, attrs);
  }
  return autograd::apply_function(
      "Conv2dBackwardWeight", {x, grad},
      [attrs](autograd::FunctionContext& context, const std::vector<Tensor>& inputs) {
        context.save_for_backward(inputs);
        return std::vector<Tensor>{call1(OpId::conv2d_backward_weight, inputs, attrs)};
      },
      [attrs](autograd::FunctionContext& context, const std::vector<Tensor>& grads) {
        std::vector<Tensor> saved = context.saved_tensors();
        const Tensor& image = attrs.transposed ? saved[1] : saved[0];
        const Tensor& output = attrs.transposed ? saved[0] : saved[1];
        // <dw(image, output), v> = <output, conv2d(image, v)> = <image, conv_transpose2d(output, v)>
        Tensor dimage = transpose_to_size(output, grads[0], attrs, spatial(image.shape()));
        Tensor doutput = conv_to_size(image, grads[0], attrs, spatial(output.shape()));
        return attrs.transposed ? std::vector<Tensor>{doutput, dimage} : std::vector<Tensor>{dimage, doutput};
      })[0];
}

// ---- im2col / col2im geometry: the image [N, C, H, W] and its L = OH·OW sliding blocks.
struct Blocks {
  Pair image, blocks;
};

void check_unfold_attributes(const char* op, const WindowAttrs& attrs) {
  NABLA_CHECK(attrs.kernel[0] > 0 && attrs.kernel[1] > 0, "{}: kernel_size {} must be positive", op,
              pair_string(attrs.kernel));
  check_window_attributes(op, attrs.stride, attrs.padding, attrs.dilation);
}

Pair sliding_blocks(const char* op, const Pair& image, const WindowAttrs& attrs) {
  Pair blocks{0, 0};
  for (int axis = 0; axis < 2; ++axis) {
    blocks[axis] = windows(image[axis], attrs.kernel[axis], attrs.stride[axis], attrs.padding[axis], attrs.dilation[axis]);
    if (image[axis] + 2 * attrs.padding[axis] < attrs.dilation[axis] * (attrs.kernel[axis] - 1) + 1) blocks[axis] = 0;
  }
  NABLA_CHECK(blocks[0] > 0 && blocks[1] > 0,
              "{}: an image of {}x{} with kernel_size {}, dilation {}, padding {} and stride {} has no sliding "
              "blocks ({}x{}); use a smaller kernel or more padding",
              op, image[0], image[1], pair_string(attrs.kernel), pair_string(attrs.dilation),
              pair_string(attrs.padding), pair_string(attrs.stride), blocks[0], blocks[1]);
  return blocks;
}

// visit(image_index, column_index) for every element of the columns that reads the image (padding skipped).
template <typename Visit>
void for_each_column(int64_t planes, const Blocks& b, const WindowAttrs& attrs, Visit&& visit) {
  const int64_t count = b.blocks[0] * b.blocks[1];
  for (int64_t plane = 0; plane < planes; ++plane) {
    for (int64_t i = 0; i < attrs.kernel[0]; ++i) {
      for (int64_t j = 0; j < attrs.kernel[1]; ++j) {
        const int64_t row = (plane * attrs.kernel[0] + i) * attrs.kernel[1] + j;
        for (int64_t by = 0; by < b.blocks[0]; ++by) {
          const int64_t iy = by * attrs.stride[0] - attrs.padding[0] + i * attrs.dilation[0];
          if (iy < 0 || iy >= b.image[0]) continue;
          for (int64_t bx = 0; bx < b.blocks[1]; ++bx) {
            const int64_t ix = bx * attrs.stride[1] - attrs.padding[1] + j * attrs.dilation[1];
            if (ix < 0 || ix >= b.image[1]) continue;
            visit((plane * b.image[0] + iy) * b.image[1] + ix, row * count + by * b.blocks[1] + bx);
          }
        }
      }
    }
  }
}

}  // namespace

// ---- conv2d: x [N, C, H, W], w [O, C/g, kh, kw], b [O] → [N, O, OH, OW]
std::vector<OutputSpec> shape_conv2d(const OpCall& call) {
  ConvGeometry g = conv2d_geometry(call.inputs, std::get<ConvAttrs>(call.attrs));
  return {{{g.batch, g.output_channels, g.output[0], g.output[1]}, call.inputs[0].dtype()}};
}
void reference_conv2d(const KernelCall& call) {
  ConvGeometry g = conv2d_geometry(call.inputs, std::get<ConvAttrs>(call.attrs));
  const std::vector<double> x = call.inputs[0].to_vector(), w = call.inputs[1].to_vector();
  std::vector<double> y(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  if (call.inputs.size() == 3) {
    const std::vector<double> bias = call.inputs[2].to_vector();
    const int64_t plane = g.output[0] * g.output[1];
    for (size_t i = 0; i < y.size(); ++i) y[i] = bias[(static_cast<int64_t>(i) / plane) % g.output_channels];
  }
  for_each_tap(g, [&](int64_t image, int64_t output, int64_t weight) { y[output] += x[image] * w[weight]; });
  store_values(call.outputs[0], y);
}
std::vector<Tensor> backward_conv2d(const BackwardCall& call) {
  const auto& attrs = std::get<ConvAttrs>(call.attrs);
  const Tensor& grad = call.grads[0];
  const Tensor& x = call.inputs[0];
  const Tensor& w = call.inputs[1];
  std::vector<Tensor> result(call.inputs.size());
  if (call.needs_grad[0]) result[0] = transpose_to_size(grad, w, attrs, spatial(x.shape()));
  if (call.needs_grad[1]) result[1] = weight_gradient(x, grad, attrs, w.shape(), false);
  if (result.size() == 3 && call.needs_grad[2]) result[2] = bias_gradient(grad);
  return result;
}

// ---- conv_transpose2d: x [N, C, H, W], w [C, O/g, kh, kw], b [O] → [N, O, OH, OW]
std::vector<OutputSpec> shape_conv_transpose2d(const OpCall& call) {
  ConvGeometry g = conv_transpose2d_geometry(call.inputs, std::get<ConvAttrs>(call.attrs));
  return {{{g.batch, g.image_channels, g.image[0], g.image[1]}, call.inputs[0].dtype()}};
}
void reference_conv_transpose2d(const KernelCall& call) {
  ConvGeometry g = conv_transpose2d_geometry(call.inputs, std::get<ConvAttrs>(call.attrs));
  const std::vector<double> x = call.inputs[0].to_vector(), w = call.inputs[1].to_vector();
  std::vector<double> y(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  if (call.inputs.size() == 3) {
    const std::vector<double> bias = call.inputs[2].to_vector();
    const int64_t plane = g.image[0] * g.image[1];
    for (size_t i = 0; i < y.size(); ++i) y[i] = bias[(static_cast<int64_t>(i) / plane) % g.image_channels];
  }
  for_each_tap(g, [&](int64_t image, int64_t output, int64_t weight) { y[image] += x[output] * w[weight]; });
  store_values(call.outputs[0], y);
}
std::vector<Tensor> backward_conv_transpose2d(const BackwardCall& call) {
  const auto& attrs = std::get<ConvAttrs>(call.attrs);
  const Tensor& grad = call.grads[0];
  const Tensor& x = call.inputs[0];
  const Tensor& w = call.inputs[1];
  std::vector<Tensor> result(call.inputs.size());
  if (call.needs_grad[0]) result[0] = conv_to_size(grad, w, attrs, spatial(x.shape()));
  if (call.needs_grad[1]) result[1] = weight_gradient(x, grad, attrs, w.shape(), true);
  if (result.size() == 3 && call.needs_grad[2]) result[2] = bias_gradient(grad);
  return result;
}

// ---- conv2d_backward_weight: (x, dy) → dw of weight_shape; transposed: x is conv_transpose2d's input
std::vector<OutputSpec> shape_conv2d_backward_weight(const OpCall& call) {
  const auto& attrs = std::get<ConvAttrs>(call.attrs);
  weight_gradient_geometry(call.inputs, attrs);
  return {{attrs.weight_shape, call.inputs[0].dtype()}};
}
void reference_conv2d_backward_weight(const KernelCall& call) {
  const auto& attrs = std::get<ConvAttrs>(call.attrs);
  ConvGeometry g = weight_gradient_geometry(call.inputs, attrs);
  const std::vector<double> image = call.inputs[attrs.transposed ? 1 : 0].to_vector();
  const std::vector<double> output = call.inputs[attrs.transposed ? 0 : 1].to_vector();
  std::vector<double> dw(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  for_each_tap(g, [&](int64_t i, int64_t o, int64_t w) { dw[w] += output[o] * image[i]; });
  store_values(call.outputs[0], dw);
}
NABLA_NO_BACKWARD(conv2d_backward_weight)

// ---- im2col: x [N, C, H, W] → [N, C·kh·kw, OH·OW] (3-D input: no batch dim)
std::vector<OutputSpec> shape_im2col(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  NABLA_CHECK(x.dim() == 3 || x.dim() == 4, "unfold: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got {}",
              x.describe());
  check_unfold_attributes("unfold", attrs);
  const int64_t rank = x.dim();
  Pair blocks = sliding_blocks("unfold", {x.shape()[rank - 2], x.shape()[rank - 1]}, attrs);
  Shape shape = {x.shape()[rank - 3] * attrs.kernel[0] * attrs.kernel[1], blocks[0] * blocks[1]};
  if (rank == 4) shape.insert(shape.begin(), x.shape()[0]);
  return {{shape, x.dtype()}};
}
void reference_im2col(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  const int64_t rank = x.dim();
  Blocks b{{x.shape()[rank - 2], x.shape()[rank - 1]}, {0, 0}};
  b.blocks = sliding_blocks("unfold", b.image, attrs);
  const std::vector<double> image = x.to_vector();
  std::vector<double> columns(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  const int64_t planes = x.numel() / (b.image[0] * b.image[1]);
  for_each_column(planes, b, attrs, [&](int64_t i, int64_t column) { columns[column] = image[i]; });
  store_values(call.outputs[0], columns);
}
std::vector<Tensor> backward_im2col(const BackwardCall& call) {
  auto attrs = std::get<WindowAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  attrs.output_size = {shape[shape.size() - 2], shape.back()};
  return {call1(OpId::col2im, {call.grads[0]}, attrs)};
}

// ---- col2im: columns [N, C·kh·kw, L] → [N, C, H, W] (H, W = output_size); 2-D columns: no batch dim
std::vector<OutputSpec> shape_col2im(const OpCall& call) {
  const Tensor& columns = call.inputs[0];
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  NABLA_CHECK(columns.dim() == 2 || columns.dim() == 3,
              "fold: expected a 2-D [C·kh·kw, L] or 3-D [N, C·kh·kw, L] input, got {}", columns.describe());
  check_unfold_attributes("fold", attrs);
  NABLA_CHECK(attrs.output_size[0] > 0 && attrs.output_size[1] > 0, "fold: output_size {} must be positive",
              pair_string(attrs.output_size));
  const int64_t rank = columns.dim();
  const int64_t rows = columns.shape()[rank - 2], count = columns.shape()[rank - 1];
  const int64_t window = attrs.kernel[0] * attrs.kernel[1];
  NABLA_CHECK(rows % window == 0, "fold: input {} has {} rows, which the kernel_size {} ({} per channel) does not divide",
              columns.describe(), rows, pair_string(attrs.kernel), window);
  Pair blocks = sliding_blocks("fold", attrs.output_size, attrs);
  NABLA_CHECK(count == blocks[0] * blocks[1],
              "fold: input {} has {} columns but output_size {} with kernel_size {}, dilation {}, padding {} and "
              "stride {} gives {}x{} = {} sliding blocks",
              columns.describe(), count, pair_string(attrs.output_size), pair_string(attrs.kernel),
              pair_string(attrs.dilation), pair_string(attrs.padding), pair_string(attrs.stride), blocks[0], blocks[1],
              blocks[0] * blocks[1]);
  Shape shape = {rows / window, attrs.output_size[0], attrs.output_size[1]};
  if (rank == 3) shape.insert(shape.begin(), columns.shape()[0]);
  return {{shape, columns.dtype()}};
}
void reference_col2im(const KernelCall& call) {
  const auto& attrs = std::get<WindowAttrs>(call.attrs);
  Blocks b{attrs.output_size, sliding_blocks("fold", attrs.output_size, attrs)};
  const std::vector<double> columns = call.inputs[0].to_vector();
  std::vector<double> image(static_cast<size_t>(call.outputs[0].numel()), 0.0);
  const int64_t planes = call.outputs[0].numel() / (b.image[0] * b.image[1]);
  for_each_column(planes, b, attrs, [&](int64_t i, int64_t column) { image[i] += columns[column]; });
  store_values(call.outputs[0], image);
}
std::vector<Tensor> backward_col2im(const BackwardCall& call) {
  return {call1(OpId::im2col, {call.grads[0]}, call.attrs)};
}

}  // namespace nabla::ops
