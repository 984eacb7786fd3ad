#pragma once
// Attention layers on the fused scaled_dot_product_attention op (functional.h): MultiheadAttention (self and
// cross, key-padding/causal/explicit masks, attention dropout, grouped-query heads, optional rotary positions),
// its key/value cache for incremental decoding, and the position encodings (sinusoidal, learned, rotary).
// Every tensor is batch-first: [B, T, E].
#include <memory>

#include "nabla/nn/linear.h"
#include "nabla/nn/module.h"

namespace nabla::nn {

// ---- position encodings

// Rotary position embedding (Su et al., RoFormer): rotates each (x_i, x_{i+D/2}) pair of a head's vector by
// the angle position·base^(−2i/D) (the "rotate half" layout of GPT-NeoX and Llama). Applied to queries and
// keys, it makes q·k depend on the positions only through their difference. Holds no state.
class RotaryEmbedding {
 public:
  explicit RotaryEmbedding(int64_t head_dim, double base = 10000);
  // x [..., T, D] (D = head_dim) at positions offset … offset+T−1 → the rotated x, same shape (contiguous).
  Tensor apply(const Tensor& x, int64_t offset = 0) const;
  int64_t head_dim;
  double base;
};

// Adds the fixed sinusoids of Vaswani et al. to x [B, T, E]: sin at even features, cos at odd ones, of
// position·10000^(−2i/E). The table [max_length, E] is a plain member, not a buffer: it is not saved.
class SinusoidalPositionalEncoding : public Module {
 public:
  SinusoidalPositionalEncoding(int64_t embed_dim, int64_t max_length);
  Tensor forward(const Tensor& x) override { return forward(x, 0); }
  Tensor forward(const Tensor& x, int64_t offset);  // positions offset … offset+T−1
  Tensor table;                                     // [max_length, E]
};

// Adds a learned vector per position to x [B, T, E]: weight [max_length, E] ~ N(0, 0.02²).
class LearnedPositionalEncoding : public Module {
 public:
  LearnedPositionalEncoding(int64_t embed_dim, int64_t max_length, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override { return forward(x, 0); }
  Tensor forward(const Tensor& x, int64_t offset);
  Tensor weight;
};

// ---- multi-head attention

struct MultiheadAttentionOptions {
  int64_t embed_dim = 0;
  int64_t num_heads = 1;
  // 0: num_heads. A divisor of num_heads: grouped-query attention, each key/value head serving
  // num_heads / num_kv_heads query heads (1: multi-query attention).
  int64_t num_kv_heads = 0;
  double dropout = 0;  // on the attention weights, in training only
  bool bias = true;
  bool rotary = false;  // rotary positions on queries and keys (RotaryEmbedding)
  double rotary_base = 10000;
};

// The masks of one attention call, with nn.MultiheadAttention's convention for bool masks: true masks OUT.
//   key_padding_mask  [B, S] bool: true marks a padded key that no query attends to.
//   attn_mask         [L, S] or [B, num_heads, L, S] (or broadcastable to it): bool (true masks out) or
//                     float (added to the scores).
//   is_causal         query i attends to keys j ≤ i only; computed in the kernel (no L×S mask) when no other
//                     mask is given.
struct AttentionMasks {
  Tensor key_padding_mask;
  Tensor attn_mask;
  bool is_causal = false;
};

// The keys and values of one attention layer for the positions decoded so far: buffers
// [B, num_kv_heads, capacity, head_dim] written in place; the first `length` positions are valid.
struct KeyValueCache {
  Tensor keys, values;
  int64_t length = 0;
  int64_t capacity() const { return keys.defined() ? keys.size(2) : 0; }
};

// Parameters have nn.MultiheadAttention's names and shapes, so PyTorch's weights load as they are:
//   in_proj_weight [E + 2·kv, E] (the rows of W_q, W_k, W_v stacked; kv = num_kv_heads·head_dim),
//   in_proj_bias [E + 2·kv], out_proj.weight [E, E], out_proj.bias [E].
// One packed matrix makes self-attention one GEMM (q, k and v are strided views of its output, which the
// fused attention kernel reads in place); cross-attention multiplies by its row blocks.
class MultiheadAttention : public TypedModule<MultiheadAttention> {
 public:
  using Options = MultiheadAttentionOptions;
  explicit MultiheadAttention(const MultiheadAttentionOptions& options, Generator* generator = nullptr);
  // Self-attention of x [B, T, E] without masks.
  Tensor forward(const Tensor& x) override;
  // query [B, L, E] attends to key/value [B, S, E] → [B, L, E]. Self-attention when all three are the
  // same tensor (one projection GEMM); cross-attention otherwise.
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value, const AttentionMasks& masks = {});
  // Causal self-attention of x [B, T, E] at positions cache.length … cache.length+T−1 against the cached
  // positions and itself; appends its keys and values to the cache. Inference only: runs without gradient.
  Tensor forward_cached(const Tensor& x, KeyValueCache& cache);
  // An empty cache for `batch` sequences of up to `capacity` positions, in the parameters' dtype.
  KeyValueCache make_cache(int64_t batch, int64_t capacity) const;
  std::string describe() const override;
  void reset_parameters(Generator* generator = nullptr);

  MultiheadAttentionOptions options;
  int64_t head_dim = 0;
  Tensor in_proj_weight, in_proj_bias;
  std::shared_ptr<Linear> out_proj;

 private:
  // q [B, H, L, D] (or [B, Hkv, G, L, D] grouped), k and v [B, Hkv, S, D] → [B, L, E] before out_proj.
  Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal);
  Tensor heads(const Tensor& projected, int64_t count) const;  // [B, T, count·D] → [B, count, T, D]
  std::unique_ptr<RotaryEmbedding> rotary_;
};

}  // namespace nabla::nn
