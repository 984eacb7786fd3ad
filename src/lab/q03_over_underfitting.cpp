// Q03: overfitting and underfitting on a 1 000-image Fashion-MNIST training subset. Two multilayer
// perceptrons trained the same way (batches of 50):
//   tiny: x [B, 784] → Linear 2 → ReLU → Linear 10              (a 2-unit bottleneck: too little capacity)
//   huge: x [B, 784] → Linear H → ReLU → Linear H → ReLU → Linear 10  (H = 128 quick, 1024 full: far more
//         parameters than training images)
// Adam (lr 2e-3). Train and validation accuracy after every epoch; validation images come from the test set.
#include <cmath>

#include "nabla/data/dataset.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"
#include "nabla/train/trainer.h"

namespace nabla::lab {
namespace {

struct Curves {
  std::string label;
  int64_t parameters = 0;
  std::vector<train::EpochMetrics> history;
  double train_accuracy = 0, validation_accuracy = 0;  // after the last epoch, train measured in eval mode
  double gap() const { return train_accuracy - validation_accuracy; }
};

Curves train_model(const std::string& label, const std::vector<int64_t>& hidden, const data::DataLoader& train_loader,
                   const data::DataLoader& validation_loader, int64_t epochs, double lr) {
  nn::ModulePtr model = models::mlp({.hidden = hidden});
  auto optimizer = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = lr});
  train::Trainer trainer(model, optimizer, [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); },
                         {.epochs = epochs, .progress = false});
  Curves curves{label, model->parameter_count(), trainer.fit(train_loader, &validation_loader)};
  curves.train_accuracy = trainer.evaluate(train_loader).accuracy;
  curves.validation_accuracy = trainer.evaluate(validation_loader).accuracy;
  return curves;
}

void add_curves(plot::Panel& panel, const Curves& curves, double train::EpochMetrics::*train_field,
                double train::EpochMetrics::*validation_field) {
  plot::Series train{curves.label + " train", {}, {}}, validation{curves.label + " validation", {}, {}};
  for (const train::EpochMetrics& epoch : curves.history) {
    train.x.push_back(static_cast<double>(epoch.epoch)), train.y.push_back(epoch.*train_field);
    validation.x.push_back(static_cast<double>(epoch.epoch)), validation.y.push_back(epoch.*validation_field);
  }
  panel.series.push_back(train);
  panel.series.push_back(validation);
}

void run(Context& ctx) {
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", 1000));
  const auto validation_examples = static_cast<int64_t>(ctx.parameter("validation_examples", ctx.quick() ? 1000 : 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 30 : 60));
  const auto huge_width = static_cast<int64_t>(ctx.parameter("huge_width", ctx.quick() ? 128 : 1024));
  const auto tiny_width = static_cast<int64_t>(ctx.parameter("tiny_width", 2));
  const double lr = ctx.parameter("lr", 2e-3);
  NABLA_KNOB_CHECK(train_examples >= 10 && train_examples < 60000 && validation_examples >= 10 && validation_examples <= 10000 &&
                  epochs >= 1 && huge_width >= 1 && tiny_width >= 1,
              "lab Q03: train_examples in [10, 60 000), validation_examples in [10, 10 000], epochs and widths positive");

  auto all_train = data::fashion_mnist(data::Split::train);
  auto all_test = data::fashion_mnist(data::Split::test);
  auto train_set = data::random_split(all_train, static_cast<double>(train_examples) / 60000.0, ctx.seed()).first;
  data::DatasetPtr validation_set = all_test;
  if (validation_examples < all_test->size()) {
    validation_set = data::random_split(all_test, static_cast<double>(validation_examples) / 10000.0, ctx.seed() + 1).first;
  }
  data::DataLoader train_loader(train_set, {.batch_size = 50, .shuffle = true, .seed = ctx.seed()});
  data::DataLoader validation_loader(validation_set, {.batch_size = 1000, .shuffle = false});
  ctx.note(fmt::format("{} training images, {} validation images (from the test set); Adam lr {:g}, batches of 50, {} epochs",
                       train_set->size(), validation_set->size(), lr, epochs));

  manual_seed(ctx.seed());  // the models' initial weights come from the default generator
  const Curves tiny = train_model(fmt::format("tiny ({} hidden)", tiny_width), {tiny_width}, train_loader,
                                  validation_loader, epochs, lr);
  const Curves huge = train_model(fmt::format("huge ({0}-{0})", huge_width), {huge_width, huge_width}, train_loader,
                                  validation_loader, epochs, lr);

  std::vector<std::vector<std::string>> rows;
  for (const Curves* curves : {&tiny, &huge}) {
    rows.push_back({curves->label, std::to_string(curves->parameters),
                    fmt::format("{:.1f}", static_cast<double>(curves->parameters) / static_cast<double>(train_set->size())),
                    fmt::format("{:.1f} %", 100 * curves->train_accuracy),
                    fmt::format("{:.1f} %", 100 * curves->validation_accuracy), fmt::format("{:.1f}", 100 * curves->gap()),
                    fmt::format("{:.3f}", curves->history.back().train_loss),
                    fmt::format("{:.3f}", curves->history.back().validation_loss)});
  }
  ctx.table("After training", {"model", "parameters", "parameters per image", "train accuracy", "validation accuracy",
                               "gap (points)", "train loss", "validation loss"},
            rows);
  plot::Panel accuracy{"Accuracy per epoch", "epoch", "accuracy (fraction correct)", {}};
  plot::Panel loss{"Cross-entropy per epoch", "epoch", "loss (cross-entropy, nats; log scale)", {}, true};
  for (const Curves* curves : {&tiny, &huge}) {
    add_curves(accuracy, *curves, &train::EpochMetrics::train_accuracy, &train::EpochMetrics::validation_accuracy);
    add_curves(loss, *curves, &train::EpochMetrics::train_loss, &train::EpochMetrics::validation_loss);
  }
  ctx.line_plot("accuracy.png", accuracy);
  ctx.line_plot("loss.png", loss);

  // The epoch where the huge model's validation loss was lowest: after it, more training only memorises.
  const auto best = std::min_element(huge.history.begin(), huge.history.end(), [](const auto& a, const auto& b) {
    return a.validation_loss < b.validation_loss;
  });
  ctx.note(fmt::format("the huge model's validation loss was lowest at epoch {} ({:.3f}) and ended at {:.3f} while its "
                       "train loss fell to {:.4f}",
                       best->epoch, best->validation_loss, huge.history.back().validation_loss,
                       huge.history.back().train_loss));
  ctx.figure("huge model: train − validation accuracy", huge.gap());
  ctx.figure("tiny model: train accuracy", tiny.train_accuracy);
  ctx.figure("huge model: validation accuracy", huge.validation_accuracy);

  // The tiny model is not immune: with 1 600 parameters for 1 000 images it opens a gap too on long runs, but a
  // smaller one, and its problem is the low training accuracy.
  ctx.claim({"the huge model overfits: its train − validation gap is ≥ 10 points and ≥ 1.5× the tiny model's",
             "거대 모델은 과적합된다: 학습과 검증 정확도의 차이가 10 %p 이상이고 작은 모델의 1.5배 이상이다"},
            huge.gap() >= 0.10 && huge.gap() >= 1.5 * std::max(tiny.gap(), 0.0),
            format_text({"huge: {:.1f} % train vs {:.1f} % validation (gap {:.1f}); tiny: gap {:.1f}",
                         "거대 모델: 학습 {:.1f} %, 검증 {:.1f} % (차이 {:.1f} %p); 작은 모델: 차이 {:.1f} %p"},
                        100 * huge.train_accuracy, 100 * huge.validation_accuracy, 100 * huge.gap(), 100 * tiny.gap()));
  ctx.claim({"the huge model all but memorises the training images (train accuracy ≥ 95 %)",
             "거대 모델은 학습 이미지를 거의 외운다 (학습 정확도 95 % 이상)"},
            huge.train_accuracy >= 0.95,
            format_text({"{:.2f} % of {} training images", "학습 이미지 {1}장 중 {0:.2f} %"}, 100 * huge.train_accuracy,
                        train_set->size()));
  ctx.claim({"the tiny model underfits: its train accuracy is ≥ 20 points below the huge model's",
             "작은 모델은 과소적합된다: 학습 정확도가 거대 모델보다 20 %p 이상 낮다"},
            tiny.train_accuracy <= huge.train_accuracy - 0.20,
            format_text({"tiny {:.1f} % vs huge {:.1f} % on the same training images",
                         "같은 학습 이미지에서 작은 모델 {:.1f} %, 거대 모델 {:.1f} %"},
                        100 * tiny.train_accuracy, 100 * huge.train_accuracy));
}

const bool registered = register_experiment({
    .id = "Q03",
    .title = "Overfitting vs underfitting",
    .question = {"What are overfitting and underfitting, and how do you tell them apart?",
                 "과적합과 과소적합이 무엇이고, 둘을 어떻게 구별하나요?"},
    .answer = {"Underfitting means the model cannot even fit the training data: training accuracy stays low and "
               "validation accuracy is about as low, because the model lacks capacity or training stopped too early. "
               "Overfitting means the model fits the training data, noise included, better than the pattern behind it: "
               "training accuracy keeps rising toward 100 % while validation accuracy stalls and validation loss turns "
               "back up, so a gap opens between the two curves. Plotting both curves tells them apart: low and together "
               "is underfitting, high training with a wide gap is overfitting. More data, regularisation or early "
               "stopping fight overfitting; a bigger model or longer training fights underfitting.",
               "과소적합은 모델이 학습 데이터조차 제대로 맞추지 못하는 상태로, 용량이 부족하거나 학습을 너무 일찍 멈춰서 "
               "학습 정확도가 낮고 검증 정확도도 비슷하게 낮습니다. 과적합은 모델이 데이터 뒤의 패턴보다 노이즈까지 포함한 "
               "학습 데이터 자체를 외워 버린 상태로, 학습 정확도는 100 %에 가까워지는데 검증 정확도는 멈추고 검증 손실은 "
               "다시 올라가서 두 곡선 사이가 벌어집니다. 그래서 두 곡선을 같이 그려 보면 구별됩니다. 둘 다 낮고 붙어 있으면 "
               "과소적합, 학습은 높고 간격이 크면 과적합입니다. 과적합은 데이터 추가, 정규화, 조기 종료로, 과소적합은 더 큰 "
               "모델이나 더 긴 학습으로 해결합니다."},
    .topic = "C D",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
