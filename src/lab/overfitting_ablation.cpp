#include "overfitting_ablation.h"

#include <algorithm>
#include <cmath>

#include "nabla/data/dataset.h"
#include "nabla/data/loader.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/norm.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {

std::string remedy_name(Remedy remedy) {
  switch (remedy) {
    case Remedy::none: return "none";
    case Remedy::dropout: return "dropout";
    case Remedy::weight_decay: return "weight decay";
    case Remedy::batch_norm: return "batch norm";
    case Remedy::augmentation: return "augmentation";
    case Remedy::early_stopping: return "early stopping";
  }
  throw Error("remedy_name: unknown remedy");
}

Text remedy_label(Remedy remedy) {
  switch (remedy) {
    case Remedy::none: return {remedy_name(remedy), "없음"};
    case Remedy::dropout: return {remedy_name(remedy), "드롭아웃"};
    case Remedy::weight_decay: return {remedy_name(remedy), "가중치 감쇠"};
    case Remedy::batch_norm: return {remedy_name(remedy), "배치 정규화"};
    case Remedy::augmentation: return {remedy_name(remedy), "데이터 증강"};
    case Remedy::early_stopping: return {remedy_name(remedy), "조기 종료"};
  }
  throw Error("remedy_label: unknown remedy");
}

const std::vector<Remedy>& all_remedies() {
  static const std::vector<Remedy> remedies = {Remedy::none,       Remedy::dropout,      Remedy::weight_decay,
                                               Remedy::batch_norm, Remedy::augmentation, Remedy::early_stopping};
  return remedies;
}

AblationSettings ablation_settings(Context& ctx) {
  AblationSettings settings;
  settings.train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 500 : 2000));
  settings.validation_examples = static_cast<int64_t>(ctx.parameter("validation_examples", ctx.quick() ? 500 : 2000));
  settings.test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 2000 : 10000));
  settings.hidden = static_cast<int64_t>(ctx.parameter("hidden", ctx.quick() ? 128 : 256));
  settings.epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 25 : 60));
  settings.lr = ctx.parameter("lr", settings.lr);
  settings.dropout_p = ctx.parameter("dropout_p", settings.dropout_p);
  settings.weight_decay = ctx.parameter("weight_decay", settings.weight_decay);
  settings.shift = static_cast<int64_t>(ctx.parameter("shift", static_cast<double>(settings.shift)));
  settings.patience = static_cast<int64_t>(ctx.parameter("patience", ctx.quick() ? 3 : 5));
  settings.seed = ctx.seed();
  settings.scratch = ctx.directory() / "early_stopping";
  NABLA_CHECK(settings.train_examples >= 10 && settings.validation_examples >= 10 &&
                  settings.train_examples + settings.validation_examples <= 60000 && settings.test_examples >= 10 &&
                  settings.test_examples <= 10000,
              "lab ablation: train_examples + validation_examples ≤ 60 000 (each ≥ 10), test_examples in [10, 10 000]");
  NABLA_CHECK(settings.hidden >= 1 && settings.epochs >= 1 && settings.lr > 0 && settings.dropout_p >= 0 &&
                  settings.dropout_p < 1 && settings.weight_decay >= 0 && settings.shift >= 0 && settings.patience >= 1,
              "lab ablation: hidden, epochs, lr and patience positive, dropout_p in [0, 1), weight_decay and shift ≥ 0");
  return settings;
}

int64_t AblationRow::best_epoch() const {
  NABLA_CHECK(!history.empty(), "ablation: row '{}' has no history", remedy_name(remedy));
  return std::min_element(history.begin(), history.end(),
                          [](const auto& a, const auto& b) { return a.validation_loss < b.validation_loss; })
      ->epoch;
}

namespace {

nn::ModulePtr ablation_model(Remedy remedy, const AblationSettings& settings) {
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Flatten>());
  int64_t inputs = 28 * 28;
  for (int layer = 0; layer < 2; ++layer) {
    model->push_back(std::make_shared<nn::Linear>(inputs, settings.hidden));
    if (remedy == Remedy::batch_norm) model->push_back(std::make_shared<nn::BatchNorm1d>(settings.hidden));
    model->push_back(std::make_shared<nn::ReLU>());
    if (remedy == Remedy::dropout) model->push_back(std::make_shared<nn::Dropout>(settings.dropout_p));
    inputs = settings.hidden;
  }
  model->push_back(std::make_shared<nn::Linear>(inputs, 10));
  return model;
}

// `count` indices of `order` starting at `first`.
std::vector<int64_t> slice(const Tensor& order, int64_t first, int64_t count) {
  const int64_t* data = order.data<int64_t>();
  return {data + first, data + first + count};
}

struct Sets {
  data::DatasetPtr train, validation, test;
};

// One random order of the 60 000 training images: the first train_examples train, the next
// validation_examples validate; the test images are a random part of the test set.
Sets ablation_sets(const AblationSettings& settings) {
  Generator generator(settings.seed);
  auto all_train = data::fashion_mnist(data::Split::train);
  auto all_test = data::fashion_mnist(data::Split::test);
  Tensor train_order = randperm(all_train->size(), {.dtype = DType::i64}, &generator);
  Tensor test_order = randperm(all_test->size(), {.dtype = DType::i64}, &generator);
  return {std::make_shared<data::Subset>(all_train, slice(train_order, 0, settings.train_examples)),
          std::make_shared<data::Subset>(all_train,
                                         slice(train_order, settings.train_examples, settings.validation_examples)),
          std::make_shared<data::Subset>(all_test, slice(test_order, 0, settings.test_examples))};
}

AblationRow train_row(Remedy remedy, const AblationSettings& settings, const Sets& sets) {
  // The same initial weights in every row (BatchNorm and Dropout draw nothing when built), and the same
  // dropout masks on every rerun.
  manual_seed(settings.seed);
  nn::ModulePtr model = ablation_model(remedy, settings);
  std::shared_ptr<optim::Optimizer> optimizer;
  if (remedy == Remedy::weight_decay) {
    optimizer = std::make_shared<optim::AdamW>(model->parameters(),
                                               optim::AdamWOptions{.lr = settings.lr, .weight_decay = settings.weight_decay});
  } else {
    optimizer = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = settings.lr});
  }
  train::TrainerOptions options{.epochs = settings.epochs, .progress = false};
  if (remedy == Remedy::early_stopping) {
    std::filesystem::remove_all(settings.scratch);
    std::filesystem::create_directories(settings.scratch);
    options.out_dir = settings.scratch.string();
    options.patience = settings.patience;
    options.restore_best = true;
  }
  train::Trainer trainer(model, optimizer,
                         [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); }, options);

  data::TransformPtr augmentation;
  if (remedy == Remedy::augmentation) {
    augmentation = data::compose({data::random_crop(28, settings.shift), data::random_horizontal_flip()});
  }
  data::DataLoader train_loader(sets.train, {.batch_size = 50, .shuffle = true, .seed = settings.seed,
                                                 .transform = augmentation});
  data::DataLoader plain_train_loader(sets.train, {.batch_size = 500, .shuffle = false});
  data::DataLoader validation_loader(sets.validation, {.batch_size = 500, .shuffle = false});
  data::DataLoader test_loader(sets.test, {.batch_size = 500, .shuffle = false});

  AblationRow row{remedy, trainer.fit(train_loader, &validation_loader)};
  row.train_accuracy = trainer.evaluate(plain_train_loader).accuracy;
  row.test_accuracy = trainer.evaluate(test_loader).accuracy;
  if (remedy == Remedy::early_stopping) std::filesystem::remove_all(settings.scratch);
  return row;
}

}  // namespace

std::vector<AblationRow> run_overfitting_ablation(const AblationSettings& settings, const std::vector<Remedy>& remedies) {
  const Sets sets = ablation_sets(settings);
  std::vector<AblationRow> rows;
  for (Remedy remedy : remedies) rows.push_back(train_row(remedy, settings, sets));
  return rows;
}

const AblationRow& ablation_row(const std::vector<AblationRow>& rows, Remedy remedy) {
  auto found = std::find_if(rows.begin(), rows.end(), [&](const AblationRow& row) { return row.remedy == remedy; });
  NABLA_CHECK(found != rows.end(), "ablation: no row for '{}'", remedy_name(remedy));
  return *found;
}

void report_ablation(Context& ctx, const AblationSettings& settings, const std::vector<AblationRow>& rows,
                     const std::string& plot_file) {
  ctx.note(fmt::format("{} training images, {} validation images (unused training images), {} test images; MLP "
                       "784-{}-{}-10, Adam lr {:g}, batches of 50, up to {} epochs; dropout p {:g}, AdamW decay {:g}, "
                       "shifts ≤ {} px + flips, early stopping patience {}",
                       settings.train_examples, settings.validation_examples, settings.test_examples, settings.hidden,
                       settings.hidden, settings.lr, settings.epochs, settings.dropout_p, settings.weight_decay,
                       settings.shift, settings.patience));
  const AblationRow* baseline = nullptr;
  for (const AblationRow& row : rows) {
    if (row.remedy == Remedy::none) baseline = &row;
  }
  std::vector<std::vector<std::string>> table;
  plot::Panel curves{"Validation accuracy per epoch", "epoch", "validation accuracy (fraction correct)", {}};
  for (const AblationRow& row : rows) {
    table.push_back({remedy_name(row.remedy), std::to_string(row.history.size()), std::to_string(row.best_epoch()),
                     fmt::format("{:.1f} %", 100 * row.train_accuracy), fmt::format("{:.1f} %", 100 * row.test_accuracy),
                     fmt::format("{:.1f}", 100 * row.gap()),
                     baseline ? fmt::format("{:+.1f}", 100 * (row.test_accuracy - baseline->test_accuracy)) : "-"});
    plot::Series series{remedy_name(row.remedy), {}, {}};
    for (const train::EpochMetrics& epoch : row.history) {
      series.x.push_back(static_cast<double>(epoch.epoch));
      series.y.push_back(epoch.validation_accuracy);
    }
    curves.series.push_back(series);
  }
  ctx.table("Remedies, each alone (accuracy after training, eval mode)",
            {"remedy", "epochs trained", "best validation epoch", "train accuracy", "test accuracy", "gap (points)",
             "test vs none (points)"},
            table);
  ctx.line_plot(plot_file, curves);
}

}  // namespace nabla::lab
