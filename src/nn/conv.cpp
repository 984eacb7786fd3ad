#include "nabla/nn/conv.h"

#include <cmath>

#include "nabla/factory.h"
#include "nabla/nn/init.h"

namespace nabla::nn {
namespace {

// PyTorch's default for conv weights and biases: kaiming_uniform(a = √5), i.e. U(−1/√fan_in, 1/√fan_in).
void default_init(Tensor& weight, Tensor& bias, Generator* generator) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::fan_in, init::Nonlinearity::leaky_relu, generator);
  if (bias.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(init::fans(weight).first));
    init::uniform_(bias, -bound, bound, generator);
  }
}

void check_channels(const char* layer, int64_t in_channels, int64_t out_channels, int64_t groups) {
  NABLA_CHECK(in_channels > 0 && out_channels > 0 && groups > 0,
              "{}: in_channels, out_channels and groups must be positive, got in_channels={} out_channels={} groups={}",
              layer, in_channels, out_channels, groups);
  NABLA_CHECK(in_channels % groups == 0 && out_channels % groups == 0,
              "{}: in_channels ({}) and out_channels ({}) must both be divisible by groups ({})", layer, in_channels,
              out_channels, groups);
}

}  // namespace

Conv2d::Conv2d(const Conv2dOptions& options_, Generator* generator) : Module("Conv2d"), options(options_) {
  check_channels("Conv2d", options.in_channels, options.out_channels, options.groups);
  weight = register_parameter("weight", empty({options.out_channels, options.in_channels / options.groups,
                                              options.kernel_size.height, options.kernel_size.width}));
  if (options.bias) bias = register_parameter("bias", empty({options.out_channels}));
  default_init(weight, bias, generator);
}

Tensor Conv2d::forward(const Tensor& x) { return functional::conv2d(x, weight, bias, options); }

std::string Conv2d::describe() const {
  return fmt::format(
      "Conv2d(in_channels={}, out_channels={}, kernel_size={}x{}, stride={}x{}, padding={}x{}, groups={}, bias={})",
      options.in_channels, options.out_channels, options.kernel_size.height, options.kernel_size.width,
      options.stride.height, options.stride.width, options.padding.height, options.padding.width, options.groups,
      options.bias);
}

Conv1d::Conv1d(const Conv1dOptions& options_, Generator* generator) : Module("Conv1d"), options(options_) {
  check_channels("Conv1d", options.in_channels, options.out_channels, options.groups);
  weight = register_parameter("weight",
                              empty({options.out_channels, options.in_channels / options.groups, options.kernel_size}));
  if (options.bias) bias = register_parameter("bias", empty({options.out_channels}));
  default_init(weight, bias, generator);
}

Tensor Conv1d::forward(const Tensor& x) { return functional::conv1d(x, weight, bias, options); }

std::string Conv1d::describe() const {
  return fmt::format("Conv1d(in_channels={}, out_channels={}, kernel_size={}, stride={}, padding={}, groups={}, bias={})",
                     options.in_channels, options.out_channels, options.kernel_size, options.stride, options.padding,
                     options.groups, options.bias);
}

ConvTranspose2d::ConvTranspose2d(const ConvTranspose2dOptions& options_, Generator* generator)
    : Module("ConvTranspose2d"), options(options_) {
  check_channels("ConvTranspose2d", options.in_channels, options.out_channels, options.groups);
  weight = register_parameter("weight", empty({options.in_channels, options.out_channels / options.groups,
                                              options.kernel_size.height, options.kernel_size.width}));
  if (options.bias) bias = register_parameter("bias", empty({options.out_channels}));
  default_init(weight, bias, generator);
}

Tensor ConvTranspose2d::forward(const Tensor& x) { return functional::conv_transpose2d(x, weight, bias, options); }

std::string ConvTranspose2d::describe() const {
  return fmt::format("ConvTranspose2d(in_channels={}, out_channels={}, kernel_size={}x{}, stride={}x{}, groups={}, bias={})",
                     options.in_channels, options.out_channels, options.kernel_size.height, options.kernel_size.width,
                     options.stride.height, options.stride.width, options.groups, options.bias);
}

}  // namespace nabla::nn
