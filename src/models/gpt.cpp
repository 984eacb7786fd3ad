// GPT (include/nabla/models/gpt.h), its registry entry `gpt`, and the Hugging Face GPT-2 loader.
#include "nabla/models/gpt.h"

#include <cmath>
#include <regex>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/models/registry.h"
#include "nabla/nn/container.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/init.h"
#include "nabla/ops.h"

namespace nabla::models {

GPT::GPT(const GPTOptions& options_, Generator* generator) : Module("GPT"), options(options_) {
  const int64_t E = options.d_model;
  NABLA_CHECK(options.vocab_size > 0 && options.context > 0 && options.layers > 0,
              "GPT: vocab_size, context and layers must be positive, got {}, {}, {}", options.vocab_size,
              options.context, options.layers);
  NABLA_CHECK(E > 0 && options.heads > 0 && E % options.heads == 0,
              "GPT: d_model ({}) must be a positive multiple of heads ({})", E, options.heads);
  wte = register_module("wte", std::make_shared<nn::Embedding>(
                                   nn::EmbeddingOptions{.num_embeddings = options.vocab_size, .embedding_dim = E}));
  if (options.positions == PositionEncoding::learned) {
    wpe = register_module("wpe", std::make_shared<nn::Embedding>(
                                     nn::EmbeddingOptions{.num_embeddings = options.context, .embedding_dim = E}));
  } else if (options.positions == PositionEncoding::sinusoidal) {
    sinusoid = std::make_shared<nn::SinusoidalPositionalEncoding>(E, options.context);
  }
  drop = register_module("drop", std::make_shared<nn::Dropout>(options.dropout));
  auto h = register_module("h", std::make_shared<nn::ModuleList>());
  for (int64_t layer = 0; layer < options.layers; ++layer) {
    blocks.push_back(std::make_shared<nn::TransformerBlock>(
        nn::TransformerBlockOptions{.embed_dim = E,
                                    .num_heads = options.heads,
                                    .num_kv_heads = options.kv_heads,
                                    .hidden = options.hidden,
                                    .dropout = options.dropout,
                                    .activation = options.activation,
                                    .norm = options.norm,
                                    .norm_eps = options.norm_eps,
                                    .norm_first = true,
                                    .causal = true,
                                    .rotary = options.positions == PositionEncoding::rotary,
                                    .bias = options.bias},
        generator));
    h->push_back(blocks.back());
  }
  ln_f = register_module("ln_f", nn::make_norm(options.norm, E, options.norm_eps));
  if (!options.tie_weights) {
    lm_head = register_module("lm_head", std::make_shared<nn::Linear>(nn::LinearOptions{E, options.vocab_size, false}));
  }
  // GPT-2's initialisation; the residual projections are scaled so the residual stream's variance does not
  // grow with depth.
  const double residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(options.layers));
  for (auto& [name, parameter] : named_parameters()) {
    const bool matrix = parameter.dim() == 2;
    const bool residual = name.ends_with("out_proj.weight") || name.ends_with("mlp.proj.weight");
    const bool norm = name.find("ln_") != std::string::npos;
    if (matrix && !norm) {
      nn::init::normal_(parameter, 0, residual ? residual_std : 0.02, generator);
    } else if (!norm) {
      nn::init::zeros_(parameter);
    }
  }
}

std::string GPT::describe() const {
  return fmt::format("GPT(vocab_size={}, context={}, layers={}, heads={}, d_model={})", options.vocab_size,
                     options.context, options.layers, options.heads, options.d_model);
}

Tensor GPT::logits(const Tensor& ids, int64_t offset, GPTCache* cache) {
  NABLA_CHECK(ids.dim() == 2 && !ids.is_floating_point() && ids.dtype() != DType::boolean,
              "GPT: expected integer token ids [B, T], got {}", ids.describe());
  const int64_t T = ids.size(1);
  NABLA_CHECK(options.positions == PositionEncoding::rotary || options.positions == PositionEncoding::none ||
                  offset + T <= options.context,
              "GPT: positions {}…{} exceed the context of {} positions", offset, offset + T - 1, options.context);
  Tensor x = (*wte)(ids);  // [B, T, E]
  if (wpe) {
    const Tensor positions = arange(static_cast<double>(offset), static_cast<double>(offset + T), 1,
                                    {.dtype = DType::i64});
    x = x + (*wpe)(positions);
  } else if (sinusoid) {
    x = sinusoid->forward(x, offset);
  }
  x = (*drop)(x);
  for (size_t layer = 0; layer < blocks.size(); ++layer) {
    x = cache ? blocks[layer]->forward_cached(x, cache->layers[layer]) : (*blocks[layer])(x);
  }
  x = (*ln_f)(x);
  return functional::linear(x, lm_head ? lm_head->weight : wte->weight);
}

Tensor GPT::forward(const Tensor& ids) { return logits(ids, 0, nullptr); }

GPTCache GPT::make_cache(int64_t batch, int64_t capacity) const {
  GPTCache cache;
  for (const auto& block : blocks) cache.layers.push_back(block->attn->make_cache(batch, capacity ? capacity : options.context));
  return cache;
}

Tensor GPT::forward_cached(const Tensor& ids, GPTCache& cache) {
  NABLA_CHECK(cache.layers.size() == blocks.size(), "GPT: the cache has {} layers, the model {}", cache.layers.size(),
              blocks.size());
  autograd::NoGradGuard no_grad;
  return logits(ids, cache.length(), &cache);
}

// ---- GPT-2 compatibility

GPTOptions gpt2_options(int64_t vocab_size, int64_t n_positions, int64_t n_embd, int64_t n_layer, int64_t n_head) {
  return {.vocab_size = vocab_size,
          .context = n_positions,
          .layers = n_layer,
          .heads = n_head,
          .d_model = n_embd,
          .positions = PositionEncoding::learned,
          .activation = nn::FeedForwardActivation::gelu_tanh,
          .norm = nn::NormKind::layer_norm,
          .norm_eps = 1e-5,
          .tie_weights = true,
          .bias = true};
}

void load_gpt2(GPT& model, const std::map<std::string, Tensor>& tensors) {
  // (Hugging Face's name inside a layer, nabla's name, whether it is a Conv1D weight to transpose)
  struct Rename {
    const char* from;
    const char* to;
    bool transpose;
  };
  static const Rename renames[] = {
      {"attn.c_attn.weight", "attn.in_proj_weight", true}, {"attn.c_attn.bias", "attn.in_proj_bias", false},
      {"attn.c_proj.weight", "attn.out_proj.weight", true}, {"attn.c_proj.bias", "attn.out_proj.bias", false},
      {"mlp.c_fc.weight", "mlp.fc.weight", true},           {"mlp.c_fc.bias", "mlp.fc.bias", false},
      {"mlp.c_proj.weight", "mlp.proj.weight", true},       {"mlp.c_proj.bias", "mlp.proj.bias", false},
  };
  static const std::regex layer_name(R"(^h\.(\d+)\.(.+)$)");
  nn::StateDict state;
  const Tensor* head = nullptr;
  for (const auto& [original, tensor] : tensors) {
    std::string name = original.starts_with("transformer.") ? original.substr(12) : original;
    if (name == "lm_head.weight") {
      head = &tensor;
      continue;
    }
    std::smatch match;
    if (std::regex_match(name, match, layer_name)) {
      const std::string inner = match[2];
      if (inner == "attn.bias" || inner == "attn.masked_bias") continue;  // causal-mask buffers
      bool renamed = false;
      for (const Rename& rename : renames) {
        if (inner != rename.from) continue;
        state.insert("h." + std::string(match[1]) + "." + rename.to, rename.transpose ? tensor.t().contiguous() : tensor);
        renamed = true;
      }
      if (renamed) continue;
    }
    state.insert(name, tensor);
  }
  if (head) {
    const Tensor* embedding = state.find("wte.weight");
    NABLA_CHECK(embedding && head->shape() == embedding->shape() && all(eq(*head, *embedding)).item() != 0,
                "load_gpt2: lm_head.weight differs from transformer.wte.weight; nabla's GPT-2 ties them");
  }
  model.load_state_dict(state, true);
}

// ---- registry entry

namespace {

int64_t positive_option(const ModelOptions& options, const char* key, double fallback) {
  const double value = number_option(options, "gpt", key, fallback);
  NABLA_CHECK(value >= 1 && value == std::floor(value), "model 'gpt': option {} must be a positive integer, got {}",
              key, value);
  return static_cast<int64_t>(value);
}

}  // namespace

std::vector<ModelEntry> gpt_models() {
  const GPTOptions defaults;
  // The character model of the acceptance run: 4 layers, 4 heads, d_model 128, context 128, batch 32. AdamW
  // with GPT-2's weight decay. On the fortunes corpus (560 steps of 4,096 tokens an epoch) lr 3e-3 after one
  // epoch of warm-up reached a validation loss of 1.86 nats/char after 2 epochs where 2e-3 without warm-up
  // reached 2.16; 16 epochs take about 27 minutes on 2 quiet cores (docs/language_models.md has the run).
  return {{.name = "gpt",
           .description = "GPT: decoder-only Transformer language model (pre-LN, learned positions, tied head)",
           .input = {.shape = {defaults.context}, .dataset = "text"},
           .recipe = {.optimizer = "adamw",
                      .lr = 3e-3,
                      .weight_decay = 0.1,
                      .scheduler = "cosine",
                      .epochs = 16,
                      .batch_size = 32,
                      .warmup_epochs = 1},
           .options = {{"layers", "number of Transformer blocks (4)"},
                       {"heads", "attention heads per block (4)"},
                       {"d_model", "width of the residual stream (128)"},
                       {"context", "longest sequence, in tokens (128)"},
                       {"dropout", "dropout of embeddings, attention weights and residual branches (0)"}},
           .make = [defaults](const ModelOptions& options) -> nn::ModulePtr {
             GPTOptions gpt = defaults;
             gpt.vocab_size = options.classes;
             gpt.layers = positive_option(options, "layers", static_cast<double>(defaults.layers));
             gpt.heads = positive_option(options, "heads", static_cast<double>(defaults.heads));
             gpt.d_model = positive_option(options, "d_model", static_cast<double>(defaults.d_model));
             gpt.context = positive_option(options, "context", static_cast<double>(defaults.context));
             gpt.dropout = number_option(options, "gpt", "dropout", defaults.dropout);
             NABLA_CHECK(gpt.dropout >= 0 && gpt.dropout < 1, "model 'gpt': option dropout must be in [0, 1), got {}",
                         gpt.dropout);
             return std::make_shared<GPT>(gpt);
           }}};
}

}  // namespace nabla::models
