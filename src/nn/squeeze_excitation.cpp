#include "nabla/nn/squeeze_excitation.h"

#include "nabla/nn/activation.h"

namespace nabla::nn {

SqueezeExcitation::SqueezeExcitation(const SqueezeExcitationOptions& options, Generator* generator)
    : Module("SqueezeExcitation"),
      activation(options.activation),
      scale_activation(options.scale_activation),
      input_channels_(options.input_channels),
      squeeze_channels_(options.squeeze_channels) {
  NABLA_CHECK(input_channels_ > 0 && squeeze_channels_ > 0,
              "SqueezeExcitation: input_channels and squeeze_channels must be positive, got {} and {}", input_channels_,
              squeeze_channels_);
  if (activation.empty()) activation = AnyModule(std::make_shared<ReLU>());
  if (scale_activation.empty()) scale_activation = AnyModule(std::make_shared<Sigmoid>());
  NABLA_CHECK(activation.signature().takes_one_tensor() && activation.signature().returns_tensor() &&
                  scale_activation.signature().takes_one_tensor() && scale_activation.signature().returns_tensor(),
              "SqueezeExcitation: activation and scale_activation must map one Tensor to one Tensor");
  avgpool = register_module("avgpool", std::make_shared<AdaptiveAvgPool2d>(1));
  fc1 = register_module("fc1", make<Conv2d>({.in_channels = input_channels_, .out_channels = squeeze_channels_}, generator));
  fc2 = register_module("fc2", make<Conv2d>({.in_channels = squeeze_channels_, .out_channels = input_channels_}, generator));
  register_module("activation", activation.ptr());
  register_module("scale_activation", scale_activation.ptr());
}

Tensor SqueezeExcitation::scale(const Tensor& x) {
  NABLA_CHECK(x.dim() == 4 && x.shape()[1] == input_channels_,
              "SqueezeExcitation: expected an input [N, {}, H, W], got {}", input_channels_, x.describe());
  Tensor gate = (*fc1)((*avgpool)(x));
  gate = (*fc2)(activation.forward(gate));
  return scale_activation.forward(gate);
}

Tensor SqueezeExcitation::forward(const Tensor& x) { return scale(x) * x; }

std::string SqueezeExcitation::describe() const {
  return fmt::format("SqueezeExcitation(input_channels={}, squeeze_channels={})", input_channels_, squeeze_channels_);
}

}  // namespace nabla::nn
