#pragma once
// The model registry: every model nabla knows, held once — its name, how to build it from options, the
// input it expects, the recipe it trains with by default, and a one-line description. The command line
// (`nabla train|eval|predict|summary|models`), the benchmarks and the docs read it; nothing else lists
// models. Each family file in src/models/ adds its own models (see the end of this file); the families'
// constructors themselves (models::mlp, models::lenet5) are declared in nabla/models/zoo.h.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/nn/module.h"
#include "nabla/shape.h"

namespace nabla::models {

// What a model is built from: the number of classes, and family-specific overrides by name
// ({"hidden": [512, 256]} for mlp), so a command line can pass `--model-option key=value` as JSON values.
struct ModelOptions {
  int64_t classes = 10;
  nlohmann::json overrides = nlohmann::json::object();
};

// The number that override `key` holds, or `fallback` when it is absent; an error naming the model, the key
// and the value when the value is not a number.
double number_option(const ModelOptions& options, std::string_view model, std::string_view key, double fallback);

// One override a model accepts: its key in ModelOptions::overrides and what it means.
struct OptionInfo {
  std::string key;
  std::string description;
};

// The input of one sample (no batch dim) and the data set it comes from.
struct InputSpec {
  Shape shape;          // e.g. [1, 28, 28]
  std::string dataset;  // e.g. "fashion-mnist"
};

// Random changes to each training image (never to validation or test images); zero turns each off.
struct Augmentation {
  int64_t random_crop_padding = 0;  // zero-pad by this many pixels, then crop back to the input size at random
  double horizontal_flip = 0;       // probability of mirroring left to right
  double random_erasing = 0;        // probability of erasing a rectangle (data::random_erasing's defaults)
};

// How the model trains by default: `nabla train --model NAME` with no other option runs this. The defaults
// of the fields after batch_size change nothing, so a recipe written before them trains as it did.
struct Recipe {
  std::string optimizer = "adam";  // sgd, adam, adamw, rmsprop, adagrad
  double lr = 3e-3;
  double weight_decay = 0;
  double momentum = 0.9;           // sgd, rmsprop
  std::string scheduler = "cosine";  // none, step, cosine, onecycle
  int64_t epochs = 20;
  int64_t batch_size = 128;
  bool nesterov = false;           // sgd: Nesterov momentum
  // Epochs of linear warm-up, per step from a small factor of lr up to lr, before the schedule (which then
  // runs per step over the remaining epochs); not with onecycle, which warms up by itself.
  int64_t warmup_epochs = 0;
  double label_smoothing = 0;      // of the training loss (cross-entropy); 0: none
  Augmentation augmentation;
};

struct ModelEntry {
  std::string name;
  std::string description;  // one line
  InputSpec input;
  Recipe recipe;
  std::vector<OptionInfo> options;  // the overrides `make` understands (besides classes)
  std::function<nn::ModulePtr(const ModelOptions&)> make;

  // [1, ...input.shape]: one sample as a batch.
  Shape batch_shape(int64_t batch = 1) const;
};

class Registry {
 public:
  explicit Registry(std::vector<ModelEntry> entries);  // checks names are unique and entries complete

  const std::vector<ModelEntry>& entries() const { return entries_; }
  std::vector<std::string> names() const;
  const ModelEntry* find(std::string_view name) const;  // nullptr when unknown
  // Throws naming the unknown model and listing the known ones.
  const ModelEntry& at(std::string_view name) const;
  // Builds model `name`; an override the model does not know is an error listing those it does.
  nn::ModulePtr make(std::string_view name, const ModelOptions& options = {}) const;
  // The checks make() does before building: known model, classes ≥ 1, only known override keys.
  void check_options(std::string_view name, const ModelOptions& options) const;

 private:
  std::vector<ModelEntry> entries_;
};

// Every model of src/models/, built on first use (so no static-initialisation order to worry about).
const Registry& registry();

// Adding a model: in its family file src/models/FAMILY.cpp, return its entry from
// `std::vector<ModelEntry> FAMILY_models()` (namespace nabla::models). CMake lists the family files and
// registry() calls each of those functions — see src/models/registry.cpp for why it is not a static
// self-registration.

}  // namespace nabla::models
