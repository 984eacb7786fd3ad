#pragma once
// The three measurements of bench_train, each on a zoo model and Fashion-MNIST with the recipe its PyTorch
// twin (bench/peers/train.py) follows: Adam (lr 1e-3, PyTorch's defaults) or SGD with momentum and weight
// decay, batch 128, shuffled, pixels scaled to [0, 1].
#include <cstdint>
#include <string>

namespace nabla::bench {

struct Recipe {
  std::string model;  // a registry name with a twin in bench/peers/models.py
  std::string data;   // Fashion-MNIST directory ("" = the library's default search)
  uint64_t seed = 0;
  int64_t batch_size = 128;
  std::string optimizer = "adam";  // adam, or sgd (with momentum and weight_decay)
  double lr = 1e-3, momentum = 0.9, weight_decay = 0;
};

struct TrainingSpeed {
  double samples_per_second = 0;
  double final_loss = 0;
  double flops_per_sample = 0;  // forward + backward, see training_flops_per_sample
};
// `warmup` steps untimed, then `steps` timed training steps (forward, loss, backward, optimizer step).
TrainingSpeed measure_training(const Recipe& recipe, int64_t warmup, int64_t steps);

struct InferenceSpeed {
  double samples_per_second = 0;  // at the recipe's batch size, eval + inference mode
  double latency_microseconds = 0;  // median over `calls` single-image forward passes
};
InferenceSpeed measure_inference(const Recipe& recipe, int64_t warmup, int64_t calls);

// Trains one epoch and returns the test accuracy (the parity check against the twin).
double one_epoch_test_accuracy(const Recipe& recipe);

// FLOPs of one training step per sample: the forward pass (nn::summary: multiply-add = 2), the weight
// gradients (as many again) and the input gradients (as many again, except the first layer's: its input
// needs none). Elementwise layers are counted at one FLOP per output element, three times.
double training_flops_per_sample(const std::string& model);

// Peak resident set size of this process so far, MiB (getrusage).
double peak_rss_mib();

}  // namespace nabla::bench
