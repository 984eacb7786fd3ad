#include "bench/train/language_models.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "nabla/analysis/flops.h"
#include "nabla/autograd.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

namespace nabla::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int64_t context_of(const std::string& model) { return models::registry().at(model).input.shape.at(0); }

nn::ModulePtr make_model(const Recipe& recipe) {
  manual_seed(recipe.seed);
  return models::registry().make(recipe.model, {.classes = bench_vocabulary});
}

// `count` batches of random windows [batch, context + 1]: inputs are the first context tokens, targets the
// last context (the next token of each position), drawn before any timed region.
std::vector<Tensor> random_windows(const Recipe& recipe, int64_t batch, int64_t count) {
  Generator generator(recipe.seed + 1);
  std::vector<Tensor> windows;
  for (int64_t i = 0; i < count; ++i) {
    windows.push_back(randint(0, bench_vocabulary, {batch, context_of(recipe.model) + 1}, {.dtype = DType::i64},
                              &generator));
  }
  return windows;
}

}  // namespace

bool is_language_model(const std::string& model) { return models::registry().at(model).input.dataset == "text"; }

TrainingSpeed measure_language_model_training(const Recipe& recipe, int64_t warmup, int64_t steps) {
  nn::ModulePtr model = make_model(recipe);
  model->train();
  NABLA_CHECK(recipe.optimizer == "adam", "bench_train: language models train with adam, got '{}'", recipe.optimizer);
  optim::Adam optimizer(model->parameters(), optim::AdamOptions{.lr = recipe.lr, .weight_decay = recipe.weight_decay});
  const int64_t context = context_of(recipe.model);
  const std::vector<Tensor> windows = random_windows(recipe, recipe.batch_size, 8);
  Tensor loss;
  auto step = [&](int64_t i) {
    const Tensor& window = windows[static_cast<size_t>(i) % windows.size()];
    const Tensor inputs = window.slice(1, 0, context).contiguous(), targets = window.slice(1, 1, context + 1).contiguous();
    loss = cross_entropy((*model)(inputs).flatten(0, 1), targets.flatten());
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  };
  double flops = 0;
  {
    analysis::FlopCounter counter;
    step(0);
    flops = static_cast<double>(counter.total()) / static_cast<double>(recipe.batch_size);
  }
  for (int64_t i = 1; i < warmup; ++i) step(i);
  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < steps; ++i) step(i);
  const double seconds = seconds_since(start);
  return {.samples_per_second = static_cast<double>(steps * recipe.batch_size) / seconds,
          .final_loss = loss.item(),
          .flops_per_sample = flops};
}

InferenceSpeed measure_language_model_inference(const Recipe& recipe, int64_t warmup, int64_t calls) {
  nn::ModulePtr model = make_model(recipe);
  model->eval();
  autograd::InferenceModeGuard inference;
  const int64_t context = context_of(recipe.model);
  InferenceSpeed result;
  const std::vector<Tensor> batches = random_windows(recipe, recipe.batch_size, 4);
  auto run = [&](const std::vector<Tensor>& windows, int64_t i) {
    (*model)(windows[static_cast<size_t>(i) % windows.size()].slice(1, 0, context).contiguous());
  };
  for (int64_t i = 0; i < warmup; ++i) run(batches, i);
  Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < calls; ++i) run(batches, i);
  result.samples_per_second = static_cast<double>(calls * recipe.batch_size) / seconds_since(start);
  const std::vector<Tensor> singles = random_windows(recipe, 1, 4);
  for (int64_t i = 0; i < warmup; ++i) run(singles, i);
  std::vector<double> latencies;
  for (int64_t i = 0; i < calls; ++i) {
    const Clock::time_point call_start = Clock::now();
    run(singles, i);
    latencies.push_back(seconds_since(call_start));
  }
  std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(latencies.size() / 2),
                   latencies.end());
  result.latency_microseconds = latencies[latencies.size() / 2] * 1e6;
  return result;
}

}  // namespace nabla::bench
