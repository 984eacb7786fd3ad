#pragma once
// What `nabla train`, `nabla eval` and `nabla predict` share: the run's configuration (saved as config.json
// beside the weights), the objects it builds (model, optimizer, scheduler, loaders, trainer), and the
// trained model rebuilt from a run's directory.
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "nabla/data/loader.h"
#include "nabla/dist/process_group.h"
#include "nabla/models/registry.h"
#include "nabla/nn/module.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/scheduler.h"
#include "nabla/text/tokenizer.h"
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
  int64_t limit_train = 0;  // use only the first N images (text: documents) of the training split (0: all)
  // Language models (dataset "text"); the first three are left unset for finish_config, as the recipe is.
  std::string tokenizer;    // char, byte, bpe, unigram ("": char)
  int64_t vocab_size = 0;   // bpe and unigram: the vocabulary to train
  int64_t context = 0;      // tokens per window (0: the model's context option, else its input length)
  std::string documents;    // a text file or directory is split into "files" or "paragraphs" ("": a file's
                            // paragraphs, a directory's files); fortunes are always split into fortunes
  // Training images held out for validation, stratified by class and keyed by the seed (so a resumed run
  // gets the same split): a count, or a fraction of the training set when below 1; 0: no validation.
  // -1: the data set's default (5000 images; 10% of the documents for text). For text, documents are held out.
  double validation_split = -1;
  int64_t checkpoint_every = 0;
  int64_t patience = 0;
  double clip_grad_norm = 0;
  int64_t crash_after_steps = 0;
  int64_t interrupt_after_steps = 0;
  int64_t interrupt_in_checkpoint_at_step = 0;
  std::string interrupt_signal = "INT";
  std::string memory_log;
  bool progress = true;
};

void add_training_options(CLI::App& command, TrainingConfig& config);
void finish_config(TrainingConfig& config);  // fills what was not given from the model's recipe
// Refuses, naming the options at fault, a finished config that make_setup could not build or that would
// not do what it says (Nesterov without sgd, warm-up longer than the run, an option the model lacks).
void check_recipe(const TrainingConfig& config);
// The classes and --model-option overrides (and, for a language model, its context); `classes` 0 means the
// data set's (Fashion-MNIST's 10), a language model passes its tokenizer's vocabulary size.
models::ModelOptions model_options(const TrainingConfig& config, int64_t classes = 0);
bool is_text_model(const TrainingConfig& config);  // the model reads dataset "text"
nlohmann::json to_json(const TrainingConfig& config);
TrainingConfig config_from_json(const nlohmann::json& json, const std::string& file);

// What a language model's run reads and the figures its losses are judged by.
struct TextData {
  text::TokenizerPtr tokenizer;
  int64_t train_documents = 0, validation_documents = 0;
  int64_t train_characters = 0, validation_characters = 0;
  int64_t train_tokens = 0, validation_tokens = 0;  // end-of-text tokens included
  double unigram_entropy = 0;  // of the training text, nats/char
  // Validation characters per validation token (an end-of-text counts as one character, the documents'
  // separator): nats/token ÷ this = nats/char, comparable across tokenizers.
  double characters_per_token() const;
};

struct TrainingSetup {
  nn::ModulePtr model;
  std::shared_ptr<optim::Optimizer> optimizer;
  std::shared_ptr<optim::Scheduler> scheduler;
  std::unique_ptr<data::DataLoader> train, validation, test;  // validation: null with --validation-split 0
  std::unique_ptr<train::Trainer> trainer;
  std::optional<TextData> text;  // language models only (then `test` is null: documents split in two only)
};
// With `resume`, a language model's tokenizer is read back from --out (else it is built and saved there).
// With a process group of several ranks (data-parallel training) each rank's loaders visit its shard:
// training a DistributedSampler of the seeded order at a local batch of --batch-size / world size (refused
// when it does not divide), validation and test every example once over the ranks; the Trainer trains a
// DistributedDataParallel around `model` (left plain) and sums its figures over the ranks.
TrainingSetup make_setup(const TrainingConfig& config, bool resume = false, const dist::ProcessGroupPtr& group = nullptr);

struct TrainedModel {
  TrainingConfig config;
  nn::ModulePtr model;  // in eval mode
  text::TokenizerPtr tokenizer;  // language models: the tokenizer saved beside the model; else null
};
// Rebuilds the model of a directory written by `nabla train --out` from its config.json and loads its
// model.safetensors. Errors start with `command` ("eval", "predict") and name the missing or bad file.
TrainedModel load_trained_model(const std::string& directory, const std::string& command);

}  // namespace nabla::cli
