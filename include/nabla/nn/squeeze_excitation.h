#pragma once
// Squeeze-and-excitation (Hu et al., 2018), as torchvision.ops.SqueezeExcitation: each channel of the input is
// scaled by a gate computed from the whole image, so the block can reweight channels by global context.
//   x [N, C, H, W] → avgpool [N, C, 1, 1] → fc1 (1×1 conv) [N, S, 1, 1] → activation → fc2 [N, C, 1, 1]
//   → scale_activation → y = gate · x [N, C, H, W]
// Children (and so state-dict names) as torchvision's: avgpool, fc1, fc2, activation, scale_activation.
#include <memory>

#include "nabla/nn/any_module.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/module.h"
#include "nabla/nn/pool.h"

namespace nabla::nn {

struct SqueezeExcitationOptions {
  int64_t input_channels = 0, squeeze_channels = 0;
  AnyModule activation;        // between fc1 and fc2; ReLU when empty (torchvision's default)
  AnyModule scale_activation;  // the gate; Sigmoid when empty
};

class SqueezeExcitation : public Module {
 public:
  using Options = SqueezeExcitationOptions;
  explicit SqueezeExcitation(const SqueezeExcitationOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  // The per-channel gate [N, C, 1, 1] that forward multiplies x by.
  Tensor scale(const Tensor& x);
  std::string describe() const override;

  std::shared_ptr<AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<Conv2d> fc1, fc2;
  AnyModule activation, scale_activation;

 private:
  int64_t input_channels_, squeeze_channels_;
};

}  // namespace nabla::nn
