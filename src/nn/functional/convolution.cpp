// The convolution functions: conv2d, conv1d (conv2d on a unit height), conv_transpose2d, and unfold/fold
// (the im2col/col2im ops). Each maps its options struct to the op's attributes and calls the op
// (src/ops/conv.cpp); conv2d and conv_transpose2d also take PyTorch's unbatched 3-D input.
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/op.h"

namespace nabla {
using ops::call1, ops::OpId;

namespace {

std::vector<Tensor> conv_inputs(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  std::vector<Tensor> inputs{x, weight};
  if (bias.defined()) inputs.push_back(bias);
  return inputs;
}

// PyTorch's unbatched form: a 3-D input [C, H, W] runs as a batch of one.
template <typename Run>
Tensor batched(const char* op, const Tensor& x, Run&& run) {
  NABLA_CHECK(x.defined() && (x.dim() == 3 || x.dim() == 4),
              "{}: expected a 3-D (unbatched) or 4-D (batched) input, got {}", op,
              x.defined() ? x.describe() : std::string("an undefined tensor"));
  if (x.dim() == 4) return run(x);
  return run(x.unsqueeze(0)).squeeze(0);
}

}  // namespace

Tensor functional::conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options) {
  ops::ConvAttrs attrs;
  attrs.stride = options.stride.array();
  attrs.padding = options.padding.array();
  attrs.dilation = options.dilation.array();
  attrs.groups = options.groups;
  return batched("conv2d", x, [&](const Tensor& input) {
    return call1(OpId::conv2d, conv_inputs(input, weight, bias), attrs);
  });
}

// conv2d on a unit height: x [N, C, L] → [N, C, 1, L], weight [O, C/g, k] → [O, C/g, 1, k].
Tensor functional::conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dOptions& options) {
  NABLA_CHECK(x.defined() && (x.dim() == 2 || x.dim() == 3),
              "conv1d: expected a 2-D (unbatched) or 3-D (batched) input, got {}",
              x.defined() ? x.describe() : std::string("an undefined tensor"));
  NABLA_CHECK(weight.defined() && weight.dim() == 3, "conv1d: expected a 3-D weight [O, C/groups, k], got {}",
              weight.defined() ? weight.describe() : std::string("an undefined tensor"));
  Conv2dOptions options2d{.stride = {1, options.stride},
                          .padding = {0, options.padding},
                          .dilation = {1, options.dilation},
                          .groups = options.groups};
  return conv2d(x.unsqueeze(-2), weight.unsqueeze(2), bias, options2d).squeeze(-2);
}

Tensor functional::conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                    const ConvTranspose2dOptions& options) {
  ops::ConvAttrs attrs;
  attrs.stride = options.stride.array();
  attrs.padding = options.padding.array();
  attrs.dilation = options.dilation.array();
  attrs.output_padding = options.output_padding.array();
  attrs.groups = options.groups;
  return batched("conv_transpose2d", x, [&](const Tensor& input) {
    return call1(OpId::conv_transpose2d, conv_inputs(input, weight, bias), attrs);
  });
}

namespace {
ops::WindowAttrs unfold_attrs(const functional::UnfoldOptions& options) {
  ops::WindowAttrs attrs;
  attrs.kernel = options.kernel_size.array();
  attrs.stride = options.stride.array();
  attrs.padding = options.padding.array();
  attrs.dilation = options.dilation.array();
  return attrs;
}
}  // namespace

Tensor functional::unfold(const Tensor& x, const UnfoldOptions& options) {
  return call1(OpId::im2col, {x}, unfold_attrs(options));
}

Tensor functional::fold(const Tensor& columns, Size2 output_size, const UnfoldOptions& options) {
  ops::WindowAttrs attrs = unfold_attrs(options);
  attrs.output_size = output_size.array();
  return call1(OpId::col2im, {columns}, attrs);
}

}  // namespace nabla
