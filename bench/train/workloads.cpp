#include "bench/train/workloads.h"

#include "bench/train/language_models.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include "nabla/autograd.h"
#include "nabla/data/dataset.h"
#include "nabla/data/loader.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nabla/nn/summary.h"
#include "nabla/optim/optimizer.h"

namespace nabla::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::unique_ptr<optim::Optimizer> make_optimizer(const Recipe& recipe, std::vector<Tensor> parameters) {
  if (recipe.optimizer == "sgd") {
    return std::make_unique<optim::SGD>(std::move(parameters), optim::SGDOptions{
        .lr = recipe.lr, .momentum = recipe.momentum, .weight_decay = recipe.weight_decay});
  }
  NABLA_CHECK(recipe.optimizer == "adam", "bench_train: unknown optimizer '{}' (adam or sgd)", recipe.optimizer);
  return std::make_unique<optim::Adam>(std::move(parameters),
                                       optim::AdamOptions{.lr = recipe.lr, .weight_decay = recipe.weight_decay});
}

// A model, its optimizer and an endless stream of shuffled training batches: what a training loop holds.
class TrainingRun {
 public:
  // Seeded before the model is made: its initialisation draws from the global generator.
  explicit TrainingRun(const Recipe& recipe)
      : model_((manual_seed(recipe.seed), models::registry().make(recipe.model))),
        optimizer_(make_optimizer(recipe, model_->parameters())),
        loader_(data::fashion_mnist(data::Split::train, recipe.data),
                data::LoaderOptions{.batch_size = recipe.batch_size, .shuffle = true, .seed = recipe.seed}) {
    model_->train();
  }

  // One optimizer step on the next batch (a new epoch starts where the last one ended).
  void step() {
    std::optional<data::Batch> batch = epoch_ ? epoch_->next() : std::nullopt;
    if (!batch) {
      epoch_ = loader_.epoch(next_epoch_++);
      batch = epoch_->next();
    }
    train_on(*batch);
  }

  void train_one_epoch() {
    epoch_ = loader_.epoch(next_epoch_++);
    while (std::optional<data::Batch> batch = epoch_->next()) train_on(*batch);
  }

  int64_t samples() const { return samples_; }
  double last_loss() const { return last_loss_.item(); }
  nn::Module& model() { return *model_; }

 private:
  nn::ModulePtr model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  data::DataLoader loader_;
  std::unique_ptr<data::DataLoader::Epoch> epoch_;
  int64_t next_epoch_ = 0, samples_ = 0;
  Tensor last_loss_;

  void train_on(const data::Batch& batch) {
    last_loss_ = cross_entropy((*model_)(batch.inputs), batch.targets);
    optimizer_->zero_grad();
    last_loss_.backward();
    optimizer_->step();
    samples_ += batch.inputs.size(0);
  }
};

// The test set in batches of `batch_size`, already converted to float (outside any timed region).
std::vector<data::Batch> test_batches(const Recipe& recipe, int64_t batch_size, int64_t count) {
  data::DataLoader loader(data::fashion_mnist(data::Split::test, recipe.data),
                          data::LoaderOptions{.batch_size = batch_size, .shuffle = false, .prefetch = 0});
  std::vector<data::Batch> batches;
  auto epoch = loader.epoch(0);
  while (static_cast<int64_t>(batches.size()) < count) {
    std::optional<data::Batch> batch = epoch->next();
    if (!batch) break;
    batches.push_back(std::move(*batch));
  }
  return batches;
}

}  // namespace

TrainingSpeed measure_training(const Recipe& recipe, int64_t warmup, int64_t steps) {
  if (is_language_model(recipe.model)) return measure_language_model_training(recipe, warmup, steps);
  TrainingRun run(recipe);
  for (int64_t i = 0; i < warmup; ++i) run.step();
  const int64_t samples_before = run.samples();
  Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < steps; ++i) run.step();
  const double seconds = seconds_since(start);
  return {.samples_per_second = static_cast<double>(run.samples() - samples_before) / seconds,
          .final_loss = run.last_loss(),
          .flops_per_sample = training_flops_per_sample(recipe.model)};
}

InferenceSpeed measure_inference(const Recipe& recipe, int64_t warmup, int64_t calls) {
  if (is_language_model(recipe.model)) return measure_language_model_inference(recipe, warmup, calls);
  manual_seed(recipe.seed);
  nn::ModulePtr model = models::registry().make(recipe.model);
  model->eval();
  autograd::InferenceModeGuard inference;
  InferenceSpeed result;

  std::vector<data::Batch> batches = test_batches(recipe, recipe.batch_size, 16);
  for (int64_t i = 0; i < warmup; ++i) (*model)(batches[i % batches.size()].inputs);
  Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < calls; ++i) (*model)(batches[i % batches.size()].inputs);
  result.samples_per_second = static_cast<double>(calls * recipe.batch_size) / seconds_since(start);

  std::vector<data::Batch> singles = test_batches(recipe, 1, 256);
  for (int64_t i = 0; i < warmup; ++i) (*model)(singles[i % singles.size()].inputs);
  std::vector<double> latencies;
  for (int64_t i = 0; i < calls; ++i) {
    Clock::time_point call_start = Clock::now();
    (*model)(singles[i % singles.size()].inputs);
    latencies.push_back(seconds_since(call_start));
  }
  std::nth_element(latencies.begin(), latencies.begin() + latencies.size() / 2, latencies.end());
  result.latency_microseconds = latencies[latencies.size() / 2] * 1e6;
  return result;
}

double one_epoch_test_accuracy(const Recipe& recipe) {
  TrainingRun run(recipe);
  run.train_one_epoch();
  run.model().eval();
  autograd::InferenceModeGuard inference;
  int64_t correct = 0, examples = 0;
  for (const data::Batch& batch : test_batches(recipe, 1000, 1 << 20)) {
    correct += static_cast<int64_t>(sum(eq(argmax(run.model()(batch.inputs), 1), batch.targets)).item());
    examples += batch.inputs.size(0);
  }
  return static_cast<double>(correct) / static_cast<double>(examples);
}

double training_flops_per_sample(const std::string& model_name) {
  nn::ModulePtr model = models::registry().make(model_name);
  nn::ModelSummary summary = nn::summary(*model, models::registry().at(model_name).batch_shape(1));
  auto first_learned = std::find_if(summary.layers.begin(), summary.layers.end(),
                                    [](const nn::LayerSummary& layer) { return layer.parameters > 0; });
  const int64_t first_input_gradient = first_learned == summary.layers.end() ? 0 : first_learned->flops;
  return static_cast<double>(3 * summary.flops - first_input_gradient);
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

}  // namespace nabla::bench
