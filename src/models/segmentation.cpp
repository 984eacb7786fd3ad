// FCN and U-Net (include/nabla/models/segmentation.h): class scores per pixel. Both upsample ×2 per level
// with a 3×3 transposed convolution of stride 2, padding 1 and output_padding 1, whose output is exactly
// twice its input ((h − 1)·2 − 2 + 3 + 1 = 2h), so no cropping is needed to fuse or concatenate.
#include "nabla/models/segmentation.h"

#include <string_view>

#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/conv_norm_activation.h"
#include "nabla/nn/functional.h"

namespace nabla::models {
namespace {

nn::ModulePtr conv1x1(int64_t in_channels, int64_t out_channels) {
  return nn::make<nn::Conv2d>({.in_channels = in_channels, .out_channels = out_channels, .kernel_size = 1});
}

nn::ModulePtr transposed_up(int64_t in_channels, int64_t out_channels) {
  return nn::make<nn::ConvTranspose2d>({.in_channels = in_channels, .out_channels = out_channels, .kernel_size = 3,
                                        .stride = 2, .padding = 1, .output_padding = 1});
}

// Bilinear ×2 (no parameters, no checkerboard), then a 1×1 convolution to the transposed path's channels.
class BilinearUp : public nn::Module {
 public:
  BilinearUp(int64_t in_channels, int64_t out_channels) : Module("BilinearUp") {
    conv = register_module("conv", conv1x1(in_channels, out_channels));
  }
  Tensor forward(const Tensor& x) override {
    return (*conv)(functional::interpolate(x, {.scale_factor = 2.0, .mode = UpsampleMode::bilinear}));
  }
  nn::ModulePtr conv;
};

// The resolutions' sides must divide by 2^levels, or the decoder's ×2 could not meet the encoder's ÷2.
void check_divisible(const Tensor& x, int64_t levels, std::string_view model) {
  const int64_t factor = int64_t{1} << levels;
  NABLA_CHECK(x.dim() == 4 && x.size(2) % factor == 0 && x.size(3) % factor == 0,
              "{}: input must be [N, C, H, W] with H and W multiples of {}, got {}", model, factor, x.describe());
}

class UNet : public nn::Module {
 public:
  explicit UNet(const UNetOptions& options) : Module("UNet"), skips_(options.skips) {
    NABLA_CHECK(options.in_channels >= 1 && options.classes >= 1 && options.width >= 1 && options.depth >= 1 &&
                    options.depth <= 6,
                "unet: in_channels, classes and width must be at least 1 and depth 1 to 6, got {}, {}, {}, {}",
                options.in_channels, options.classes, options.width, options.depth);
    int64_t channels = options.width, in_channels = options.in_channels;
    for (int64_t level = 0; level < options.depth; ++level) {
      down_.push_back(register_module(fmt::format("down{}", level + 1), double_conv(in_channels, channels)));
      in_channels = channels, channels *= 2;
    }
    bottom = register_module("bottom", double_conv(in_channels, channels));
    for (int64_t level = options.depth; level >= 1; --level) {
      up_.push_back(register_module(fmt::format("up{}", level),
                                    std::make_shared<UNetUpBlock>(channels, channels / 2, options.upsampling, options.skips)));
      channels /= 2;
    }
    head = register_module("head", conv1x1(channels, options.classes));
  }

  // [N, C, H, W] → [N, classes, H, W]
  Tensor forward(const Tensor& input) override {
    check_divisible(input, static_cast<int64_t>(down_.size()), "unet");
    std::vector<Tensor> features;
    Tensor x = input;
    for (const auto& level : down_) {
      x = (*level)(x);
      features.push_back(x);
      x = functional::max_pool2d(x, 2);
    }
    x = (*bottom)(x);
    for (const auto& block : up_) {
      x = skips_ ? block->forward(x, features.back()) : block->forward(x);
      features.pop_back();
    }
    return (*head)(x);
  }

  std::shared_ptr<nn::Sequential> bottom;
  nn::ModulePtr head;

 private:
  std::vector<std::shared_ptr<nn::Sequential>> down_;
  std::vector<std::shared_ptr<UNetUpBlock>> up_;
  bool skips_;
};

// Backbone stages of two conv–BN–ReLU and a max-pool each (strides 2, 4, 8); "score" is the 1×1 classifier
// of the last stage; "up1"… upsample ×2 and add "skip1"…, 1×1 classifiers of earlier stages' features.
class Fcn : public nn::Module {
 public:
  explicit Fcn(const FcnOptions& options) : Module("FCN") {
    NABLA_CHECK(options.in_channels >= 1 && options.classes >= 1 && options.width >= 1 && options.skips >= 0 &&
                    options.skips <= 2,
                "fcn: in_channels, classes and width must be at least 1 and skips 0 to 2, got {}, {}, {}, {}",
                options.in_channels, options.classes, options.width, options.skips);
    int64_t in_channels = options.in_channels;
    for (int64_t stage = 0; stage < stages; ++stage) {
      const int64_t channels = options.width << stage;
      stage_channels_.push_back(channels);
      backbone_.push_back(register_module(fmt::format("stage{}", stage + 1), double_conv(in_channels, channels)));
      in_channels = channels;
    }
    score = register_module("score", conv1x1(in_channels, options.classes));
    for (int64_t level = 0; level < stages; ++level) {
      up_.push_back(register_module(fmt::format("up{}", level + 1), transposed_up(options.classes, options.classes)));
      if (level < options.skips) {
        const int64_t channels = stage_channels_[static_cast<size_t>(stages - 2 - level)];
        skip_.push_back(register_module(fmt::format("skip{}", level + 1), conv1x1(channels, options.classes)));
      }
    }
  }

  // [N, C, H, W] → stages at H/2, H/4, H/8 → score at H/8 → ×2 (+ skip of H/4) → ×2 (+ skip of H/2) → ×2
  Tensor forward(const Tensor& input) override {
    check_divisible(input, stages, "fcn");
    std::vector<Tensor> features;
    Tensor x = input;
    for (const auto& stage : backbone_) {
      x = functional::max_pool2d((*stage)(x), 2);
      features.push_back(x);
    }
    Tensor scores = (*score)(x);
    for (size_t level = 0; level < up_.size(); ++level) {
      scores = (*up_[level])(scores);
      if (level < skip_.size()) scores = scores + (*skip_[level])(features[features.size() - 2 - level]);
    }
    return scores;
  }

  static constexpr int64_t stages = 3;
  nn::ModulePtr score;

 private:
  std::vector<int64_t> stage_channels_;
  std::vector<std::shared_ptr<nn::Sequential>> backbone_;
  std::vector<nn::ModulePtr> up_, skip_;
};

}  // namespace

std::shared_ptr<nn::Sequential> double_conv(int64_t in_channels, int64_t out_channels) {
  auto layers = std::make_shared<nn::Sequential>();
  layers->push_back(nn::conv_norm_activation({.in_channels = in_channels, .out_channels = out_channels, .kernel_size = 3,
                                              .activation = std::make_shared<nn::ReLU>()}));
  layers->push_back(nn::conv_norm_activation({.in_channels = out_channels, .out_channels = out_channels, .kernel_size = 3,
                                              .activation = std::make_shared<nn::ReLU>()}));
  return layers;
}

UNetUpBlock::UNetUpBlock(int64_t in_channels, int64_t out_channels, Upsampling upsampling, bool skips)
    : Module("UNetUpBlock"), skips_(skips) {
  NABLA_CHECK(in_channels >= 1 && out_channels >= 1, "UNetUpBlock: channels must be at least 1, got {} and {}", in_channels,
              out_channels);
  up = register_module("up", upsampling == Upsampling::transposed ? transposed_up(in_channels, out_channels)
                                                                  : std::make_shared<BilinearUp>(in_channels, out_channels));
  conv = register_module("conv", double_conv(skips ? 2 * out_channels : out_channels, out_channels));
}

Tensor UNetUpBlock::forward(const Tensor& x) {
  NABLA_CHECK(!skips_, "UNetUpBlock: this block concatenates a skip; call forward(x, skip)");
  return (*conv)((*up)(x));
}

// x [N, 2c, h, w], skip [N, c, 2h, 2w] → [N, c, 2h, 2w]
Tensor UNetUpBlock::forward(const Tensor& x, const Tensor& skip) {
  NABLA_CHECK(skips_, "UNetUpBlock: this block has no skip; call forward(x)");
  Tensor upsampled = (*up)(x);
  NABLA_CHECK(upsampled.dim() == 4 && skip.dim() == 4 && upsampled.size(0) == skip.size(0) &&
                  upsampled.size(2) == skip.size(2) && upsampled.size(3) == skip.size(3),
              "UNetUpBlock: the upsampled input {} and the skip {} must agree in batch, height and width",
              upsampled.describe(), skip.describe());
  return (*conv)(cat({upsampled, skip}, 1));
}

nn::ModulePtr unet(const UNetOptions& options) { return std::make_shared<UNet>(options); }
nn::ModulePtr fcn(const FcnOptions& options) { return std::make_shared<Fcn>(options); }

namespace {

int64_t whole_option(const ModelOptions& options, std::string_view model, std::string_view key, int64_t fallback,
                     int64_t low, int64_t high) {
  const double value = number_option(options, model, key, static_cast<double>(fallback));
  NABLA_CHECK(value == static_cast<double>(static_cast<int64_t>(value)) && value >= static_cast<double>(low) &&
                  value <= static_cast<double>(high),
              "model '{}': option {} must be a whole number from {} to {}, got {}", model, key, low, high, value);
  return static_cast<int64_t>(value);
}

Upsampling upsampling_option(const ModelOptions& options) {
  const auto found = options.overrides.find("upsampling");
  if (found == options.overrides.end()) return Upsampling::transposed;
  const std::string value = found->is_string() ? found->get<std::string>() : found->dump();
  NABLA_CHECK(value == "transposed" || value == "bilinear",
              "model 'unet': option upsampling must be transposed or bilinear, got {}", value);
  return value == "transposed" ? Upsampling::transposed : Upsampling::bilinear;
}

// Segmentation models train on `nabla data make-segmentation`'s canvases: 11 classes (background and
// Fashion-MNIST's ten), 64×64 gray. Adam with a short cosine schedule: BN makes them insensitive to the rate.
const Recipe segmentation_recipe{.optimizer = "adam", .lr = 2e-3, .scheduler = "cosine", .epochs = 8, .batch_size = 32};

}  // namespace

std::vector<ModelEntry> segmentation_models() {
  return {
      {.name = "unet",
       .description = "U-Net for 1x64x64 segmentation: 3 levels (16-32-64, bottom 128), skip concatenation, per-pixel scores",
       .input = {.shape = {1, 64, 64}, .dataset = "segmentation"},
       .recipe = segmentation_recipe,
       .options = {{"width", "channels of the first level (each level below doubles them; default 16)"},
                   {"depth", "times the encoder halves the resolution (default 3)"},
                   {"upsampling", "transposed (default) or bilinear"},
                   {"skips", "1 (default): concatenate the encoder's features; 0: a plain encoder-decoder"}},
       .make = [](const ModelOptions& options) {
         return unet({.classes = options.classes,
                      .width = whole_option(options, "unet", "width", 16, 1, 1024),
                      .depth = whole_option(options, "unet", "depth", 3, 1, 6),
                      .upsampling = upsampling_option(options),
                      .skips = whole_option(options, "unet", "skips", 1, 0, 1) == 1});
       }},
      {.name = "fcn",
       .description = "FCN for 1x64x64 segmentation: 3-stage CNN backbone, 1x1 classifier, transposed-conv upsampling with skip fusion",
       .input = {.shape = {1, 64, 64}, .dataset = "segmentation"},
       .recipe = segmentation_recipe,
       .options = {{"width", "channels of the first backbone stage (each later stage doubles them; default 32)"},
                   {"skips", "skip fusions: 2 (default, FCN-8s-like), 1 or 0 (FCN-32s-like)"}},
       .make = [](const ModelOptions& options) {
         return fcn({.classes = options.classes,
                     .width = whole_option(options, "fcn", "width", 32, 1, 1024),
                     .skips = whole_option(options, "fcn", "skips", 2, 0, 2)});
       }},
  };
}

}  // namespace nabla::models
