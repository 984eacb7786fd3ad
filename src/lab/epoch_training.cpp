#include "epoch_training.h"

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/nabla.h"

namespace nabla::lab {

data::DatasetPtr fashion_sample(data::Split split, int64_t count, uint64_t seed) {
  data::DatasetPtr all = data::fashion_mnist(split);
  NABLA_CHECK(count >= 1 && count <= all->size(), "lab: a Fashion-MNIST sample needs 1 to {} images, got {}", all->size(),
              count);
  if (count == all->size()) return all;
  return data::stratified_split(all, static_cast<double>(count) / static_cast<double>(all->size()), seed).first;
}

double train_epoch(nn::Module& model, optim::Optimizer& optimizer, const data::DataLoader& loader, int64_t epoch,
                   const train::LossFunction& loss, optim::Scheduler* per_step_schedule) {
  model.train();
  auto pass = loader.epoch(epoch);
  double loss_sum = 0;
  int64_t examples = 0;
  while (std::optional<data::Batch> batch = pass->next()) {
    optimizer.zero_grad();
    Tensor value = loss(model(batch->inputs), batch->targets);
    const double number = value.item();
    if (!std::isfinite(number)) return NAN;
    value.backward();
    optimizer.step();
    if (per_step_schedule) per_step_schedule->step();
    loss_sum += number * static_cast<double>(batch->inputs.size(0));
    examples += batch->inputs.size(0);
  }
  return examples ? loss_sum / static_cast<double>(examples) : NAN;
}

train::Evaluation evaluate_classifier(const nn::ModulePtr& model, const std::shared_ptr<optim::Optimizer>& optimizer,
                                      const data::DataLoader& loader) {
  train::Trainer evaluator(model, optimizer, [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); },
                           {.epochs = 0, .progress = false});
  return evaluator.evaluate(loader);
}

std::map<std::string, Tensor> copy_weights(const nn::Module& model) { return model.state_dict().clone(); }

}  // namespace nabla::lab
