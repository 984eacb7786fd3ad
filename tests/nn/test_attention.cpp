// Attention layers, Transformer blocks and GPT: MultiheadAttention against softmax(QKᵀ/√d + mask)·V written
// out with matmul (every mask kind, cross-attention), grouped-query heads against plain heads with the shared
// key/value rows repeated, rotary positions' relative property, gradchecks in float64, the KV cache against the
// full forward, and generation (cache vs recompute, seeded sampling, top-k/top-p, models other than GPT).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "nabla/gradcheck.h"
#include "nabla/models/generation.h"
#include "nabla/models/gpt.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nabla/nn/attention.h"
#include "nabla/nn/norm.h"
#include "nabla/nn/transformer.h"
#include "tests/common/expect_error.h"

using namespace nabla;
using nabla::testing::expect_error;
namespace F = nabla::functional;

namespace {

double largest_difference(const Tensor& a, const Tensor& b) { return max(abs(a.to(DType::f64) - b.to(DType::f64))).item(); }

// Every parameter slot of the layers below `module`, swapped for float64 copies (as tests/models does), so
// gradcheck runs the module's own forward in float64.
struct Float64Parameters {
  std::vector<Tensor*> slots;
  std::vector<Tensor> values;
};
Float64Parameters to_float64(nn::Module& module) {
  Float64Parameters parameters;
  auto add = [&parameters](Tensor& slot) {
    if (!slot.defined()) return;
    slot = slot.detach().to(DType::f64).requires_grad_();
    parameters.slots.push_back(&slot);
    parameters.values.push_back(slot);
  };
  for (auto& [name, child] : module.named_modules()) {
    if (auto linear = std::dynamic_pointer_cast<nn::Linear>(child)) {
      add(linear->weight);
      add(linear->bias);
    } else if (auto attention = std::dynamic_pointer_cast<nn::MultiheadAttention>(child)) {
      add(attention->in_proj_weight);
      add(attention->in_proj_bias);
    } else if (auto norm = std::dynamic_pointer_cast<nn::LayerNorm>(child)) {
      add(norm->weight);
      add(norm->bias);
    } else if (auto rms = std::dynamic_pointer_cast<nn::RMSNorm>(child)) {
      add(rms->weight);
    }
  }
  return parameters;
}

// MultiheadAttention written out: projections, per-head softmax(QKᵀ/√D + additive mask)·V, out_proj.
// `mask` is additive over [B, H, L, S] (−∞ masks out), or undefined.
Tensor composite_attention(nn::MultiheadAttention& attention, const Tensor& query, const Tensor& key,
                           const Tensor& value, const Tensor& mask) {
  const int64_t E = attention.options.embed_dim, H = attention.options.num_heads, D = E / H;
  const int64_t B = query.size(0), L = query.size(1), S = key.size(1);
  const Tensor& w = attention.in_proj_weight;
  const Tensor& b = attention.in_proj_bias;
  auto project = [&](const Tensor& x, int64_t part) {
    const Tensor y = F::linear(x, w.narrow(0, part * E, E), b.narrow(0, part * E, E));
    return y.reshape({B, x.size(1), H, D}).transpose(1, 2);
  };
  Tensor scores = matmul(project(query, 0), project(key, 1).transpose(2, 3)) / std::sqrt(static_cast<double>(D));
  if (mask.defined()) scores = scores + mask;
  const Tensor out = matmul(softmax(scores, 3), project(value, 2));  // [B, H, L, D]
  (void)S;
  return (*attention.out_proj)(out.transpose(1, 2).reshape({B, L, E}));
}

Tensor additive(const Tensor& keep, DType dtype) {
  return where(keep, zeros({}, dtype), full({}, -std::numeric_limits<double>::infinity(), dtype));
}

}  // namespace

TEST(MultiheadAttention, MatchesTheCompositeUnderEveryMaskKind) {
  autograd::NoGradGuard no_grad;
  Generator generator(3);
  const int64_t B = 2, L = 5, S = 7, E = 12, H = 3;
  // Held by shared_ptr: named_modules() (used by to_float64) needs shared_from_this.
  auto held = nn::make<nn::MultiheadAttention>({.embed_dim = E, .num_heads = H}, &generator);
  nn::MultiheadAttention& attention = *held;
  nn::init::normal_(attention.in_proj_bias, 0, 0.1, &generator);
  to_float64(attention);
  const Tensor x = randn({B, L, E}, DType::f64, &generator), memory = randn({B, S, E}, DType::f64, &generator);
  // Self-attention, unmasked and causal (the kernel's is_causal: no mask tensor).
  EXPECT_LT(largest_difference(attention(x), composite_attention(attention, x, x, x, {})), 1e-12);
  const Tensor causal_keep = ge(arange(L, DType::i64).unsqueeze(1), arange(L, DType::i64).unsqueeze(0));
  EXPECT_LT(largest_difference(attention(x, x, x, nn::AttentionMasks{.is_causal = true}),
                               composite_attention(attention, x, x, x, additive(causal_keep, DType::f64))),
            1e-12);
  // Cross-attention with a key-padding mask (true = padded, ignored), a bool attn_mask (true = masked out)
  // and a float one, alone and together.
  Tensor padding = zeros({B, S}, DType::boolean);
  Tensor padded = padding.select(0, 0).narrow(0, S - 2, 2), middle = padding.select(0, 1).narrow(0, 3, 1);
  fill_(padded, 1);  // the last two keys of sequence 0, key 3 of sequence 1 (key 0 never: no row fully masked)
  fill_(middle, 1);
  const Tensor blocked = gt(rand({L, S}, DType::f64, &generator), full({}, 0.7, DType::f64));
  Tensor first_column = blocked.narrow(1, 0, 1);
  fill_(first_column, 0);  // column 0 always visible: no row is fully masked
  const Tensor added = randn({B, H, L, S}, DType::f64, &generator);
  const Tensor padding_added = additive(logical_not(padding).view({B, 1, 1, S}), DType::f64);
  const Tensor blocked_added = additive(logical_not(blocked), DType::f64);
  const struct {
    nn::AttentionMasks masks;
    Tensor expected;
  } cases[] = {
      {{.key_padding_mask = padding}, padding_added},
      {{.attn_mask = blocked}, blocked_added},
      {{.attn_mask = added}, added},
      {{.key_padding_mask = padding, .attn_mask = added}, added + padding_added},
      {{.key_padding_mask = padding, .attn_mask = blocked}, padding_added + blocked_added},
  };
  for (const auto& [masks, expected] : cases) {
    EXPECT_LT(largest_difference(attention(x, memory, memory, masks), composite_attention(attention, x, memory, memory, expected)),
              1e-12);
  }
  // Causal together with padding (self-attention, S = L): folded into one mask.
  const Tensor self_padding = padding.narrow(1, 0, L).contiguous();
  EXPECT_LT(largest_difference(
                attention(x, x, x, nn::AttentionMasks{.key_padding_mask = self_padding, .is_causal = true}),
                composite_attention(attention, x, x, x,
                                    additive(logical_and(causal_keep, logical_not(self_padding).view({B, 1, 1, L})), DType::f64))),
            1e-12);
  expect_error([&] { attention(x, memory, memory, nn::AttentionMasks{.key_padding_mask = zeros({B, L}, DType::boolean)}); },
               {"MultiheadAttention", "key_padding_mask", "[2, 7]"});
}

TEST(MultiheadAttention, GroupedQueryHeadsEqualPlainHeadsWithSharedRowsRepeated) {
  autograd::NoGradGuard no_grad;
  Generator generator(4);
  const int64_t B = 2, T = 9, E = 16, H = 4, Hkv = 2, D = E / H, groups = H / Hkv;
  nn::MultiheadAttention grouped({.embed_dim = E, .num_heads = H, .num_kv_heads = Hkv}, &generator);
  nn::MultiheadAttention plain({.embed_dim = E, .num_heads = H}, &generator);
  EXPECT_EQ(grouped.in_proj_weight.shape(), (Shape{E + 2 * Hkv * D, E}));
  nn::init::normal_(grouped.in_proj_bias, 0, 0.1, &generator);
  // Query head h reads key/value head h / groups: repeat each shared head's rows for its group.
  std::vector<Tensor> weight_rows{grouped.in_proj_weight.narrow(0, 0, E)}, bias_rows{grouped.in_proj_bias.narrow(0, 0, E)};
  for (int64_t part = 0; part < 2; ++part) {
    for (int64_t head = 0; head < H; ++head) {
      const int64_t first = E + part * Hkv * D + head / groups * D;
      weight_rows.push_back(grouped.in_proj_weight.narrow(0, first, D));
      bias_rows.push_back(grouped.in_proj_bias.narrow(0, first, D));
    }
  }
  copy_(plain.in_proj_weight, cat(weight_rows, 0));
  copy_(plain.in_proj_bias, cat(bias_rows, 0));
  copy_(plain.out_proj->weight, grouped.out_proj->weight);
  copy_(plain.out_proj->bias, grouped.out_proj->bias);
  const Tensor x = randn({B, T, E}, {}, &generator);
  const Tensor padding = gt(rand({B, T}, {}, &generator), full({}, 0.8));
  for (const nn::AttentionMasks& masks : {nn::AttentionMasks{.is_causal = true}, nn::AttentionMasks{.key_padding_mask = padding},
                                          nn::AttentionMasks{.attn_mask = randn({B, H, T, T}, {}, &generator)}}) {
    EXPECT_LT(largest_difference(grouped(x, x, x, masks), plain(x, x, x, masks)), 1e-5);
  }
}

TEST(RotaryEmbedding, ScoresDependOnlyOnTheDistanceAndNormsArePreserved) {
  autograd::NoGradGuard no_grad;
  Generator generator(5);
  nn::RotaryEmbedding rotary(8);
  const Tensor q = randn({1, 8}, DType::f64, &generator), k = randn({1, 8}, DType::f64, &generator);
  auto score = [&](int64_t query_position, int64_t key_position) {
    return sum(rotary.apply(q, query_position) * rotary.apply(k, key_position)).item();
  };
  EXPECT_NEAR(score(3, 1), score(10, 8), 1e-12);
  EXPECT_NEAR(score(0, 5), score(20, 25), 1e-12);
  EXPECT_GT(std::abs(score(3, 1) - score(3, 2)), 1e-6);  // a different distance changes the score
  EXPECT_NEAR(norm(rotary.apply(q, 17)).item(), norm(q).item(), 1e-12);
  EXPECT_LT(largest_difference(rotary.apply(q, 0), q), 1e-15);  // position 0 is the identity
}

TEST(PositionalEncoding, SinusoidalTableAndLearnedOffsets) {
  autograd::NoGradGuard no_grad;
  nn::SinusoidalPositionalEncoding sinusoid(6, 20);
  const Tensor zero = zeros({1, 4, 6});
  const Tensor encoded = sinusoid.forward(zero, 3);
  // Position 5 (offset 3 + row 2), feature pair 1: angle 5 · 10000^(−2/6).
  const double angle = 5 * std::pow(10000.0, -2.0 / 6);
  EXPECT_NEAR(encoded.select(0, 0).select(0, 2).select(0, 2).item(), std::sin(angle), 1e-6);
  EXPECT_NEAR(encoded.select(0, 0).select(0, 2).select(0, 3).item(), std::cos(angle), 1e-6);
  EXPECT_EQ(sinusoid.state_dict().size(), 0u);  // the fixed table is not saved
  nn::LearnedPositionalEncoding learned(6, 20);
  EXPECT_LT(largest_difference(learned.forward(zero, 3).select(0, 0), learned.weight.narrow(0, 3, 4)), 1e-7);
  expect_error([&] { sinusoid.forward(zero, 17); }, {"SinusoidalPositionalEncoding", "exceed max_length 20"});
}

TEST(RMSNorm, NormalisesByTheRootMeanSquare) {
  autograd::NoGradGuard no_grad;
  auto held = nn::make<nn::RMSNorm>(nn::RMSNormOptions{.normalized_shape = {5}, .eps = 1e-6});
  nn::RMSNorm& norm = *held;
  nn::init::normal_(norm.weight);
  const Tensor x = randn({3, 5}, DType::f64);
  const Tensor expected = x / sqrt(mean(x * x, {1}, true) + 1e-6) * norm.weight.to(DType::f64);
  to_float64(norm);
  EXPECT_LT(largest_difference(norm(x), expected), 1e-12);
}

TEST(AttentionLayers, GradientsMatchFiniteDifferencesInFloat64) {
  Generator generator(6);
  const int64_t B = 2, T = 4, E = 8;
  // Grouped heads with rotary positions and a key-padding mask folded with the causal mask.
  auto attention = nn::make<nn::MultiheadAttention>(
      {.embed_dim = E, .num_heads = 4, .num_kv_heads = 2, .rotary = true}, &generator);
  const Tensor padding = tensor({{0, 0, 0, 1}, {0, 0, 0, 0}}).to(DType::boolean);
  // A post-LN block with SwiGLU and RMSNorm, and a pre-LN one with GELU (tanh) and LayerNorm, both causal.
  auto post = nn::make<nn::TransformerBlock>({.embed_dim = E, .num_heads = 2, .hidden = 12,
                                               .activation = nn::FeedForwardActivation::swiglu,
                                               .norm = nn::NormKind::rms_norm, .norm_first = false, .causal = true},
                                              &generator);
  auto pre = nn::make<nn::TransformerBlock>(
      {.embed_dim = E, .num_heads = 2, .hidden = 12, .activation = nn::FeedForwardActivation::gelu_tanh, .causal = true},
      &generator);
  const std::vector<std::pair<nn::Module*, std::function<Tensor(const Tensor&)>>> layers = {
      {attention.get(), [&](const Tensor& x) { return (*attention)(x, x, x, nn::AttentionMasks{.key_padding_mask = padding, .is_causal = true}); }},
      {post.get(), [&](const Tensor& x) { return (*post)(x); }},
      {pre.get(), [&](const Tensor& x) { return (*pre)(x); }},
  };
  for (const auto& [module, run] : layers) {
    SCOPED_TRACE(module->name());
    Float64Parameters parameters = to_float64(*module);
    std::vector<Tensor> inputs{randn({B, T, E}, DType::f64, &generator).requires_grad_()};
    inputs.insert(inputs.end(), parameters.values.begin(), parameters.values.end());
    const GradcheckResult result = gradcheck(
        [&](const std::vector<Tensor>& in) {
          for (size_t i = 0; i < parameters.slots.size(); ++i) *parameters.slots[i] = in[i + 1];
          return run(in[0]);
        },
        inputs);
    EXPECT_TRUE(result.ok) << result.message;
    EXPECT_GT(result.checked, B * T * E);
  }
}

TEST(TransformerBlock, PostNormNormalisesTheOutputAndPreNormKeepsTheResidual) {
  autograd::NoGradGuard no_grad;
  Generator generator(7);
  nn::TransformerBlock post({.embed_dim = 8, .num_heads = 2, .norm_first = false}, &generator);
  const Tensor x = randn({2, 5, 8}, {}, &generator) * 3.0 + 1.0;
  const Tensor y = post(x);
  // The last op of a post-LN block is LayerNorm (weight 1, bias 0): each row has mean 0 and variance 1.
  EXPECT_LT(max(abs(mean(y, {2}))).item(), 1e-5);
  EXPECT_LT(max(abs(var(y, {2}, 0) - 1.0)).item(), 1e-3);
  // Pre-LN with its sublayers' output projections zeroed is the identity (the residual stream passes through).
  nn::TransformerBlock pre({.embed_dim = 8, .num_heads = 2}, &generator);
  zero_(pre.attn->out_proj->weight);
  zero_(pre.mlp->proj->weight);
  zero_(pre.mlp->proj->bias);
  EXPECT_LT(largest_difference(pre(x), x), 1e-6);
}

// ---- GPT

namespace {

std::shared_ptr<models::GPT> small_gpt(models::PositionEncoding positions, int64_t kv_heads = 0, uint64_t seed = 8) {
  Generator generator(seed);
  auto model = std::make_shared<models::GPT>(models::GPTOptions{.vocab_size = 23, .context = 32, .layers = 2, .heads = 4,
                                                                .kv_heads = kv_heads, .d_model = 16, .dropout = 0.1,
                                                                .positions = positions},
                                             &generator);
  model->eval();
  return model;
}

}  // namespace

TEST(GPT, CachedDecodingEqualsTheFullForward) {
  Generator generator(9);
  const Tensor ids = randint(0, 23, {2, 20}, DType::i64, &generator);
  for (auto [positions, kv_heads] : {std::pair{models::PositionEncoding::learned, int64_t{0}},
                                     {models::PositionEncoding::rotary, int64_t{2}},
                                     {models::PositionEncoding::sinusoidal, int64_t{1}}}) {
    auto model = small_gpt(positions, kv_heads);
    autograd::NoGradGuard no_grad;
    const Tensor full = (*model)(ids);  // [2, 20, 23]
    EXPECT_EQ(full.shape(), (Shape{2, 20, 23}));
    // Prefill 8 positions, a block of 4 (causal mask shifted by the offset), then one position per call.
    models::GPTCache cache = model->make_cache(2);
    std::vector<Tensor> pieces{model->forward_cached(ids.narrow(1, 0, 8), cache),
                               model->forward_cached(ids.narrow(1, 8, 4), cache)};
    for (int64_t t = 12; t < 20; ++t) pieces.push_back(model->forward_cached(ids.narrow(1, t, 1), cache));
    EXPECT_EQ(cache.length(), 20);
    const Tensor incremental = cat(pieces, 1);
    EXPECT_LT(largest_difference(incremental, full), 1e-4 * (1 + max(abs(full)).item()));
  }
}

TEST(GPT, RegistryEntryTiesTheHeadAndTrains) {
  nn::ModulePtr model = models::registry().make("gpt", {.classes = 30, .overrides = {{"layers", 2}, {"d_model", 32}, {"context", 16}}});
  const nn::StateDict state = model->state_dict();
  EXPECT_TRUE(state.contains("wte.weight") && state.contains("wpe.weight") && state.contains("h.1.attn.in_proj_weight") &&
              state.contains("h.1.mlp.fc.weight") && state.contains("ln_f.weight"));
  EXPECT_FALSE(state.contains("lm_head.weight"));  // tied: the head reads wte.weight
  // Learns to copy a fixed sequence: the loss of three AdamW steps falls.
  Generator generator(10);
  const Tensor tokens = randint(0, 30, {4, 17}, DType::i64, &generator);
  const Tensor inputs = tokens.narrow(1, 0, 16), targets = tokens.narrow(1, 1, 16).reshape({-1});
  optim::AdamW optimizer(model->parameters(), {.lr = 1e-2});
  double first = 0, last = 0;
  for (int step = 0; step < 5; ++step) {
    Tensor loss = F::cross_entropy((*model)(inputs).reshape({-1, 30}), targets, {});
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    (step == 0 ? first : last) = loss.item();
  }
  EXPECT_NEAR(first, std::log(30.0), 0.3);  // small initial weights: close to uniform
  EXPECT_LT(last, first - 0.1);
  expect_error([&] { (*model)(randint(0, 30, {1, 17}, DType::i64)); }, {"GPT", "exceed the context of 16"});
}

TEST(Generation, CacheAndRecomputeGiveTheSameTokens) {
  auto model = small_gpt(models::PositionEncoding::learned);
  const Tensor prompt = tensor({{1, 2, 3}, {4, 5, 6}}).to(DType::i64);
  for (const models::GenerationOptions& options :
       {models::GenerationOptions{.max_new_tokens = 12, .greedy = true},
        models::GenerationOptions{.max_new_tokens = 12, .temperature = 0.8, .top_k = 5, .top_p = 0.9, .seed = 3}}) {
    models::GenerationOptions recompute = options;
    recompute.use_cache = false;
    const Tensor cached = models::generate(*model, prompt, options), full = models::generate(*model, prompt, recompute);
    EXPECT_EQ(cached.shape(), (Shape{2, 15}));
    EXPECT_EQ(cached.to_vector(), full.to_vector());
    EXPECT_EQ(models::generate(*model, prompt, options).to_vector(), cached.to_vector());  // seeded: repeatable
  }
  // Past the context (32), the cache restarts from a window; generation goes on.
  EXPECT_EQ(models::generate(*model, prompt, {.max_new_tokens = 40, .greedy = true}).size(1), 43);
  // The callback sees each step's tokens and may stop.
  int calls = 0;
  const Tensor stopped = models::generate(*model, prompt, {.max_new_tokens = 10}, [&](const Tensor& tokens) {
    EXPECT_EQ(tokens.shape(), (Shape{2}));
    return ++calls < 4;
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(stopped.size(1), 7);
  EXPECT_TRUE(model->is_training() == false);
}

TEST(Generation, RecurrentModelsCarryTheirStateLikeRecomputingTheWindow) {
  for (const char* name : {"lstm", "gru"}) {
    nn::ModulePtr model = models::registry().make(name, {.classes = 20, .overrides = {{"hidden", 16}, {"embedding", 8}}});
    auto* recurrent = dynamic_cast<models::RecurrentStateModel*>(model.get());
    ASSERT_NE(recurrent, nullptr) << name;
    model->eval();
    // Feeding a sequence in pieces through the state gives forward()'s logits on the whole of it.
    const Tensor ids = randint(0, 20, {2, 9}, DType::i64);
    std::vector<Tensor> state;
    const Tensor pieces = cat({recurrent->forward_with_state(ids.narrow(1, 0, 5), state),
                               recurrent->forward_with_state(ids.narrow(1, 5, 4), state)},
                              1);
    EXPECT_LT(largest_difference(pieces, (*model)(ids)), 1e-5) << name;
    ASSERT_EQ(state.size(), std::string(name) == "lstm" ? 2u : 1u);
    // Generation one token at a time through the state picks the tokens recomputing the window picks, while the
    // window (24) holds every token; past it both restart, the state path from the last 12 tokens.
    const Tensor prompt = tensor({{1, 2, 3}, {4, 5, 6}}).to(DType::i64);
    for (const models::GenerationOptions& options :
         {models::GenerationOptions{.max_new_tokens = 20, .greedy = true, .context = 24},
          models::GenerationOptions{.max_new_tokens = 20, .temperature = 0.9, .top_k = 6, .seed = 5, .context = 24}}) {
      models::GenerationOptions recompute = options;
      recompute.use_cache = false;
      EXPECT_EQ(models::generate(*model, prompt, options).to_vector(),
                models::generate(*model, prompt, recompute).to_vector())
          << name;
    }
    EXPECT_EQ(models::generate(*model, prompt, {.max_new_tokens = 40, .greedy = true, .context = 24}).size(1), 43);
  }
}

TEST(Generation, WorksForAnyModelMappingIdsToLogits) {
  // A bigram table as a model: Embedding(V, V) maps ids [B, T] to logits [B, T, V].
  const int64_t V = 6;
  nn::Embedding bigram({.num_embeddings = V, .embedding_dim = V});
  {
    autograd::NoGradGuard no_grad;
    zero_(bigram.weight);
    for (int64_t token = 0; token < V; ++token) {
      Tensor cell = bigram.weight.select(0, token).select(0, (token + 1) % V);
      fill_(cell, 5);
    }
  }
  const Tensor generated = models::generate(bigram, from_vector({2}, {1, 1}, DType::i64), {.max_new_tokens = 5, .greedy = true});
  EXPECT_EQ(generated.to_vector(), (std::vector<double>{2, 3, 4, 5, 0, 1}));
  // Perplexity: the next token is always predicted with probability e⁵/(e⁵ + 5); a uniform model gives V.
  const double confident = std::exp(5.0) / (std::exp(5.0) + V - 1);
  EXPECT_NEAR(models::perplexity(bigram, generated.squeeze(0), 3), 1 / confident, 1e-5);
  {
    autograd::NoGradGuard no_grad;
    zero_(bigram.weight);
  }
  EXPECT_NEAR(models::perplexity(bigram, generated.squeeze(0), 4), static_cast<double>(V), 1e-5);
}

TEST(Generation, TopKAndTopPRestrictTheDraws) {
  Generator generator(11);
  const Tensor logits = tensor({{0.0, 3.0, 2.9, -1.0, 1.0}}).expand({2000, 5}).contiguous();
  auto drawn = [&](const models::GenerationOptions& options) {
    const std::vector<double> tokens = models::sample_next(logits, options, generator).to_vector();
    return std::set<double>(tokens.begin(), tokens.end());
  };
  EXPECT_EQ(drawn({.top_k = 1}), (std::set<double>{1}));
  EXPECT_EQ(drawn({.top_k = 2}), (std::set<double>{1, 2}));
  EXPECT_EQ(drawn({.top_p = 0.3}), (std::set<double>{1}));  // the best token alone holds > 0.3
  EXPECT_EQ(drawn({.top_p = 0.85}), (std::set<double>{1, 2}));     // p = 0.474 + 0.429 ≥ 0.85
  EXPECT_EQ(drawn({.top_p = 0.95}), (std::set<double>{1, 2, 4}));  // + 0.064 reaches 0.95
  EXPECT_EQ(drawn({.temperature = 0}), (std::set<double>{1}));
  EXPECT_EQ(drawn({}).size(), 5u);
  expect_error([&] { drawn({.top_p = 0}); }, {"sample_next", "top_p"});
}
