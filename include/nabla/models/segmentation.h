#pragma once
// Dense prediction (src/models/segmentation.cpp): networks that map an image [N, C, H, W] to class scores
// per pixel [N, classes, H, W].
//
// - FCN (Long, Shelhamer & Darrell, 2015): a CNN backbone that halves the resolution three times, a 1×1
//   classifier on its last features, and transposed-convolution upsampling that adds, at each resolution,
//   a 1×1 classifier of the backbone's features there (skip fusion: FCN-8s's idea on a small backbone);
// - U-Net (Ronneberger, Fischer & Brox, 2015): an encoder–decoder whose decoder concatenates, at each
//   resolution, the encoder's features of that resolution before convolving them.
#include <cstdint>
#include <string>

#include "nabla/nn/container.h"
#include "nabla/nn/module.h"

namespace nabla::models {

enum class Upsampling {
  transposed,  // ConvTranspose2d 3×3, stride 2, padding 1, output_padding 1: learnt, exactly ×2
  bilinear,    // bilinear interpolation ×2, then a 1×1 convolution to the channels a transposed one outputs
};

struct UNetOptions {
  int64_t in_channels = 1;
  int64_t classes = 11;
  int64_t width = 16;   // channels of the first level; each level below doubles them
  int64_t depth = 3;    // times the encoder halves the resolution (inputs' sides must divide by 2^depth)
  Upsampling upsampling = Upsampling::transposed;
  bool skips = true;    // false: the decoder gets no encoder features (an encoder–decoder without U-Net's skips)
};

// conv3×3 → BN → ReLU → conv3×3 → BN → ReLU (children "0" and "1", each conv / bn / relu as "0", "1", "2").
std::shared_ptr<nn::Sequential> double_conv(int64_t in_channels, int64_t out_channels);

// One decoder level of U-Net: upsample x [N, 2c, h, w] to [N, c, 2h, 2w] ("up"), concatenate the skip
// [N, c, 2h, 2w] along channels, then double_conv(2c → c) ("conv"). Without skips, double_conv(c → c).
class UNetUpBlock : public nn::Module {
 public:
  UNetUpBlock(int64_t in_channels, int64_t out_channels, Upsampling upsampling, bool skips);
  Tensor forward(const Tensor& x) override;  // without skips only
  Tensor forward(const Tensor& x, const Tensor& skip);

  nn::ModulePtr up;
  std::shared_ptr<nn::Sequential> conv;

 private:
  bool skips_;
};

nn::ModulePtr unet(const UNetOptions& options = {});

struct FcnOptions {
  int64_t in_channels = 1;
  int64_t classes = 11;
  int64_t width = 32;  // channels of the first backbone stage; each later stage doubles them
  int64_t skips = 2;   // skip fusions from the backbone: 2 (FCN-8s-like: strides 8 → 4 → 2 → 1), 1 or 0 (FCN-32s-like)
};

nn::ModulePtr fcn(const FcnOptions& options = {});

}  // namespace nabla::models
