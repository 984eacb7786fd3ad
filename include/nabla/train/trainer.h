#pragma once
// The Trainer: fit / evaluate with a progress bar, logs, checkpoints that resume exactly, early stopping,
// gradient clipping and accumulation, and a clean stop on a non-finite loss.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nabla/data/loader.h"
#include "nabla/nn/module.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/scheduler.h"
#include "nabla/train/metrics.h"

namespace nabla::train {

using LossFunction = std::function<Tensor(const Tensor& output, const Tensor& target)>;

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0, train_accuracy = 0;
  double validation_loss = NAN, validation_accuracy = NAN;
  double learning_rate = 0;
  double seconds = 0, samples_per_second = 0;
};

struct TrainerOptions {
  int64_t epochs = 10;
  std::string out_dir;           // checkpoints and logs go here; empty: nowhere
  int64_t checkpoint_every = 0;  // also checkpoint every this many steps (0: only at the end of epochs)
  int64_t log_every = 50;        // steps between reading the loss back (the loop's only host syncs)
  double clip_grad_norm = 0;     // 0: off
  int64_t accumulate = 1;        // optimizer step every this many batches (gradient accumulation)
  int64_t patience = 0;          // early stopping on validation loss; 0: off
  double min_delta = 0;
  bool restore_best = true;      // with early stopping: end with the best epoch's weights
  bool progress = true;
  int64_t crash_after_steps = 0;  // testing aid: end the process abruptly (as kill -9) after this many steps
  int64_t interrupt_after_steps = 0;  // testing aid: raise SIGINT (as Ctrl-C) after this many steps
};

struct Evaluation {
  double loss = 0, accuracy = 0;
  int64_t examples = 0;
  ConfusionMatrix confusion{1};
};

// Asks a running Trainer to stop: at its next optimizer step it saves a checkpoint (when it has an output
// directory) and throws Interrupted. Async-signal-safe, for SIGINT/SIGTERM handlers (`nabla train` installs them).
void request_stop();
struct Interrupted : Error {
  using Error::Error;
};

class Trainer {
 public:
  Trainer(nn::ModulePtr model, std::shared_ptr<optim::Optimizer> optimizer, LossFunction loss, TrainerOptions options);
  // Per-epoch schedulers step after each epoch; per-batch ones (OneCycleLR) after each optimizer step.
  void set_scheduler(std::shared_ptr<optim::Scheduler> scheduler, bool per_batch = false);

  // Trains for options.epochs (continuing a resumed run where it stopped) and returns the history.
  const std::vector<EpochMetrics>& fit(const data::DataLoader& train, const data::DataLoader* validation = nullptr);
  Evaluation evaluate(const data::DataLoader& loader);

  // Restores the latest checkpoint in out_dir, if any (returns whether one was found).
  bool resume();
  void save_checkpoint();
  const std::vector<EpochMetrics>& history() const { return history_; }
  int64_t global_step() const { return step_; }

 private:
  void restore(const nlohmann::json& checkpoint);  // the state resume() read from checkpoint.json
  void train_epoch(const data::DataLoader& train);
  void end_of_step();
  bool end_of_epoch(const data::DataLoader* validation, double seconds, int64_t examples);
  void check_finite(double loss) const;
  void write_logs() const;

  nn::ModulePtr model_;
  std::shared_ptr<optim::Optimizer> optimizer_;
  LossFunction loss_;
  TrainerOptions options_;
  std::shared_ptr<optim::Scheduler> scheduler_;
  bool scheduler_per_batch_ = false;

  // Progress, all of it saved in checkpoints so a resumed run continues exactly.
  int64_t epoch_ = 0;        // epochs completed
  int64_t next_batch_ = 0;   // within the current epoch
  int64_t step_ = 0;         // batches trained in total
  Tensor loss_sum_, correct_sum_;  // this epoch's running sums (float64 scalars; read back only when logging)
  int64_t examples_ = 0;
  std::vector<EpochMetrics> history_;
  double best_loss_ = INFINITY;
  int64_t bad_epochs_ = 0;
  bool stop_ = false;
};

}  // namespace nabla::train
