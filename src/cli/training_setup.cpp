#include "cli/training_setup.h"

#include <cmath>
#include <csignal>
#include <filesystem>

#include "cli/commands.h"
#include "cli/segmentation_commands.h"
#include "nabla/data/dataset.h"
#include "nabla/data/segmentation.h"
#include "nabla/data/token_dataset.h"
#include "nabla/dist/data_parallel.h"
#include "nabla/dist/sampler.h"
#include "nabla/io/file.h"
#include "nabla/io/safetensors.h"
#include "nabla/models/registry.h"
#include "nabla/nn/segmentation_loss.h"
#include "nabla/nabla.h"
#include "nabla/text/corpus.h"

namespace nabla::cli {
namespace {

// Warm-up starts from this fraction of the learning rate (torchvision's recipes use 0.01 as well).
constexpr double warmup_start_factor = 0.01;

// One `--model-option key=value` (already checked for the '=' by key_value()) into the overrides.
void add_model_option(nlohmann::json& overrides, const std::string& item) {
  const size_t equals = item.find('=');
  const std::string key = item.substr(0, equals), text = item.substr(equals + 1);
  if (overrides.contains(key)) throw CLI::ValidationError("--model-option", fmt::format("{} is given twice", key));
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  overrides[key] = value.is_discarded() ? nlohmann::json(text) : value;
}

}  // namespace

void add_training_options(CLI::App& command, TrainingConfig& config) {
  command.add_option("--model", config.model, fmt::format("Model: {} (`nabla models` describes them)",
                                                          fmt::join(models::registry().names(), ", ")))
      ->capture_default_str()->check(model_name());
  const char* recipe = "(default: the model's recipe, see `nabla models`)";
  command.add_option("--epochs", config.epochs, fmt::format("Epochs to train {}", recipe))->check(positive());
  command.add_option("--batch-size", config.batch_size, fmt::format("Examples per batch {}", recipe))->check(positive());
  command.add_option("--lr", config.lr, "Learning rate (default: the recipe's with its optimizer; with another, 3e-3 for "
                                        "adam/adamw, 1e-3 for rmsprop, 0.05 for sgd, 0.01 for adagrad)")
      ->check(positive());
  command.add_option("--optimizer", config.optimizer, fmt::format("sgd, adam, adamw, rmsprop or adagrad {}", recipe))
      ->check(CLI::IsMember({"sgd", "adam", "adamw", "rmsprop", "adagrad"}));
  command.add_option("--scheduler", config.scheduler,
                     fmt::format("none, step (×0.1 every third of the run), cosine or onecycle {}", recipe))
      ->check(CLI::IsMember({"none", "step", "cosine", "onecycle"}));
  command.add_option("--weight-decay", config.weight_decay, fmt::format("Weight decay {}", recipe))->check(non_negative());
  command.add_option("--momentum", config.momentum, fmt::format("Momentum (sgd, rmsprop) {}", recipe))->check(non_negative());
  command.add_flag_function(
      "--nesterov,!--no-nesterov", [&config](int64_t count) { config.nesterov = count > 0 ? 1 : 0; },
      fmt::format("Nesterov momentum with sgd; --no-nesterov: plain momentum {}", recipe));
  command.add_option("--warmup-epochs", config.warmup_epochs,
                     fmt::format("Epochs of linear warm-up from {:g}·lr to lr, step by step, before the --scheduler's "
                                 "decay over the remaining epochs (not with onecycle) {}",
                                 warmup_start_factor, recipe))
      ->check(non_negative());
  command.add_option("--label-smoothing", config.label_smoothing,
                     fmt::format("Label smoothing of the training loss, 0 to 1 (validation and test losses stay plain "
                                 "cross-entropy) {}", recipe))
      ->check(probability());
  command.add_option("--random-crop-padding", config.random_crop_padding,
                     fmt::format("Augmentation: zero-pad each training image by N pixels, then crop it back to its size "
                                 "at a random place {}", recipe))
      ->check(non_negative());
  command.add_option("--horizontal-flip", config.horizontal_flip,
                     fmt::format("Augmentation: probability of mirroring a training image left to right {}", recipe))
      ->check(probability());
  command.add_option("--random-erasing", config.random_erasing,
                     fmt::format("Augmentation: probability of erasing a random rectangle of a training image, as "
                                 "torchvision's RandomErasing {}", recipe))
      ->check(probability());
  command.add_option_function<std::vector<std::string>>(
             "--model-option",
             [&config](const std::vector<std::string>& items) {
               for (const std::string& item : items) add_model_option(config.model_options, item);
             },
             "KEY=VALUE: a model option (`nabla models` lists them; repeatable), the value read as JSON, else as "
             "text: --model-option hidden=[512,256]")
      ->check(key_value())
      ->allow_extra_args(false);
  command.add_option("--seed", config.seed, "Random seed (initialisation, shuffling, dropout, the validation split)")->capture_default_str()->check(non_negative());
  command.add_option("--data", config.data,
                     "Fashion-MNIST directory (default: $NABLA_DATA, else the Debian package's); for a language model: "
                     "fortunes (default), a text file or a directory of them");
  command.add_option("--tokenizer", config.tokenizer, "Language models: char (default), byte, bpe or unigram")
      ->check(CLI::IsMember(text::tokenizer_kinds()));
  command.add_option("--vocab-size", config.vocab_size, "Language models: the vocabulary bpe and unigram learn")
      ->check(positive());
  command.add_option("--context", config.context, "Language models: tokens per window (default: the model's)")
      ->check(positive());
  command.add_option("--documents", config.documents,
                     "Language models: documents of a text --data are its files or its paragraphs (default: a file's "
                     "paragraphs, a directory's files)")
      ->check(CLI::IsMember({"files", "paragraphs"}));
  command.add_option("--out", config.out, "Output directory (default: runs/train/MODEL)");
  command.add_option("--limit-train", config.limit_train,
                     "Train on the first N images (language models: documents) of the training split only")
      ->check(positive());
  command.add_option("--validation-split", config.validation_split,
                     "Training images held out to validate each epoch (stratified by class, fixed by --seed): a "
                     "count, or a fraction if below 1; 0: no validation (then --patience is refused). Default 5000; "
                     "language models hold out documents, default 0.1")
      ->check(count_or_fraction());
  command.add_option("--checkpoint-every", config.checkpoint_every, "Also checkpoint every N steps")->check(positive());
  command.add_option("--patience", config.patience,
                     "Early stopping: epochs without a better validation loss; the test set is then measured on the "
                     "best epoch's weights")->check(positive());
  command.add_option("--clip-grad-norm", config.clip_grad_norm, "Clip the gradient norm to this value")->check(positive());
  command.add_option("--crash-after-steps", config.crash_after_steps, "Testing aid: end abruptly after N steps, as kill -9")
      ->check(positive())->group("");
  command.add_option("--interrupt-after-steps", config.interrupt_after_steps,
                     "Testing aid: raise --interrupt-signal after N steps, as Ctrl-C")
      ->check(positive())->group("");
  command.add_option("--interrupt-in-checkpoint-at-step", config.interrupt_in_checkpoint_at_step,
                     "Testing aid: raise --interrupt-signal once while the checkpoint of step N is being written")
      ->check(positive())->group("");
  command.add_option("--interrupt-signal", config.interrupt_signal,
                     "Testing aid: INT (default), TERM, or STOP (pause there until SIGCONT, as Ctrl-Z)")
      ->check(CLI::IsMember({"INT", "TERM", "STOP"}))->group("");
  command.add_option("--memory-log", config.memory_log,
                     "Append the allocator's counters to this CSV file after each epoch (scripts/soak.sh)")
      ->group("");
  command.add_flag("!--no-progress", config.progress, "No progress bar");
  // Early stopping on the training loss would watch a number that keeps falling while the model overfits.
  command.parse_complete_callback([&config] {
    if (config.validation_split == 0 && config.patience > 0) {
      throw CLI::ValidationError("--patience", "needs validation images; drop --validation-split 0 or --patience");
    }
  });
}

bool is_text_model(const TrainingConfig& config) { return models::registry().at(config.model).input.dataset == "text"; }
bool is_segmentation_model(const TrainingConfig& config) {
  return models::registry().at(config.model).input.dataset == "segmentation";
}

namespace {

// A language model's context: --context, else its context option, else the length of its input.
int64_t model_context(const TrainingConfig& config) {
  const models::ModelEntry& entry = models::registry().at(config.model);
  const double option = models::number_option({.overrides = config.model_options}, config.model, "context", 0);
  NABLA_CHECK(config.context == 0 || option == 0 || option == static_cast<double>(config.context),
              "train: --context {} and --model-option context={} disagree; give one of them", config.context, option);
  if (config.context > 0) return config.context;
  return option > 0 ? static_cast<int64_t>(option) : entry.input.shape.at(0);
}

}  // namespace

void finish_config(TrainingConfig& config) {
  const models::Recipe& recipe = models::registry().at(config.model).recipe;
  if (config.validation_split < 0) {
    config.validation_split = is_text_model(config) ? 0.1 : is_segmentation_model(config) ? 1000 : 5000;
  }
  if (is_text_model(config)) {
    if (config.data.empty()) config.data = "fortunes";
    if (config.tokenizer.empty()) config.tokenizer = "char";
    config.context = model_context(config);
  }
  if (config.out.empty()) config.out = "runs/train/" + config.model;
  if (config.epochs == 0) config.epochs = recipe.epochs;
  if (config.batch_size == 0) config.batch_size = recipe.batch_size;
  if (config.scheduler.empty()) config.scheduler = recipe.scheduler;
  if (config.weight_decay < 0) config.weight_decay = recipe.weight_decay;
  if (config.momentum < 0) config.momentum = recipe.momentum;
  if (config.optimizer.empty()) config.optimizer = recipe.optimizer;
  // Like its learning rate, the recipe's Nesterov momentum belongs to its optimizer.
  if (config.nesterov < 0) config.nesterov = config.optimizer == recipe.optimizer && recipe.nesterov ? 1 : 0;
  if (config.warmup_epochs < 0) config.warmup_epochs = recipe.warmup_epochs;
  if (config.label_smoothing < 0) config.label_smoothing = recipe.label_smoothing;
  if (config.random_crop_padding < 0) config.random_crop_padding = recipe.augmentation.random_crop_padding;
  if (config.horizontal_flip < 0) config.horizontal_flip = recipe.augmentation.horizontal_flip;
  if (config.random_erasing < 0) config.random_erasing = recipe.augmentation.random_erasing;
  if (config.lr == 0) {
    // The recipe's rate belongs to its optimizer; another optimizer starts from a rate that suits it.
    config.lr = config.optimizer == recipe.optimizer ? recipe.lr
                : config.optimizer == "sgd"          ? 0.05
                : config.optimizer == "adagrad"      ? 0.01
                : config.optimizer == "rmsprop"      ? 1e-3
                                                     : 3e-3;
  }
  NABLA_CHECK(std::isfinite(config.lr), "train: --lr must be finite, got {}", config.lr);
}

void check_recipe(const TrainingConfig& config) {
  NABLA_CHECK(config.nesterov == 0 || config.optimizer == "sgd",
              "train: --nesterov applies to sgd only, and the optimizer is {}", config.optimizer);
  NABLA_CHECK(config.nesterov == 0 || config.momentum > 0, "train: --nesterov needs --momentum above 0, got {}",
              config.momentum);
  NABLA_CHECK(config.warmup_epochs <= config.epochs, "train: --warmup-epochs {} is more than the run's {} epochs",
              config.warmup_epochs, config.epochs);
  NABLA_CHECK(config.warmup_epochs == 0 || config.scheduler != "onecycle",
              "train: --warmup-epochs does not combine with --scheduler onecycle, which warms up by itself");
  if (!is_text_model(config)) {
    std::vector<std::string> text_only;
    if (!config.tokenizer.empty()) text_only.push_back("--tokenizer");
    if (config.vocab_size > 0) text_only.push_back("--vocab-size");
    if (config.context > 0) text_only.push_back("--context");
    if (!config.documents.empty()) text_only.push_back("--documents");
    NABLA_CHECK(text_only.empty(), "train: {} appl{} to language models only, and '{}' reads {}",
                fmt::join(text_only, ", "), text_only.size() == 1 ? "ies" : "y", config.model,
                models::registry().at(config.model).input.dataset);
  } else {
    const bool learned = config.tokenizer == "bpe" || config.tokenizer == "unigram";
    NABLA_CHECK(!learned || config.vocab_size > 0, "train: --tokenizer {} needs --vocab-size (for example 512)",
                config.tokenizer);
    NABLA_CHECK(learned || config.vocab_size == 0,
                "train: --vocab-size sets bpe and unigram only; the {} tokenizer's vocabulary comes from the text",
                config.tokenizer);
    NABLA_CHECK(config.random_crop_padding == 0 && config.horizontal_flip == 0 && config.random_erasing == 0,
                "train: --random-crop-padding, --horizontal-flip and --random-erasing augment images; '{}' reads text",
                config.model);
  }
  NABLA_CHECK(!is_segmentation_model(config) ||
                  (config.random_crop_padding == 0 && config.horizontal_flip == 0 && config.random_erasing == 0),
              "train: --random-crop-padding, --horizontal-flip and --random-erasing change an image but not its mask; "
              "'{}' is a segmentation model", config.model);
  models::registry().check_options(config.model, model_options(config));
}

models::ModelOptions model_options(const TrainingConfig& config, int64_t classes) {
  models::ModelOptions options{.classes = classes > 0 ? classes : static_cast<int64_t>(data::fashion_mnist_classes.size()),
                               .overrides = config.model_options};
  if (config.context > 0 && is_text_model(config)) options.overrides["context"] = config.context;
  return options;
}

nlohmann::json to_json(const TrainingConfig& c) {
  return {{"model", c.model},         {"epochs", c.epochs},         {"batch_size", c.batch_size},
          {"lr", c.lr},               {"optimizer", c.optimizer},   {"scheduler", c.scheduler},
          {"weight_decay", c.weight_decay}, {"momentum", c.momentum}, {"seed", c.seed},
          {"data", c.data},           {"limit_train", c.limit_train}, {"validation_split", c.validation_split},
          {"patience", c.patience},
          {"clip_grad_norm", c.clip_grad_norm},
          {"nesterov", c.nesterov == 1},  {"warmup_epochs", c.warmup_epochs}, {"label_smoothing", c.label_smoothing},
          {"random_crop_padding", c.random_crop_padding}, {"horizontal_flip", c.horizontal_flip},
          {"random_erasing", c.random_erasing}, {"model_options", c.model_options},
          {"tokenizer", c.tokenizer}, {"vocab_size", c.vocab_size}, {"context", c.context}, {"documents", c.documents}};
}

TrainingConfig config_from_json(const nlohmann::json& j, const std::string& file) {
  NABLA_CHECK(!j.is_discarded(), "{}: not valid JSON; it should be the config.json that `nabla train` wrote", file);
  try {
    TrainingConfig c;
    c.model = j.at("model");
    c.epochs = j.at("epochs");
    c.batch_size = j.at("batch_size");
    c.lr = j.at("lr");
    c.optimizer = j.at("optimizer");
    c.scheduler = j.at("scheduler");
    c.weight_decay = j.at("weight_decay");
    c.momentum = j.at("momentum");
    c.seed = j.at("seed");
    c.data = j.at("data");
    c.limit_train = j.at("limit_train");
    // A run begun before validation splits existed trained on all 60000 images: resume it on the same ones.
    c.validation_split = j.value("validation_split", 0.0);
    c.patience = j.value("patience", int64_t{0});
    c.clip_grad_norm = j.value("clip_grad_norm", 0.0);
    // Runs saved before these were recorded had none of them.
    c.nesterov = j.value("nesterov", false) ? 1 : 0;
    c.warmup_epochs = j.value("warmup_epochs", int64_t{0});
    c.label_smoothing = j.value("label_smoothing", 0.0);
    c.random_crop_padding = j.value("random_crop_padding", int64_t{0});
    c.horizontal_flip = j.value("horizontal_flip", 0.0);
    c.random_erasing = j.value("random_erasing", 0.0);
    c.model_options = j.value("model_options", nlohmann::json::object());
    c.tokenizer = j.value("tokenizer", std::string());
    c.vocab_size = j.value("vocab_size", int64_t{0});
    c.context = j.value("context", int64_t{0});
    c.documents = j.value("documents", std::string());
    return c;
  } catch (const nlohmann::json::exception& error) {
    throw Error(fmt::format("{}: not a nabla training configuration: {}", file, error.what()));
  }
}

namespace {

std::shared_ptr<optim::Optimizer> make_optimizer(const TrainingConfig& c, std::vector<Tensor> parameters) {
  if (c.optimizer == "sgd") {
    return std::make_shared<optim::SGD>(parameters, optim::SGDOptions{.lr = c.lr, .momentum = c.momentum,
                                                                      .weight_decay = c.weight_decay,
                                                                      .nesterov = c.nesterov == 1});
  }
  if (c.optimizer == "adam") return std::make_shared<optim::Adam>(parameters, optim::AdamOptions{.lr = c.lr, .weight_decay = c.weight_decay});
  if (c.optimizer == "adamw") {
    return std::make_shared<optim::AdamW>(parameters, optim::AdamWOptions{.lr = c.lr, .weight_decay = c.weight_decay});
  }
  if (c.optimizer == "rmsprop") {
    return std::make_shared<optim::RMSprop>(parameters, optim::RMSpropOptions{.lr = c.lr, .weight_decay = c.weight_decay,
                                                                              .momentum = c.momentum});
  }
  if (c.optimizer == "adagrad") {
    return std::make_shared<optim::Adagrad>(parameters, optim::AdagradOptions{.lr = c.lr, .weight_decay = c.weight_decay});
  }
  throw Error(fmt::format("train: unknown optimizer '{}'; use sgd, adam, adamw, rmsprop or adagrad", c.optimizer));
}

// Sets the validation images apart from `train_set` (which keeps the rest) and returns them; null when
// --validation-split is 0. The split is stratified and keyed by the seed alone: the same on every resume.
std::shared_ptr<const data::Dataset> held_out_validation(std::shared_ptr<const data::Dataset>& train_set,
                                                         const TrainingConfig& c) {
  if (c.validation_split == 0) return nullptr;
  const int64_t size = train_set->size();
  const auto count = static_cast<int64_t>(c.validation_split < 1 ? std::round(c.validation_split * static_cast<double>(size))
                                                                  : c.validation_split);
  NABLA_CHECK(count >= 1 && count < size,
              "train: --validation-split {} would hold out {} of the {} training images; hold out 1 to {}",
              c.validation_split, count, size, size - 1);
  auto [validation, rest] = data::stratified_split_by_count(train_set, count, c.seed);
  train_set = rest;
  return validation;
}

// The training images' augmentation, in torchvision's order: crop, flip, then erase; null when all are off.
data::TransformPtr augmentation(const TrainingConfig& c, const Shape& input) {
  std::vector<data::TransformPtr> steps;
  if (c.random_crop_padding > 0) {
    NABLA_CHECK(input.size() == 3 && input[1] == input[2],
                "train: --random-crop-padding crops square images [C, H, H], but the model's input is {}", shape_string(input));
    steps.push_back(data::random_crop(input[1], c.random_crop_padding));
  }
  if (c.horizontal_flip > 0) steps.push_back(data::random_horizontal_flip(c.horizontal_flip));
  if (c.random_erasing > 0) steps.push_back(data::random_erasing(c.random_erasing));
  if (steps.empty()) return nullptr;
  return steps.size() == 1 ? steps.front() : data::compose(steps);
}

// The schedule, and whether it steps per batch. Without warm-up, step and cosine step per epoch as before.
// With warm-up everything runs per step: a linear rise over the warm-up's steps, then the schedule over
// the remaining steps, chained as PyTorch's SequentialLR(LinearLR, …).
std::pair<std::shared_ptr<optim::Scheduler>, bool> make_scheduler(const TrainingConfig& c, optim::Optimizer& optimizer,
                                                                   int64_t batches_per_epoch) {
  if (c.scheduler == "onecycle") {
    return {std::make_shared<optim::OneCycleLR>(optimizer, optim::OneCycleOptions{.max_lr = c.lr, .total_steps = c.epochs * batches_per_epoch}),
            true};
  }
  if (c.warmup_epochs == 0) {
    if (c.scheduler == "step") return {std::make_shared<optim::StepLR>(optimizer, std::max<int64_t>(c.epochs / 3, 1), 0.1), false};
    if (c.scheduler == "cosine") return {std::make_shared<optim::CosineAnnealingLR>(optimizer, c.epochs), false};
    return {nullptr, false};
  }
  const int64_t warmup_steps = c.warmup_epochs * batches_per_epoch, rest = (c.epochs - c.warmup_epochs) * batches_per_epoch;
  auto warmup = std::make_shared<optim::LinearLR>(optimizer, warmup_start_factor, 1.0, warmup_steps);
  std::shared_ptr<optim::Scheduler> after;
  if (c.scheduler == "cosine" && rest > 0) after = std::make_shared<optim::CosineAnnealingLR>(optimizer, rest);
  if (c.scheduler == "step" && rest > 0) {
    after = std::make_shared<optim::StepLR>(optimizer, std::max<int64_t>(c.epochs / 3, 1) * batches_per_epoch, 0.1);
  }
  // No decay after it (--scheduler none, or warm-up over the whole run): LinearLR holds lr once warmed up.
  if (!after) return {warmup, true};
  return {std::make_shared<optim::SequentialLR>(optimizer, std::vector<std::shared_ptr<optim::Scheduler>>{warmup, after},
                                                std::vector<int64_t>{warmup_steps}),
          true};
}

int world_size(const dist::ProcessGroupPtr& group) { return group ? group->world_size() : 1; }
int rank(const dist::ProcessGroupPtr& group) { return group ? group->rank() : 0; }

// This rank's share of a loader's visiting order `base` (null: the loader's own, shuffled or sequential);
// `base` itself in one process. Training pads the remainder (every rank takes the same number of steps);
// evaluation keeps it (every example counts once).
std::shared_ptr<const data::Sampler> shard(const dist::ProcessGroupPtr& group, std::shared_ptr<const data::Sampler> base,
                                           bool shuffle, dist::Remainder remainder) {
  if (world_size(group) == 1) return base;
  return std::make_shared<dist::DistributedSampler>(
      rank(group), world_size(group), dist::DistributedSamplerOptions{.shuffle = shuffle, .remainder = remainder, .base = base});
}

// Each rank's part of the global batch --batch-size (refused, naming both numbers, when it does not divide).
int64_t local_batch(const TrainingConfig& c, const dist::ProcessGroupPtr& group) {
  NABLA_CHECK(c.batch_size % world_size(group) == 0,
              "train: the global batch --batch-size {} does not split equally over {} processes; choose a multiple of {}",
              c.batch_size, world_size(group), world_size(group));
  return c.batch_size / world_size(group);
}

// The optimizer, the schedule and the Trainer around setup.model and setup.train. In a world of several the
// Trainer trains a DistributedDataParallel around setup.model (which stays the plain model, saved as a
// one-process run's) and sums its figures over the ranks; only rank 0 prints.
void add_trainer(TrainingSetup& setup, const TrainingConfig& c, train::LossFunction loss,
                 train::LossFunction evaluation_loss, const dist::ProcessGroupPtr& group) {
  setup.optimizer = make_optimizer(c, setup.model->parameters());
  auto [scheduler, per_batch] = make_scheduler(c, *setup.optimizer, setup.train->batches_per_epoch());
  setup.scheduler = scheduler;
  train::TrainerOptions options{.epochs = c.epochs, .out_dir = c.out, .checkpoint_every = c.checkpoint_every,
                                .clip_grad_norm = c.clip_grad_norm, .patience = c.patience, .progress = c.progress,
                                .crash_after_steps = c.crash_after_steps,
                                .interrupt_after_steps = c.interrupt_after_steps,
                                .interrupt_in_checkpoint_at_step = c.interrupt_in_checkpoint_at_step,
                                .memory_log = c.memory_log,
                                .interrupt_signal = c.interrupt_signal == "TERM"   ? SIGTERM
                                                    : c.interrupt_signal == "STOP" ? SIGSTOP
                                                                                   : SIGINT};
  nn::ModulePtr trained = setup.model;
  if (world_size(group) > 1) {
    trained = std::make_shared<dist::DistributedDataParallel>(setup.model, group);
    options.progress = c.progress && group->rank() == 0;
    options.replicas = {.rank = group->rank(),
                        .world_size = group->world_size(),
                        .module = setup.model,
                        .sum = [group](std::vector<double>& values) {
                          Tensor sums = from_vector(values, {static_cast<int64_t>(values.size())}, DType::f64);
                          group->all_reduce(sums);
                          values = sums.to_vector();
                        },
                        .barrier = [group] { group->barrier(); }};
  }
  setup.trainer = std::make_unique<train::Trainer>(trained, setup.optimizer, std::move(loss), options);
  setup.trainer->set_evaluation_loss(std::move(evaluation_loss));
  if (setup.scheduler) setup.trainer->set_scheduler(setup.scheduler, per_batch);
}

// A language model: logits [B, T, V] against next tokens [B, T], cross-entropy averaged over all B·T tokens.
train::LossFunction token_cross_entropy(double smoothing) {
  return [smoothing](const Tensor& output, const Tensor& target) {
    NABLA_CHECK(output.dim() == 3 && target.dim() == 2,
                "train: a language model must map ids [B, T] to logits [B, T, V], got {} for targets {}",
                output.describe(), target.describe());
    return functional::cross_entropy(output.reshape({-1, output.size(2)}), target.reshape({-1}),
                                     {.label_smoothing = smoothing});
  };
}

// The documents of --data, split by document (seeded), tokenized with a tokenizer learnt from the training
// documents only (or read back from --out when resuming), served as windows of the context length.
TrainingSetup make_text_setup(const TrainingConfig& c, bool resume, const dist::ProcessGroupPtr& group) {
  TrainingSetup setup;
  const bool paragraphs = c.documents.empty() ? !std::filesystem::is_directory(c.data) : c.documents == "paragraphs";
  const text::Corpus corpus = text::read_corpus(c.data, paragraphs);
  text::Corpus train_corpus = corpus, validation_corpus;
  if (c.validation_split > 0) std::tie(train_corpus, validation_corpus) = text::split_documents(corpus, c.validation_split, c.seed);
  if (c.limit_train > 0 && c.limit_train < static_cast<int64_t>(train_corpus.documents.size())) {
    train_corpus.documents.resize(static_cast<size_t>(c.limit_train));
  }
  const std::vector<std::string> train_texts = train_corpus.texts(), validation_texts = validation_corpus.texts();
  const bool saved = resume && std::filesystem::exists(std::filesystem::path(c.out) / "tokenizer.json");
  text::TokenizerPtr tokenizer =
      saved ? text::load_tokenizer(c.out)
            : text::make_tokenizer({.kind = c.tokenizer, .vocab_size = c.vocab_size, .seed = c.seed}, train_texts);
  if (!saved && !c.out.empty() && rank(group) == 0) tokenizer->save(c.out);
  TextData text{.tokenizer = tokenizer,
                .train_documents = static_cast<int64_t>(train_texts.size()),
                .validation_documents = static_cast<int64_t>(validation_texts.size()),
                .train_characters = train_corpus.characters(),
                .validation_characters = validation_corpus.characters(),
                .unigram_entropy = text::unigram_entropy(train_corpus)};
  Tensor train_tokens = text::encode_documents(*tokenizer, train_texts);
  text.train_tokens = train_tokens.numel();
  setup.train = std::make_unique<data::DataLoader>(
      std::make_shared<data::TokenDataset>(train_tokens, c.context),
      data::LoaderOptions{.batch_size = local_batch(c, group), .seed = c.seed,
                          .sampler = shard(group, std::make_shared<data::RandomWindowSampler>(c.context), true,
                                           dist::Remainder::pad)});
  if (!validation_texts.empty()) {
    Tensor validation_tokens = text::encode_documents(*tokenizer, validation_texts);
    text.validation_tokens = validation_tokens.numel();
    NABLA_CHECK(text.validation_tokens > c.context,
                "train: the {} validation documents make {} tokens, too few for one window of --context {}; hold out "
                "more (--validation-split) or shorten the context", text.validation_documents, text.validation_tokens,
                c.context);
    setup.validation = std::make_unique<data::DataLoader>(
        std::make_shared<data::TokenDataset>(validation_tokens, c.context),
        data::LoaderOptions{.batch_size = local_batch(c, group), .shuffle = false,
                            .sampler = shard(group, std::make_shared<data::SequentialWindowSampler>(c.context), false,
                                             dist::Remainder::keep)});
  }
  setup.model = models::registry().make(c.model, model_options(c, tokenizer->vocab_size()));
  setup.text = std::move(text);
  add_trainer(setup, c, token_cross_entropy(c.label_smoothing), token_cross_entropy(0), group);
  return setup;
}

// The first `limit` examples of `set` (--limit-train); all of them when limit is 0 or not smaller.
std::shared_ptr<const data::Dataset> first_examples(std::shared_ptr<const data::Dataset> set, int64_t limit) {
  if (limit <= 0 || limit >= set->size()) return set;
  std::vector<int64_t> first(static_cast<size_t>(limit));
  for (int64_t i = 0; i < limit; ++i) first[static_cast<size_t>(i)] = i;
  return std::make_shared<data::Subset>(set, first);
}

// A segmentation split: the pairs of --data DIR when it holds DIR/train/images (as `nabla data
// make-segmentation` writes them), else the same canvases (seed 0) generated from Fashion-MNIST in --data.
std::shared_ptr<data::SegmentationDataset> segmentation_split(const TrainingConfig& c, data::Split split) {
  const std::filesystem::path folder = std::filesystem::path(c.data) / (split == data::Split::train ? "train" : "test");
  if (!c.data.empty() && std::filesystem::is_directory(folder / "images")) {
    return data::SegmentationDataset::read_folder(folder.string());
  }
  return data::fashion_canvases(split, split == data::Split::train ? 10000 : 2000, 0, c.data);
}

// A segmentation model: validation canvases held out of the training ones at random (seeded), trained on
// cross-entropy per pixel plus Dice (which weighs small classes as much as the background); the class names
// saved in --out/classes.txt, for `nabla segment` and for rebuilding the model with its number of classes.
TrainingSetup make_segmentation_setup(const TrainingConfig& c, const dist::ProcessGroupPtr& group) {
  TrainingSetup setup;
  auto canvases = segmentation_split(c, data::Split::train);
  auto test_set = segmentation_split(c, data::Split::test);
  NABLA_CHECK(test_set->classes() == canvases->classes() && test_set->images().size(1) == canvases->images().size(1),
              "train: the training and test pairs of {} disagree in classes ({} and {}) or channels", c.data,
              canvases->classes(), test_set->classes());
  std::shared_ptr<const data::Dataset> train_set = canvases, validation_set;
  if (c.validation_split > 0) {
    const double size = static_cast<double>(canvases->size());
    const double fraction = c.validation_split < 1 ? c.validation_split : c.validation_split / size;
    NABLA_CHECK(fraction * size >= 1 && fraction * size < size - 1,
                "train: --validation-split {} would hold out {} of the {} training canvases", c.validation_split,
                fraction * size, size);
    auto [validation, rest] = data::random_split(train_set, fraction, c.seed);
    validation_set = validation, train_set = rest;
  }
  train_set = first_examples(train_set, c.limit_train);
  if (!c.out.empty() && rank(group) == 0) {
    std::string names;
    for (const std::string& name : canvases->class_names()) names += name + "\n";
    std::filesystem::create_directories(c.out);
    io::write_file_atomic((std::filesystem::path(c.out) / "classes.txt").string(), names);
  }
  setup.model = models::registry().make(c.model, model_options(c, canvases->classes()));
  setup.train = std::make_unique<data::DataLoader>(
      train_set, data::LoaderOptions{.batch_size = local_batch(c, group), .shuffle = true, .seed = c.seed,
                                     .sampler = shard(group, nullptr, true, dist::Remainder::pad)});
  if (validation_set) {
    setup.validation = std::make_unique<data::DataLoader>(
        validation_set, data::LoaderOptions{.batch_size = 100, .shuffle = false,
                                            .sampler = shard(group, nullptr, false, dist::Remainder::keep)});
  }
  setup.test = std::make_unique<data::DataLoader>(
      test_set, data::LoaderOptions{.batch_size = 100, .shuffle = false, .sampler = shard(group, nullptr, false, dist::Remainder::keep)});
  auto loss = [](const Tensor& output, const Tensor& target) {
    return functional::pixel_cross_entropy(output, target) + functional::dice_loss(output, target);
  };
  add_trainer(setup, c, loss, loss, group);
  return setup;
}

}  // namespace

double TextData::characters_per_token() const {
  return validation_tokens > 0 ? static_cast<double>(validation_characters + validation_documents) /
                                     static_cast<double>(validation_tokens)
                               : NAN;
}

TrainingSetup make_setup(const TrainingConfig& c, bool resume, const dist::ProcessGroupPtr& group) {
  manual_seed(c.seed);
  if (is_text_model(c)) return make_text_setup(c, resume, group);
  if (is_segmentation_model(c)) return make_segmentation_setup(c, group);
  TrainingSetup setup;
  const models::ModelEntry& entry = models::registry().at(c.model);
  NABLA_CHECK(entry.input.dataset == "fashion-mnist",
              "train: model '{}' expects the {} data set; `nabla train` reads only fashion-mnist so far", c.model,
              entry.input.dataset);
  setup.model = models::registry().make(c.model, model_options(c));
  std::shared_ptr<const data::Dataset> train_set = data::fashion_mnist(data::Split::train, c.data);
  std::shared_ptr<const data::Dataset> validation_set = held_out_validation(train_set, c);
  train_set = first_examples(train_set, c.limit_train);
  auto test_set = data::fashion_mnist(data::Split::test, c.data);
  setup.train = std::make_unique<data::DataLoader>(
      train_set, data::LoaderOptions{.batch_size = local_batch(c, group), .shuffle = true, .seed = c.seed,
                                     .sampler = shard(group, nullptr, true, dist::Remainder::pad),
                                     .transform = augmentation(c, entry.input.shape)});
  if (validation_set) {
    setup.validation =
        std::make_unique<data::DataLoader>(validation_set, data::LoaderOptions{.batch_size = 500, .shuffle = false,
                                                                               .sampler = shard(group, nullptr, false, dist::Remainder::keep)});
  }
  setup.test = std::make_unique<data::DataLoader>(
      test_set, data::LoaderOptions{.batch_size = 500, .shuffle = false, .sampler = shard(group, nullptr, false, dist::Remainder::keep)});
  const double smoothing = c.label_smoothing;
  auto loss = [smoothing](const Tensor& output, const Tensor& target) {
    return functional::cross_entropy(output, target, {.label_smoothing = smoothing});
  };
  // Validation and test losses stay comparable across runs whatever their smoothing.
  add_trainer(setup, c, loss, [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); },
              group);
  return setup;
}

TrainedModel load_trained_model(const std::string& directory, const std::string& command) {
  namespace fs = std::filesystem;
  const std::string config_path = (fs::path(directory) / "config.json").string();
  const std::string weights_path = (fs::path(directory) / "model.safetensors").string();
  NABLA_CHECK(fs::exists(config_path), "{}: {} not found; is {} a directory written by `nabla train`?", command,
              config_path, directory);
  NABLA_CHECK(fs::exists(weights_path), "{}: {} not found; did the run in {} finish?", command, weights_path, directory);
  TrainedModel trained;
  trained.config = config_from_json(nlohmann::json::parse(io::read_file(config_path), nullptr, false), config_path);
  int64_t classes = 0;
  if (is_text_model(trained.config)) {
    trained.tokenizer = text::load_tokenizer(directory);
    classes = trained.tokenizer->vocab_size();
  }
  if (is_segmentation_model(trained.config)) {
    const std::string names = (fs::path(directory) / "classes.txt").string();
    NABLA_CHECK(fs::exists(names), "{}: {} not found; is {} a directory written by `nabla train`?", command, names, directory);
    std::string text = io::read_file(names);
    classes = std::count(text.begin(), text.end(), '\n');
  }
  trained.model = models::registry().make(trained.config.model, model_options(trained.config, classes));
  trained.model->load_state_dict(load_safetensors(weights_path));
  trained.model->eval();
  return trained;
}

}  // namespace nabla::cli
