#include "nabla/train/trainer.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "nabla/allocator.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/io/file.h"
#include "nabla/io/safetensors.h"
#include "nabla/ops.h"
#include "nabla/optim/clip.h"
#include "nabla/train/progress.h"

namespace nabla::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::map<std::string, Tensor> snapshot(const nn::Module& model) { return model.state_dict().clone(); }

json to_json(const EpochMetrics& m) {
  auto number = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return {{"epoch", m.epoch}, {"train_loss", number(m.train_loss)}, {"train_accuracy", number(m.train_accuracy)},
          {"validation_loss", number(m.validation_loss)}, {"validation_accuracy", number(m.validation_accuracy)},
          {"learning_rate", m.learning_rate}, {"seconds", m.seconds}, {"samples_per_second", m.samples_per_second},
          {"tokens_per_second", m.tokens_per_second}};
}

EpochMetrics from_json(const json& j) {
  auto number = [&](const char* key) { return j.at(key).is_null() ? NAN : j.at(key).get<double>(); };
  return {j.at("epoch").get<int64_t>(), number("train_loss"), number("train_accuracy"), number("validation_loss"),
          number("validation_accuracy"), number("learning_rate"), number("seconds"), number("samples_per_second"),
          j.value("tokens_per_second", 0.0)};
}

bool is_classification(const Tensor& output, const Tensor& target) {
  return output.dim() == 2 && target.dim() == 1 && is_integral(target.dtype());
}

// A language model's batch: logits [B, T, V] for next tokens [B, T].
bool is_sequence(const Tensor& output, const Tensor& target) {
  return output.dim() == 3 && target.dim() == 2 && is_integral(target.dtype());
}

// A segmentation batch: scores [B, C, H, W] for class indices [B, H, W].
bool is_dense(const Tensor& output, const Tensor& target) {
  return output.dim() == 4 && target.dim() == 3 && is_integral(target.dtype());
}

// The examples of a batch that `output` classified correctly: for a sequence, the fraction of its tokens
// per example, so that accuracy (correct / examples) is the share of tokens predicted right.
Tensor correct_examples(const Tensor& output, const Tensor& target) {
  if (is_classification(output, target)) return sum(eq(argmax(output, 1), target)).to(DType::f64);
  if (is_dense(output, target)) {  // the share of pixels right, per example
    return sum(eq(argmax(output, 1), target)).to(DType::f64) / static_cast<double>(target.size(1) * target.size(2));
  }
  return sum(eq(argmax(output, 2), target)).to(DType::f64) / static_cast<double>(target.size(1));
}

}  // namespace

Trainer::Trainer(nn::ModulePtr model, std::shared_ptr<optim::Optimizer> optimizer, LossFunction loss, TrainerOptions options)
    : model_(std::move(model)), optimizer_(std::move(optimizer)), loss_(std::move(loss)), options_(std::move(options)) {
  NABLA_CHECK(model_ && optimizer_ && loss_, "Trainer: needs a model, an optimizer and a loss");
  NABLA_CHECK(options_.epochs >= 0, "Trainer: epochs must be non-negative, got {}", options_.epochs);
  NABLA_CHECK(options_.accumulate >= 1, "Trainer: accumulate must be at least 1, got {}", options_.accumulate);
  NABLA_CHECK(options_.log_every >= 1, "Trainer: log_every must be at least 1, got {}", options_.log_every);
  NABLA_CHECK(options_.checkpoint_every >= 0, "Trainer: checkpoint_every must be non-negative");
  const Replicas& replicas = options_.replicas;
  NABLA_CHECK(replicas.world_size >= 1 && replicas.rank >= 0 && replicas.rank < replicas.world_size,
              "Trainer: rank {} is not in a world of {}", replicas.rank, replicas.world_size);
  NABLA_CHECK(replicas.world_size == 1 || (replicas.module && replicas.sum && replicas.barrier),
              "Trainer: data-parallel training in a world of {} needs the plain module, a sum and a barrier",
              replicas.world_size);
  loss_sum_ = zeros({}, {.dtype = DType::f64});
  correct_sum_ = zeros({}, {.dtype = DType::f64});
  if (!options_.out_dir.empty()) fs::create_directories(options_.out_dir);
}

nn::Module& Trainer::plain_model() const { return options_.replicas.module ? *options_.replicas.module : *model_; }

std::vector<double> Trainer::summed(std::vector<double> values) const {
  if (options_.replicas.world_size > 1) options_.replicas.sum(values);
  return values;
}

bool Trainer::writes_files() const { return !options_.out_dir.empty() && options_.replicas.rank == 0; }

void Trainer::wait_for_files() const {
  if (options_.replicas.world_size > 1) options_.replicas.barrier();
}

void Trainer::set_scheduler(std::shared_ptr<optim::Scheduler> scheduler, bool per_batch) {
  scheduler_ = std::move(scheduler);
  scheduler_per_batch_ = per_batch;
}

void Trainer::set_evaluation_loss(LossFunction loss) { evaluation_loss_ = std::move(loss); }

void Trainer::check_finite(double loss) const {
  if (std::isfinite(loss)) return;
  std::string last = "no checkpoint (no output directory)";
  if (!options_.out_dir.empty()) {
    last = fs::exists(fs::path(options_.out_dir) / "checkpoint.json")
               ? fmt::format("the last good checkpoint is in {}", options_.out_dir)
               : fmt::format("no checkpoint was saved in {} before it", options_.out_dir);
  }
  throw Error(fmt::format("train: the loss became {} at epoch {}, step {}; {}. Try a lower learning rate or "
                          "gradient clipping", loss, epoch_ + 1, step_, last));
}

const std::vector<EpochMetrics>& Trainer::fit(const data::DataLoader& train, const data::DataLoader* validation) {
  NABLA_CHECK(validation || options_.patience == 0,
              "Trainer: early stopping (patience {}) needs a validation loader: the training loss keeps falling while "
              "the model overfits, so it can't say when to stop",
              options_.patience);
  while (epoch_ < options_.epochs && !stop_) {
    model_->train();
    auto start = std::chrono::steady_clock::now();
    int64_t examples_before = examples_;
    train_epoch(train);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stop_ = end_of_epoch(validation, seconds, examples_ - examples_before);
  }
  weights_epoch_ = epoch_;
  if (options_.patience > 0 && options_.restore_best && !options_.out_dir.empty()) {
    fs::path best = fs::path(options_.out_dir) / "best.safetensors";
    if (fs::exists(best)) {
      plain_model().load_state_dict(load_safetensors(best.string()));
      weights_epoch_ = best_epoch_;
    }
  }
  return history_;
}

namespace {
volatile std::sig_atomic_t stop_requested = 0;
}  // namespace

void request_stop() { stop_requested = 1; }

void Trainer::train_epoch(const data::DataLoader& train) {
  const int64_t batches = train.batches_per_epoch();
  ProgressBar bar(fmt::format("epoch {}/{}", epoch_ + 1, options_.epochs), batches, "batches",
                  options_.progress ? stderr : nullptr);
  bar.advance(next_batch_);
  auto epoch = train.epoch(epoch_, next_batch_);
  int64_t since_draw = 0;
  const auto start = std::chrono::steady_clock::now();
  const int64_t examples_at_start = examples_;
  while (std::optional<data::Batch> batch = epoch->next()) {
    Tensor output = (*model_)(batch->inputs);
    Tensor loss = loss_(output, batch->targets);
    NABLA_CHECK(loss.numel() == 1, "train: the loss must be a single number, got {}", loss.describe());
    (options_.accumulate > 1 ? loss / static_cast<double>(options_.accumulate) : loss).backward();
    const int64_t count = batch->inputs.size(0);
    {
      autograd::NoGradGuard no_grad;
      loss_sum_ = loss_sum_ + loss.detach().to(DType::f64) * static_cast<double>(count);
      if (is_classification(output, batch->targets) || is_sequence(output, batch->targets) ||
          is_dense(output, batch->targets)) {
        correct_sum_ = correct_sum_ + correct_examples(output, batch->targets);
      }
      if (is_sequence(output, batch->targets)) tokens_per_example_ = batch->targets.size(1);
    }
    examples_ += count;
    ++next_batch_;
    ++step_;
    ++since_draw;
    if (step_ % options_.accumulate == 0 || next_batch_ == batches) end_of_step();
    if (step_ % options_.log_every == 0 || next_batch_ == batches) {
      // Over every rank's examples (every rank reaches this step, so the sum is collective).
      const std::vector<double> totals = summed({loss_sum_.item(), correct_sum_.item(), static_cast<double>(examples_),
                                                 static_cast<double>(examples_ - examples_at_start)});
      const double seen = std::max(totals[2], 1.0);
      double mean_loss = totals[0] / seen;
      check_finite(mean_loss);
      std::string metrics = fmt::format("loss {:.4f} acc {:.1f}%", mean_loss, 100 * totals[1] / seen);
      if (tokens_per_example_ > 0) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double tokens = totals[3] * static_cast<double>(tokens_per_example_);
        metrics += fmt::format(", {:.0f} tokens/s", seconds > 0 ? tokens / seconds : 0);
      }
      bar.advance(since_draw, metrics);
      since_draw = 0;
    }
    // Checkpoints only fall on optimizer steps: gradients being accumulated are not saved.
    if (options_.checkpoint_every > 0 && step_ % options_.checkpoint_every == 0 && step_ % options_.accumulate == 0 &&
        next_batch_ < batches) {
      save_checkpoint();
    }
    if (options_.crash_after_steps > 0 && step_ == options_.crash_after_steps) std::_Exit(137);
    if (options_.interrupt_after_steps > 0 && step_ == options_.interrupt_after_steps) std::raise(options_.interrupt_signal);
    // Every rank stops at the same step (the first optimizer step at which any was asked to), else one would
    // enter the checkpoint's collectives while another waits in backward's.
    bool stop_now = stop_requested && step_ % options_.accumulate == 0;
    if (options_.replicas.world_size > 1 && step_ % options_.accumulate == 0) {
      stop_now = summed({stop_requested ? 1.0 : 0.0})[0] > 0;
    }
    if (stop_now) {
      stop_requested = 0;  // answered: a later fit() in this process runs normally
      bar.finish();
      save_checkpoint();  // refuses (check_finite) rather than save a diverged state
      throw Interrupted(options_.out_dir.empty()
                            ? fmt::format("train: interrupted at epoch {}, step {}", epoch_ + 1, step_)
                            : fmt::format("train: interrupted at epoch {}, step {}; saved a checkpoint in {}: continue "
                                          "with --resume",
                                          epoch_ + 1, step_, options_.out_dir));
    }
  }
  bar.finish();
}

void Trainer::end_of_step() {
  if (options_.clip_grad_norm > 0) optim::clip_grad_norm_(model_->parameters(), options_.clip_grad_norm);
  optimizer_->step();
  optimizer_->zero_grad();
  if (scheduler_ && scheduler_per_batch_) scheduler_->step();
}

bool Trainer::end_of_epoch(const data::DataLoader* validation, double seconds, int64_t examples) {
  EpochMetrics metrics;
  metrics.epoch = epoch_ + 1;
  const std::vector<double> totals = summed({loss_sum_.item(), correct_sum_.item(), static_cast<double>(examples_),
                                             static_cast<double>(examples)});
  const double seen = std::max(totals[2], 1.0);
  metrics.train_loss = totals[0] / seen;
  metrics.train_accuracy = totals[1] / seen;
  check_finite(metrics.train_loss);
  metrics.learning_rate = optimizer_->lr();
  metrics.seconds = seconds;
  metrics.samples_per_second = seconds > 0 ? totals[3] / seconds : 0;
  metrics.tokens_per_second = metrics.samples_per_second * static_cast<double>(tokens_per_example_);
  if (validation) {
    Evaluation result = evaluate(*validation);
    metrics.validation_loss = result.loss;
    metrics.validation_accuracy = result.accuracy;
  }
  if (scheduler_ && !scheduler_per_batch_) scheduler_->step();
  history_.push_back(metrics);
  ++epoch_;
  next_batch_ = 0;
  examples_ = 0;
  loss_sum_ = zeros({}, {.dtype = DType::f64});
  correct_sum_ = zeros({}, {.dtype = DType::f64});

  // The best epoch is chosen on the validation set only (never on the test set, never on the training loss).
  bool stop = false;
  bool best = false;
  if (validation) {
    if (metrics.validation_loss < best_loss_ - options_.min_delta) {
      best = true;
      best_loss_ = metrics.validation_loss;
      best_epoch_ = metrics.epoch;
      bad_epochs_ = 0;
      // (the ranks meet at the checkpoint below, after which every rank may read it)
      if (writes_files()) save_safetensors((fs::path(options_.out_dir) / "best.safetensors").string(), snapshot(plain_model()));
    } else if (++bad_epochs_ >= options_.patience && options_.patience > 0) {
      stop = true;
    }
    if (options_.progress) {
      // A language model's loss is in nats per token; its perplexity e^loss reads as "choosing among N tokens".
      const std::string perplexity =
          tokens_per_example_ > 0 ? fmt::format(" (perplexity {:.2f})", std::exp(metrics.validation_loss)) : "";
      fmt::print(stderr, "epoch {}/{}: train loss {:.4f} acc {:.2f}%, validation loss {:.4f}{} acc {:.2f}%{}\n",
                 metrics.epoch, options_.epochs, metrics.train_loss, 100 * metrics.train_accuracy,
                 metrics.validation_loss, perplexity, 100 * metrics.validation_accuracy,
                 best ? " (best so far)" : stop ? ", no better for " + std::to_string(bad_epochs_) + " epochs: stopping" : "");
    }
  }
  save_checkpoint();
  write_logs();
  if (!options_.memory_log.empty()) log_memory();
  return stop;
}

void Trainer::log_memory() const {
  const bool header = !fs::exists(options_.memory_log);
  std::ofstream log(options_.memory_log, std::ios::app);
  NABLA_CHECK(log.good(), "train: can't open the memory log {}", options_.memory_log);
  if (header) log << "unix_seconds,epoch,allocated_bytes,reserved_bytes,peak_allocated_bytes,peak_reserved_bytes,allocations\n";
  const MemoryStats stats = memory::stats();
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  log << fmt::format("{:.1f},{},{},{},{},{},{}\n", now, epoch_, stats.allocated, stats.reserved, stats.peak_allocated,
                     stats.peak_reserved, stats.allocations);
}

Evaluation Trainer::test(const data::DataLoader& loader) {
  NABLA_CHECK(!tested_, "Trainer: the test set was already evaluated; it is measured once, after training (choose "
                        "epochs and recipes on the validation set)");
  tested_ = true;
  return evaluate(loader);
}

Evaluation Trainer::evaluate(const data::DataLoader& loader) {
  autograd::NoGradGuard no_grad;
  // Evaluation batches (nabla train: 500) are several times the training batch, so the caching allocator's
  // blocks from training fit none of their activations, nor theirs a training step's: kept, the process
  // would hold both working sets at once. Handing the cache back at each switch lets the system allocator
  // reuse one for the other; it costs a few page faults per evaluation, not a measurable share of an epoch.
  memory::empty_cache();
  struct ReleaseAfter {
    ~ReleaseAfter() { memory::empty_cache(); }
  } release_after;
  nn::Module& model = plain_model();  // no collective per batch: the ranks' shards may differ in length
  bool was_training = model.is_training();
  model.eval();
  Evaluation result;
  double loss_sum = 0, correct_sum = 0;
  bool sequences = false;
  const LossFunction& loss = evaluation_loss_ ? evaluation_loss_ : loss_;
  auto epoch = loader.epoch(0);
  while (std::optional<data::Batch> batch = epoch->next()) {
    Tensor output = model(batch->inputs);
    const int64_t count = batch->inputs.size(0);
    loss_sum += loss(output, batch->targets).item() * static_cast<double>(count);
    if (is_classification(output, batch->targets) || is_dense(output, batch->targets)) {
      if (result.examples == 0) result.confusion = ConfusionMatrix(output.size(1));
      result.confusion.add(output, batch->targets);
    }
    if (is_sequence(output, batch->targets)) {
      sequences = true;
      correct_sum += correct_examples(output, batch->targets).item();
    }
    result.examples += count;
  }
  model.train(was_training);
  if (options_.replicas.world_size > 1) {
    // Each rank measured its shard: sum the sums, then the confusion matrices (a rank whose shard was empty
    // has none: the others say how many classes there are).
    const bool classified = result.confusion.total() > 0;
    std::vector<double> totals = summed({loss_sum, correct_sum, static_cast<double>(result.examples), sequences ? 1.0 : 0.0,
                                         classified ? static_cast<double>(result.confusion.classes()) : 0.0,
                                         classified ? 1.0 : 0.0});
    loss_sum = totals[0], correct_sum = totals[1], sequences = totals[3] > 0;
    result.examples = static_cast<int64_t>(totals[2]);
    if (totals[5] > 0) {
      const auto classes = static_cast<int64_t>(totals[4] / totals[5]);
      std::vector<double> counts(static_cast<size_t>(classes * classes), 0.0);
      if (classified) counts.assign(result.confusion.counts().begin(), result.confusion.counts().end());
      counts = summed(std::move(counts));
      result.confusion = ConfusionMatrix(classes);
      result.confusion.add_counts(std::vector<int64_t>(counts.begin(), counts.end()));
    }
  }
  result.loss = result.examples ? loss_sum / static_cast<double>(result.examples) : NAN;
  result.accuracy = result.confusion.total() ? result.confusion.accuracy()
                    : sequences               ? correct_sum / static_cast<double>(result.examples)
                                              : NAN;
  return result;
}

// A checkpoint is three files named by the step (weights, optimizer tensors) and checkpoint.json, written
// last and atomically: it is the commit point. Files of older checkpoints are deleted afterwards.
void Trainer::save_checkpoint() {
  if (options_.out_dir.empty()) return;
  // The running sums over every rank: the checkpoint is the same whatever the world size.
  const std::vector<double> totals = summed({loss_sum_.item(), correct_sum_.item(), static_cast<double>(examples_)});
  check_finite(totals[0]);
  if (writes_files()) {
    // A full disk (or a file-size limit, or a vanished directory) fails the write before checkpoint.json is
    // replaced, so the previous checkpoint still stands: say so, in one line, rather than only the errno.
    try {
      write_checkpoint(totals[0], totals[1], static_cast<int64_t>(totals[2]));
    } catch (const std::exception& error) {
      // This step's files written before the failure are not part of any checkpoint (checkpoint.json still names
      // the previous one): on a full disk they hold the room the next attempt needs.
      if (step_ != saved_step_) {
        std::error_code ignored;
        for (const char* part : {"model", "optimizer"}) {
          fs::remove(fs::path(options_.out_dir) / fmt::format("checkpoint-{}-{}.safetensors", step_, part), ignored);
        }
      }
      throw Error(fmt::format("train: can't save the checkpoint of step {} in {} ({}); {}", step_, options_.out_dir,
                              error.what(),
                              saved_step_ >= 0 ? fmt::format("the checkpoint of step {} is intact: make room and "
                                                             "continue with --resume", saved_step_)
                                               : std::string("no earlier checkpoint was saved")));
    }
  }
  wait_for_files();
}

void Trainer::write_checkpoint(double loss_sum, double correct_sum, int64_t examples) {
  const fs::path directory = options_.out_dir;
  const std::string model_file = fmt::format("checkpoint-{}-model.safetensors", step_);
  const std::string optimizer_file = fmt::format("checkpoint-{}-optimizer.safetensors", step_);
  save_safetensors((directory / model_file).string(), snapshot(plain_model()));
  if (options_.interrupt_in_checkpoint_at_step == step_ && !interrupted_in_checkpoint_) {
    interrupted_in_checkpoint_ = true;
    std::raise(options_.interrupt_signal);  // (tests/e2e/faults.sh) between this checkpoint's files
  }
  optim::OptimizerState optimizer_state = optimizer_->state_dict();
  save_safetensors((directory / optimizer_file).string(), optimizer_state.tensors);
  json history = json::array();
  for (const EpochMetrics& m : history_) history.push_back(to_json(m));
  json state = {{"model_file", model_file},
                {"optimizer_file", optimizer_file},
                {"optimizer", optimizer_state.values},
                {"scheduler", scheduler_ ? scheduler_->state_dict() : json(nullptr)},
                {"generator", {default_generator().seed(), default_generator().offset()}},
                {"epoch", epoch_},
                {"next_batch", next_batch_},
                {"step", step_},
                {"loss_sum", loss_sum},
                {"correct_sum", correct_sum},
                {"examples", examples},
                {"best_loss", std::isfinite(best_loss_) ? json(best_loss_) : json(nullptr)},
                {"best_epoch", best_epoch_},
                {"bad_epochs", bad_epochs_},
                {"history", history}};
  io::write_file_atomic((directory / "checkpoint.json").string(), state.dump(1));
  saved_step_ = step_;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("checkpoint-", 0) == 0 && name != model_file && name != optimizer_file) fs::remove(entry.path());
  }
}

bool Trainer::resume() {
  if (options_.out_dir.empty()) return false;
  const fs::path directory = options_.out_dir;
  if (!fs::exists(directory / "checkpoint.json")) return false;
  try {
    restore(json::parse(io::read_file((directory / "checkpoint.json").string())));
  } catch (const json::exception& error) {  // unparseable, or a field missing or of the wrong type
    throw Error(fmt::format("resume: {} is corrupt: {}", (directory / "checkpoint.json").string(), error.what()));
  }
  return true;
}

void Trainer::restore(const nlohmann::json& state) {
  const fs::path directory = options_.out_dir;
  plain_model().load_state_dict(load_safetensors((directory / state.at("model_file").get<std::string>()).string()));
  optimizer_->load_state_dict(
      {state.at("optimizer"), load_safetensors((directory / state.at("optimizer_file").get<std::string>()).string())});
  if (scheduler_ && !state.at("scheduler").is_null()) scheduler_->load_state_dict(state.at("scheduler"));
  default_generator().set_state(state.at("generator")[0].get<uint64_t>(), state.at("generator")[1].get<uint64_t>());
  epoch_ = state.at("epoch").get<int64_t>();
  next_batch_ = state.at("next_batch").get<int64_t>();
  step_ = state.at("step").get<int64_t>();
  saved_step_ = step_;
  // The sums over every rank of the run that saved them: rank 0 carries them on, the others start at zero,
  // so the sums over this run's ranks continue them whatever its world size.
  const bool carries = options_.replicas.rank == 0;
  loss_sum_ = scalar_tensor(carries ? state.at("loss_sum").get<double>() : 0.0, DType::f64);
  correct_sum_ = scalar_tensor(carries ? state.at("correct_sum").get<double>() : 0.0, DType::f64);
  examples_ = carries ? state.at("examples").get<int64_t>() : 0;
  best_loss_ = state.at("best_loss").is_null() ? INFINITY : state.at("best_loss").get<double>();
  best_epoch_ = state.value("best_epoch", int64_t{0});  // absent in checkpoints written before it was kept
  bad_epochs_ = state.at("bad_epochs").get<int64_t>();
  history_.clear();
  for (const json& entry : state.at("history")) history_.push_back(from_json(entry));
}

void Trainer::write_logs() const {
  if (!writes_files()) return;
  std::string csv = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds,samples_per_second\n";
  for (const EpochMetrics& m : history_) {
    csv += fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6g},{:.3f},{:.1f}\n", m.epoch, m.train_loss, m.train_accuracy,
                       m.validation_loss, m.validation_accuracy, m.learning_rate, m.seconds, m.samples_per_second);
  }
  io::write_file_atomic((fs::path(options_.out_dir) / "log.csv").string(), csv);
  json history = json::array();
  for (const EpochMetrics& m : history_) history.push_back(to_json(m));
  io::write_file_atomic((fs::path(options_.out_dir) / "history.json").string(), history.dump(1));
}

}  // namespace nabla::train
