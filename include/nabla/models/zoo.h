#pragma once
// The model zoo: one constructor per family, for code that builds a model with its own options. Lookup by
// name, expected inputs and default recipes live in the registry (nabla/models/registry.h).
#include <string>
#include <vector>

#include "nabla/nn/module.h"

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

}  // namespace nabla::models
