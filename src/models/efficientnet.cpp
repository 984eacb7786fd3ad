// EfficientNet-B0…B3 (Tan & Le, 2019): MBConv blocks (MobileNetV2's inverted residual with SiLU and a
// squeeze-and-excitation gate, residual branches dropped by stochastic depth in training), and the compound
// rule that scales depth, width and resolution together. Module tree and state-dict names as torchvision's
// efficientnet_b0…b3, so its weights load as they are.
#include <algorithm>
#include <cmath>

#include "nabla/models/registry.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv_norm_activation.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/pool.h"
#include "nabla/nn/squeeze_excitation.h"
#include "nabla/nn/stochastic_depth.h"

namespace nabla::models {
namespace {

// [resize] → features → avgpool → flatten → classifier
class EfficientNet : public nn::Module {
 public:
  explicit EfficientNet(const EfficientNetOptions& options) : Module("EfficientNet"), input_size_(options.input_size) {
    NABLA_CHECK(options.width_mult > 0 && options.depth_mult > 0 && !options.setting.empty() && options.classes >= 1,
                "efficientnet: width_mult and depth_mult must be positive, the stages non-empty and classes at least "
                "1, got {}, {}, {} stages, {}",
                options.width_mult, options.depth_mult, options.setting.size(), options.classes);
    NABLA_CHECK(options.dropout >= 0 && options.dropout <= 1 && options.stochastic_depth_prob >= 0 &&
                    options.stochastic_depth_prob <= 1,
                "efficientnet: dropout and stochastic_depth_prob must be in [0, 1], got {} and {}", options.dropout,
                options.stochastic_depth_prob);
    NABLA_CHECK(!input_size_ || *input_size_ >= 1, "efficientnet: input_size must be positive, got {}", *input_size_);
    // Width- and depth-scaled stages, as torchvision's MBConvConfig.
    std::vector<MBConvSetting> stages = options.setting;
    int64_t total_blocks = 0;
    for (MBConvSetting& stage : stages) {
      NABLA_CHECK(stage.expand_ratio >= 1 && stage.in_channels >= 1 && stage.out_channels >= 1 && stage.layers >= 1,
                  "efficientnet: a stage needs expand_ratio, channels and layers at least 1");
      stage.in_channels = make_divisible(static_cast<double>(stage.in_channels) * options.width_mult);
      stage.out_channels = make_divisible(static_cast<double>(stage.out_channels) * options.width_mult);
      stage.layers = static_cast<int64_t>(std::ceil(static_cast<double>(stage.layers) * options.depth_mult));
      total_blocks += stage.layers;
    }
    features = register_module("features", std::make_shared<nn::Sequential>());
    features->push_back(nn::conv_norm_activation({.in_channels = options.input_channels,
                                                  .out_channels = stages.front().in_channels, .kernel_size = 3,
                                                  .stride = options.stem_stride,
                                                  .activation = std::make_shared<nn::SiLU>()}));
    int64_t block_index = 0;
    for (const MBConvSetting& stage : stages) {
      auto blocks = std::make_shared<nn::Sequential>();
      for (int64_t layer = 0; layer < stage.layers; ++layer) {
        MBConvSetting setting = stage;
        if (layer > 0) {
          setting.in_channels = stage.out_channels;
          setting.stride = 1;
        }
        // The drop probability grows linearly with depth: the first block keeps its branch always.
        const double drop = options.stochastic_depth_prob * static_cast<double>(block_index++) /
                            static_cast<double>(total_blocks);
        blocks->push_back(std::make_shared<MBConv>(setting, drop));
      }
      features->push_back(blocks);
    }
    const int64_t last_in = stages.back().out_channels;
    const int64_t last_out = options.last_channels.value_or(4 * last_in);
    features->push_back(nn::conv_norm_activation(
        {.in_channels = last_in, .out_channels = last_out, .kernel_size = 1, .activation = std::make_shared<nn::SiLU>()}));
    avgpool = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
    classifier = register_module("classifier", std::make_shared<nn::Sequential>(
                                                   std::make_shared<nn::Dropout>(options.dropout),
                                                   std::make_shared<nn::Linear>(last_out, options.classes)));
  }

  Tensor forward(const Tensor& x) override {
    Tensor input = x;
    if (input_size_ && (x.shape()[2] != *input_size_ || x.shape()[3] != *input_size_)) {
      input = functional::interpolate(x, {.size = Size2(*input_size_), .mode = UpsampleMode::bilinear});
    }
    return (*classifier)((*avgpool)((*features)(input)).flatten(1));
  }

  std::shared_ptr<nn::Sequential> features, classifier;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool;

 private:
  std::optional<int64_t> input_size_;
};

}  // namespace

MBConv::MBConv(const MBConvSetting& setting, double stochastic_depth_prob)
    : Module("MBConv"), residual_(setting.stride == 1 && setting.in_channels == setting.out_channels) {
  NABLA_CHECK(setting.stride == 1 || setting.stride == 2, "MBConv: stride must be 1 or 2, got {}", setting.stride);
  NABLA_CHECK(setting.expand_ratio >= 1 && setting.in_channels >= 1 && setting.out_channels >= 1 &&
                  setting.kernel_size >= 1,
              "MBConv: expand_ratio, channels and kernel_size must be at least 1, got {}, {}, {}, {}",
              setting.expand_ratio, setting.in_channels, setting.out_channels, setting.kernel_size);
  const int64_t expanded = make_divisible(static_cast<double>(setting.in_channels) * setting.expand_ratio);
  auto silu = [] { return std::make_shared<nn::SiLU>(); };
  block = register_module("block", std::make_shared<nn::Sequential>());
  if (expanded != setting.in_channels) {
    block->push_back(nn::conv_norm_activation(
        {.in_channels = setting.in_channels, .out_channels = expanded, .kernel_size = 1, .activation = silu()}));
  }
  block->push_back(nn::conv_norm_activation({.in_channels = expanded, .out_channels = expanded,
                                             .kernel_size = setting.kernel_size, .stride = setting.stride,
                                             .groups = expanded, .activation = silu()}));
  // The squeeze width is a quarter of the block's input channels (not of the expanded ones), as the paper's.
  block->push_back(nn::make<nn::SqueezeExcitation>({.input_channels = expanded,
                                                    .squeeze_channels = std::max<int64_t>(1, setting.in_channels / 4),
                                                    .activation = silu()}));
  block->push_back(
      nn::conv_norm_activation({.in_channels = expanded, .out_channels = setting.out_channels, .kernel_size = 1}));
  stochastic_depth = register_module(
      "stochastic_depth", std::make_shared<nn::StochasticDepth>(stochastic_depth_prob, StochasticDepthMode::row));
}

Tensor MBConv::forward(const Tensor& x) {
  Tensor result = (*block)(x);
  return residual_ ? (*stochastic_depth)(result) + x : result;
}

nn::ModulePtr efficientnet(const EfficientNetOptions& options) { return std::make_shared<EfficientNet>(options); }

EfficientNetVariant efficientnet_variant(int64_t index) {
  NABLA_CHECK(index >= 0 && index <= 3, "efficientnet_b: index must be 0…3, got {}", index);
  static const EfficientNetVariant published[] = {
      {1.0, 1.0, 224, 0.2}, {1.0, 1.1, 240, 0.2}, {1.1, 1.2, 260, 0.3}, {1.2, 1.4, 300, 0.3}};
  return published[index];
}

nn::ModulePtr efficientnet_b(int64_t index, int64_t classes) {
  const EfficientNetVariant variant = efficientnet_variant(index);
  return efficientnet(EfficientNetOptions{.classes = classes,
                                          .width_mult = variant.width_mult,
                                          .depth_mult = variant.depth_mult,
                                          .dropout = variant.dropout});
}

// Why the published B1–B3 are not exactly this rule: the paper fixes α, β, γ by a small grid search at φ = 1,
// but the released models (the official TensorFlow code's table, which torchvision copies) carry hand-rounded
// coefficients that sit between integer φ: B1's (width 1.0, depth 1.1, 240 px) is about φ = 0.5 (1.05, 1.10,
// 240), B2's (1.1, 1.2, 260) about φ = 1 (1.1, 1.2, 258), B3's (1.2, 1.4, 300) about φ = 2 (1.21, 1.44, 296).
// So efficientnet(1) is not B1: it is the rule, for Q51's sweep, while efficientnet_b(i) is the release.
CompoundScaling compound_scaling(double phi) {
  NABLA_CHECK(std::isfinite(phi), "compound_scaling: phi must be finite, got {}", phi);
  return {.depth_mult = std::pow(1.2, phi), .width_mult = std::pow(1.1, phi), .resolution_mult = std::pow(1.15, phi)};
}

nn::ModulePtr efficientnet(double phi, int64_t classes) {
  const CompoundScaling scaling = compound_scaling(phi);
  return efficientnet(
      EfficientNetOptions{.classes = classes, .width_mult = scaling.width_mult, .depth_mult = scaling.depth_mult});
}

// Shapes for [N, 1, 28, 28] at φ = 0: stem [N, 32, 28, 28] → 16 @ 28 → 24 @ 14 → 40 @ 7 → 80 @ 4 → 112 @ 4
// → [N, 448, 4, 4] → pool → classes: B0's first five stages with one block fewer in the two widest, its stem
// at stride 1 (28×28 images have little to spare), the 192/320 stages dropped.
EfficientNetOptions efficientnet_small_options(int64_t classes, double phi) {
  const CompoundScaling scaling = compound_scaling(phi);
  const auto resolution = static_cast<int64_t>(std::lround(28 * scaling.resolution_mult));
  return {.classes = classes,
          .input_channels = 1,
          .width_mult = scaling.width_mult,
          .depth_mult = scaling.depth_mult,
          .dropout = 0.2,
          .stochastic_depth_prob = 0.1,
          .stem_stride = 1,
          .setting = {{1, 3, 1, 32, 16, 1}, {6, 3, 2, 16, 24, 2}, {6, 5, 2, 24, 40, 2}, {6, 3, 2, 40, 80, 2},
                      {6, 5, 1, 80, 112, 2}},
          .input_size = resolution == 28 ? std::nullopt : std::optional<int64_t>(resolution)};
}

std::vector<ModelEntry> efficientnet_models() {
  // The paper trains with RMSprop for 350 epochs; AdamW with a cosine schedule is the shorter stand-in.
  const Recipe imagenet{.optimizer = "adamw", .lr = 1e-3, .weight_decay = 0.05, .scheduler = "cosine", .epochs = 150,
                        .batch_size = 128};
  const Recipe fashion{.optimizer = "adamw", .lr = 2e-3, .weight_decay = 0.05, .scheduler = "cosine", .epochs = 15,
                       .batch_size = 128, .warmup_epochs = 1, .label_smoothing = 0.1,
                       .augmentation = {.random_crop_padding = 2, .horizontal_flip = 0.5}};
  std::vector<ModelEntry> entries;
  for (int64_t index = 0; index <= 3; ++index) {
    const EfficientNetVariant variant = efficientnet_variant(index);
    entries.push_back(
        {.name = fmt::format("efficientnet_b{}", index),
         .description = fmt::format("EfficientNet-B{} as torchvision's (width {}, depth {}, {} px, dropout {})", index,
                                    variant.width_mult, variant.depth_mult, variant.resolution, variant.dropout),
         .input = {.shape = {3, variant.resolution, variant.resolution}, .dataset = "imagenet"},
         .recipe = imagenet,
         .make = [index](const ModelOptions& options) { return efficientnet_b(index, options.classes); }});
  }
  entries.push_back(
      {.name = "efficientnet_small",
       .description = "EfficientNet for 1x28x28 images: stride-1 stem, five MBConv stages (28 -> 4); phi scales it",
       .input = {.shape = {1, 28, 28}, .dataset = "fashion-mnist"},
       .recipe = fashion,
       .options = {{"phi", "compound scaling: depth 1.2^phi, width 1.1^phi, input resized to 28 * 1.15^phi"}},
       .make = [](const ModelOptions& options) {
         const double phi = number_option(options, "efficientnet_small", "phi", 0.0);
         NABLA_CHECK(phi >= 0 && phi <= 4, "model 'efficientnet_small': phi must be in [0, 4], got {}", phi);
         return efficientnet(efficientnet_small_options(options.classes, phi));
       }});
  return entries;
}

}  // namespace nabla::models
