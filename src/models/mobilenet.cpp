// MobileNetV2 (Sandler et al., 2018): inverted residual blocks — a 1×1 convolution widens the channels by t,
// a 3×3 depthwise convolution filters each channel alone, and a linear 1×1 convolution narrows them back —
// so the expensive spatial filtering costs k·k per channel instead of k·k·C_in per output channel.
// Module tree and state-dict names as torchvision's mobilenet_v2, so its weights load as they are.
#include <algorithm>
#include <cmath>
#include <string_view>

#include "nabla/models/registry.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/conv_norm_activation.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/norm.h"

namespace nabla::models {
namespace {

// features → global average pool → flatten → classifier
class MobileNetV2 : public nn::Module {
 public:
  explicit MobileNetV2(const MobileNetV2Options& options) : Module("MobileNetV2") {
    NABLA_CHECK(options.width_mult > 0 && options.round_nearest >= 1 && options.classes >= 1,
                "mobilenet_v2: width_mult must be positive, round_nearest and classes at least 1, got {}, {}, {}",
                options.width_mult, options.round_nearest, options.classes);
    NABLA_CHECK(options.dropout >= 0 && options.dropout <= 1, "mobilenet_v2: dropout must be in [0, 1], got {}",
                options.dropout);
    auto channels = [&](double count) { return make_divisible(count * options.width_mult, options.round_nearest); };
    int64_t in_channels = channels(static_cast<double>(options.stem_channels));
    const int64_t last_channels = make_divisible(static_cast<double>(options.last_channels) * std::max(1.0, options.width_mult),
                                                 options.round_nearest);
    features = register_module("features", std::make_shared<nn::Sequential>());
    features->push_back(nn::conv_norm_activation({.in_channels = options.input_channels, .out_channels = in_channels,
                                                  .kernel_size = 3, .stride = options.stem_stride,
                                                  .activation = std::make_shared<nn::ReLU6>()}));
    for (const InvertedResidualSetting& stage : options.setting) {
      NABLA_CHECK(stage.expand_ratio >= 1 && stage.channels >= 1 && stage.repeats >= 1,
                  "mobilenet_v2: a stage needs t, c, n at least 1, got t={} c={} n={}", stage.expand_ratio,
                  stage.channels, stage.repeats);
      const int64_t out_channels = channels(static_cast<double>(stage.channels));
      for (int64_t repeat = 0; repeat < stage.repeats; ++repeat) {
        features->push_back(std::make_shared<InvertedResidual>(in_channels, out_channels, repeat == 0 ? stage.stride : 1,
                                                               stage.expand_ratio));
        in_channels = out_channels;
      }
    }
    features->push_back(nn::conv_norm_activation({.in_channels = in_channels, .out_channels = last_channels,
                                                  .kernel_size = 1, .activation = std::make_shared<nn::ReLU6>()}));
    classifier = register_module("classifier", std::make_shared<nn::Sequential>(
                                                   std::make_shared<nn::Dropout>(options.dropout),
                                                   std::make_shared<nn::Linear>(last_channels, options.classes)));
  }

  Tensor forward(const Tensor& x) override {
    Tensor pooled = functional::adaptive_avg_pool2d((*features)(x), 1).flatten(1);
    return (*classifier)(pooled);
  }

  std::shared_ptr<nn::Sequential> features, classifier;
};

}  // namespace

InvertedResidual::InvertedResidual(int64_t in_channels, int64_t out_channels, int64_t stride, int64_t expand_ratio)
    : Module("InvertedResidual"), residual_(stride == 1 && in_channels == out_channels) {
  NABLA_CHECK(stride == 1 || stride == 2, "InvertedResidual: stride must be 1 or 2, got {}", stride);
  NABLA_CHECK(in_channels >= 1 && out_channels >= 1 && expand_ratio >= 1,
              "InvertedResidual: channels and expand_ratio must be at least 1, got {}, {}, {}", in_channels,
              out_channels, expand_ratio);
  // torchvision's int(round(inp · t)); t is an integer here, so the product is exact.
  const int64_t hidden = in_channels * expand_ratio;
  conv = register_module("conv", std::make_shared<nn::Sequential>());
  if (expand_ratio != 1) {
    conv->push_back(nn::conv_norm_activation({.in_channels = in_channels, .out_channels = hidden, .kernel_size = 1,
                                              .activation = std::make_shared<nn::ReLU6>()}));
  }
  conv->push_back(nn::conv_norm_activation({.in_channels = hidden, .out_channels = hidden, .kernel_size = 3,
                                            .stride = stride, .groups = hidden,
                                            .activation = std::make_shared<nn::ReLU6>()}));
  conv->push_back(nn::make<nn::Conv2d>({.in_channels = hidden, .out_channels = out_channels, .bias = false}));
  conv->push_back(std::make_shared<nn::BatchNorm2d>(out_channels));
}

Tensor InvertedResidual::forward(const Tensor& x) { return residual_ ? x + (*conv)(x) : (*conv)(x); }

int64_t make_divisible(double value, int64_t divisor, std::optional<int64_t> min_value) {
  NABLA_CHECK(value > 0 && divisor >= 1, "make_divisible: value must be positive and divisor at least 1, got {} and {}",
              value, divisor);
  const int64_t least = min_value.value_or(divisor);
  // int(v + d/2) // d * d: truncation toward zero, as Python's int() of a positive float.
  int64_t rounded = std::max(least, static_cast<int64_t>(value + static_cast<double>(divisor) / 2) / divisor * divisor);
  if (static_cast<double>(rounded) < 0.9 * value) rounded += divisor;
  return rounded;
}

nn::ModulePtr mobilenet_v2(const MobileNetV2Options& options) { return std::make_shared<MobileNetV2>(options); }

// Shapes for [N, 1, 28, 28]: stem [N, 32, 28, 28] → 16 @ 28 → 24 @ 14 → 32 @ 7 → 64 @ 4 → 96 @ 4
// → [N, 640, 4, 4] → pool → classes. Ten inverted residuals instead of seventeen, the 160/320 stages dropped:
// at 4×4 they would add most of the parameters and little the 28×28 images need.
MobileNetV2Options mobilenet_v2_small_options(int64_t classes, double width_mult) {
  return {.classes = classes,
          .input_channels = 1,
          .width_mult = width_mult,
          .stem_channels = 32,
          .stem_stride = 1,
          .last_channels = 640,
          .setting = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 2, 2}, {6, 96, 2, 1}},
          .dropout = 0.2};
}

namespace {
double width_option(const ModelOptions& options, std::string_view model) {
  const double width = number_option(options, model, "width", 1.0);
  NABLA_CHECK(width > 0 && width <= 8, "model '{}': option width must be in (0, 8], got {}", model, width);
  return width;
}
}  // namespace

std::vector<ModelEntry> mobilenet_models() {
  const std::vector<OptionInfo> width = {{"width", "width multiplier (channels x width, rounded to multiples of 8)"}};
  return {
      {.name = "mobilenet_v2",
       .description = "MobileNetV2 as torchvision's (inverted residuals, depthwise convolutions, ReLU6), ImageNet-sized",
       .input = {.shape = {3, 224, 224}, .dataset = "imagenet"},
       // The paper's recipe is RMSprop with decay 0.98 per epoch over hundreds of epochs; this is a shorter
       // SGD schedule with its weight decay of 4e-5.
       .recipe = {.optimizer = "sgd", .lr = 0.05, .weight_decay = 4e-5, .momentum = 0.9, .scheduler = "cosine",
                  .epochs = 150, .batch_size = 256},
       .options = width,
       .make = [](const ModelOptions& options) {
         return mobilenet_v2({.classes = options.classes, .width_mult = width_option(options, "mobilenet_v2")});
       }},
      {.name = "mobilenetv2_small",
       .description = "MobileNetV2 for 1x28x28 images: stride-1 stem, ten inverted residuals (28 -> 4), 640 features",
       .input = {.shape = {1, 28, 28}, .dataset = "fashion-mnist"},
       // SGD as the ResNets on Fashion-MNIST, with MobileNetV2's light weight decay (depthwise filters have
       // few weights to regularise), warm-up, label smoothing, crops and flips.
       .recipe = {.optimizer = "sgd", .lr = 0.05, .weight_decay = 4e-5, .momentum = 0.9, .scheduler = "cosine",
                  .epochs = 15, .batch_size = 128, .nesterov = true, .warmup_epochs = 1, .label_smoothing = 0.1,
                  .augmentation = {.random_crop_padding = 2, .horizontal_flip = 0.5}},
       .options = width,
       .make = [](const ModelOptions& options) {
         return mobilenet_v2(mobilenet_v2_small_options(options.classes, width_option(options, "mobilenetv2_small")));
       }},
  };
}

}  // namespace nabla::models
