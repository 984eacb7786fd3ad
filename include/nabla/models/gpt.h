#pragma once
// GPT: a decoder-only Transformer language model (Radford et al. 2018/2019). Token ids [B, T] → token
// embedding (+ position embedding) → dropout → N causal pre-LN blocks → final norm → head tied to the token
// embedding → logits [B, T, V]. With a key/value cache it decodes one position per step.
//
// State-dict names follow Hugging Face's GPT2LMHeadModel without its "transformer." prefix (wte, wpe, h.N.ln_1,
// h.N.attn, h.N.ln_2, h.N.mlp, ln_f), except inside the layers, which keep nabla's (PyTorch's) names:
// attn.in_proj_weight/in_proj_bias/out_proj and mlp.fc/mlp.proj, as [out, in] matrices. load_gpt2 maps
// Hugging Face's checkpoint onto them (see there).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nabla/nn/attention.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/transformer.h"

namespace nabla::models {

enum class PositionEncoding { learned, sinusoidal, rotary, none };

struct GPTOptions {
  int64_t vocab_size = 256;
  int64_t context = 128;  // the longest sequence (the size of the learned position table)
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t kv_heads = 0;  // 0: heads; fewer: grouped-query attention
  int64_t d_model = 128;
  int64_t hidden = 0;  // feed-forward width; 0: 4·d_model
  double dropout = 0;  // embeddings, attention weights, residual branches
  PositionEncoding positions = PositionEncoding::learned;
  nn::FeedForwardActivation activation = nn::FeedForwardActivation::gelu;
  nn::NormKind norm = nn::NormKind::layer_norm;
  double norm_eps = 1e-5;
  bool tie_weights = true;  // the head's weight is wte.weight (no lm_head parameter)
  bool bias = true;
};

// The key/value caches of every layer of one GPT.
struct GPTCache {
  std::vector<nn::KeyValueCache> layers;
  int64_t length() const { return layers.empty() ? 0 : layers.front().length; }
  int64_t capacity() const { return layers.empty() ? 0 : layers.front().capacity(); }
};

class GPT : public nn::Module {
 public:
  using Options = GPTOptions;
  // GPT-2's initialisation: weights N(0, 0.02²), residual projections N(0, (0.02/√(2·layers))²), zero biases.
  explicit GPT(const GPTOptions& options, Generator* generator = nullptr);
  // ids int [B, T] (T ≤ context) → logits [B, T, vocab_size].
  Tensor forward(const Tensor& ids) override;
  // An empty cache for `batch` sequences of up to `capacity` positions (0: the context).
  GPTCache make_cache(int64_t batch, int64_t capacity = 0) const;
  // Logits [B, T, V] of ids [B, T] at positions cache.length() … cache.length()+T−1, appending their keys
  // and values to the cache: a prompt first (prefill), then one token per call. Equal to the matching rows
  // of forward() over the whole sequence. Inference only (no gradient).
  Tensor forward_cached(const Tensor& ids, GPTCache& cache);
  std::string describe() const override;

  GPTOptions options;
  std::shared_ptr<nn::Embedding> wte;
  std::shared_ptr<nn::Embedding> wpe;                          // learned positions only
  std::shared_ptr<nn::SinusoidalPositionalEncoding> sinusoid;  // sinusoidal positions only (not saved)
  std::shared_ptr<nn::Dropout> drop;
  std::vector<std::shared_ptr<nn::TransformerBlock>> blocks;   // registered as h.0, h.1, …
  nn::ModulePtr ln_f;
  std::shared_ptr<nn::Linear> lm_head;  // untied only

 private:
  Tensor logits(const Tensor& ids, int64_t offset, GPTCache* cache);
};

// ---- GPT-2 compatibility (Hugging Face transformers' GPT2LMHeadModel)

// The options of a GPT-2 of this size: learned positions, GELU with the tanh approximation ("gelu_new"),
// LayerNorm eps 1e-5, biases, tied head.
GPTOptions gpt2_options(int64_t vocab_size, int64_t n_positions, int64_t n_embd, int64_t n_layer, int64_t n_head);

// Copies a Hugging Face GPT-2 state dict (as saved by save_pretrained / safetensors) into `model`, built with
// gpt2_options of the same size. Names: "transformer." is dropped; attn.c_attn → attn.in_proj_*,
// attn.c_proj → attn.out_proj, mlp.c_fc → mlp.fc, mlp.c_proj → mlp.proj. GPT-2's projections are Conv1D
// modules, which store their weight as [in, out] and compute x·W + b, while nabla's Linear stores
// [out, in] and computes x·Wᵀ + b: each such weight is transposed on load (the biases are the same).
// lm_head.weight, when present, must equal wte.weight (GPT-2 ties them); the causal-mask buffers some
// versions save (attn.bias, attn.masked_bias) are skipped. Any other unknown or missing name is an error.
void load_gpt2(GPT& model, const std::map<std::string, Tensor>& tensors);

}  // namespace nabla::models
