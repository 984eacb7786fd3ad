#pragma once
// The model zoo: one constructor per family, for code that builds a model with its own options. Lookup by
// name, expected inputs and default recipes live in the registry (nabla/models/registry.h).
#include <optional>
#include <string>
#include <vector>

#include "nabla/nn/container.h"
#include "nabla/nn/module.h"
#include "nabla/nn/stochastic_depth.h"

namespace nabla::models {

struct MlpOptions {
  int64_t inputs = 784;
  std::vector<int64_t> hidden = {256, 256};
  int64_t outputs = 10;
};
// Flatten → (Linear → ReLU) per hidden layer → Linear.
nn::ModulePtr mlp(const MlpOptions& options = {});

// LeNet-5 in its common modern form for 1×28×28 inputs: conv 5×5 (6, padding 2) → ReLU → max-pool 2 →
// conv 5×5 (16) → ReLU → max-pool 2 → 120 → 84 → classes, with ReLU between the fully connected layers.
nn::ModulePtr lenet5(int64_t classes = 10);

// ---- ResNet (He et al. 2016), src/models/resnet.cpp. Module trees and state-dict names are torchvision's
// (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0/1, fc, …), so torchvision weights saved as safetensors
// load as they are. Convolutions have no bias and He-normal weights (fan_out, as torchvision); BN eps 1e-5.

// How a residual block adds its input when the block changes the shape (stride or channels):
//   A: parameter-free: subsample by the stride and append zero channels (He et al. §4.2, option A);
//   B: a projection, 1×1 convolution with the stride → batch norm (torchvision's `downsample`);
//   none: no skip connection at all (the "plain" networks of He et al. §4.1).
// A block whose shape does not change adds its input as it is under A and B.
enum class Shortcut { A, B, none };

struct ResidualBlockOptions {
  int64_t in_channels = 0;
  int64_t channels = 0;  // the block's width; a bottleneck block outputs 4·channels
  int64_t stride = 1;    // of the block's 3×3 convolution (and of its shortcut)
  Shortcut shortcut = Shortcut::B;
};
// conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the shortcut, → ReLU. Children: conv1, bn1, relu,
// conv2, bn2 and, when the shape changes, downsample.
nn::ModulePtr basic_block(const ResidualBlockOptions& options);
// conv1×1 → BN → ReLU → conv3×3(stride) → BN → ReLU → conv1×1 (4·channels) → BN, plus the shortcut, → ReLU
// (the stride on the 3×3 convolution, as torchvision's "ResNet v1.5"). Children: conv1…conv3, bn1…bn3, relu,
// downsample.
nn::ModulePtr bottleneck_block(const ResidualBlockOptions& options);

enum class ResNetBlock { basic, bottleneck };

// The ImageNet ResNets: conv 7×7/2 (64) → BN → ReLU → max-pool 3×3/2 → layer1…layer4 (widths 64, 128, 256,
// 512; strides 1, 2, 2, 2; projection shortcuts) → adaptive average pool → fc.
struct ResNetOptions {
  ResNetBlock block = ResNetBlock::basic;
  std::vector<int64_t> layers = {2, 2, 2, 2};  // blocks per stage; fewer stages than 4 keep the first widths
  int64_t in_channels = 3;
  int64_t classes = 1000;
};
nn::ModulePtr resnet(const ResNetOptions& options);
nn::ModulePtr resnet18(int64_t classes = 1000);  // basic blocks, 2-2-2-2
nn::ModulePtr resnet34(int64_t classes = 1000);  // basic blocks, 3-4-6-3
nn::ModulePtr resnet50(int64_t classes = 1000);  // bottleneck blocks, 3-4-6-3

// The CIFAR-style ResNets of He et al. §4.2: conv 3×3 (16) → BN → ReLU → layer1…layer3 of n basic blocks
// each (widths 16, 32, 64; strides 1, 2, 2) → adaptive average pool → fc; 6n + 2 weighted layers
// (n = 3: ResNet-20). Shortcut::none gives the plain network of the same depth.
struct CifarResNetOptions {
  int64_t blocks_per_stage = 3;
  Shortcut shortcut = Shortcut::A;
  int64_t in_channels = 1;
  int64_t classes = 10;
};
nn::ModulePtr cifar_resnet(const CifarResNetOptions& options);
// The channel rule of MobileNet and EfficientNet (torchvision's _make_divisible): `value` rounded to the
// nearest multiple of `divisor` (halves up), at least `min_value` (default: divisor), and bumped up one
// multiple when rounding lost more than 10 % of `value`. Hardware likes channel counts that are multiples of 8.
int64_t make_divisible(double value, int64_t divisor = 8, std::optional<int64_t> min_value = {});

// ---- MobileNetV2 (Sandler et al., 2018) with torchvision's module tree and state-dict names:
// features.0 (3×3 conv stride stem_stride → BN → ReLU6), features.1 … (inverted residuals, each
// `conv` = [1×1 expand → BN → ReLU6] (absent when t = 1), 3×3 depthwise → BN → ReLU6, 1×1 project → BN,
// with x + conv(x) when the stride is 1 and the channels match), the last features (1×1 conv → BN → ReLU6),
// then global average pooling and classifier = [Dropout, Linear].
struct InvertedResidualSetting {
  int64_t expand_ratio, channels, repeats, stride;  // the paper's t, c, n, s
};
struct MobileNetV2Options {
  int64_t classes = 1000;
  int64_t input_channels = 3;
  double width_mult = 1.0;  // every layer's channels × width_mult, rounded by make_divisible(·, round_nearest)
  int64_t round_nearest = 8;
  int64_t stem_channels = 32, stem_stride = 2;
  int64_t last_channels = 1280;  // × max(1, width_mult): a thinner network keeps its 1280 features
  std::vector<InvertedResidualSetting> setting = {
      {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  double dropout = 0.2;
};
nn::ModulePtr mobilenet_v2(const MobileNetV2Options& options = {});
// One inverted residual: x [N, C_in, H, W] → conv(x) [N, C_out, H/stride, W/stride], plus x when stride is 1
// and C_in = C_out. The hidden width is C_in · expand_ratio.
class InvertedResidual : public nn::Module {
 public:
  InvertedResidual(int64_t in_channels, int64_t out_channels, int64_t stride, int64_t expand_ratio);
  Tensor forward(const Tensor& x) override;
  bool residual() const { return residual_; }

  std::shared_ptr<nn::Sequential> conv;

 private:
  bool residual_;
};
// For 1×28×28 inputs (Fashion-MNIST): a stride-1 stem and four downsamplings (28 → 14 → 7 → 4), fewer blocks.
MobileNetV2Options mobilenet_v2_small_options(int64_t classes = 10, double width_mult = 1.0);

// ---- EfficientNet-B0…B3 (Tan & Le, 2019) with torchvision's module tree and state-dict names:
// features.0 (3×3 conv stride stem_stride → BN → SiLU), features.1 … features.7 (stages of MBConv blocks:
// features.S.B.block = [1×1 expand → BN → SiLU] (absent when the ratio is 1), k×k depthwise → BN → SiLU,
// squeeze-and-excitation (fc1/fc2, SiLU, sigmoid), 1×1 project → BN; a residual with stochastic depth when
// the stride is 1 and the channels match), features.8 (1×1 conv → BN → SiLU), global average pooling,
// classifier = [Dropout, Linear].
struct MBConvSetting {
  double expand_ratio;
  int64_t kernel_size, stride, in_channels, out_channels, layers;
};
struct EfficientNetOptions {
  int64_t classes = 1000;
  int64_t input_channels = 3;
  double width_mult = 1.0;  // channels × width_mult, rounded by make_divisible(·, 8)
  double depth_mult = 1.0;  // each stage's layers ⌈layers × depth_mult⌉
  double dropout = 0.2;     // before the classifier
  // Block i of n (counted over all stages from 0) drops its branch with probability stochastic_depth_prob · i/n.
  double stochastic_depth_prob = 0.2;
  int64_t stem_stride = 2;
  std::vector<MBConvSetting> setting = {{1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},  {6, 5, 2, 24, 40, 2},
                                        {6, 3, 2, 40, 80, 3},  {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4},
                                        {6, 3, 1, 192, 320, 1}};
  std::optional<int64_t> last_channels;  // default: 4 × the last stage's (width-scaled) channels
  // When set, the input is first resized (bilinear) to input_size × input_size: how the compound rule's
  // resolution reaches a model whose data set has one image size (the φ sweep on 28×28 images).
  std::optional<int64_t> input_size;
};
nn::ModulePtr efficientnet(const EfficientNetOptions& options);
// One MBConv block, its channels already width-scaled: x [N, C_in, H, W] → block(x) [N, C_out, H/stride, W/stride],
// plus x (the block's output through stochastic depth) when stride is 1 and C_in = C_out. The expanded width is
// make_divisible(C_in · expand_ratio), the squeeze width max(1, C_in / 4).
class MBConv : public nn::Module {
 public:
  MBConv(const MBConvSetting& setting, double stochastic_depth_prob);
  Tensor forward(const Tensor& x) override;
  bool residual() const { return residual_; }

  std::shared_ptr<nn::Sequential> block;
  std::shared_ptr<nn::StochasticDepth> stochastic_depth;

 private:
  bool residual_;
};
// B0…B3 as published (width, depth, resolution, dropout): (1.0, 1.0, 224, 0.2), (1.0, 1.1, 240, 0.2),
// (1.1, 1.2, 260, 0.3), (1.2, 1.4, 300, 0.3).
struct EfficientNetVariant {
  double width_mult, depth_mult;
  int64_t resolution;
  double dropout;
};
EfficientNetVariant efficientnet_variant(int64_t index);  // index 0…3
nn::ModulePtr efficientnet_b(int64_t index, int64_t classes = 1000);

// The compound rule: depth α^φ, width β^φ, resolution γ^φ with α = 1.2, β = 1.1, γ = 1.15 (α·β²·γ² ≈ 2, so
// each unit of φ about doubles the FLOPs).
struct CompoundScaling {
  double depth_mult, width_mult, resolution_mult;
};
CompoundScaling compound_scaling(double phi);
// EfficientNet-B0 scaled by the rule (ImageNet: its resolution is round(224 · γ^φ), which the caller feeds).
nn::ModulePtr efficientnet(double phi, int64_t classes = 1000);
// For 1×28×28 inputs: a stride-1 stem, five stages (28 → 14 → 7 → 4), scaled by the rule at `phi`, the
// resolution by resizing the input to round(28 · γ^φ).
EfficientNetOptions efficientnet_small_options(int64_t classes = 10, double phi = 0);

// The bigram language model: a V×V table whose row t holds the logits of the token after t. Input int64 ids
// [B, T], output logits [B, T, V]. The baseline of the text pipeline: its loss is the corpus's conditional
// entropy of the next token given one token.
nn::ModulePtr bigram(int64_t vocab_size);

}  // namespace nabla::models
