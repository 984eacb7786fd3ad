#pragma once
// Pooling layers.
#include "nabla/nn/functional.h"
#include "nabla/nn/module.h"

namespace nabla::nn {

class MaxPool2d : public Module {
 public:
  using Options = functional::Pool2dOptions;
  explicit MaxPool2d(const functional::Pool2dOptions& options) : Module("MaxPool2d"), options(options) {}
  explicit MaxPool2d(int64_t kernel_size) : MaxPool2d(functional::Pool2dOptions{.kernel_size = kernel_size}) {}
  Tensor forward(const Tensor& x) override { return functional::max_pool2d(x, options); }
  functional::Pool2dOptions options;
};

class AvgPool2d : public Module {
 public:
  using Options = functional::Pool2dOptions;
  explicit AvgPool2d(const functional::Pool2dOptions& options) : Module("AvgPool2d"), options(options) {}
  explicit AvgPool2d(int64_t kernel_size) : AvgPool2d(functional::Pool2dOptions{.kernel_size = kernel_size}) {}
  Tensor forward(const Tensor& x) override { return functional::avg_pool2d(x, options); }
  functional::Pool2dOptions options;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size) : Module("AdaptiveAvgPool2d"), output_size(output_size) {}
  Tensor forward(const Tensor& x) override { return functional::adaptive_avg_pool2d(x, output_size); }
  Size2 output_size;
};

}  // namespace nabla::nn
