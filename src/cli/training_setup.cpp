#include "cli/training_setup.h"

#include <cmath>
#include <filesystem>

#include "cli/commands.h"
#include "nabla/data/dataset.h"
#include "nabla/io/file.h"
#include "nabla/io/safetensors.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"

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
  command.add_option("--data", config.data, "Fashion-MNIST directory (default: $NABLA_DATA, else the Debian package's)");
  command.add_option("--out", config.out, "Output directory (default: runs/train/MODEL)");
  command.add_option("--limit-train", config.limit_train, "Train on the first N images of the training split only")
      ->check(positive());
  command.add_option("--validation-split", config.validation_split,
                     "Training images held out to validate each epoch (stratified by class, fixed by --seed): a "
                     "count, or a fraction if below 1; 0: no validation (then --patience is refused)")
      ->capture_default_str()->check(count_or_fraction());
  command.add_option("--checkpoint-every", config.checkpoint_every, "Also checkpoint every N steps")->check(positive());
  command.add_option("--patience", config.patience,
                     "Early stopping: epochs without a better validation loss; the test set is then measured on the "
                     "best epoch's weights")->check(positive());
  command.add_option("--clip-grad-norm", config.clip_grad_norm, "Clip the gradient norm to this value")->check(positive());
  command.add_option("--crash-after-steps", config.crash_after_steps, "Testing aid: end abruptly after N steps, as kill -9")
      ->check(positive())->group("");
  command.add_option("--interrupt-after-steps", config.interrupt_after_steps, "Testing aid: raise SIGINT after N steps, as Ctrl-C")
      ->check(positive())->group("");
  command.add_flag("!--no-progress", config.progress, "No progress bar");
  // Early stopping on the training loss would watch a number that keeps falling while the model overfits.
  command.parse_complete_callback([&config] {
    if (config.validation_split == 0 && config.patience > 0) {
      throw CLI::ValidationError("--patience", "needs validation images; drop --validation-split 0 or --patience");
    }
  });
}

void finish_config(TrainingConfig& config) {
  const models::Recipe& recipe = models::registry().at(config.model).recipe;
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
  models::registry().check_options(config.model, model_options(config));
}

models::ModelOptions model_options(const TrainingConfig& config) {
  return {.classes = static_cast<int64_t>(data::fashion_mnist_classes.size()), .overrides = config.model_options};
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
          {"random_erasing", c.random_erasing}, {"model_options", c.model_options}};
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

}  // namespace

TrainingSetup make_setup(const TrainingConfig& c) {
  TrainingSetup setup;
  manual_seed(c.seed);
  const models::ModelEntry& entry = models::registry().at(c.model);
  NABLA_CHECK(entry.input.dataset == "fashion-mnist",
              "train: model '{}' expects the {} data set; `nabla train` reads only fashion-mnist so far", c.model,
              entry.input.dataset);
  setup.model = models::registry().make(c.model, model_options(c));
  std::shared_ptr<const data::Dataset> train_set = data::fashion_mnist(data::Split::train, c.data);
  std::shared_ptr<const data::Dataset> validation_set = held_out_validation(train_set, c);
  if (c.limit_train > 0 && c.limit_train < train_set->size()) {
    std::vector<int64_t> first(static_cast<size_t>(c.limit_train));
    for (int64_t i = 0; i < c.limit_train; ++i) first[static_cast<size_t>(i)] = i;
    train_set = std::make_shared<data::Subset>(train_set, first);
  }
  auto test_set = data::fashion_mnist(data::Split::test, c.data);
  setup.train = std::make_unique<data::DataLoader>(
      train_set, data::LoaderOptions{.batch_size = c.batch_size, .shuffle = true, .seed = c.seed,
                                     .transform = augmentation(c, entry.input.shape)});
  if (validation_set) {
    setup.validation =
        std::make_unique<data::DataLoader>(validation_set, data::LoaderOptions{.batch_size = 500, .shuffle = false});
  }
  setup.test = std::make_unique<data::DataLoader>(test_set, data::LoaderOptions{.batch_size = 500, .shuffle = false});
  setup.optimizer = make_optimizer(c, setup.model->parameters());
  auto [scheduler, per_batch] = make_scheduler(c, *setup.optimizer, setup.train->batches_per_epoch());
  setup.scheduler = scheduler;
  train::TrainerOptions options{.epochs = c.epochs, .out_dir = c.out, .checkpoint_every = c.checkpoint_every,
                                .clip_grad_norm = c.clip_grad_norm, .patience = c.patience, .progress = c.progress,
                                .crash_after_steps = c.crash_after_steps,
                                .interrupt_after_steps = c.interrupt_after_steps};
  const double smoothing = c.label_smoothing;
  auto loss = [smoothing](const Tensor& output, const Tensor& target) {
    return functional::cross_entropy(output, target, {.label_smoothing = smoothing});
  };
  setup.trainer = std::make_unique<train::Trainer>(setup.model, setup.optimizer, loss, options);
  // Validation and test losses stay comparable across runs whatever their smoothing.
  setup.trainer->set_evaluation_loss([](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); });
  if (setup.scheduler) setup.trainer->set_scheduler(setup.scheduler, per_batch);
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
  trained.model = models::registry().make(trained.config.model, model_options(trained.config));
  trained.model->load_state_dict(load_safetensors(weights_path));
  trained.model->eval();
  return trained;
}

}  // namespace nabla::cli
