// The Vision Transformer (include/nabla/models/vit.h) and its registry entries: torchvision's vit_b_16, the
// DeiT/timm Tiny and Small configurations with torchvision's names, and `vit`, a small ViT for 28×28 images.
#include "nabla/models/vit.h"

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/models/registry.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/init.h"
#include "nabla/ops.h"

namespace nabla::models {
namespace {

void check_options(const VisionTransformerOptions& options) {
  NABLA_CHECK(options.image_size > 0 && options.patch_size > 0 && options.image_size % options.patch_size == 0,
              "VisionTransformer: image_size ({}) must be a positive multiple of patch_size ({})", options.image_size,
              options.patch_size);
  NABLA_CHECK(options.hidden_dim > 0 && options.num_heads > 0 && options.hidden_dim % options.num_heads == 0,
              "VisionTransformer: hidden_dim ({}) must be a positive multiple of num_heads ({})", options.hidden_dim,
              options.num_heads);
  NABLA_CHECK(options.num_layers > 0 && options.mlp_dim > 0 && options.classes > 0 && options.in_channels > 0,
              "VisionTransformer: num_layers, mlp_dim, classes and in_channels must be positive, got {}, {}, {}, {}",
              options.num_layers, options.mlp_dim, options.classes, options.in_channels);
  NABLA_CHECK(options.positions == PatchPositions::learned || options.hidden_dim % 4 == 0,
              "VisionTransformer: sinusoidal 2-D positions need hidden_dim divisible by 4, got {}", options.hidden_dim);
}

// A module that only names its children (torchvision's `encoder`, `encoder.layers` and `heads` hold no
// computation of their own; VisionTransformer::forward runs their children).
class Namespace : public nn::Module {
 public:
  explicit Namespace(const char* name) : Module(name) {}
};

}  // namespace

VisionTransformerOptions vit_tiny_options(int64_t classes) {
  return {.num_layers = 12, .num_heads = 3, .hidden_dim = 192, .mlp_dim = 768, .classes = classes};
}
VisionTransformerOptions vit_small_options(int64_t classes) {
  return {.num_layers = 12, .num_heads = 6, .hidden_dim = 384, .mlp_dim = 1536, .classes = classes};
}
VisionTransformerOptions vit_base_options(int64_t classes) {
  return {.num_layers = 12, .num_heads = 12, .hidden_dim = 768, .mlp_dim = 3072, .classes = classes};
}
VisionTransformerOptions vit_small_image_options(int64_t classes) {
  return {.image_size = 28, .patch_size = 4, .in_channels = 1, .num_layers = 6, .num_heads = 4, .hidden_dim = 64,
          .mlp_dim = 128, .classes = classes, .dropout = 0.0};
}

Tensor sinusoidal_2d_positions(int64_t side, int64_t hidden_dim) {
  NABLA_CHECK(side > 0 && hidden_dim > 0 && hidden_dim % 4 == 0,
              "sinusoidal_2d_positions: needs side > 0 and hidden_dim divisible by 4, got {} and {}", side, hidden_dim);
  const int64_t quarter = hidden_dim / 4;
  std::vector<double> table(static_cast<size_t>((side * side + 1) * hidden_dim), 0.0);
  for (int64_t row = 0; row < side; ++row) {
    for (int64_t column = 0; column < side; ++column) {
      double* token = table.data() + (1 + row * side + column) * hidden_dim;
      for (int64_t k = 0; k < quarter; ++k) {
        const double omega = std::pow(10000.0, -static_cast<double>(k) / static_cast<double>(quarter));
        token[k] = std::sin(static_cast<double>(row) * omega);
        token[quarter + k] = std::cos(static_cast<double>(row) * omega);
        token[2 * quarter + k] = std::sin(static_cast<double>(column) * omega);
        token[3 * quarter + k] = std::cos(static_cast<double>(column) * omega);
      }
    }
  }
  return from_vector(table, {1, side * side + 1, hidden_dim});
}

// ---- EncoderBlock

EncoderBlock::EncoderBlock(const VisionTransformerOptions& options) : Module("EncoderBlock") {
  const int64_t D = options.hidden_dim;
  const nn::LayerNormOptions norm{.normalized_shape = {D}, .eps = options.norm_eps};
  ln_1 = register_module("ln_1", std::make_shared<nn::LayerNorm>(norm));
  self_attention = register_module(
      "self_attention", std::make_shared<nn::MultiheadAttention>(nn::MultiheadAttentionOptions{
                            .embed_dim = D, .num_heads = options.num_heads, .dropout = options.attention_dropout}));
  dropout = register_module("dropout", std::make_shared<nn::Dropout>(options.dropout));
  ln_2 = register_module("ln_2", std::make_shared<nn::LayerNorm>(norm));
  auto fc1 = std::make_shared<nn::Linear>(D, options.mlp_dim);
  auto fc2 = std::make_shared<nn::Linear>(options.mlp_dim, D);
  // torchvision's MLPBlock initialisation: Xavier-uniform weights, biases ~ N(0, 1e-6²).
  for (const auto& linear : {fc1, fc2}) {
    nn::init::xavier_uniform_(linear->weight);
    nn::init::normal_(linear->bias, 0, 1e-6);
  }
  mlp = register_module("mlp", std::make_shared<nn::Sequential>(
                                   fc1, std::make_shared<nn::GELU>(), std::make_shared<nn::Dropout>(options.dropout),
                                   fc2, std::make_shared<nn::Dropout>(options.dropout)));
}

Tensor EncoderBlock::forward(const Tensor& x) {
  const Tensor normed = (*ln_1)(x);
  const Tensor h = x + (*dropout)((*self_attention)(normed, normed, normed));
  return h + (*mlp)((*ln_2)(h));
}

Tensor EncoderBlock::attention_weights(const Tensor& x) {
  NABLA_CHECK(x.dim() == 3 && x.size(2) == self_attention->options.embed_dim,
              "EncoderBlock::attention_weights: expected [B, T, {}], got {}", self_attention->options.embed_dim,
              x.describe());
  const int64_t B = x.size(0), T = x.size(1), H = self_attention->options.num_heads;
  const int64_t D = self_attention->head_dim, E = self_attention->options.embed_dim;
  // [B, T, 3E] → q and k [B, H, T, D] (rows 0…E−1 of in_proj are W_q, E…2E−1 are W_k)
  const Tensor projected = functional::linear((*ln_1)(x), self_attention->in_proj_weight, self_attention->in_proj_bias);
  auto heads = [&](int64_t block) {
    return projected.slice(2, block * E, (block + 1) * E).reshape({B, T, H, D}).transpose(1, 2);
  };
  const Tensor scores = matmul(heads(0), heads(1).mT()) * (1.0 / std::sqrt(static_cast<double>(D)));
  return softmax(scores, -1);
}

// ---- VisionTransformer

VisionTransformer::VisionTransformer(const VisionTransformerOptions& options_)
    : Module("VisionTransformer"), options(options_) {
  check_options(options);
  const int64_t D = options.hidden_dim, P = options.patch_size;
  conv_proj = register_module("conv_proj", nn::make<nn::Conv2d>({.in_channels = options.in_channels, .out_channels = D,
                                                                  .kernel_size = P, .stride = P}));
  // torchvision: conv_proj weight ~ N(0, 1/fan_in) (truncated there; plain here), bias zero.
  nn::init::normal_(conv_proj->weight, 0, std::sqrt(1.0 / static_cast<double>(options.in_channels * P * P)));
  nn::init::zeros_(conv_proj->bias);
  class_token = register_parameter("class_token", zeros({1, 1, D}));

  auto encoder = register_module("encoder", std::make_shared<Namespace>("Encoder"));
  if (options.positions == PatchPositions::learned) {
    position_table = encoder->register_parameter("pos_embedding", empty({1, tokens(), D}));
    nn::init::normal_(position_table, 0, 0.02);
  } else {
    position_table = sinusoidal_2d_positions(patches_per_side(), D);  // fixed: neither a parameter nor saved
  }
  dropout = encoder->register_module("dropout", std::make_shared<nn::Dropout>(options.dropout));
  auto layers = encoder->register_module("layers", std::make_shared<Namespace>("Layers"));
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    blocks.push_back(layers->register_module(fmt::format("encoder_layer_{}", layer), std::make_shared<EncoderBlock>(options)));
  }
  ln = encoder->register_module("ln", std::make_shared<nn::LayerNorm>(
                                          nn::LayerNormOptions{.normalized_shape = {D}, .eps = options.norm_eps}));
  auto heads = register_module("heads", std::make_shared<Namespace>("Heads"));
  head = heads->register_module("head", std::make_shared<nn::Linear>(D, options.classes));
  // torchvision zeroes the classifier, so every class starts equally likely.
  nn::init::zeros_(head->weight);
  nn::init::zeros_(head->bias);
}

Tensor VisionTransformer::embed(const Tensor& images) {
  NABLA_CHECK(images.dim() == 4 && images.size(1) == options.in_channels && images.size(2) == options.image_size &&
                  images.size(3) == options.image_size,
              "VisionTransformer: expected images [B, {}, {}, {}], got {}", options.in_channels, options.image_size,
              options.image_size, images.describe());
  const int64_t B = images.size(0);
  const Tensor patches = (*conv_proj)(images).flatten(2).transpose(1, 2);  // [B, N, D]
  const Tensor tokens = cat({class_token.expand({B, 1, options.hidden_dim}), patches}, 1);
  return (*dropout)(tokens + position_table);
}

Tensor VisionTransformer::encode(const Tensor& images) {
  Tensor x = embed(images);
  for (const auto& block : blocks) x = (*block)(x);
  return (*ln)(x);
}

Tensor VisionTransformer::forward(const Tensor& images) {
  return (*head)(encode(images).select(1, 0));
}

std::vector<Tensor> VisionTransformer::attention_maps(const Tensor& images) {
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> maps;
  Tensor x = embed(images);
  for (const auto& block : blocks) {
    maps.push_back(block->attention_weights(x));
    x = (*block)(x);
  }
  return maps;
}

std::string VisionTransformer::describe() const {
  return fmt::format("VisionTransformer(image_size={}, patch_size={}, num_layers={}, num_heads={}, hidden_dim={}, "
                     "mlp_dim={}, positions={})",
                     options.image_size, options.patch_size, options.num_layers, options.num_heads, options.hidden_dim,
                     options.mlp_dim, options.positions == PatchPositions::learned ? "learned" : "sinusoidal");
}

// ---- registry entries

namespace {

int64_t integer_option(const ModelOptions& options, std::string_view model, const char* key, int64_t fallback) {
  const double value = number_option(options, model, key, static_cast<double>(fallback));
  NABLA_CHECK(value >= 1 && value == std::floor(value), "model '{}': option {} must be a positive integer, got {}",
              model, key, value);
  return static_cast<int64_t>(value);
}

// The overrides every ViT entry accepts, applied to that entry's configuration.
VisionTransformerOptions with_overrides(VisionTransformerOptions vit, const ModelOptions& options, std::string_view model) {
  vit.classes = options.classes;
  vit.image_size = integer_option(options, model, "image_size", vit.image_size);
  vit.patch_size = integer_option(options, model, "patch_size", vit.patch_size);
  vit.in_channels = integer_option(options, model, "in_channels", vit.in_channels);
  vit.num_layers = integer_option(options, model, "num_layers", vit.num_layers);
  vit.num_heads = integer_option(options, model, "num_heads", vit.num_heads);
  vit.hidden_dim = integer_option(options, model, "hidden_dim", vit.hidden_dim);
  vit.mlp_dim = integer_option(options, model, "mlp_dim", vit.mlp_dim);
  vit.dropout = number_option(options, model, "dropout", vit.dropout);
  NABLA_CHECK(vit.dropout >= 0 && vit.dropout < 1, "model '{}': option dropout must be in [0, 1), got {}", model,
              vit.dropout);
  const double sinusoidal = number_option(options, model, "sinusoidal", 0);
  vit.positions = sinusoidal != 0 ? PatchPositions::sinusoidal : PatchPositions::learned;
  return vit;
}

std::vector<OptionInfo> vit_option_infos(const VisionTransformerOptions& defaults) {
  return {{"image_size", fmt::format("side of the square input ({})", defaults.image_size)},
          {"patch_size", fmt::format("side of a patch ({})", defaults.patch_size)},
          {"in_channels", fmt::format("input channels ({})", defaults.in_channels)},
          {"num_layers", fmt::format("encoder blocks ({})", defaults.num_layers)},
          {"num_heads", fmt::format("attention heads per block ({})", defaults.num_heads)},
          {"hidden_dim", fmt::format("token width ({})", defaults.hidden_dim)},
          {"mlp_dim", fmt::format("hidden width of each block's MLP ({})", defaults.mlp_dim)},
          {"dropout", fmt::format("dropout after the positions and in each residual branch ({})", defaults.dropout)},
          {"sinusoidal", "1: fixed 2-D sine-cosine positions instead of learned ones (0)"}};
}

ModelEntry vit_entry(std::string name, std::string description, VisionTransformerOptions defaults, InputSpec input,
                     Recipe recipe) {
  ModelEntry entry{.name = name, .description = std::move(description), .input = std::move(input),
                   .recipe = recipe, .options = vit_option_infos(defaults)};
  entry.make = [defaults, name](const ModelOptions& options) -> nn::ModulePtr {
    return std::make_shared<VisionTransformer>(with_overrides(defaults, options, name));
  };
  return entry;
}

}  // namespace

// ImageNet entries carry the DeiT recipe (AdamW 5e-4·batch/512, weight decay 0.05, 5 warm-up epochs + cosine,
// label smoothing 0.1); nabla never trains them on ImageNet, they are here for their architecture and weights.
// `vit` is the Fashion-MNIST model: its recipe was measured to pass 90 % test accuracy (docs/vision_transformers.md).
std::vector<ModelEntry> vit_models() {
  const InputSpec imagenet{.shape = {3, 224, 224}, .dataset = "imagenet"};
  const Recipe deit{.optimizer = "adamw", .lr = 5e-4, .weight_decay = 0.05, .scheduler = "cosine", .epochs = 300,
                    .batch_size = 512, .warmup_epochs = 5, .label_smoothing = 0.1,
                    .augmentation = {.random_crop_padding = 0, .horizontal_flip = 0.5, .random_erasing = 0.25}};
  const Recipe fashion{.optimizer = "adamw", .lr = 2e-3, .weight_decay = 0.05, .scheduler = "cosine", .epochs = 12,
                       .batch_size = 128, .warmup_epochs = 1, .label_smoothing = 0.1,
                       .augmentation = {.random_crop_padding = 2, .horizontal_flip = 0.5, .random_erasing = 0}};
  return {
      vit_entry("vit_b_16", "ViT-B/16 (torchvision's vit_b_16): 12 layers, 12 heads, width 768, 16x16 patches",
                vit_base_options(), imagenet, deit),
      vit_entry("vit_s_16", "ViT-S/16 (DeiT/timm's vit_small_patch16_224) with torchvision's names: width 384, 6 heads",
                vit_small_options(), imagenet, deit),
      vit_entry("vit_ti_16", "ViT-Ti/16 (DeiT/timm's vit_tiny_patch16_224) with torchvision's names: width 192, 3 heads",
                vit_tiny_options(), imagenet, deit),
      vit_entry("vit", "small Vision Transformer for 28x28: 4x4 patches, 6 pre-LN blocks of width 64, 4 heads",
                vit_small_image_options(), {.shape = {1, 28, 28}, .dataset = "fashion-mnist"}, fashion),
  };
}

}  // namespace nabla::models
