#pragma once
// Small Fashion-MNIST classifiers for the experiments that look at a model after every epoch or compare
// many short runs (Q29, Q32–Q35): stratified samples of the data, minibatch training one epoch at a time
// (the Trainer runs all its epochs in one call), and the Trainer's evaluation.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "nabla/data/dataset.h"
#include "nabla/data/loader.h"
#include "nabla/nn/module.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/scheduler.h"
#include "nabla/train/trainer.h"

namespace nabla::lab {

// `count` images of a Fashion-MNIST split, each class keeping its share (the whole split when count is its
// size), drawn with `seed`.
data::DatasetPtr fashion_sample(data::Split split, int64_t count, uint64_t seed);

// One pass over `loader` in the order of its epoch `epoch`; returns the mean training loss, or NaN as soon
// as a batch loss is not finite (a learning rate that diverges), leaving the rest of the epoch out.
// `per_step_schedule`, when given, steps after every optimizer step.
double train_epoch(nn::Module& model, optim::Optimizer& optimizer, const data::DataLoader& loader, int64_t epoch,
                   const train::LossFunction& loss, optim::Scheduler* per_step_schedule = nullptr);

// Loss (cross-entropy), accuracy and confusion matrix of `model` in eval mode on `loader`.
train::Evaluation evaluate_classifier(const nn::ModulePtr& model, const std::shared_ptr<optim::Optimizer>& optimizer,
                                      const data::DataLoader& loader);

// A copy of the model's weights (for restoring the best epoch later with load_state_dict).
std::map<std::string, Tensor> copy_weights(const nn::Module& model);

}  // namespace nabla::lab
