// Recurrent language models, `lstm` and `gru`: token embedding → recurrent layers → linear head over the
// vocabulary. forward takes token ids [B, T] (int64) and returns next-token logits [B, T, V], V being
// ModelOptions::classes (the vocabulary size). Inside, the sequence runs seq-first ([T, B, …]): the ids are
// transposed before the embedding (cheap: integers), so the recurrent layers read each step's rows adjacently
// without a copy of the activations.
#include <cmath>

#include "nabla/models/generation.h"
#include "nabla/models/registry.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/recurrent.h"
#include "nabla/ops.h"

namespace nabla::models {
namespace {

struct RecurrentLanguageModelOptions {
  int64_t vocabulary = 0, embedding = 128, hidden = 256, layers = 2;
  double dropout = 0.1;  // between recurrent layers and before the head, in training mode
  bool gru = false;
};

class RecurrentLanguageModel : public nn::Module, public RecurrentStateModel {
 public:
  explicit RecurrentLanguageModel(const RecurrentLanguageModelOptions& options)
      : Module(options.gru ? "GRULanguageModel" : "LSTMLanguageModel"), dropout_(options.dropout) {
    embedding_ = register_module("embedding", std::make_shared<nn::Embedding>(
                                                  nn::EmbeddingOptions{options.vocabulary, options.embedding}));
    const nn::RecurrentOptions recurrent{.input_size = options.embedding,
                                         .hidden_size = options.hidden,
                                         .num_layers = options.layers,
                                         .dropout = options.layers > 1 ? options.dropout : 0.0};
    if (options.gru) recurrent_ = register_module("rnn", std::make_shared<nn::GRU>(recurrent));
    else recurrent_ = register_module("rnn", std::make_shared<nn::LSTM>(recurrent));
    head_ = register_module("head", std::make_shared<nn::Linear>(options.hidden, options.vocabulary));
  }

  // tokens [B, T] → logits [B, T, V]
  Tensor forward(const Tensor& tokens) override {
    std::vector<Tensor> zeros;
    return run(tokens, zeros, false);
  }

  // state: {h} for a GRU, {h, c} for an LSTM, each [layers, B, hidden]; empty starts from zeros.
  Tensor forward_with_state(const Tensor& tokens, std::vector<Tensor>& state) override {
    return run(tokens, state, true);
  }

 private:
  Tensor run(const Tensor& tokens, std::vector<Tensor>& state, bool keep_state) {
    NABLA_CHECK(tokens.dim() == 2 && !is_floating(tokens.dtype()),
                "{}: expected integer token ids [batch, time], got {}", name(), tokens.describe());
    Tensor x = (*embedding_)(tokens.t().contiguous());  // [T, B, E]
    Tensor h;                                            // [T, B, H]
    if (!keep_state) {
      h = (*recurrent_)(x);
    } else if (auto* lstm = dynamic_cast<nn::LSTM*>(recurrent_.get())) {
      const bool fresh = state.size() != 2;
      nn::LSTMOutput out = lstm->forward(x, fresh ? Tensor() : state[0], fresh ? Tensor() : state[1]);
      state = {out.h_n, out.c_n};
      h = out.output;
    } else {
      auto& gru = dynamic_cast<nn::GRU&>(*recurrent_);
      nn::RecurrentOutput out = gru.forward(x, state.size() == 1 ? state[0] : Tensor());
      state = {out.h_n};
      h = out.output;
    }
    h = functional::dropout(h, dropout_, is_training());
    return (*head_)(h.transpose(0, 1).contiguous());      // [B, T, V]
  }

  double dropout_;
  std::shared_ptr<nn::Embedding> embedding_;
  std::shared_ptr<nn::Module> recurrent_;
  std::shared_ptr<nn::Linear> head_;
};

int64_t positive_option(const ModelOptions& options, std::string_view model, std::string_view key, int64_t fallback) {
  const double value = number_option(options, model, key, static_cast<double>(fallback));
  NABLA_CHECK(value >= 1 && value == std::floor(value), "model '{}': option {} must be a positive integer, got {}", model,
              key, value);
  return static_cast<int64_t>(value);
}

ModelEntry language_model_entry(bool gru) {
  const std::string name = gru ? "gru" : "lstm";
  constexpr int64_t default_context = 128;
  const RecurrentLanguageModelOptions defaults;
  return {
      .name = name,
      .description = fmt::format("{} language model: token embedding {} -> {} {} layers of {} -> linear head over the "
                                 "vocabulary (classes)",
                                 gru ? "GRU" : "LSTM", defaults.embedding, defaults.layers, gru ? "GRU" : "LSTM",
                                 defaults.hidden),
      .input = {.shape = {default_context}, .dataset = "text"},
      // Sized and trained to compare with a 4-layer, d_model 128 character GPT (about 0.8 M parameters without
      // embeddings): two LSTM layers of 256 hold about 0.9 M; AdamW, batch 32 windows of 128 tokens.
      .recipe = {.optimizer = "adamw", .lr = 2e-3, .weight_decay = 0.01, .scheduler = "cosine", .epochs = 5,
                 .batch_size = 32},
      .options = {{"layers", "recurrent layers (default 2)"},
                  {"hidden", "hidden state size of each layer (default 256)"},
                  {"embedding", "token embedding size (default 128)"},
                  {"dropout", "dropout between layers and before the head, in [0, 1) (default 0.1)"},
                  {"context", "tokens per training window, T (default 128)"}},
      .make = [name, gru, defaults](const ModelOptions& options) -> nn::ModulePtr {
        RecurrentLanguageModelOptions built = defaults;
        built.vocabulary = options.classes;
        built.gru = gru;
        built.layers = positive_option(options, name, "layers", defaults.layers);
        built.hidden = positive_option(options, name, "hidden", defaults.hidden);
        built.embedding = positive_option(options, name, "embedding", defaults.embedding);
        positive_option(options, name, "context", default_context);  // checked here; the data pipeline reads it
        built.dropout = number_option(options, name, "dropout", defaults.dropout);
        NABLA_CHECK(built.dropout >= 0 && built.dropout < 1, "model '{}': option dropout must be in [0, 1), got {}",
                    name, built.dropout);
        return std::make_shared<RecurrentLanguageModel>(built);
      }};
}

}  // namespace

std::vector<ModelEntry> recurrent_lm_models() { return {language_model_entry(false), language_model_entry(true)}; }

}  // namespace nabla::models
