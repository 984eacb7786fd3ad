#pragma once
// The Trainer: fit / evaluate with a progress bar, logs, checkpoints that resume exactly, early stopping,
// gradient clipping and accumulation, and a clean stop on a non-finite loss.
//
// The protocol it keeps (the lab's Q34/Q35): every epoch is measured on a validation set held out of the
// training data; early stopping and the best checkpoint look only at it; the test set is seen once, by
// test(), after training.
#include <csignal>
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
  double tokens_per_second = 0;  // language models (outputs [B, T, V]): samples/s × T; otherwise 0
};

// Data-parallel training (filled by the caller from a dist::ProcessGroup, so this layer needs no MPI): the
// Trainer's model is then a DistributedDataParallel on every rank, each rank's loader visits its shard with a
// local batch of global batch / world_size, and the Trainer
//   - saves, restores and evaluates `module`, the plain model inside the wrapper, so a checkpoint is the
//     same whatever the world size and `nabla eval`/`predict` load it as a one-process run's;
//   - sums its running loss, accuracy and example counts over the ranks (`sum`) before it reports, checks
//     or saves them, so every rank decides alike (non-finite loss, best epoch, early stopping);
//   - evaluates each rank's shard of the validation and test loaders and sums the results;
//   - writes files from rank 0 only, then waits at `barrier`, so no rank reads or runs ahead of them.
// A resumed run may have another world size: the checkpoint counts global steps and global sums.
struct Replicas {
  int rank = 0;
  int world_size = 1;
  nn::ModulePtr module;                            // null: the Trainer's model itself (one process)
  std::function<void(std::vector<double>&)> sum;   // in place, elementwise over the ranks
  std::function<void()> barrier;
};

struct TrainerOptions {
  int64_t epochs = 10;
  std::string out_dir;           // checkpoints and logs go here; empty: nowhere
  int64_t checkpoint_every = 0;  // also checkpoint every this many steps (0: only at the end of epochs)
  int64_t log_every = 50;        // steps between reading the loss back (the loop's only host syncs)
  double clip_grad_norm = 0;     // 0: off
  int64_t accumulate = 1;        // optimizer step every this many batches (gradient accumulation)
  int64_t patience = 0;          // early stopping on validation loss (fit() needs a validation loader); 0: off
  double min_delta = 0;          // the validation loss must fall by more than this to count as better
  bool restore_best = true;      // with early stopping: end with the best epoch's weights
  bool progress = true;
  int64_t crash_after_steps = 0;  // testing aid: end the process abruptly (as kill -9) after this many steps
  int64_t interrupt_after_steps = 0;  // testing aid: raise interrupt_signal (as Ctrl-C) after this many steps
  // testing aid: raise interrupt_signal once in the middle of the first checkpoint written at this step (after the
  // weights' file, before the optimizer's and checkpoint.json), as a signal arriving while a checkpoint is written
  int64_t interrupt_in_checkpoint_at_step = 0;
  // After each epoch (its evaluation included), append the caching allocator's counters to this CSV file
  // (scripts/soak.sh watches them for growth); empty: off.
  std::string memory_log;
  int interrupt_signal = SIGINT;  // what the testing aids raise: SIGINT, SIGTERM, or SIGSTOP (a pause, for tests)
  Replicas replicas{};  // data-parallel training; the default is one process
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
  // The loss evaluate() and test() report, when it should differ from the one trained on (a label-smoothed
  // training loss, measured without smoothing). Default: the training loss.
  void set_evaluation_loss(LossFunction loss);

  // Trains for options.epochs (continuing a resumed run where it stopped) and returns the history. With a
  // validation loader each epoch ends with its loss and accuracy, and the epoch with the lowest validation
  // loss is the best one (saved as best.safetensors in out_dir). Early stopping needs a validation loader:
  // the training loss keeps falling while the model overfits, so it can't tell when to stop.
  const std::vector<EpochMetrics>& fit(const data::DataLoader& train, const data::DataLoader* validation = nullptr);
  // Loss and accuracy on any loader, with the weights as they are (no bookkeeping).
  Evaluation evaluate(const data::DataLoader& loader);
  // The final measurement on the test set, with the weights fit() ended with: the best epoch's under early
  // stopping with restore_best, else the last epoch's. Allowed once per Trainer: a test set consulted
  // again (to pick an epoch, a recipe) stops being an unbiased estimate.
  Evaluation test(const data::DataLoader& loader);

  // The epoch (1-based) with the lowest validation loss so far, 0 before any validated epoch.
  int64_t best_epoch() const { return best_epoch_; }
  // The epoch whose weights the model holds after fit(): best_epoch() when early stopping restored it.
  int64_t weights_epoch() const { return weights_epoch_; }

  // Restores the latest checkpoint in out_dir, if any (returns whether one was found).
  bool resume();
  void save_checkpoint();
  const std::vector<EpochMetrics>& history() const { return history_; }
  int64_t global_step() const { return step_; }

 private:
  void restore(const nlohmann::json& checkpoint);  // the state resume() read from checkpoint.json
  void write_checkpoint(double loss_sum, double correct_sum, int64_t examples);  // the running sums over the ranks
  void train_epoch(const data::DataLoader& train);
  void end_of_step();
  bool end_of_epoch(const data::DataLoader* validation, double seconds, int64_t examples);
  void check_finite(double loss) const;
  void write_logs() const;
  void log_memory() const;  // options_.memory_log's row for the epoch just ended
  nn::Module& plain_model() const;  // what is saved and evaluated: replicas.module, else the model
  std::vector<double> summed(std::vector<double> values) const;  // over the ranks (as is in one process)
  bool writes_files() const;  // rank 0 with an output directory
  void wait_for_files() const;  // the other ranks wait here until rank 0 has written

  nn::ModulePtr model_;
  std::shared_ptr<optim::Optimizer> optimizer_;
  LossFunction loss_;
  LossFunction evaluation_loss_;  // empty: loss_
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
  int64_t best_epoch_ = 0;
  int64_t bad_epochs_ = 0;
  bool stop_ = false;
  int64_t weights_epoch_ = 0;
  int64_t tokens_per_example_ = 0;  // T of a language model's batches (targets [B, T]); 0 for other models
  bool tested_ = false;
  int64_t saved_step_ = -1;  // the step of the checkpoint on disk (written or resumed from); -1: none yet
  bool interrupted_in_checkpoint_ = false;  // the testing aid interrupt_in_checkpoint_at_step has fired
};

}  // namespace nabla::train
