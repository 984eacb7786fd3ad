#include "nabla/nn/conv_norm_activation.h"

#include "nabla/nn/conv.h"
#include "nabla/nn/norm.h"

namespace nabla::nn {

std::shared_ptr<Sequential> conv_norm_activation(const ConvNormActivationOptions& options, Generator* generator) {
  NABLA_CHECK(options.kernel_size > 0 && options.kernel_size % 2 == 1,
              "conv_norm_activation: kernel_size must be odd and positive for same padding, got {}", options.kernel_size);
  auto layers = std::make_shared<Sequential>();
  layers->push_back(make<Conv2d>({.in_channels = options.in_channels,
                                  .out_channels = options.out_channels,
                                  .kernel_size = options.kernel_size,
                                  .stride = options.stride,
                                  .padding = (options.kernel_size - 1) / 2,
                                  .groups = options.groups,
                                  .bias = false},
                                 generator));
  layers->push_back(std::make_shared<BatchNorm2d>(options.out_channels));
  if (!options.activation.empty()) layers->push_back(options.activation);
  return layers;
}

}  // namespace nabla::nn
