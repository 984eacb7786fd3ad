#pragma once
// Convolution → batch norm → activation, as torchvision.ops.Conv2dNormActivation: a Sequential whose children
// are named "0" (Conv2d, no bias: the norm's shift replaces it), "1" (BatchNorm2d) and "2" (the activation,
// absent when none), so torchvision's state-dict names (features.0.0.weight, features.0.1.running_mean) fit.
#include <memory>

#include "nabla/nn/any_module.h"
#include "nabla/nn/container.h"

namespace nabla::nn {

struct ConvNormActivationOptions {
  int64_t in_channels = 0, out_channels = 0, kernel_size = 3, stride = 1, groups = 1;
  AnyModule activation;  // empty: no activation (the linear bottleneck of MobileNetV2 and MBConv)
};

// "Same" padding (kernel_size − 1)/2, so a stride-1 layer keeps the spatial size.
std::shared_ptr<Sequential> conv_norm_activation(const ConvNormActivationOptions& options,
                                                 Generator* generator = nullptr);

}  // namespace nabla::nn
