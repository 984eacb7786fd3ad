// Token generation, sampling and perplexity (include/nabla/models/generation.h). In a folder of its own because
// every src/models/*.cpp is a model family (CMakeLists.txt), and this file registers no model.
#include "nabla/models/generation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/models/gpt.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"

namespace nabla::models {
namespace {

// Eval mode for the scope, then the module's own mode again.
class EvalGuard {
 public:
  explicit EvalGuard(nn::Module& model) : model_(model), training_(model.is_training()) { model.eval(); }
  ~EvalGuard() { model_.train(training_); }
  EvalGuard(const EvalGuard&) = delete;
  EvalGuard& operator=(const EvalGuard&) = delete;

 private:
  nn::Module& model_;
  bool training_;
};

void check_token_ids(const Tensor& ids, int64_t rank, const char* what) {
  NABLA_CHECK(ids.defined() && ids.dim() == rank && !ids.is_floating_point() && ids.dtype() != DType::boolean &&
                  ids.numel() > 0,
              "{}: expected non-empty integer token ids with {} dims, got {}", what, rank,
              ids.defined() ? ids.describe() : std::string("an undefined tensor"));
}

// The last `count` positions of ids [B, T] (all of them when count is 0 or ≥ T).
Tensor last_tokens(const Tensor& ids, int64_t count) {
  const int64_t length = ids.size(1);
  return count == 0 || count >= length ? ids : ids.narrow(1, length - count, count);
}

// The logits of each sequence's last position: [B, T, V] → [B, V].
Tensor last_logits(const Tensor& logits, const char* model) {
  NABLA_CHECK(logits.dim() == 3 && logits.is_floating_point(),
              "generate: the model {} must return logits [B, T, V], got {}", model, logits.describe());
  return logits.select(1, logits.size(1) - 1);
}

// One token from one row of logits under temperature, top-k and top-p; `uniform` in [0, 1).
int64_t sample_row(const double* logits, int64_t vocabulary, const GenerationOptions& options, double uniform) {
  std::vector<int64_t> order(static_cast<size_t>(vocabulary));
  std::iota(order.begin(), order.end(), 0);
  const auto kept = static_cast<size_t>(options.top_k > 0 ? std::min(options.top_k, vocabulary) : vocabulary);
  // Ties keep the lower id first, so the draw does not depend on the sort's implementation.
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end(),
                    [&](int64_t a, int64_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  std::vector<double> weights(kept);
  const double largest = logits[order[0]];
  double total = 0;
  for (size_t i = 0; i < kept; ++i) total += weights[i] = std::exp((logits[order[i]] - largest) / options.temperature);
  // top-p: the smallest prefix (by probability) whose mass reaches top_p.
  size_t nucleus = kept;
  if (options.top_p < 1) {
    double mass = 0;
    for (size_t i = 0; i < kept; ++i) {
      mass += weights[i] / total;
      if (mass >= options.top_p) {
        nucleus = i + 1;
        break;
      }
    }
  }
  const double nucleus_total = std::accumulate(weights.begin(), weights.begin() + static_cast<std::ptrdiff_t>(nucleus), 0.0);
  double threshold = uniform * nucleus_total;
  for (size_t i = 0; i < nucleus; ++i) {
    threshold -= weights[i];
    if (threshold < 0) return order[i];
  }
  return order[nucleus - 1];  // rounding left a sliver above the last weight
}

}  // namespace

Tensor sample_next(const Tensor& logits, const GenerationOptions& options, Generator& generator) {
  NABLA_CHECK(logits.dim() == 2 && logits.is_floating_point() && logits.size(1) > 0,
              "sample_next: expected logits [B, V], got {}", logits.describe());
  NABLA_CHECK(options.temperature >= 0 && std::isfinite(options.temperature),
              "sample_next: temperature must be ≥ 0, got {}", options.temperature);
  NABLA_CHECK(options.top_k >= 0, "sample_next: top_k must be ≥ 0, got {}", options.top_k);
  NABLA_CHECK(options.top_p > 0 && options.top_p <= 1, "sample_next: top_p must be in (0, 1], got {}", options.top_p);
  const int64_t batch = logits.size(0), vocabulary = logits.size(1);
  const std::vector<double> values = logits.to_vector();
  const bool greedy = options.greedy || options.temperature == 0;
  const std::vector<double> uniforms = greedy ? std::vector<double>() : rand({batch}, DType::f64, &generator).to_vector();
  std::vector<double> tokens(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    const double* row = values.data() + b * vocabulary;
    tokens[static_cast<size_t>(b)] = static_cast<double>(
        greedy ? std::max_element(row, row + vocabulary) - row
               : sample_row(row, vocabulary, options, uniforms[static_cast<size_t>(b)]));
  }
  return from_vector(tokens, {batch}, DType::i64);
}

Tensor generate(nn::Module& model, const Tensor& prompt_ids, const GenerationOptions& options,
                const TokenCallback& on_token) {
  check_token_ids(prompt_ids, 2, "generate");
  NABLA_CHECK(options.max_new_tokens >= 0 && options.context >= 0,
              "generate: max_new_tokens and context must be ≥ 0, got {} and {}", options.max_new_tokens,
              options.context);
  EvalGuard eval(model);
  autograd::NoGradGuard no_grad;
  Generator generator(options.seed);
  Tensor tokens = prompt_ids.to(DType::i64);
  auto* gpt = dynamic_cast<GPT*>(&model);
  const bool bounded = gpt && (gpt->options.positions == PositionEncoding::learned ||
                               gpt->options.positions == PositionEncoding::sinusoidal);
  const int64_t window = options.context ? options.context : (bounded ? gpt->options.context : 0);
  if (gpt) {
    NABLA_CHECK(!bounded || window <= gpt->options.context, "generate: context {} exceeds the GPT's context of {}",
                window, gpt->options.context);
  }
  const bool cached = gpt && options.use_cache;
  GPTCache cache;
  const int64_t capacity = window ? window : tokens.size(1) + options.max_new_tokens;
  auto prefill = [&](const Tensor& ids) {
    cache = gpt->make_cache(ids.size(0), capacity);
    return gpt->forward_cached(ids, cache);
  };
  // A recurrent model's state stands for the `seen` tokens fed since it last started from zeros.
  auto* recurrent = options.use_cache ? dynamic_cast<RecurrentStateModel*>(&model) : nullptr;
  std::vector<Tensor> state;
  int64_t seen = 0;
  auto restart_recurrent = [&](int64_t length) {
    state.clear();
    const Tensor ids = last_tokens(tokens, length);
    seen = ids.size(1);
    return last_logits(recurrent->forward_with_state(ids, state), model.name().c_str());
  };
  auto next_logits = [&](const Tensor& newest) {
    if (recurrent) {
      if (seen == 0) return restart_recurrent(window);
      if (window && seen == window) return restart_recurrent(std::max<int64_t>(1, window / 2));
      ++seen;
      return last_logits(recurrent->forward_with_state(newest.unsqueeze(1), state), model.name().c_str());
    }
    if (!cached) return last_logits(model.forward(last_tokens(tokens, window)), model.name().c_str());
    if (cache.length() == 0) return last_logits(prefill(last_tokens(tokens, window)), "GPT");
    if (cache.length() == cache.capacity()) return last_logits(prefill(last_tokens(tokens, std::max<int64_t>(1, capacity / 2))), "GPT");
    return last_logits(gpt->forward_cached(newest.unsqueeze(1), cache), "GPT");
  };
  Tensor newest;
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    newest = sample_next(next_logits(newest), options, generator);
    tokens = cat({tokens, newest.unsqueeze(1)}, 1);
    if (on_token && !on_token(newest)) break;
  }
  return tokens;
}

double perplexity(nn::Module& model, const Tensor& ids, int64_t context) {
  check_token_ids(ids, 1, "perplexity");
  NABLA_CHECK(ids.size(0) >= 2 && context >= 1, "perplexity: needs at least 2 tokens and context ≥ 1, got {} and {}",
              ids.size(0), context);
  EvalGuard eval(model);
  autograd::NoGradGuard no_grad;
  const Tensor sequence = ids.to(DType::i64);
  const int64_t count = sequence.size(0) - 1;
  double total = 0;
  for (int64_t start = 0; start < count; start += context) {
    const int64_t length = std::min(context, count - start);
    const Tensor logits = model.forward(sequence.narrow(0, start, length).unsqueeze(0));
    NABLA_CHECK(logits.dim() == 3 && logits.size(1) == length,
                "perplexity: the model {} must return logits [1, T, V] for [1, T] ids, got {}", model.name(),
                logits.describe());
    total += functional::cross_entropy(logits.squeeze(0), sequence.narrow(0, start + 1, length),
                                       {.reduction = Reduction::sum})
                 .item();
  }
  return std::exp(total / static_cast<double>(count));
}

}  // namespace nabla::models
