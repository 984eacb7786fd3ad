#pragma once
// The Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words", 2021), src/models/vit.cpp.
// Module tree and state-dict names are torchvision's VisionTransformer (conv_proj, class_token,
// encoder.pos_embedding, encoder.layers.encoder_layer_N.{ln_1, self_attention, ln_2, mlp.0, mlp.3},
// encoder.ln, heads.head), so torchvision's weights saved as safetensors load as they are.
//
// Shapes for an input [B, C, H, W] with patch P and width D (N = (H/P)·(W/P) patches, T = N + 1 tokens):
//   conv_proj (P×P, stride P) [B, D, H/P, W/P] → flatten + transpose [B, N, D] → class token in front
//   [B, T, D] → + positions → pre-LN blocks [B, T, D] → encoder.ln → token 0 [B, D] → heads.head [B, classes]
#include <memory>
#include <vector>

#include "nabla/nn/attention.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/module.h"
#include "nabla/nn/norm.h"

namespace nabla::models {

enum class PatchPositions {
  learned,     // a trained vector per token (torchvision's encoder.pos_embedding [1, T, D])
  sinusoidal,  // fixed 2-D sine-cosine table (MAE): half the features encode the row, half the column
};

struct VisionTransformerOptions {
  int64_t image_size = 224;
  int64_t patch_size = 16;
  int64_t in_channels = 3;
  int64_t num_layers = 12;
  int64_t num_heads = 12;
  int64_t hidden_dim = 768;
  int64_t mlp_dim = 3072;
  int64_t classes = 1000;
  double dropout = 0;            // after the positions and in each residual branch
  double attention_dropout = 0;  // on the attention weights
  double norm_eps = 1e-6;        // torchvision's LayerNorm eps for ViT
  PatchPositions positions = PatchPositions::learned;
};

// The configurations of the paper and of DeiT/timm, all with patch 16 at 224×224:
//   Tiny D=192, 3 heads; Small D=384, 6 heads; Base D=768, 12 heads; 12 layers, MLP 4·D.
VisionTransformerOptions vit_tiny_options(int64_t classes = 1000);
VisionTransformerOptions vit_small_options(int64_t classes = 1000);
VisionTransformerOptions vit_base_options(int64_t classes = 1000);
// For 1×28×28 inputs (Fashion-MNIST): 4×4 patches (49 tokens + the class token), a narrow, shallow encoder.
VisionTransformerOptions vit_small_image_options(int64_t classes = 10);

// One pre-LN encoder block: x + attention(ln_1(x)), then h + mlp(ln_2(h)); mlp = [Linear, GELU, Dropout,
// Linear, Dropout] (torchvision's MLPBlock, so its linears are mlp.0 and mlp.3). [B, T, D] → [B, T, D].
class EncoderBlock : public nn::Module {
 public:
  EncoderBlock(const VisionTransformerOptions& options);
  Tensor forward(const Tensor& x) override;
  // The softmax attention weights of this block's heads for input x [B, T, D] (before ln_1): [B, H, T, T],
  // row i the weights query token i gives to every key. Computed apart from forward (the fused attention
  // kernel never forms them), from the same projections.
  Tensor attention_weights(const Tensor& x);

  std::shared_ptr<nn::LayerNorm> ln_1, ln_2;
  std::shared_ptr<nn::MultiheadAttention> self_attention;
  std::shared_ptr<nn::Dropout> dropout;
  std::shared_ptr<nn::Sequential> mlp;
};

class VisionTransformer : public nn::Module {
 public:
  explicit VisionTransformer(const VisionTransformerOptions& options);
  // images [B, C, H, W] → logits [B, classes]
  Tensor forward(const Tensor& images) override;
  // images → the tokens after the last block and encoder.ln, [B, T, D].
  Tensor encode(const Tensor& images);
  // images → the patch tokens with the class token and positions, before the first block: [B, T, D].
  Tensor embed(const Tensor& images);
  // Every block's attention weights for `images`, first block first: each [B, H, T, T].
  std::vector<Tensor> attention_maps(const Tensor& images);
  std::string describe() const override;

  int64_t patches_per_side() const { return options.image_size / options.patch_size; }
  int64_t tokens() const { return patches_per_side() * patches_per_side() + 1; }

  VisionTransformerOptions options;
  std::shared_ptr<nn::Conv2d> conv_proj;
  Tensor class_token;                            // [1, 1, D]
  Tensor position_table;                         // [1, T, D]: encoder.pos_embedding, or the fixed sinusoids
  std::shared_ptr<nn::Dropout> dropout;
  std::vector<std::shared_ptr<EncoderBlock>> blocks;
  std::shared_ptr<nn::LayerNorm> ln;
  std::shared_ptr<nn::Linear> head;
};

// The fixed 2-D sine-cosine positions [1, 1 + side², D] (D divisible by 4): the class token's row is zero; the
// patch at (row, column) takes sin/cos of row·ω_k in the first D/2 features and of column·ω_k in the rest,
// ω_k = 10000^(−k/(D/4)).
Tensor sinusoidal_2d_positions(int64_t side, int64_t hidden_dim);

}  // namespace nabla::models
