#pragma once
// bench_train's language-model workloads: a registry model whose input is token windows (data set "text": the
// recurrent `lstm` and `gru`), trained on random windows of its default context over `vocabulary` token ids.
// Random tokens keep the speed independent of a corpus; the PyTorch twin (bench/peers/language_models.py) draws
// windows of the same sizes. A sample is one window, so tokens/s = samples/s × context.
#include <string>

#include "bench/train/workloads.h"

namespace nabla::bench {

inline constexpr int64_t bench_vocabulary = 96;  // about a character-level vocabulary

bool is_language_model(const std::string& model);

// Forward, cross-entropy over every position, backward and an optimizer step per window batch; FLOPs per
// window counted by the dispatcher (analysis::FlopCounter) over one step.
TrainingSpeed measure_language_model_training(const Recipe& recipe, int64_t warmup, int64_t steps);
// Eval-mode forward passes of batch windows, and the median latency of one window.
InferenceSpeed measure_language_model_inference(const Recipe& recipe, int64_t warmup, int64_t calls);

}  // namespace nabla::bench
