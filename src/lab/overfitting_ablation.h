#pragma once
// The remedies against overfitting, each alone, on one small Fashion-MNIST training subset (Q20; Q21 reuses
// the dropout row). Every row trains the same multilayer perceptron from the same initial weights:
//   x [B, 1, 28, 28] → flatten [B, 784] → (Linear H → [BatchNorm1d H] → ReLU → [Dropout p]) × 2 → Linear 10
// with Adam and batches of 50; the bracketed layers exist only in their remedy's row. Three disjoint sets:
// the training subset, a validation set (from the unused training images: early stopping watches its loss)
// and test images (from the test set: the accuracy the table reports, seen by no row during training).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nabla/lab/lab.h"
#include "nabla/train/trainer.h"

namespace nabla::lab {

enum class Remedy { none, dropout, weight_decay, batch_norm, augmentation, early_stopping };
std::string remedy_name(Remedy remedy);
Text remedy_label(Remedy remedy);  // the name in English and Korean, for claims
const std::vector<Remedy>& all_remedies();

struct AblationSettings {
  int64_t train_examples = 1000, validation_examples = 1000, test_examples = 2000;
  int64_t hidden = 128, epochs = 30;
  double lr = 1e-3;
  double dropout_p = 0.5;     // on both hidden layers
  double weight_decay = 2;     // AdamW's decoupled decay: w ← w − lr·λ·w each step
  int64_t shift = 2;          // augmentation: random shifts of up to this many pixels, and horizontal flips
  int64_t patience = 3;       // early stopping: epochs without a better validation loss
  uint64_t seed = 0;
  std::filesystem::path scratch;  // early stopping keeps its best weights here
};
// Quick/full defaults, each overridable with --set (knobs named as the fields).
AblationSettings ablation_settings(Context& ctx);

struct AblationRow {
  Remedy remedy = Remedy::none;
  std::vector<train::EpochMetrics> history;  // per epoch: train (as trained) and validation metrics
  double train_accuracy = 0, test_accuracy = 0;  // after training, in eval mode, without augmentation
  double gap() const { return train_accuracy - test_accuracy; }
  int64_t best_epoch() const;  // the epoch of the lowest validation loss
};

std::vector<AblationRow> run_overfitting_ablation(const AblationSettings& settings, const std::vector<Remedy>& remedies);

// The rows as a table (train and test accuracy, gap, change over the `none` row) and the validation
// accuracy per epoch as a line plot `plot_file`.
void report_ablation(Context& ctx, const AblationSettings& settings, const std::vector<AblationRow>& rows,
                     const std::string& plot_file);
const AblationRow& ablation_row(const std::vector<AblationRow>& rows, Remedy remedy);  // error when missing

}  // namespace nabla::lab
