// bench_train: one measurement of nabla on Fashion-MNIST, printed as one JSON line on stdout. bench/run
// calls it alternately with its PyTorch twin (bench/peers/train.py, same options, same JSON keys).
//   --mode train   training samples/s after --warmup steps, over --steps steps; peak RSS of this process and
//                  the caching allocator's peak allocated and reserved bytes
//   --mode infer   inference samples/s at --batch-size and median batch-1 latency, over --steps calls each
//   --mode parity  test accuracy after one epoch of training with --seed
//   --mode data    the Fashion-MNIST directory nabla reads (the twin is pointed at the same files)
#include <CLI/CLI.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "backend/cpu/kernels.h"
#include "bench/train/workloads.h"
#include "nabla/allocator.h"
#include "nabla/data/dataset.h"
#include "nabla/error.h"
#include "nabla/models/registry.h"

namespace {

nlohmann::json run(const std::string& mode, const nabla::bench::Recipe& recipe, int64_t warmup, int64_t steps) {
  using namespace nabla::bench;
  nlohmann::json result = {{"framework", "nabla"}, {"version", NABLA_VERSION}, {"model", recipe.model},
                           {"mode", mode}, {"threads", nabla::cpu::num_threads()}, {"batch_size", recipe.batch_size},
                           {"optimizer", recipe.optimizer}};
  if (mode == "train") {
    TrainingSpeed speed = measure_training(recipe, warmup, steps);
    result.update({{"samples_per_second", speed.samples_per_second}, {"final_loss", speed.final_loss},
                   {"train_flops_per_sample", speed.flops_per_sample}, {"peak_rss_mib", peak_rss_mib()},
                   {"warmup", warmup}, {"steps", steps}});
    // Where the RSS goes: the caching allocator's peaks (tensors live at once; bytes it held from the system).
    const nabla::MemoryStats memory = nabla::memory::stats();
    result.update({{"peak_allocated_mib", static_cast<double>(memory.peak_allocated) / (1 << 20)},
                   {"peak_reserved_mib", static_cast<double>(memory.peak_reserved) / (1 << 20)}});
  } else if (mode == "infer") {
    InferenceSpeed speed = measure_inference(recipe, warmup, steps);
    result.update({{"samples_per_second", speed.samples_per_second},
                   {"latency_b1_us", speed.latency_microseconds}, {"warmup", warmup}, {"steps", steps}});
  } else if (mode == "parity") {
    result.update({{"seed", recipe.seed}, {"test_accuracy", one_epoch_test_accuracy(recipe)}});
  } else {
    result = {{"data", nabla::data::fashion_mnist_directory(recipe.data)}};
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_train: nabla's side of bench/run's training and inference rows"};
  std::string mode = "train";
  nabla::bench::Recipe recipe{.model = "mlp"};
  int64_t warmup = 20, steps = 200;
  app.add_option("--mode", mode, "train, infer, parity or data")->check(CLI::IsMember({"train", "infer", "parity", "data"}));
  app.add_option("--model", recipe.model, "A model of the registry (`nabla models`)")
      ->check(CLI::IsMember(nabla::models::registry().names()));
  app.add_option("--data", recipe.data, "Fashion-MNIST directory (default: $NABLA_DATA, else the Debian package's)");
  app.add_option("--optimizer", recipe.optimizer, "adam or sgd")->check(CLI::IsMember({"adam", "sgd"}));
  app.add_option("--lr", recipe.lr, "Learning rate")->check(CLI::PositiveNumber);
  app.add_option("--momentum", recipe.momentum, "SGD's momentum")->check(CLI::NonNegativeNumber);
  app.add_option("--weight-decay", recipe.weight_decay, "Weight decay (L2, added to the gradient)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", recipe.seed, "Initialisation and shuffling seed");
  app.add_option("--batch-size", recipe.batch_size, "Training and inference batch")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "Untimed steps (or calls) first")->check(CLI::NonNegativeNumber);
  app.add_option("--steps", steps, "Timed steps (or calls)")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    std::printf("%s\n", run(mode, recipe, warmup, steps).dump().c_str());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_train: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
