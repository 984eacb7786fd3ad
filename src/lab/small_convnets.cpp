#include "small_convnets.h"

#include <cmath>

#include "epoch_training.h"
#include "nabla/autograd.h"
#include "nabla/data/loader.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/pool.h"

namespace nabla::lab {

nn::ModulePtr small_cnn(Generator& generator, bool max_pool) {
  auto pool = [&]() -> nn::AnyModule {
    if (max_pool) return std::make_shared<nn::MaxPool2d>(2);
    return std::make_shared<nn::AvgPool2d>(2);
  };
  auto conv = [&](int64_t in, int64_t out) {
    return std::make_shared<nn::Conv2d>(
        nn::Conv2dOptions{.in_channels = in, .out_channels = out, .kernel_size = 3, .padding = 1}, &generator);
  };
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{
      conv(1, 8), std::make_shared<nn::ReLU>(), pool(), conv(8, 16), std::make_shared<nn::ReLU>(), pool(),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 16 * 7 * 7, .out_features = 10}, &generator)});
}

FashionTask fashion_task(int64_t train_examples, int64_t test_examples, uint64_t seed) {
  return {fashion_sample(data::Split::train, train_examples, seed), fashion_sample(data::Split::test, test_examples, seed)};
}

std::vector<double> train_steps(const std::function<Tensor(const Tensor&)>& forward, optim::Optimizer& optimizer,
                                const FashionTask& task, const ClassifierSettings& settings,
                                const BatchTransform& transform) {
  data::DataLoader loader(task.train, {.batch_size = settings.batch_size, .shuffle = true, .seed = settings.seed, .prefetch = 0});
  std::vector<double> losses;
  for (int64_t epoch = 0; epoch < settings.epochs; ++epoch) {
    auto pass = loader.epoch(epoch);
    while (std::optional<data::Batch> batch = pass->next()) {
      optimizer.zero_grad();
      const Tensor inputs = transform ? transform(batch->inputs) : batch->inputs;
      Tensor loss = cross_entropy(forward(inputs), batch->targets);
      losses.push_back(loss.item());
      if (!std::isfinite(losses.back())) return losses;  // diverged: nothing more to learn from this run
      loss.backward();
      optimizer.step();
    }
  }
  return losses;
}

ClassifierRun train_classifier(nn::Module& model, const FashionTask& task, const ClassifierSettings& settings,
                               const BatchTransform& transform) {
  optim::Adam optimizer(model.parameters(), {.lr = settings.lr});
  model.train();
  ClassifierRun run;
  run.step_losses = train_steps([&](const Tensor& x) { return model(x); }, optimizer, task, settings, transform);
  model.eval();
  run.test_accuracy = accuracy([&](const Tensor& x) { return model(x); }, task.test, transform);
  model.train();
  return run;
}

Tensor correct_predictions(const std::function<Tensor(const Tensor&)>& forward, const data::DatasetPtr& test,
                           const BatchTransform& transform) {
  autograd::NoGradGuard no_grad;
  data::DataLoader loader(test, {.batch_size = 500, .shuffle = false, .prefetch = 0});
  auto pass = loader.epoch(0);
  std::vector<Tensor> parts;
  while (std::optional<data::Batch> batch = pass->next()) {
    const Tensor inputs = transform ? transform(batch->inputs) : batch->inputs;
    parts.push_back(eq(argmax(forward(inputs), 1), batch->targets).to(DType::f64));
  }
  return cat(parts, 0);
}

double accuracy(const std::function<Tensor(const Tensor&)>& forward, const data::DatasetPtr& test,
                const BatchTransform& transform) {
  return mean(correct_predictions(forward, test, transform)).item();
}

double paired_standard_error(const Tensor& a, const Tensor& b) {
  return std(a - b).item() / std::sqrt(static_cast<double>(a.size(0)));
}

Tensor translate(const Tensor& images, int64_t down, int64_t right) {
  const int64_t height = images.size(2), width = images.size(3);
  NABLA_CHECK(std::abs(down) < height && std::abs(right) < width,
              "translate: a shift of ({}, {}) pixels moves a {}×{} image out of view", down, right, height, width);
  // Pad the side the image moves away from, then keep the window that starts where the shift says.
  const Tensor padded = functional::pad(images, {std::max<int64_t>(right, 0), std::max<int64_t>(-right, 0),
                                                 std::max<int64_t>(down, 0), std::max<int64_t>(-down, 0)});
  return padded.narrow(2, std::max<int64_t>(-down, 0), height).narrow(3, std::max<int64_t>(-right, 0), width).contiguous();
}

plot::Panel training_loss_panel(const std::vector<std::pair<std::string, const ClassifierRun*>>& runs) {
  plot::Panel panel{"Training loss", "optimizer step", "training loss (cross-entropy, nats; log scale)", {}, true};
  for (const auto& [name, run] : runs) {
    plot::Series series{name, {}, {}};
    for (size_t step = 0; step < run->step_losses.size(); ++step) {
      series.x.push_back(static_cast<double>(step));
      series.y.push_back(run->step_losses[step]);
    }
    panel.series.push_back(std::move(series));
  }
  return panel;
}

}  // namespace nabla::lab
