// ResNet (He et al., "Deep Residual Learning for Image Recognition", 2016): the ImageNet family (resnet18,
// resnet34, resnet50) with torchvision's module tree and state-dict names, and the CIFAR-style family of §4.2
// (resnet20/32/56 with shortcut option A or B, and their plain twins plain20/32/56) for 1×28×28 inputs.
#include <utility>

#include "nabla/models/registry.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/init.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/norm.h"
#include "nabla/nn/pool.h"
#include "nn/fold_batch_norm.h"

namespace nabla::models {
namespace {

// A bias-free convolution with "same" padding for odd kernels, He-normal weights with fan_out as
// torchvision (the batch norm that follows makes a bias redundant).
std::shared_ptr<nn::Conv2d> convolution(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                                        int64_t stride = 1) {
  auto conv = nn::make<nn::Conv2d>({.in_channels = in_channels, .out_channels = out_channels,
                                    .kernel_size = kernel_size, .stride = stride, .padding = kernel_size / 2,
                                    .bias = false});
  nn::init::kaiming_normal_(conv->weight, 0, nn::init::FanMode::fan_out, nn::init::Nonlinearity::relu);
  return conv;
}

// Option A's shortcut: x[:, :, ::stride, ::stride] followed by zero channels up to out_channels (appended
// after the input's own, so input channel c feeds output channel c). It has no parameters.
// [N, C, H, W] → [N, out_channels, ⌈H/stride⌉, ⌈W/stride⌉]
class ZeroPadShortcut : public nn::Module {
 public:
  ZeroPadShortcut(int64_t in_channels, int64_t out_channels, int64_t stride)
      : Module("ZeroPadShortcut"), in_channels_(in_channels), out_channels_(out_channels), stride_(stride) {
    NABLA_CHECK(out_channels >= in_channels && stride >= 1,
                "ZeroPadShortcut: needs out_channels >= in_channels and stride >= 1, got {} -> {} channels, stride {}",
                in_channels, out_channels, stride);
  }

  Tensor forward(const Tensor& x) override {
    NABLA_CHECK(x.dim() == 4 && x.size(1) == in_channels_, "ZeroPadShortcut: expected [N, {}, H, W], got {}",
                in_channels_, x.describe());
    Tensor sampled = x;
    if (stride_ > 1) sampled = x.slice(2, 0, x.size(2), stride_).slice(3, 0, x.size(3), stride_);
    if (out_channels_ == in_channels_) return sampled;
    // pads run from the last dim backwards: (W left, W right, H top, H bottom, C front, C back)
    return functional::pad(sampled, {0, 0, 0, 0, 0, out_channels_ - in_channels_});
  }

  std::string describe() const override {
    return fmt::format("ZeroPadShortcut(in_channels={}, out_channels={}, stride={})", in_channels_, out_channels_,
                       stride_);
  }

 private:
  int64_t in_channels_, out_channels_, stride_;
};

// The shortcut of a block from in_channels to out_channels with `stride`; null when the block adds its input
// unchanged (or, for Shortcut::none, adds nothing).
nn::ModulePtr make_shortcut(Shortcut shortcut, int64_t in_channels, int64_t out_channels, int64_t stride) {
  if (shortcut == Shortcut::none || (stride == 1 && in_channels == out_channels)) return nullptr;
  if (shortcut == Shortcut::A) return std::make_shared<ZeroPadShortcut>(in_channels, out_channels, stride);
  return std::make_shared<nn::Sequential>(convolution(in_channels, out_channels, 1, stride),
                                          std::make_shared<nn::BatchNorm2d>(out_channels));
}

void check_block(const char* block, const ResidualBlockOptions& options) {
  NABLA_CHECK(options.in_channels > 0 && options.channels > 0 && options.stride > 0,
              "{}: in_channels, channels and stride must be positive, got {}, {}, {}", block, options.in_channels,
              options.channels, options.stride);
}

// What the basic and bottleneck blocks share: the shortcut and the final add + ReLU.
class ResidualBlock : public nn::Module {
 protected:
  ResidualBlock(const char* name, const ResidualBlockOptions& options, int64_t out_channels)
      : Module(name), shortcut_(options.shortcut) {
    check_block(name, options);
    downsample_ = make_shortcut(options.shortcut, options.in_channels, out_channels, options.stride);
  }
  // Registers the shortcut last, so that the state dict lists it after the block's own layers (as torchvision).
  void register_shortcut() {
    if (downsample_) register_module("downsample", downsample_);
  }
  // relu(residual + shortcut(x)), or relu(residual) for a plain block.
  Tensor join(const Tensor& residual, const Tensor& x) {
    if (shortcut_ == Shortcut::none) return (*relu_)(residual);
    return (*relu_)(residual + (downsample_ ? (*downsample_)(x) : x));
  }

  std::shared_ptr<nn::ReLU> relu_ = std::make_shared<nn::ReLU>();

 private:
  Shortcut shortcut_;
  nn::ModulePtr downsample_;
};

// [N, in, H, W] → [N, channels, H/stride, W/stride]
class BasicBlock : public ResidualBlock {
 public:
  explicit BasicBlock(const ResidualBlockOptions& options)
      : ResidualBlock("BasicBlock", options, options.channels),
        conv1_(register_module("conv1", convolution(options.in_channels, options.channels, 3, options.stride))),
        bn1_(register_module("bn1", std::make_shared<nn::BatchNorm2d>(options.channels))),
        conv2_(register_module("conv2", convolution(options.channels, options.channels, 3))),
        bn2_(register_module("bn2", std::make_shared<nn::BatchNorm2d>(options.channels))) {
    register_module("relu", relu_);
    register_shortcut();
  }

  // At inference each conv → bn pair runs as one convolution (nn/fold_batch_norm.h); in training, or
  // wherever the fold does not apply, as the two layers.
  Tensor forward(const Tensor& x) override {
    Tensor h = (*relu_)(fold1_(*conv1_, *bn1_, x));
    return join(fold2_(*conv2_, *bn2_, h), x);
  }

 private:
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::Conv2d> conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn2_;
  nn::ConvBatchNormFold fold1_, fold2_;
};

// [N, in, H, W] → [N, 4·channels, H/stride, W/stride]
class Bottleneck : public ResidualBlock {
 public:
  static constexpr int64_t expansion = 4;

  explicit Bottleneck(const ResidualBlockOptions& options)
      : ResidualBlock("Bottleneck", options, options.channels * expansion),
        conv1_(register_module("conv1", convolution(options.in_channels, options.channels, 1))),
        bn1_(register_module("bn1", std::make_shared<nn::BatchNorm2d>(options.channels))),
        conv2_(register_module("conv2", convolution(options.channels, options.channels, 3, options.stride))),
        bn2_(register_module("bn2", std::make_shared<nn::BatchNorm2d>(options.channels))),
        conv3_(register_module("conv3", convolution(options.channels, options.channels * expansion, 1))),
        bn3_(register_module("bn3", std::make_shared<nn::BatchNorm2d>(options.channels * expansion))) {
    register_module("relu", relu_);
    register_shortcut();
  }

  Tensor forward(const Tensor& x) override {
    Tensor h = (*relu_)(fold1_(*conv1_, *bn1_, x));
    h = (*relu_)(fold2_(*conv2_, *bn2_, h));
    return join(fold3_(*conv3_, *bn3_, h), x);
  }

 private:
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::Conv2d> conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn2_;
  std::shared_ptr<nn::Conv2d> conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn3_;
  nn::ConvBatchNormFold fold1_, fold2_, fold3_;
};

// One stage: `blocks` blocks of `width`, the first with `stride`. Returns the stage and its output channels.
std::pair<std::shared_ptr<nn::Sequential>, int64_t> make_stage(ResNetBlock block, int64_t in_channels, int64_t width,
                                                               int64_t blocks, int64_t stride, Shortcut shortcut) {
  auto stage = std::make_shared<nn::Sequential>();
  for (int64_t i = 0; i < blocks; ++i) {
    const ResidualBlockOptions options{.in_channels = in_channels, .channels = width, .stride = i == 0 ? stride : 1,
                                       .shortcut = shortcut};
    if (block == ResNetBlock::basic) {
      stage->push_back(std::make_shared<BasicBlock>(options));
      in_channels = width;
    } else {
      stage->push_back(std::make_shared<Bottleneck>(options));
      in_channels = width * Bottleneck::expansion;
    }
  }
  return {stage, in_channels};
}

// The stem (conv1 → bn1 → relu, then maxpool for ImageNet), the stages layer1…layerK, average pooling and fc.
// [N, in_channels, H, W] → [N, classes]
class ResNet : public nn::Module {
 public:
  struct Layout {
    ResNetBlock block;
    std::vector<int64_t> blocks, widths;  // per stage; the first stage has stride 1, the others 2
    int64_t in_channels, classes;
    int64_t stem_kernel_size, stem_stride, stem_width;
    bool max_pool;  // the ImageNet stem's 3×3/2 max-pool
    Shortcut shortcut;
  };

  explicit ResNet(const Layout& layout) : Module("ResNet") {
    NABLA_CHECK(!layout.blocks.empty() && layout.blocks.size() == layout.widths.size(),
                "ResNet: needs one block count per stage width, got {} counts and {} widths", layout.blocks.size(),
                layout.widths.size());
    NABLA_CHECK(layout.in_channels > 0 && layout.classes > 0, "ResNet: in_channels and classes must be positive, got {} and {}",
                layout.in_channels, layout.classes);
    conv1_ = register_module("conv1", convolution(layout.in_channels, layout.stem_width, layout.stem_kernel_size,
                                                  layout.stem_stride));
    bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(layout.stem_width));
    relu_ = register_module("relu", std::make_shared<nn::ReLU>());
    if (layout.max_pool) {
      maxpool_ = register_module("maxpool", std::make_shared<nn::MaxPool2d>(
                                                functional::Pool2dOptions{.kernel_size = 3, .stride = 2, .padding = 1}));
    }
    int64_t channels = layout.stem_width;
    for (size_t s = 0; s < layout.blocks.size(); ++s) {
      NABLA_CHECK(layout.blocks[s] >= 1, "ResNet: stage {} needs at least one block, got {}", s + 1, layout.blocks[s]);
      auto [stage, out_channels] = make_stage(layout.block, channels, layout.widths[s], layout.blocks[s],
                                              s == 0 ? 1 : 2, layout.shortcut);
      stages_.push_back(register_module("layer" + std::to_string(s + 1), stage));
      channels = out_channels;
    }
    avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(Size2(1, 1)));
    fc_ = register_module("fc", std::make_shared<nn::Linear>(channels, layout.classes));
  }

  Tensor forward(const Tensor& x) override {
    Tensor h = (*relu_)(stem_fold_(*conv1_, *bn1_, x));
    if (maxpool_) h = (*maxpool_)(h);
    for (const auto& stage : stages_) h = (*stage)(h);
    return (*fc_)((*avgpool_)(h).flatten(1));
  }

 private:
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::ReLU> relu_;
  std::shared_ptr<nn::MaxPool2d> maxpool_;
  std::vector<std::shared_ptr<nn::Sequential>> stages_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<nn::Linear> fc_;
  nn::ConvBatchNormFold stem_fold_;
};

// The "shortcut" override of the CIFAR ResNets: "A" (default) or "B".
Shortcut shortcut_option(const std::string& model, const ModelOptions& options) {
  if (!options.overrides.contains("shortcut")) return Shortcut::A;
  const nlohmann::json& value = options.overrides.at("shortcut");
  NABLA_CHECK(value.is_string() && (value == "A" || value == "B"),
              "model '{}': option shortcut must be \"A\" (zero-padding) or \"B\" (projection), got {}", model,
              value.dump());
  return value == "A" ? Shortcut::A : Shortcut::B;
}

}  // namespace

nn::ModulePtr basic_block(const ResidualBlockOptions& options) { return std::make_shared<BasicBlock>(options); }
nn::ModulePtr bottleneck_block(const ResidualBlockOptions& options) { return std::make_shared<Bottleneck>(options); }

nn::ModulePtr resnet(const ResNetOptions& options) {
  std::vector<int64_t> widths{64, 128, 256, 512};
  NABLA_CHECK(!options.layers.empty() && options.layers.size() <= widths.size(),
              "resnet: layers must give the blocks of 1 to 4 stages, got {} stages", options.layers.size());
  widths.resize(options.layers.size());
  return std::make_shared<ResNet>(ResNet::Layout{.block = options.block, .blocks = options.layers,
                                                 .widths = widths, .in_channels = options.in_channels,
                                                 .classes = options.classes, .stem_kernel_size = 7, .stem_stride = 2,
                                                 .stem_width = 64, .max_pool = true, .shortcut = Shortcut::B});
}
nn::ModulePtr resnet18(int64_t classes) { return resnet({.layers = {2, 2, 2, 2}, .classes = classes}); }
nn::ModulePtr resnet34(int64_t classes) { return resnet({.layers = {3, 4, 6, 3}, .classes = classes}); }
nn::ModulePtr resnet50(int64_t classes) {
  return resnet({.block = ResNetBlock::bottleneck, .layers = {3, 4, 6, 3}, .classes = classes});
}

nn::ModulePtr cifar_resnet(const CifarResNetOptions& options) {
  const int64_t n = options.blocks_per_stage;
  return std::make_shared<ResNet>(ResNet::Layout{.block = ResNetBlock::basic, .blocks = {n, n, n},
                                                 .widths = {16, 32, 64}, .in_channels = options.in_channels,
                                                 .classes = options.classes, .stem_kernel_size = 3, .stem_stride = 1,
                                                 .stem_width = 16, .max_pool = false, .shortcut = options.shortcut});
}

// ImageNet entries: torchvision's recipe (SGD 0.1, momentum 0.9, weight decay 1e-4, ÷10 every 30 of 90 epochs,
// batch 256). CIFAR-style entries for Fashion-MNIST: SGD 0.1 with Nesterov momentum 0.9 and weight decay 5e-4,
// one epoch of warm-up then cosine over 20 epochs, batch 128, label smoothing 0.1, random crops (2 pixels of
// padding) and horizontal flips. Twenty epochs keep ResNet-20 within the 40 minutes issue 14 allows on 2 cores
// (about 770 samples/s there); random erasing, which pays over hundreds of epochs, would slow this short run.
std::vector<ModelEntry> resnet_models() {
  const InputSpec imagenet{.shape = {3, 224, 224}, .dataset = "imagenet"};
  const Recipe imagenet_recipe{.optimizer = "sgd", .lr = 0.1, .weight_decay = 1e-4, .momentum = 0.9,
                               .scheduler = "step", .epochs = 90, .batch_size = 256};
  const InputSpec fashion{.shape = {1, 28, 28}, .dataset = "fashion-mnist"};
  const Recipe cifar_recipe{.optimizer = "sgd", .lr = 0.1, .weight_decay = 5e-4, .momentum = 0.9,
                            .scheduler = "cosine", .epochs = 20, .batch_size = 128, .nesterov = true,
                            .warmup_epochs = 1, .label_smoothing = 0.1,
                            .augmentation = {.random_crop_padding = 2, .horizontal_flip = 0.5}};
  std::vector<ModelEntry> entries{
      {.name = "resnet18",
       .description = "ResNet-18 (torchvision's): basic blocks 2-2-2-2, 64-512 channels, 224x224 RGB input",
       .input = imagenet, .recipe = imagenet_recipe,
       .make = [](const ModelOptions& options) { return resnet18(options.classes); }},
      {.name = "resnet34",
       .description = "ResNet-34 (torchvision's): basic blocks 3-4-6-3, 64-512 channels, 224x224 RGB input",
       .input = imagenet, .recipe = imagenet_recipe,
       .make = [](const ModelOptions& options) { return resnet34(options.classes); }},
      {.name = "resnet50",
       .description = "ResNet-50 (torchvision's): bottleneck blocks 3-4-6-3, 256-2048 channels, 224x224 RGB input",
       .input = imagenet, .recipe = imagenet_recipe,
       .make = [](const ModelOptions& options) { return resnet50(options.classes); }},
  };
  for (int64_t depth : {20, 32, 56}) {
    const int64_t n = (depth - 2) / 6;
    const std::string resnet_name = "resnet" + std::to_string(depth), plain_name = "plain" + std::to_string(depth);
    entries.push_back(
        {.name = resnet_name,
         .description = fmt::format("ResNet-{} for 28x28 (He et al. 4.2): 3 stages of {} basic blocks, 16/32/64 "
                                    "channels, shortcut A (zero-pad) or B (projection)", depth, n),
         .input = fashion, .recipe = cifar_recipe,
         .options = {{"shortcut", "\"A\": subsample and zero-pad channels (no parameters, default); \"B\": 1x1 "
                                  "convolution and batch norm"}},
         .make = [n, resnet_name, fashion](const ModelOptions& options) {
           return cifar_resnet({.blocks_per_stage = n, .shortcut = shortcut_option(resnet_name, options),
                                .in_channels = fashion.shape[0], .classes = options.classes});
         }});
    entries.push_back(
        {.name = plain_name,
         .description = fmt::format("Plain-{}: ResNet-{} without its skip connections (He et al. 4.1)", depth, depth),
         .input = fashion, .recipe = cifar_recipe,
         .make = [n, fashion](const ModelOptions& options) {
           return cifar_resnet({.blocks_per_stage = n, .shortcut = Shortcut::none, .in_channels = fashion.shape[0],
                                .classes = options.classes});
         }});
  }
  return entries;
}

}  // namespace nabla::models
