#pragma once
// Small Fashion-MNIST classifiers for the convolution experiments (Q50, Q56, Q65, Q67): a stratified train
// and test sample, minibatch Adam with every input batch passed through an optional transform (a pixel
// permutation, a translation), the loss at every step, and test accuracy under a transform. Q33's
// epoch_training.h trains a whole epoch through a Trainer-like loop without a transform; these experiments
// need the batch itself.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/io/plot.h"
#include <vector>

#include "nabla/data/dataset.h"
#include "nabla/nn/module.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {

// The lab's small CNN for 1×28×28 inputs (9 098 parameters):
//   conv 3×3 1→8 p1 → ReLU → pool 2 → conv 3×3 8→16 p1 → ReLU → pool 2 → flatten [B, 784] → Linear 10
// with max pooling, or average pooling where `max_pool` is false.
nn::ModulePtr small_cnn(Generator& generator, bool max_pool = true);

struct FashionTask {
  data::DatasetPtr train, test;
};
// `train_examples` of the training split and `test_examples` of the test split, each class keeping its share.
FashionTask fashion_task(int64_t train_examples, int64_t test_examples, uint64_t seed);

// What the model sees of a batch of images [B, 1, 28, 28]; empty: the images as they are.
using BatchTransform = std::function<Tensor(const Tensor&)>;

struct ClassifierSettings {
  int64_t epochs = 1, batch_size = 64;
  double lr = 3e-3;  // Adam
  uint64_t seed = 0;  // the order of the batches
};

struct ClassifierRun {
  std::vector<double> step_losses;  // training cross-entropy at every optimizer step (nats)
  double test_accuracy = 0;
};

// Trains `model` with Adam on task.train (inputs through `transform`) and measures its test accuracy
// through the same transform.
// The training-loss curves of several runs, one series per (name, run), per optimizer step, log scale.
plot::Panel training_loss_panel(const std::vector<std::pair<std::string, const ClassifierRun*>>& runs);

ClassifierRun train_classifier(nn::Module& model, const FashionTask& task, const ClassifierSettings& settings,
                               const BatchTransform& transform = {});
// Trains with the given optimizer over the given parameters (Q56 trains tensors that are no module's).
std::vector<double> train_steps(const std::function<Tensor(const Tensor&)>& forward, optim::Optimizer& optimizer,
                                const FashionTask& task, const ClassifierSettings& settings,
                                const BatchTransform& transform = {});

// Per test image, 1 where `forward` classifies it correctly, else 0 (f64 [N], in the data set's order): two
// models scored on the same images give paired outcomes, whose difference has a smaller noise than two
// independent accuracies.
Tensor correct_predictions(const std::function<Tensor(const Tensor&)>& forward, const data::DatasetPtr& test,
                           const BatchTransform& transform = {});
// The share of `test` classified correctly (the mean of correct_predictions).
double accuracy(const std::function<Tensor(const Tensor&)>& forward, const data::DatasetPtr& test,
                const BatchTransform& transform = {});
// The standard error of mean(a) − mean(b) for paired outcomes a, b [N]: std(a − b) / √N.
double paired_standard_error(const Tensor& a, const Tensor& b);

// images [B, C, H, W] moved down by `down` and right by `right` pixels (negative: up, left); what moves in
// from outside is 0 (the background of Fashion-MNIST), what moves out is lost.
Tensor translate(const Tensor& images, int64_t down, int64_t right);

}  // namespace nabla::lab
