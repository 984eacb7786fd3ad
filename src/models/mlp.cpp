#include "nabla/models/registry.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/linear.h"

namespace nabla::models {

nn::ModulePtr mlp(const MlpOptions& options) {
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Flatten>());
  int64_t width = options.inputs;
  for (int64_t hidden : options.hidden) {
    model->push_back(std::make_shared<nn::Linear>(width, hidden));
    model->push_back(std::make_shared<nn::ReLU>());
    width = hidden;
  }
  model->push_back(std::make_shared<nn::Linear>(width, options.outputs));
  return model;
}

namespace {

// The "hidden" override: a JSON list of positive widths, e.g. [512, 256]; absent, MlpOptions' default.
std::vector<int64_t> hidden_widths(const ModelOptions& options) {
  if (!options.overrides.contains("hidden")) return MlpOptions{}.hidden;
  const nlohmann::json& value = options.overrides.at("hidden");
  const bool valid = value.is_array() && std::all_of(value.begin(), value.end(), [](const nlohmann::json& width) {
                       return width.is_number_integer() && width.get<int64_t>() >= 1;
                     });
  NABLA_CHECK(valid, "model 'mlp': option hidden must be a list of positive widths such as [256, 256], got {}",
              value.dump());
  return value.get<std::vector<int64_t>>();
}

}  // namespace

// Same recipe as LeNet, so the two compare on equal terms.
std::vector<ModelEntry> mlp_models() {
  const InputSpec input{.shape = {1, 28, 28}, .dataset = "fashion-mnist"};
  return {{.name = "mlp",
           .description = "Multilayer perceptron: flatten -> 256 -> 256 -> classes, ReLU between",
           .input = input,
           .recipe = {.optimizer = "adam", .lr = 3e-3, .scheduler = "cosine", .epochs = 20, .batch_size = 128},
           .options = {{"hidden", "widths of the hidden layers, a JSON list such as [256, 256]"}},
           .make = [input](const ModelOptions& options) {
             return mlp({.inputs = numel(input.shape), .hidden = hidden_widths(options), .outputs = options.classes});
           }}};
}

}  // namespace nabla::models
