// bench_gpt: nabla's side of the GPT rows (the PyTorch twin is bench/peers/gpt.py, same options, same JSON keys).
//   --mode train     char-GPT training on random token windows (AdamW): tokens/s over --steps steps after --warmup,
//                    and the process's peak RSS (MiB) at the end
//   --mode generate  greedy generation at batch 1 with the KV cache: tokens/s over --steps new tokens after a
//                    prompt of --prompt tokens (the prefill is not timed)
// The model is the registry's `gpt` (4 layers, 4 heads, d_model 128, context 128 by default), vocabulary 96.
#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "backend/cpu/kernels.h"
#include "nabla/models/gpt.h"
#include "nabla/nabla.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace nabla;

struct Settings {
  int64_t layers = 4, heads = 4, d_model = 128, context = 128, vocabulary = 96, batch = 32;
  int64_t warmup = 3, steps = 20, prompt = 16;
};

// The process's peak resident set so far (MiB), as bench_train and the PyTorch twins report it.
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

models::GPT make_model(const Settings& settings, Generator& generator) {
  return models::GPT({.vocab_size = settings.vocabulary, .context = settings.context, .layers = settings.layers,
                      .heads = settings.heads, .d_model = settings.d_model},
                     &generator);
}

nlohmann::json run_training(const Settings& settings) {
  Generator generator(1);
  models::GPT model = make_model(settings, generator);
  optim::AdamW optimizer(model.parameters(), {.lr = 1e-3, .weight_decay = 0.1});
  const int64_t B = settings.batch, T = settings.context, V = settings.vocabulary;
  double loss_value = 0, seconds = 0;
  for (int64_t step = 0; step < settings.warmup + settings.steps; ++step) {
    const Tensor window = randint(0, V, {B, T + 1}, DType::i64, &generator);
    const Tensor inputs = window.narrow(1, 0, T), targets = window.narrow(1, 1, T).reshape({B * T});
    const auto start = Clock::now();
    Tensor loss = functional::cross_entropy(model(inputs).reshape({B * T, V}), targets, {});
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    loss_value = loss.item();
    if (step >= settings.warmup) seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  return {{"tokens_per_second", static_cast<double>(settings.steps * B * T) / seconds}, {"final_loss", loss_value},
          {"peak_rss_mib", peak_rss_mib()}};
}

nlohmann::json generate(const Settings& settings) {
  autograd::NoGradGuard no_grad;
  Generator generator(2);
  models::GPT model = make_model(settings, generator);
  model.eval();
  const Tensor prompt = randint(0, settings.vocabulary, {1, settings.prompt}, DType::i64, &generator);
  double seconds = 0;
  int64_t produced = 0;
  for (int64_t round = 0; round < 1 + settings.warmup; ++round) {
    models::GPTCache cache = model.make_cache(1, settings.prompt + settings.steps);
    Tensor logits = model.forward_cached(prompt, cache);
    const auto start = Clock::now();
    for (int64_t step = 0; step < settings.steps; ++step) {
      const Tensor next = argmax(logits.select(1, logits.size(1) - 1), 1).unsqueeze(1);  // [1, 1]
      logits = model.forward_cached(next, cache);
    }
    if (round == settings.warmup) {
      seconds = std::chrono::duration<double>(Clock::now() - start).count();
      produced = settings.steps;
    }
  }
  return {{"tokens_per_second", static_cast<double>(produced) / seconds}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_gpt: nabla's side of the GPT rows of the benchmarks"};
  std::string mode = "train";
  Settings settings;
  app.add_option("--mode", mode, "train or generate")->check(CLI::IsMember({"train", "generate"}));
  app.add_option("--batch-size", settings.batch, "Training batch")->check(CLI::PositiveNumber);
  app.add_option("--context", settings.context, "Training window (and the model's context)")->check(CLI::PositiveNumber);
  app.add_option("--warmup", settings.warmup, "Untimed steps (generate: untimed rounds)")->check(CLI::NonNegativeNumber);
  app.add_option("--steps", settings.steps, "Timed training steps, or generated tokens")->check(CLI::PositiveNumber);
  app.add_option("--prompt", settings.prompt, "Prompt length (generate)")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    nlohmann::json result = mode == "train" ? run_training(settings) : generate(settings);
    result.update({{"framework", "nabla"}, {"mode", mode}, {"threads", cpu::num_threads()}});
    std::printf("%s\n", result.dump().c_str());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_gpt: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
