// The pooling functions: max, average and adaptive pooling over the last two dims. Each maps its options
// (kernel_size, stride defaulting to the kernel size, padding, dilation, ceil_mode, count_include_pad) to
// the window attributes of its op (src/ops/pool.cpp).
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/op.h"

namespace nabla {
using ops::call, ops::call1, ops::OpId;

namespace {
ops::WindowAttrs pool_attrs(const functional::Pool2dOptions& options) {
  ops::WindowAttrs attrs;
  attrs.kernel = options.kernel_size.array();
  attrs.stride = options.stride.value_or(options.kernel_size).array();
  attrs.padding = options.padding.array();
  attrs.dilation = options.dilation.array();
  attrs.ceil_mode = options.ceil_mode;
  attrs.count_include_pad = options.count_include_pad;
  return attrs;
}

ops::WindowAttrs adaptive_attrs(Size2 output_size) {
  ops::WindowAttrs attrs;
  attrs.output_size = output_size.array();
  return attrs;
}
}  // namespace

Tensor functional::max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  return max_pool2d_with_indices(x, options).first;
}

std::pair<Tensor, Tensor> functional::max_pool2d_with_indices(const Tensor& x, const Pool2dOptions& options) {
  std::vector<Tensor> outputs = call(OpId::max_pool2d, {x}, pool_attrs(options));
  return {std::move(outputs[0]), std::move(outputs[1])};
}

Tensor functional::max_pool2d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride, int64_t padding) {
  return max_pool2d(x, Pool2dOptions{.kernel_size = kernel_size,
                                     .stride = stride ? std::optional<Size2>(*stride) : std::nullopt,
                                     .padding = padding});
}

Tensor functional::avg_pool2d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride, int64_t padding) {
  return avg_pool2d(x, Pool2dOptions{.kernel_size = kernel_size,
                                     .stride = stride ? std::optional<Size2>(*stride) : std::nullopt,
                                     .padding = padding});
}

Tensor functional::avg_pool2d(const Tensor& x, const Pool2dOptions& options) {
  return call1(OpId::avg_pool2d, {x}, pool_attrs(options));
}

Tensor functional::adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  return call1(OpId::adaptive_avg_pool2d, {x}, adaptive_attrs(output_size));
}

Tensor functional::adaptive_max_pool2d(const Tensor& x, Size2 output_size) {
  return call(OpId::adaptive_max_pool2d, {x}, adaptive_attrs(output_size))[0];
}

}  // namespace nabla
