// MultiheadAttention, its key/value cache, and the position encodings (include/nabla/nn/attention.h).
// Shapes: B batch, L queries, S keys, E = embed_dim, H = num_heads, Hkv = num_kv_heads, G = H / Hkv,
// D = head_dim = E / H, kv = Hkv·D.
#include "nabla/nn/attention.h"

#include <cmath>
#include <limits>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/init.h"
#include "nabla/ops.h"

namespace nabla::nn {

// ---- position encodings

RotaryEmbedding::RotaryEmbedding(int64_t head_dim_, double base_) : head_dim(head_dim_), base(base_) {
  NABLA_CHECK(head_dim > 0 && head_dim % 2 == 0, "RotaryEmbedding: head_dim must be positive and even, got {}",
              head_dim);
  NABLA_CHECK(base > 1, "RotaryEmbedding: base must be > 1, got {}", base);
}

Tensor RotaryEmbedding::apply(const Tensor& x, int64_t offset) const {
  NABLA_CHECK(x.dim() >= 2 && x.size(-1) == head_dim, "RotaryEmbedding: expected x [..., T, {}], got {}", head_dim,
              x.describe());
  NABLA_CHECK(offset >= 0, "RotaryEmbedding: offset must be ≥ 0, got {}", offset);
  const int64_t length = x.size(-2), half = head_dim / 2, last = x.dim() - 1;
  // Angles in double, so positions in the thousands keep their precision; rounded to x's dtype once.
  const Tensor positions = arange(static_cast<double>(offset), static_cast<double>(offset + length), 1,
                                  {.dtype = DType::f64}).unsqueeze(1);
  const Tensor frequencies =
      exp(arange(0, static_cast<double>(half), 1, {.dtype = DType::f64}) * (-2.0 * std::log(base) / head_dim));
  const Tensor angles = positions * frequencies.unsqueeze(0);  // [T, D/2]
  const Tensor cosine = cos(angles).to(x.dtype()), sine = sin(angles).to(x.dtype());
  const Tensor first = x.narrow(last, 0, half), second = x.narrow(last, half, half);
  return cat({first * cosine - second * sine, second * cosine + first * sine}, last);
}

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int64_t embed_dim, int64_t max_length)
    : Module("SinusoidalPositionalEncoding") {
  NABLA_CHECK(embed_dim > 0 && max_length > 0,
              "SinusoidalPositionalEncoding: embed_dim and max_length must be positive, got {} and {}", embed_dim,
              max_length);
  std::vector<double> values(static_cast<size_t>(max_length * embed_dim));
  for (int64_t position = 0; position < max_length; ++position) {
    for (int64_t feature = 0; feature < embed_dim; ++feature) {
      const int64_t pair = feature / 2;
      const double angle = position * std::exp(-2.0 * pair * std::log(10000.0) / embed_dim);
      values[static_cast<size_t>(position * embed_dim + feature)] = feature % 2 == 0 ? std::sin(angle) : std::cos(angle);
    }
  }
  table = from_vector(values, {max_length, embed_dim});
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x, int64_t offset) {
  NABLA_CHECK(x.dim() == 3 && x.size(2) == table.size(1), "SinusoidalPositionalEncoding: expected x [B, T, {}], got {}",
              table.size(1), x.describe());
  NABLA_CHECK(offset >= 0 && offset + x.size(1) <= table.size(0),
              "SinusoidalPositionalEncoding: positions {}…{} exceed max_length {}", offset, offset + x.size(1) - 1,
              table.size(0));
  return x + table.narrow(0, offset, x.size(1)).to(x.dtype());
}

LearnedPositionalEncoding::LearnedPositionalEncoding(int64_t embed_dim, int64_t max_length, Generator* generator)
    : Module("LearnedPositionalEncoding") {
  NABLA_CHECK(embed_dim > 0 && max_length > 0,
              "LearnedPositionalEncoding: embed_dim and max_length must be positive, got {} and {}", embed_dim,
              max_length);
  weight = register_parameter("weight", empty({max_length, embed_dim}));
  init::normal_(weight, 0, 0.02, generator);
}

Tensor LearnedPositionalEncoding::forward(const Tensor& x, int64_t offset) {
  NABLA_CHECK(x.dim() == 3 && x.size(2) == weight.size(1), "LearnedPositionalEncoding: expected x [B, T, {}], got {}",
              weight.size(1), x.describe());
  NABLA_CHECK(offset >= 0 && offset + x.size(1) <= weight.size(0),
              "LearnedPositionalEncoding: positions {}…{} exceed max_length {}", offset, offset + x.size(1) - 1,
              weight.size(0));
  const Tensor positions = arange(static_cast<double>(offset), static_cast<double>(offset + x.size(1)), 1,
                                  {.dtype = DType::i64});
  return x + functional::embedding(positions, weight);
}

// ---- multi-head attention

namespace {

// The masks of one call folded into the one mask of the fused op (bool: true keeps; float: added), over
// [B, H, L, S]; undefined when there is none (a lone causal mask stays the kernel's is_causal).
Tensor fused_mask(const AttentionMasks& masks, int64_t batch, int64_t heads, int64_t queries, int64_t keys,
                  DType dtype) {
  Tensor keep, added;
  if (masks.attn_mask.defined()) {
    const Tensor& mask = masks.attn_mask;
    const bool shaped = (mask.dim() == 2 && mask.size(0) == queries && mask.size(1) == keys) ||
                        (mask.dim() == 4 && (mask.size(0) == 1 || mask.size(0) == batch) &&
                         (mask.size(1) == 1 || mask.size(1) == heads) && (mask.size(2) == 1 || mask.size(2) == queries) &&
                         (mask.size(3) == 1 || mask.size(3) == keys));
    NABLA_CHECK(shaped, "MultiheadAttention: attn_mask {} must be [L, S] = [{}, {}] or broadcast to [B, H, L, S] = "
                "[{}, {}, {}, {}]", mask.describe(), queries, keys, batch, heads, queries, keys);
    NABLA_CHECK(!mask.requires_grad(), "MultiheadAttention: attn_mask {} requires grad; detach it", mask.describe());
    if (mask.dtype() == DType::boolean) {
      keep = logical_not(mask);
    } else {
      NABLA_CHECK(mask.is_floating_point(), "MultiheadAttention: attn_mask must be bool or floating, got {}",
                  mask.describe());
      added = mask.to(dtype);
    }
  }
  if (masks.key_padding_mask.defined()) {
    const Tensor& padding = masks.key_padding_mask;
    NABLA_CHECK(padding.dtype() == DType::boolean && padding.dim() == 2 && padding.size(0) == batch &&
                    padding.size(1) == keys,
                "MultiheadAttention: key_padding_mask must be bool [B, S] = [{}, {}], got {}", batch, keys,
                padding.describe());
    const Tensor kept = logical_not(padding).view({batch, 1, 1, keys});
    keep = keep.defined() ? logical_and(keep, kept) : kept;
  }
  if (masks.is_causal && (keep.defined() || added.defined())) {
    const Tensor rows = arange(static_cast<double>(queries), {.dtype = DType::i64}).unsqueeze(1);
    const Tensor columns = arange(static_cast<double>(keys), {.dtype = DType::i64}).unsqueeze(0);
    const Tensor causal = ge(rows, columns);  // [L, S]: key j visible from query i when j ≤ i
    keep = keep.defined() ? logical_and(keep, causal) : causal;
  }
  if (!added.defined()) return keep;
  if (!keep.defined()) return added;
  const Tensor zero = zeros({}, dtype), minus_infinity = full({}, -std::numeric_limits<double>::infinity(), dtype);
  return added + where(keep, zero, minus_infinity);
}

// Self-attention's q, k, v heads [B, H, T, D] as views of the packed projection [B, T, 3·E] (H heads of D each),
// through one autograd node whose backward writes the packed gradient in one pass: a cat of the three head
// gradients, read through their strides. Left to the views' own backwards, each narrow would zero-fill a whole
// [B, T, 3·E] gradient and copy its part in, each head reshape would first copy its gradient to [B, T, E], and
// the three results would be added: about eight passes over [B, T, 3·E] where this takes one.
std::vector<Tensor> packed_heads(const Tensor& packed, int64_t heads, int64_t head_dim) {
  const int64_t B = packed.size(0), T = packed.size(1), E = heads * head_dim;
  const DType dtype = packed.dtype();  // not the tensor: the node would keep the projection alive
  auto forward = [=](autograd::FunctionContext&, const std::vector<Tensor>& inputs) {
    std::vector<Tensor> views;
    for (int64_t part = 0; part < 3; ++part) {
      views.push_back(inputs[0].narrow(2, part * E, E).reshape({B, T, heads, head_dim}).transpose(1, 2));
    }
    return views;
  };
  auto backward = [=](autograd::FunctionContext&, const std::vector<Tensor>& grads) {
    std::vector<Tensor> parts;  // each [B, T, 1, H, D], strided: cat along dim 2 lays them out as [B, T, 3·E]
    for (const Tensor& grad : grads) {
      parts.push_back(grad.defined() ? grad.transpose(1, 2).unsqueeze(2) : zeros({B, T, 1, heads, head_dim}, dtype));
    }
    return std::vector<Tensor>{cat(parts, 2).view({B, T, 3 * E})};
  };
  return autograd::apply_function("PackedHeads", {packed}, forward, backward);
}

}  // namespace

MultiheadAttention::MultiheadAttention(const MultiheadAttentionOptions& options_, Generator* generator)
    : TypedModule("MultiheadAttention"), options(options_) {
  const int64_t E = options.embed_dim, H = options.num_heads;
  if (options.num_kv_heads == 0) options.num_kv_heads = H;
  const int64_t Hkv = options.num_kv_heads;
  NABLA_CHECK(E > 0 && H > 0 && E % H == 0,
              "MultiheadAttention: embed_dim ({}) must be a positive multiple of num_heads ({})", E, H);
  NABLA_CHECK(Hkv > 0 && H % Hkv == 0, "MultiheadAttention: num_kv_heads ({}) must divide num_heads ({})", Hkv, H);
  NABLA_CHECK(options.dropout >= 0 && options.dropout < 1, "MultiheadAttention: dropout must be in [0, 1), got {}",
              options.dropout);
  head_dim = E / H;
  const int64_t rows = E + 2 * Hkv * head_dim;
  in_proj_weight = register_parameter("in_proj_weight", empty({rows, E}));
  if (options.bias) in_proj_bias = register_parameter("in_proj_bias", empty({rows}));
  out_proj = register_module("out_proj", std::make_shared<Linear>(LinearOptions{E, E, options.bias}, generator));
  if (options.rotary) rotary_ = std::make_unique<RotaryEmbedding>(head_dim, options.rotary_base);
  reset_parameters(generator);
}

void MultiheadAttention::reset_parameters(Generator* generator) {
  // As nn.MultiheadAttention: Xavier-uniform packed projection, zero biases.
  init::xavier_uniform_(in_proj_weight, 1, generator);
  if (in_proj_bias.defined()) init::zeros_(in_proj_bias);
  if (out_proj->bias.defined()) init::zeros_(out_proj->bias);
}

std::string MultiheadAttention::describe() const {
  return fmt::format("MultiheadAttention(embed_dim={}, num_heads={}, num_kv_heads={}, dropout={}, bias={}, rotary={})",
                     options.embed_dim, options.num_heads, options.num_kv_heads, options.dropout, options.bias,
                     options.rotary);
}

Tensor MultiheadAttention::heads(const Tensor& projected, int64_t count) const {
  // A view when `projected` is a column block of the packed projection: the fused op reads it in place.
  return projected.reshape({projected.size(0), projected.size(1), count, head_dim}).transpose(1, 2);
}

Tensor MultiheadAttention::attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal) {
  const int64_t B = q.size(0), H = options.num_heads, Hkv = options.num_kv_heads, L = q.size(2), E = options.embed_dim;
  functional::AttentionOptions attention{.dropout_p = is_training() ? options.dropout : 0.0, .is_causal = causal};
  attention.attn_mask = mask;
  Tensor out;
  if (Hkv == H) {
    out = functional::scaled_dot_product_attention(q, k, v, attention);  // [B, H, L, D]
  } else {
    // Grouped: queries [B, Hkv, G, L, D] against keys [B, Hkv, 1, S, D]; the op broadcasts the group dim
    // (no copy of the shared heads) and its backward sums the keys' gradients over it.
    const int64_t groups = H / Hkv;
    if (mask.defined() && mask.dim() == 4) {
      attention.attn_mask = mask.size(1) == H ? mask.reshape({mask.size(0), Hkv, groups, mask.size(2), mask.size(3)})
                                              : mask.unsqueeze(2);
    }
    out = functional::scaled_dot_product_attention(q.reshape({B, Hkv, groups, L, head_dim}), k.unsqueeze(2),
                                                   v.unsqueeze(2), attention)
              .reshape({B, H, L, head_dim});
  }
  return (*out_proj)(out.transpose(1, 2).reshape({B, L, E}));
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x); }

Tensor MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const AttentionMasks& masks) {
  const int64_t E = options.embed_dim, kv = options.num_kv_heads * head_dim;
  NABLA_CHECK(query.dim() == 3 && key.dim() == 3 && value.dim() == 3 && query.size(2) == E && key.size(2) == E &&
                  value.size(2) == E && key.size(0) == query.size(0) && value.size(0) == query.size(0) &&
                  key.size(1) == value.size(1),
              "MultiheadAttention: expected query [B, L, {}] and key, value [B, S, {}], got {}, {}, {}", E, E,
              query.describe(), key.describe(), value.describe());
  Tensor q, k, v;
  const bool self_attention = query.impl() == key.impl() && key.impl() == value.impl();
  if (self_attention && kv == E) {
    const std::vector<Tensor> views = packed_heads(functional::linear(query, in_proj_weight, in_proj_bias),
                                                   options.num_heads, head_dim);
    q = views[0];
    k = views[1];
    v = views[2];
  } else if (self_attention) {
    const Tensor packed = functional::linear(query, in_proj_weight, in_proj_bias);  // [B, T, E + 2·kv]
    q = heads(packed.narrow(2, 0, E), options.num_heads);
    k = heads(packed.narrow(2, E, kv), options.num_kv_heads);
    v = heads(packed.narrow(2, E + kv, kv), options.num_kv_heads);
  } else {
    auto rows = [&](int64_t first, int64_t count) {
      return std::pair{in_proj_weight.narrow(0, first, count),
                       in_proj_bias.defined() ? in_proj_bias.narrow(0, first, count) : Tensor()};
    };
    const auto [wq, bq] = rows(0, E);
    const auto [wk, bk] = rows(E, kv);
    const auto [wv, bv] = rows(E + kv, kv);
    q = heads(functional::linear(query, wq, bq), options.num_heads);
    k = heads(functional::linear(key, wk, bk), options.num_kv_heads);
    v = heads(functional::linear(value, wv, bv), options.num_kv_heads);
  }
  if (rotary_) {
    q = rotary_->apply(q);
    k = rotary_->apply(k);
  }
  const int64_t B = query.size(0), L = query.size(1), S = key.size(1);
  const Tensor mask = fused_mask(masks, B, options.num_heads, L, S, query.dtype());
  NABLA_CHECK(!(masks.is_causal && !mask.defined() && L != S),
              "MultiheadAttention: is_causal needs as many queries as keys, got L={} S={}", L, S);
  return attend(q, k, v, mask, masks.is_causal && !mask.defined());
}

KeyValueCache MultiheadAttention::make_cache(int64_t batch, int64_t capacity) const {
  NABLA_CHECK(batch > 0 && capacity > 0, "MultiheadAttention: a cache needs batch and capacity > 0, got {} and {}",
              batch, capacity);
  const Shape shape{batch, options.num_kv_heads, capacity, head_dim};
  return {zeros(shape, in_proj_weight.dtype()), zeros(shape, in_proj_weight.dtype()), 0};
}

Tensor MultiheadAttention::forward_cached(const Tensor& x, KeyValueCache& cache) {
  autograd::NoGradGuard no_grad;
  const int64_t E = options.embed_dim, kv = options.num_kv_heads * head_dim;
  NABLA_CHECK(x.dim() == 3 && x.size(2) == E, "MultiheadAttention: expected x [B, T, {}], got {}", E, x.describe());
  const int64_t B = x.size(0), T = x.size(1), offset = cache.length;
  NABLA_CHECK(cache.keys.defined() && cache.keys.size(0) == B && offset + T <= cache.capacity(),
              "MultiheadAttention: the cache (batch {}, {} of {} positions used) can't take x {}",
              cache.keys.defined() ? cache.keys.size(0) : 0, offset, cache.capacity(), x.describe());
  const Tensor packed = functional::linear(x, in_proj_weight, in_proj_bias);
  Tensor q = heads(packed.narrow(2, 0, E), options.num_heads);
  Tensor k = heads(packed.narrow(2, E, kv), options.num_kv_heads);
  const Tensor v = heads(packed.narrow(2, E + kv, kv), options.num_kv_heads);
  if (rotary_) {
    q = rotary_->apply(q, offset);
    k = rotary_->apply(k, offset);
  }
  Tensor key_slots = cache.keys.narrow(2, offset, T), value_slots = cache.values.narrow(2, offset, T);
  copy_(key_slots, k);
  copy_(value_slots, v);
  cache.length = offset + T;
  const Tensor keys = cache.keys.narrow(2, 0, cache.length), values = cache.values.narrow(2, 0, cache.length);
  // One new position sees every cached one (no mask); a first block is causal as usual; a later block of
  // several positions needs the causal mask shifted by the offset, which the kernel's is_causal (aligned at
  // the top left) does not give.
  if (T == 1) return attend(q, keys, values, {}, false);
  if (offset == 0) return attend(q, keys, values, {}, true);
  const Tensor rows = arange(static_cast<double>(offset), static_cast<double>(offset + T), 1, {.dtype = DType::i64});
  const Tensor columns = arange(static_cast<double>(cache.length), {.dtype = DType::i64});
  return attend(q, keys, values, ge(rows.unsqueeze(1), columns.unsqueeze(0)), false);
}

}  // namespace nabla::nn
