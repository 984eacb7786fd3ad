// `nabla train`: trains a zoo model on Fashion-MNIST (a language model on text) and writes metrics.json, model.safetensors, log.csv,
// curves.png and config.json into --out; `--resume` continues an interrupted run exactly. Each epoch is
// measured on validation images held out of the training set; the test set is measured once, at the end.
// `--nproc N` trains data-parallel in N processes (started through mpirun, or by mpirun directly): the same
// run as one process at the global batch --batch-size, each rank on its share; rank 0 alone prints and writes.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/cpu/kernels.h"
#include "cli/commands.h"
#include "cli/segmentation_commands.h"
#include "cli/mpi_launch.h"
#include "cli/training_setup.h"
#include "nabla/train/segmentation_metrics.h"
#include "nabla/data/dataset.h"
#include "nabla/dist/environment.h"
#include "nabla/dist/process_group.h"
#include "nabla/io/file.h"
#include "nabla/io/plot.h"
#include "nabla/io/safetensors.h"
#include "nabla/nabla.h"
#include "nabla/train/trainer.h"

namespace nabla::cli {
namespace {

namespace fs = std::filesystem;

void draw_curves(const std::vector<train::EpochMetrics>& history, const std::string& path) {
  plot::Series train_loss{"train"}, validation_loss{"validation"}, train_accuracy{"train"}, validation_accuracy{"validation"};
  for (const train::EpochMetrics& m : history) {
    double epoch = static_cast<double>(m.epoch);
    train_loss.x.push_back(epoch), train_loss.y.push_back(m.train_loss);
    validation_loss.x.push_back(epoch), validation_loss.y.push_back(m.validation_loss);
    train_accuracy.x.push_back(epoch), train_accuracy.y.push_back(100 * m.train_accuracy);
    validation_accuracy.x.push_back(epoch), validation_accuracy.y.push_back(100 * m.validation_accuracy);
  }
  // Loss falls into one corner and accuracy rises into another: the legends go under the plots.
  std::vector<plot::Panel> panels{{"loss", "epoch", "cross-entropy", {train_loss, validation_loss}},
                                  {"accuracy", "epoch", "accuracy (%)", {train_accuracy, validation_accuracy}}};
  for (plot::Panel& panel : panels) panel.legend = plot::Legend::below;
  plot::line_png(path, panels);
}

// The epoch with the lowest validation loss; null without validation (or when no validation loss was finite).
const train::EpochMetrics* best_epoch(const std::vector<train::EpochMetrics>& history, const train::Trainer& trainer) {
  const int64_t epoch = trainer.best_epoch();
  return epoch >= 1 && epoch <= static_cast<int64_t>(history.size()) ? &history[static_cast<size_t>(epoch - 1)] : nullptr;
}

// metrics.json: the last epoch's training figures, the validation figures of every epoch and of the best
// one, and the one test measurement with the images it counted and the epoch whose weights it measured.
nlohmann::json metrics_json(const TrainingConfig& config, const TrainingSetup& setup,
                            const std::vector<train::EpochMetrics>& history, const train::Evaluation& test) {
  const train::EpochMetrics& last = history.back();
  double seconds = 0;
  for (const train::EpochMetrics& m : history) seconds += m.seconds;
  nlohmann::json validation = nullptr;
  if (setup.validation) {
    nlohmann::json per_epoch = nlohmann::json::array();
    for (const train::EpochMetrics& m : history) {
      per_epoch.push_back({{"epoch", m.epoch}, {"loss", m.validation_loss}, {"accuracy", m.validation_accuracy}});
    }
    const train::EpochMetrics* best = best_epoch(history, *setup.trainer);
    validation = {{"examples", setup.validation->dataset().size()},
                  {"best", best ? nlohmann::json{{"epoch", best->epoch}, {"loss", best->validation_loss},
                                                 {"accuracy", best->validation_accuracy}}
                                : nlohmann::json(nullptr)},
                  {"per_epoch", per_epoch}};
  }
  const int64_t weights_epoch = setup.trainer->weights_epoch();
  nlohmann::json result = {{"model", config.model},
          {"epochs", static_cast<int64_t>(history.size())},
          {"train_accuracy", last.train_accuracy},
          {"train_loss", last.train_loss},
          {"validation", validation},
          {"test", {{"examples", test.examples},
                    {"weights", weights_epoch == last.epoch ? "final" : "best"},
                    {"weights_epoch", weights_epoch},
                    {"accuracy", test.accuracy},
                    {"loss", test.loss}}},
          {"samples_per_second", last.samples_per_second},
          {"train_seconds", seconds},
          {"threads", cpu::num_threads()},
          {"config", to_json(config)}};  // the recipe it ran: optimizer, schedule, warm-up, smoothing, augmentation
  if (is_segmentation_model(config)) {  // IoU per class of the test pixels, and their mean
    std::vector<double> per_class;
    for (int64_t c = 0; c < test.confusion.classes(); ++c) per_class.push_back(train::intersection_over_union(test.confusion, c));
    result["test"]["mean_iou"] = train::mean_intersection_over_union(test.confusion);
    result["test"]["iou"] = per_class;
  }
  return result;
}

// --resume continues a run as it was configured: its recipe comes from its config.json. An option given
// now that differs from the recipe is refused, rather than silently changing the run or its record;
// options outside the recipe (progress bar, checkpoint interval) are taken from this command.
void adopt_saved_recipe(TrainingConfig& config, const std::set<std::string>& given) {
  const fs::path path = fs::path(config.out) / "config.json";
  if (!fs::exists(path)) return;  // resume() then says that there is no checkpoint
  TrainingConfig recipe =
      config_from_json(nlohmann::json::parse(io::read_file(path.string()), nullptr, false), path.string());
  const nlohmann::json saved = to_json(recipe);
  const nlohmann::json now = to_json(config);
  std::vector<std::string> differing;
  for (const auto& [key, value] : saved.items()) {
    if (!given.count(key) || now.at(key) == value) continue;
    std::string option = key == "model_options" ? "model_option" : key;  // the one flag named unlike its key
    std::replace(option.begin(), option.end(), '_', '-');
    differing.push_back(fmt::format("--{} {} (the run's is {})", option, now.at(key).dump(), value.dump()));
  }
  NABLA_CHECK(differing.empty(),
              "train: --resume continues the run in {} as its config.json says; {} differ{} from it. Drop {}, or "
              "start a new run with another --out",
              config.out, fmt::join(differing, ", "), differing.size() == 1 ? "s" : "", differing.size() == 1 ? "it" : "them");
  recipe.out = config.out;
  recipe.checkpoint_every = config.checkpoint_every;
  recipe.crash_after_steps = config.crash_after_steps;
  recipe.interrupt_after_steps = config.interrupt_after_steps;
  recipe.interrupt_in_checkpoint_at_step = config.interrupt_in_checkpoint_at_step;
  recipe.interrupt_signal = config.interrupt_signal;
  recipe.memory_log = config.memory_log;
  recipe.progress = config.progress;
  config = recipe;
}

// A language model's run: the corpus and tokenizer figures first, then training, and at the end its best
// validation loss in nats/token, nats/char and perplexity beside the training text's unigram entropy. The
// corpus is split in two (training and validation documents): there is no test measurement.
int train_language_model(const TrainingConfig& config, TrainingSetup& setup, bool leader) {
  const TextData& text = *setup.text;
  if (leader) fmt::print("{} on {}: {} training documents ({} characters, {} tokens), {} validation documents ({} characters, {} "
             "tokens); {} tokenizer, vocabulary {}; context {}; {} parameters, {} threads\n",
             config.model, config.data, text.train_documents, text.train_characters, text.train_tokens,
             text.validation_documents, text.validation_characters, text.validation_tokens, config.tokenizer,
             text.tokenizer->vocab_size(), config.context, setup.model->parameter_count(), cpu::num_threads());
  if (leader) fmt::print("unigram entropy of the training text: {:.4f} nats/char\n", text.unigram_entropy);
  std::fflush(stdout);
  const auto& history = setup.trainer->fit(*setup.train, setup.validation.get());
  NABLA_CHECK(!history.empty(), "train: no epoch was run (--epochs 0?)");
  if (!leader) return 0;  // what follows is rank 0's: the figures and files of the run
  save_safetensors((fs::path(config.out) / "model.safetensors").string(), setup.model->state_dict());
  nlohmann::json validation = nullptr;
  const train::EpochMetrics* best = best_epoch(history, *setup.trainer);
  if (best) {
    const double per_char = best->validation_loss / text.characters_per_token();
    validation = {{"documents", text.validation_documents}, {"tokens", text.validation_tokens},
                  {"characters", text.validation_characters}, {"best_epoch", best->epoch},
                  {"nats_per_token", best->validation_loss}, {"nats_per_char", per_char},
                  {"perplexity", std::exp(best->validation_loss)}, {"token_accuracy", best->validation_accuracy}};
    fmt::print("best validation loss {:.4f} nats/token (perplexity {:.2f}), {:.4f} nats/char, at epoch {} of {}; "
               "unigram entropy {:.4f} nats/char\n",
               best->validation_loss, std::exp(best->validation_loss), per_char, best->epoch, history.size(),
               text.unigram_entropy);
  }
  const train::EpochMetrics& last = history.back();
  double seconds = 0;
  for (const train::EpochMetrics& m : history) seconds += m.seconds;
  const nlohmann::json metrics = {
      {"model", config.model}, {"epochs", static_cast<int64_t>(history.size())},
      {"train_loss", last.train_loss}, {"train_accuracy", last.train_accuracy},
      {"text", {{"data", config.data}, {"tokenizer", config.tokenizer}, {"vocab_size", text.tokenizer->vocab_size()},
                {"context", config.context}, {"train_documents", text.train_documents},
                {"train_characters", text.train_characters}, {"train_tokens", text.train_tokens},
                {"unigram_entropy_nats_per_char", text.unigram_entropy}}},
      {"validation", validation}, {"test", nullptr},
      {"tokens_per_second", last.tokens_per_second}, {"samples_per_second", last.samples_per_second},
      {"train_seconds", seconds}, {"threads", cpu::num_threads()}, {"config", to_json(config)}};
  io::write_file_atomic((fs::path(config.out) / "metrics.json").string(), metrics.dump(1));
  std::string written = "metrics.json, model.safetensors, tokenizer.json, log.csv";
  try {
    draw_curves(history, (fs::path(config.out) / "curves.png").string());
    written += ", curves.png";
  } catch (const Error& error) {
    fmt::print(stderr, "nabla: warning: no curves.png: {}\n", error.what());
  }
  fmt::print("{:.0f} tokens/s in the last epoch; wrote {} in {}\n", last.tokens_per_second, written, config.out);
  return 0;
}

// The ranks of a data-parallel run: none in one process; under a launcher, the job's group, which must have
// the --nproc asked for (0: whatever the launcher started).
dist::ProcessGroupPtr join_ranks(int nproc) {
  const dist::Environment& environment = dist::environment();
  NABLA_CHECK(nproc == 0 || nproc == environment.world_size,
              "train: --nproc {} but the launcher ({}) started {} processes", nproc, environment.launcher,
              environment.world_size);
  if (environment.world_size == 1) return nullptr;
  return dist::init_process_group();
}

int train_here(const TrainingConfig& config, bool resume, const dist::ProcessGroupPtr& group);

int run_train(TrainingConfig config, bool resume, const std::set<std::string>& given, int nproc) {
  if (!resume && fs::exists(fs::path(config.out) / "checkpoint.json")) {
    throw Error(fmt::format("train: {} already holds a run; pass --resume to continue it, or choose another --out",
                            config.out));
  }
  if (resume) adopt_saved_recipe(config, given);
  check_recipe(config);  // before anything is written into --out
  const int processes = dist::environment().launched() ? dist::environment().world_size : std::max(nproc, 1);
  NABLA_CHECK(config.batch_size % processes == 0,
              "train: the global batch --batch-size {} does not split equally over {} processes; choose a multiple of {}",
              config.batch_size, processes, processes);
  NABLA_CHECK(nproc <= 1 || dist::mpi_available(),
              "train: --nproc {} needs a nabla built with MPI; install libopenmpi-dev (scripts/install-deps.sh) and "
              "configure again", nproc);
  if (nproc > 1 && !dist::environment().launched()) relaunch_under_mpirun(nproc);
  const dist::ProcessGroupPtr group = join_ranks(nproc);
  if (!group) return train_here(config, resume, nullptr);
  // A rank that fails leaves at once, naming itself: ending normally would wait in MPI_Finalize for partners
  // that may be stuck in a collective. mpirun then ends the job.
  try {
    return train_here(config, resume, group);
  } catch (const train::Interrupted& error) {
    fmt::print(stderr, "nabla: rank {} of {}: {}\n", group->rank(), group->world_size(), error.what());
    std::fflush(stderr);
    std::_Exit(130);
  } catch (const std::exception& error) {
    fmt::print(stderr, "nabla: error: rank {} of {}: {}\n", group->rank(), group->world_size(), error.what());
    std::fflush(stderr);
    std::_Exit(1);
  }
}

// The run itself, in this process: alone (group null) or as one rank of a data-parallel job.
int train_here(const TrainingConfig& config, bool resume, const dist::ProcessGroupPtr& group) {
  const bool leader = !group || group->rank() == 0;
  // Ctrl-C (or SIGTERM) asks the trainer to checkpoint at its next step and stop; a second one kills at once.
  struct sigaction stop {};
  stop.sa_handler = [](int) { train::request_stop(); };
  stop.sa_flags = SA_RESETHAND;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  if (leader) {
    // Before any training: an output path that can't be a directory (its parent a file, a read-only file
    // system) fails here, in one line, not at the first checkpoint.
    std::error_code error;
    fs::create_directories(config.out, error);
    NABLA_CHECK(!error && fs::is_directory(config.out), "train: can't create the output directory {}: {}", config.out,
                error ? error.message() : "a file of that name is in the way");
    io::write_file_atomic((fs::path(config.out) / "config.json").string(), to_json(config).dump(1));
  }
  if (group) group->barrier();
  TrainingSetup setup = make_setup(config, resume, group);
  if (resume) {
    NABLA_CHECK(setup.trainer->resume(), "train: --resume found no checkpoint in {}", config.out);
    if (leader) fmt::print("resuming at step {}\n", setup.trainer->global_step());
  }
  if (setup.text) return train_language_model(config, setup, leader);
  if (leader) {
    if (group) {
      fmt::print("data-parallel in {} processes: global batch {}, {} per process\n", group->world_size(),
                 config.batch_size, config.batch_size / group->world_size());
      int64_t batch_norms = 0;
      for (const auto& [name, module] : setup.model->named_modules()) {
        batch_norms += dynamic_cast<const nn::BatchNorm*>(module.get()) != nullptr;
      }
      if (batch_norms > 0) {
        fmt::print("note: {}'s {} batch norm layers normalise each process's {} examples by their own statistics (not "
                   "SyncBatchNorm): the run differs from one process at batch {}\n",
                   config.model, batch_norms, config.batch_size / group->world_size(), config.batch_size);
      }
    }
    fmt::print("{} on {}: {} training, {} validation and {} test images, {} parameters, {} threads\n",
               config.model, is_segmentation_model(config) ? "segmentation canvases" : "Fashion-MNIST", setup.train->dataset().size(), setup.validation ? setup.validation->dataset().size() : 0,
               setup.test->dataset().size(), setup.model->parameter_count(), cpu::num_threads());
    if (!setup.validation) fmt::print("no validation images (--validation-split 0): the run is judged on its training loss\n");
    std::fflush(stdout);
  }
  const auto& history = setup.trainer->fit(*setup.train, setup.validation.get());
  NABLA_CHECK(!history.empty(), "train: no epoch was run (--epochs 0?)");

  // The one look at the test set, with the weights fit() ended with (written next as model.safetensors).
  train::Evaluation test = setup.trainer->test(*setup.test);  // (summed over the ranks' shards of the test set)
  if (!leader) return 0;  // what follows is rank 0's: the figures and files of the run
  save_safetensors((fs::path(config.out) / "model.safetensors").string(), setup.model->state_dict());
  io::write_file_atomic((fs::path(config.out) / "metrics.json").string(),
                        metrics_json(config, setup, history, test).dump(1));
  std::string curves = (fs::path(config.out) / "curves.png").string(), written = "metrics.json, model.safetensors, log.csv";
  try {
    draw_curves(history, curves);
    written += ", curves.png";
  } catch (const Error& error) {
    fmt::print(stderr, "nabla: warning: no curves.png: {}\n", error.what());
  }
  if (const train::EpochMetrics* best = best_epoch(history, *setup.trainer)) {
    fmt::print("best validation loss {:.4f} (accuracy {:.2f}%) at epoch {} of {}\n", best->validation_loss,
               100 * best->validation_accuracy, best->epoch, history.size());
  }
  const int64_t weights_epoch = setup.trainer->weights_epoch();
  fmt::print("test accuracy {:.2f}%, test loss {:.4f} on {} test images, measured once with the {} weights (epoch {}; "
             "{:.0f} samples/s)\n",
             100 * test.accuracy, test.loss, test.examples, weights_epoch == history.back().epoch ? "final" : "best",
             weights_epoch, history.back().samples_per_second);
  if (is_segmentation_model(config)) {
    const std::vector<std::string> names = setup.test->dataset().class_names();
    std::string per_class;
    for (int64_t c = 0; c < test.confusion.classes(); ++c) {
      per_class += fmt::format("{}{} {:.3f}", c ? ", " : "", c < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(c)] : std::to_string(c),
                               train::intersection_over_union(test.confusion, c));
    }
    fmt::print("test mean IoU {:.4f} (pixel accuracy {:.2f}%); IoU per class: {}\n", train::mean_intersection_over_union(test.confusion),
               100 * test.accuracy, per_class);
  }
  fmt::print("wrote {} in {}\n", written, config.out);
  return 0;
}

}  // namespace

Runner add_train_command(CLI::App& app) {
  auto config = std::make_shared<TrainingConfig>();
  auto resume = std::make_shared<bool>(false);
  auto nproc = std::make_shared<int>(0);
  CLI::App* command = app.add_subcommand(
      "train",
      "Train a model: image models on Fashion-MNIST (validate each epoch on held-out images, test once at the end), "
      "language models on text (fortunes or your files; validate on held-out documents)");
  add_training_options(*command, *config);
  command->add_flag("--resume", *resume, "Continue the run in --out from its last checkpoint");
  command->add_option("--nproc", *nproc,
                      "Train data-parallel in N processes (through mpirun; or start nabla under mpirun -n N): the "
                      "same run as one process at the global --batch-size, split equally over them")
      ->check(positive());
  return [command, config, resume, nproc] {
    if (!command->parsed()) return -1;
    finish_config(*config);
    std::set<std::string> given;  // config.json's keys of the options on the command line
    for (const CLI::Option* option : command->get_options()) {
      if (option->count() == 0) continue;
      std::string key = option->get_name();
      key.erase(0, key.find_first_not_of('-'));
      std::replace(key.begin(), key.end(), '-', '_');
      given.insert(key == "model_option" ? "model_options" : key);
    }
    given.erase("nproc");  // how many processes run it is not part of the recipe
    return run_train(*config, *resume, given, *nproc);
  };
}

}  // namespace nabla::cli
