#pragma once
// What `nabla train`, `nabla eval` and `nabla predict` share: the run's configuration (saved as config.json
// beside the weights), the objects it builds (model, optimizer, scheduler, loaders, trainer), and the
// trained model rebuilt from a run's directory.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "nabla/data/loader.h"
#include "nabla/models/registry.h"
#include "nabla/nn/module.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/scheduler.h"
#include "nabla/train/trainer.h"

namespace nabla::cli {

struct TrainingConfig {
  std::string model = "lenet";
  // The recipe: left unset here (0, "" or -1: values no option accepts) so that finish_config can fill each
  // one the command line did not give from the model's default recipe in the registry.
  int64_t epochs = 0;
  int64_t batch_size = 0;
  double lr = 0;
  std::string optimizer;
  std::string scheduler;
  double weight_decay = -1;
  double momentum = -1;  // sgd, rmsprop
  int nesterov = -1;     // sgd: 1 Nesterov momentum, 0 plain (-1: the recipe's with its optimizer, else 0)
  int64_t warmup_epochs = -1;
  double label_smoothing = -1;
  int64_t random_crop_padding = -1;  // augmentation of the training images only
  double horizontal_flip = -1;
  double random_erasing = -1;
  // --model-option key=value, as JSON values: ModelOptions::overrides of the model it builds.
  nlohmann::json model_options = nlohmann::json::object();
  uint64_t seed = 0;
  std::string data;  // Fashion-MNIST directory ("" = NABLA_DATA or the Debian package)
  std::string out;   // "" = runs/train/<model>
  int64_t limit_train = 0;  // use only the first N images of the training split (0: all)
  // Training images held out for validation, stratified by class and keyed by the seed (so a resumed run
  // gets the same split): a count, or a fraction of the training set when below 1; 0: no validation.
  double validation_split = 5000;
  int64_t checkpoint_every = 0;
  int64_t patience = 0;
  double clip_grad_norm = 0;
  int64_t crash_after_steps = 0;
  int64_t interrupt_after_steps = 0;
  bool progress = true;
};

void add_training_options(CLI::App& command, TrainingConfig& config);
void finish_config(TrainingConfig& config);  // fills what was not given from the model's recipe
// Refuses, naming the options at fault, a finished config that make_setup could not build or that would
// not do what it says (Nesterov without sgd, warm-up longer than the run, an option the model lacks).
void check_recipe(const TrainingConfig& config);
models::ModelOptions model_options(const TrainingConfig& config);  // the classes and --model-option overrides
nlohmann::json to_json(const TrainingConfig& config);
TrainingConfig config_from_json(const nlohmann::json& json, const std::string& file);

struct TrainingSetup {
  nn::ModulePtr model;
  std::shared_ptr<optim::Optimizer> optimizer;
  std::shared_ptr<optim::Scheduler> scheduler;
  std::unique_ptr<data::DataLoader> train, validation, test;  // validation: null with --validation-split 0
  std::unique_ptr<train::Trainer> trainer;
};
TrainingSetup make_setup(const TrainingConfig& config);

struct TrainedModel {
  TrainingConfig config;
  nn::ModulePtr model;  // in eval mode
};
// Rebuilds the model of a directory written by `nabla train --out` from its config.json and loads its
// model.safetensors. Errors start with `command` ("eval", "predict") and name the missing or bad file.
TrainedModel load_trained_model(const std::string& directory, const std::string& command);

}  // namespace nabla::cli
