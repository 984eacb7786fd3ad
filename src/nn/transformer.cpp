// FeedForward and TransformerBlock (include/nabla/nn/transformer.h).
#include "nabla/nn/transformer.h"

#include "nabla/nn/norm.h"
#include "nabla/ops.h"

namespace nabla::nn {

ModulePtr make_norm(NormKind kind, int64_t embed_dim, double eps) {
  if (kind == NormKind::rms_norm) return std::make_shared<RMSNorm>(RMSNormOptions{.normalized_shape = {embed_dim}, .eps = eps});
  return std::make_shared<LayerNorm>(LayerNormOptions{.normalized_shape = {embed_dim}, .eps = eps});
}

FeedForward::FeedForward(const FeedForwardOptions& options_, Generator* generator)
    : Module("FeedForward"), options(options_) {
  if (options.hidden == 0) options.hidden = 4 * options.embed_dim;
  NABLA_CHECK(options.embed_dim > 0 && options.hidden > 0,
              "FeedForward: embed_dim and hidden must be positive, got {} and {}", options.embed_dim, options.hidden);
  const int64_t E = options.embed_dim, hidden = options.hidden;
  fc = register_module("fc", std::make_shared<Linear>(LinearOptions{E, hidden, options.bias}, generator));
  if (options.activation == FeedForwardActivation::swiglu) {
    gate = register_module("gate", std::make_shared<Linear>(LinearOptions{E, hidden, options.bias}, generator));
  }
  proj = register_module("proj", std::make_shared<Linear>(LinearOptions{hidden, E, options.bias}, generator));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
}

Tensor FeedForward::forward(const Tensor& x) {
  Tensor hidden = (*fc)(x);
  switch (options.activation) {
    case FeedForwardActivation::gelu: hidden = gelu(hidden); break;
    case FeedForwardActivation::gelu_tanh: hidden = gelu(hidden, GeluApproximation::tanh); break;
    case FeedForwardActivation::relu: hidden = relu(hidden); break;
    case FeedForwardActivation::swiglu: hidden = silu((*gate)(x)) * hidden; break;
  }
  return (*dropout)((*proj)(hidden));
}

TransformerBlock::TransformerBlock(const TransformerBlockOptions& options_, Generator* generator)
    : TypedModule("TransformerBlock"), options(options_) {
  const int64_t E = options.embed_dim;
  ln_1 = register_module("ln_1", make_norm(options.norm, E, options.norm_eps));
  attn = register_module("attn", std::make_shared<MultiheadAttention>(
                                     MultiheadAttentionOptions{.embed_dim = E,
                                                               .num_heads = options.num_heads,
                                                               .num_kv_heads = options.num_kv_heads,
                                                               .dropout = options.dropout,
                                                               .bias = options.bias,
                                                               .rotary = options.rotary},
                                     generator));
  ln_2 = register_module("ln_2", make_norm(options.norm, E, options.norm_eps));
  mlp = register_module("mlp", std::make_shared<FeedForward>(FeedForwardOptions{.embed_dim = E,
                                                                               .hidden = options.hidden,
                                                                               .activation = options.activation,
                                                                               .dropout = options.dropout,
                                                                               .bias = options.bias},
                                                            generator));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
}

template <typename Attention>
Tensor TransformerBlock::run(const Tensor& x, Attention&& attention) {
  if (options.norm_first) {
    const Tensor h = x + (*dropout)(attention((*ln_1)(x)));
    return h + (*mlp)((*ln_2)(h));
  }
  const Tensor h = (*ln_1)(x + (*dropout)(attention(x)));
  return (*ln_2)(h + (*mlp)(h));
}

Tensor TransformerBlock::forward(const Tensor& x) { return forward(x, AttentionMasks{}); }

Tensor TransformerBlock::forward(const Tensor& x, const AttentionMasks& masks) {
  AttentionMasks own = masks;
  own.is_causal = masks.is_causal || options.causal;
  return run(x, [&](const Tensor& input) { return (*attn)(input, input, input, own); });
}

Tensor TransformerBlock::forward_cached(const Tensor& x, KeyValueCache& cache) {
  return run(x, [&](const Tensor& input) { return attn->forward_cached(input, cache); });
}

}  // namespace nabla::nn
