// The Trainer's evaluation protocol (the lab's Q34/Q35): each epoch is validated on held-out data, the
// best epoch and early stopping look only at it, and the test set is read once, after training. The data
// sets here count the examples the Trainer fetches, so the test checks what was read, not what was said.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>

#include "nabla/data/loader.h"
#include "nabla/data/synthetic.h"
#include "nabla/io/safetensors.h"
#include "nabla/nabla.h"
#include "nabla/nn/linear.h"
#include "nabla/train/trainer.h"
#include "tests/common/expect_error.h"
#include "tests/common/temporary_directory.h"

namespace nabla {
namespace {

using testing::expect_error;

// Counts the examples fetched from it (the loader's prefetch thread fetches too, hence atomic).
class CountingDataset : public data::Dataset {
 public:
  explicit CountingDataset(data::DatasetPtr base) : base_(std::move(base)) {}
  int64_t size() const override { return base_->size(); }
  data::Batch get_batch(const std::vector<int64_t>& indices) const override {
    fetched_ += static_cast<int64_t>(indices.size());
    return base_->get_batch(indices);
  }
  std::vector<int64_t> labels() const override { return base_->labels(); }
  int64_t fetched() const { return fetched_; }

 private:
  data::DatasetPtr base_;
  mutable std::atomic<int64_t> fetched_{0};
};

// Three Gaussian blobs in 4 dimensions: a linear model learns them within a few epochs.
std::shared_ptr<data::TensorDataset> blobs(int64_t per_class, uint64_t seed) {
  Generator generator(seed);
  data::Labeled set = data::gaussian_blobs(per_class, 3, 4, 3.0, 1.0, generator);
  return std::make_shared<data::TensorDataset>(set.inputs, set.targets);
}

struct TrainingRun {
  nn::ModulePtr model;
  std::unique_ptr<train::Trainer> trainer;
};

TrainingRun make_run(train::TrainerOptions options) {
  manual_seed(7);
  TrainingRun run;
  run.model = std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 4, .out_features = 3});
  auto optimizer = std::make_shared<optim::SGD>(run.model->parameters(), optim::SGDOptions{.lr = 0.1});
  options.progress = false;
  run.trainer = std::make_unique<train::Trainer>(
      run.model, optimizer, [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); },
      options);
  return run;
}

class TrainerProtocol : public nabla::testing::TemporaryDirectoryTest {
 protected:
  TrainerProtocol() : TemporaryDirectoryTest("trainer") {}
};

TEST_F(TrainerProtocol, ValidatesEveryEpochAndReadsTheTestSetOnceAfterTraining) {
  auto train_set = blobs(40, 1);
  auto validation_set = std::make_shared<CountingDataset>(blobs(10, 2));
  auto test_set = std::make_shared<CountingDataset>(blobs(20, 3));
  data::DataLoader train_loader(train_set, {.batch_size = 16, .seed = 1});
  data::DataLoader validation_loader(validation_set, {.batch_size = 7, .shuffle = false});
  data::DataLoader test_loader(test_set, {.batch_size = 7, .shuffle = false});

  const int64_t epochs = 4;
  TrainingRun run = make_run({.epochs = epochs, .out_dir = path("run")});
  const auto& history = run.trainer->fit(train_loader, &validation_loader);
  ASSERT_EQ(static_cast<int64_t>(history.size()), epochs);
  EXPECT_EQ(validation_set->fetched(), epochs * validation_set->size());
  EXPECT_EQ(test_set->fetched(), 0) << "fit() read the test set";
  for (const train::EpochMetrics& epoch : history) {
    EXPECT_TRUE(std::isfinite(epoch.validation_loss)) << "epoch " << epoch.epoch;
    EXPECT_TRUE(std::isfinite(epoch.validation_accuracy)) << "epoch " << epoch.epoch;
  }

  train::Evaluation test = run.trainer->test(test_loader);
  EXPECT_EQ(test_set->fetched(), test_set->size());
  EXPECT_EQ(test.examples, test_set->size());
  // Without early stopping the test measures the last epoch's weights.
  EXPECT_EQ(run.trainer->weights_epoch(), epochs);
  expect_error([&] { run.trainer->test(test_loader); }, {"test set", "once"});
  EXPECT_EQ(test_set->fetched(), test_set->size()) << "a refused second test() read the test set";

  // The best epoch is the one with the lowest validation loss, and best.safetensors holds its weights.
  int64_t lowest = 1;
  for (const train::EpochMetrics& epoch : history) {
    if (epoch.validation_loss < history[static_cast<size_t>(lowest - 1)].validation_loss) lowest = epoch.epoch;
  }
  EXPECT_EQ(run.trainer->best_epoch(), lowest);
  EXPECT_TRUE(std::filesystem::exists(path("run/best.safetensors")));
}

// Validation labels that contradict the training labels: the better the model learns, the worse its
// validation loss, so the first epoch is the best one and early stopping ends the run `patience` later
// with the first epoch's weights.
TEST_F(TrainerProtocol, EarlyStoppingWatchesTheValidationLossAndRestoresTheBestEpoch) {
  auto train_set = blobs(40, 1);
  auto contradicting = [] {
    auto set = blobs(10, 2);
    std::vector<double> labels = set->targets().to_vector();
    for (double& label : labels) label = std::fmod(label + 1, 3);  // every example gets another blob's class
    return std::make_shared<data::TensorDataset>(
        set->inputs(), from_vector(labels, {static_cast<int64_t>(labels.size())}, {.dtype = DType::i64}));
  }();
  data::DataLoader train_loader(train_set, {.batch_size = 16, .seed = 1});
  data::DataLoader validation_loader(contradicting, {.batch_size = 10, .shuffle = false});

  const int64_t patience = 2;
  TrainingRun run = make_run({.epochs = 20, .out_dir = path("stop"), .patience = patience});
  const auto& history = run.trainer->fit(train_loader, &validation_loader);
  ASSERT_EQ(static_cast<int64_t>(history.size()), 1 + patience);
  for (size_t i = 1; i < history.size(); ++i) EXPECT_GT(history[i].validation_loss, history[0].validation_loss);
  // The training loss still fell: it would not have stopped the run.
  EXPECT_LT(history.back().train_loss, history.front().train_loss);
  EXPECT_EQ(run.trainer->best_epoch(), 1);
  EXPECT_EQ(run.trainer->weights_epoch(), 1);
  auto best = load_safetensors(path("stop/best.safetensors"));
  for (auto& [name, tensor] : run.model->state_dict()) {
    EXPECT_EQ(tensor.to_vector(), best.at(name).to_vector()) << name;
  }
  EXPECT_NEAR(run.trainer->evaluate(validation_loader).loss, history[0].validation_loss, 1e-6);
}

TEST_F(TrainerProtocol, EarlyStoppingWithoutValidationIsRefused) {
  auto train_set = blobs(10, 1);
  data::DataLoader train_loader(train_set, {.batch_size = 8, .seed = 1});
  TrainingRun run = make_run({.epochs = 2, .patience = 1});
  expect_error([&] { run.trainer->fit(train_loader); }, {"early stopping", "validation"});
}

// A label-smoothed training loss is reported as such for training, while validation and evaluate() use the
// evaluation loss: plain cross-entropy, computed here directly from the model's outputs.
TEST_F(TrainerProtocol, EvaluationLossReplacesTheTrainingLossWhenMeasuring) {
  auto train_set = blobs(20, 1), validation_set = blobs(10, 2);
  data::DataLoader train_loader(train_set, {.batch_size = 16, .seed = 1});
  data::DataLoader validation_loader(validation_set, {.batch_size = 30, .shuffle = false});
  manual_seed(7);
  auto model = std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 4, .out_features = 3});
  auto optimizer = std::make_shared<optim::SGD>(model->parameters(), optim::SGDOptions{.lr = 0.1});
  train::Trainer trainer(
      model, optimizer,
      [](const Tensor& output, const Tensor& target) {
        return functional::cross_entropy(output, target, {.label_smoothing = 0.4});
      },
      {.epochs = 1, .progress = false});
  trainer.set_evaluation_loss([](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); });
  const auto& history = trainer.fit(train_loader, &validation_loader);
  ASSERT_EQ(history.size(), 1u);
  autograd::NoGradGuard no_grad;
  model->eval();
  Tensor output = (*model)(validation_set->inputs());
  const double plain = cross_entropy(output, validation_set->targets()).item();
  const double smoothed = functional::cross_entropy(output, validation_set->targets(), {.label_smoothing = 0.4}).item();
  ASSERT_GT(std::fabs(plain - smoothed), 1e-3);  // the two losses tell apart
  EXPECT_NEAR(history[0].validation_loss, plain, 1e-5);
  EXPECT_NEAR(trainer.evaluate(validation_loader).loss, plain, 1e-5);
}

// A data-parallel replica (rank 1 of 2), its partner simulated as an exact copy of itself: every sum over
// the ranks doubles. It writes nothing (rank 0 writes), meets its partner at the checkpoint's barrier, and
// reports the figures summed over both: twice the examples, the same mean loss and accuracy.
TEST_F(TrainerProtocol, AReplicaOtherThanRankZeroWritesNothingAndReportsFiguresSummedOverTheRanks) {
  auto train_set = blobs(40, 1);
  auto validation_set = blobs(10, 2);
  data::DataLoader train_loader(train_set, {.batch_size = 16, .seed = 1});
  data::DataLoader validation_loader(validation_set, {.batch_size = 7, .shuffle = false});
  int64_t sums = 0, barriers = 0;
  manual_seed(7);
  auto model = std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 4, .out_features = 3});
  auto optimizer = std::make_shared<optim::SGD>(model->parameters(), optim::SGDOptions{.lr = 0.1});
  train::Replicas replicas{.rank = 1,
                           .world_size = 2,
                           .module = model,
                           .sum = [&](std::vector<double>& values) {
                             ++sums;
                             for (double& value : values) value *= 2;
                           },
                           .barrier = [&] { ++barriers; }};
  train::Trainer trainer(model, optimizer, [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); },
                         {.epochs = 1, .out_dir = path("replica"), .progress = false, .replicas = replicas});
  trainer.fit(train_loader, &validation_loader);
  EXPECT_GT(sums, 0);
  EXPECT_GE(barriers, 1) << "no barrier after the end-of-epoch checkpoint";
  EXPECT_TRUE(std::filesystem::is_empty(path("replica"))) << "rank 1 wrote into the run's directory";
  const train::Evaluation both = trainer.evaluate(validation_loader);
  EXPECT_EQ(both.examples, 2 * validation_set->size());
  EXPECT_EQ(both.confusion.total(), 2 * validation_set->size());
  // The same weights measured as one process: the same mean loss and accuracy.
  train::Trainer alone(model, optimizer, [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); },
                       {.epochs = 1, .progress = false});
  const train::Evaluation one = alone.evaluate(validation_loader);
  EXPECT_NEAR(both.loss, one.loss, 1e-12);
  EXPECT_EQ(both.accuracy, one.accuracy);
}

}  // namespace
}  // namespace nabla
