#pragma once
// The Transformer's position-wise feed-forward network (GELU or SwiGLU) and its block: self-attention and
// feed-forward, each with a residual connection, normalised before (pre-LN, GPT-2) or after (post-LN,
// Vaswani et al.) the sublayer. Batch-first [B, T, E].
#include <memory>
#include <string>

#include "nabla/nn/attention.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/module.h"

namespace nabla::nn {

enum class FeedForwardActivation {
  gelu,       // fc → GELU (exact erf) → proj
  gelu_tanh,  // fc → GELU (tanh approximation, GPT-2's "gelu_new") → proj
  relu,       // fc → ReLU → proj
  swiglu,     // (SiLU(gate(x)) ⊙ fc(x)) → proj (Shazeer 2020)
};

struct FeedForwardOptions {
  int64_t embed_dim = 0;
  int64_t hidden = 0;  // 0: 4·embed_dim
  FeedForwardActivation activation = FeedForwardActivation::gelu;
  double dropout = 0;  // after proj
  bool bias = true;
};

// Children: fc [hidden, E], proj [E, hidden], and gate [hidden, E] for SwiGLU; dropout.
class FeedForward : public Module {
 public:
  using Options = FeedForwardOptions;
  explicit FeedForward(const FeedForwardOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  FeedForwardOptions options;
  std::shared_ptr<Linear> fc, proj, gate;
  std::shared_ptr<Dropout> dropout;
};

enum class NormKind { layer_norm, rms_norm };

struct TransformerBlockOptions {
  int64_t embed_dim = 0;
  int64_t num_heads = 1;
  int64_t num_kv_heads = 0;  // 0: num_heads (see MultiheadAttentionOptions)
  int64_t hidden = 0;        // feed-forward width; 0: 4·embed_dim
  double dropout = 0;        // on the attention weights and after each sublayer
  FeedForwardActivation activation = FeedForwardActivation::gelu;
  NormKind norm = NormKind::layer_norm;
  double norm_eps = 1e-5;
  bool norm_first = true;  // pre-LN: x + f(norm(x)); false: post-LN, norm(x + f(x))
  bool causal = false;     // forward(x) masks future positions
  bool rotary = false;     // rotary positions in the attention
  bool bias = true;
};

// Children (GPT-2's names): ln_1, attn (MultiheadAttention), ln_2, mlp (FeedForward); dropout.
class TransformerBlock : public TypedModule<TransformerBlock> {
 public:
  using Options = TransformerBlockOptions;
  explicit TransformerBlock(const TransformerBlockOptions& options, Generator* generator = nullptr);
  // x [B, T, E] → [B, T, E]; causal when options.causal.
  Tensor forward(const Tensor& x) override;
  // With masks of the attention (their is_causal is or-ed with options.causal).
  Tensor forward(const Tensor& x, const AttentionMasks& masks);
  // Causal incremental decoding through the attention's cache (MultiheadAttention::forward_cached).
  Tensor forward_cached(const Tensor& x, KeyValueCache& cache);
  TransformerBlockOptions options;
  ModulePtr ln_1, ln_2;
  std::shared_ptr<MultiheadAttention> attn;
  std::shared_ptr<FeedForward> mlp;
  std::shared_ptr<Dropout> dropout;

 private:
  template <typename Attention>
  Tensor run(const Tensor& x, Attention&& attention);
};

// A LayerNorm or an RMSNorm over the last dim.
ModulePtr make_norm(NormKind kind, int64_t embed_dim, double eps);

}  // namespace nabla::nn
