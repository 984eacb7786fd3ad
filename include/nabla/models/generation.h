#pragma once
// Text generation and perplexity for language models: any module whose one-tensor forward maps token ids
// int [B, T] to logits [B, T, V] (GPT, LSTM/GRU language models, the bigram table). A GPT decodes through
// its key/value cache and a recurrent language model (RecurrentStateModel) carries its state (a prompt once,
// then one token per step); any other model recomputes its forward over the window of the last `context`
// tokens at each step.
#include <cstdint>
#include <functional>

#include "nabla/nn/module.h"

namespace nabla::models {

struct GenerationOptions {
  int64_t max_new_tokens = 100;
  // Greedy decoding (argmax) when true or when temperature is 0; otherwise sampling from
  // softmax(logits / temperature), restricted to the top_k most likely tokens (0: all) and then to the
  // smallest set whose probability reaches top_p (1: all), the most likely token always kept.
  bool greedy = false;
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  uint64_t seed = 0;  // of the sampling generator: the same seed, model and prompt give the same tokens
  // The most tokens the model sees at once; 0: a GPT's context, else every token so far. Past it a GPT's
  // cache, and a recurrent model's state, restart from the last context/2 tokens (the window then grows again).
  int64_t context = 0;
  // For a GPT or a RecurrentStateModel; false recomputes the full forward over the window each step (to compare).
  bool use_cache = true;
};

// A language model with a recurrent state (the LSTM and GRU language models): generation feeds it the prompt
// once and then one token per step, instead of a window of tokens per step.
class RecurrentStateModel {
 public:
  virtual ~RecurrentStateModel() = default;
  // tokens int [B, T] → logits [B, T, V], starting from `state` (empty: zeros) and leaving the final state
  // in it; the same logits as forward() on the whole sequence so far.
  virtual Tensor forward_with_state(const Tensor& tokens, std::vector<Tensor>& state) = 0;
};

// Called once per step with the new token of each sequence, int64 [B]; returning false stops generation.
using TokenCallback = std::function<bool(const Tensor& tokens)>;

// prompt_ids int [B, T] (T ≥ 1) → [B, T + generated] int64: the prompt followed by up to max_new_tokens
// tokens. Runs in eval mode without gradient (the module's mode is restored afterwards).
Tensor generate(nn::Module& model, const Tensor& prompt_ids, const GenerationOptions& options = {},
                const TokenCallback& on_token = {});

// The next token of each row of logits [B, V] under `options` (greedy, temperature, top-k, top-p),
// drawing from `generator`: int64 [B].
Tensor sample_next(const Tensor& logits, const GenerationOptions& options, Generator& generator);

// exp(mean negative log-likelihood) of each token of ids int [N] given the ones before it, in windows of
// `context` tokens (each window predicts its tokens from the ones inside it; the first token of the
// sequence is not predicted). 1 for a perfect model, V for a uniform one.
double perplexity(nn::Module& model, const Tensor& ids, int64_t context);

}  // namespace nabla::models
