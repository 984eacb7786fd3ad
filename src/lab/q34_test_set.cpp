// Q34: why keep a separate test set. A pool of Fashion-MNIST training images is split, stratified by class,
// into a small training set and a test set the model never trains on. A large MLP
//   x [B, 784] → Linear 256 → ReLU → Linear 256 → ReLU → Linear 10
// trained with Adam (cosine learning-rate decay) until it memorises its training images: accuracy and loss on both sets after every
// epoch.
#include <algorithm>
#include <cmath>

#include "epoch_training.h"
#include "nabla/data/dataset.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "nabla/optim/scheduler.h"

namespace nabla::lab {
namespace {

// The largest difference between the two parts' shares of any class.
double largest_share_difference(const data::Dataset& first, const data::Dataset& second, int64_t classes) {
  auto shares = [classes](const data::Dataset& part) {
    std::vector<double> share(static_cast<size_t>(classes), 0.0);
    for (int64_t label : part.labels()) share[static_cast<size_t>(label)] += 1.0 / static_cast<double>(part.size());
    return share;
  };
  std::vector<double> a = shares(first), b = shares(second);
  double largest = 0;
  for (size_t c = 0; c < a.size(); ++c) largest = std::max(largest, std::abs(a[c] - b[c]));
  return largest;
}

struct EpochScores {
  double train_loss_in_training = 0, train_accuracy = 0, test_accuracy = 0, test_loss = 0;
};

void run(Context& ctx) {
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 500 : 2000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 500 : 4000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 30 : 60));
  const auto width = static_cast<int64_t>(ctx.parameter("width", 256));
  const double lr = ctx.parameter("lr", 2e-3);
  NABLA_KNOB_CHECK(train_examples >= 50 && test_examples >= 50 && train_examples + test_examples < 60000 &&
                  epochs >= 2 && width >= 1,
              "lab Q34: train_examples, test_examples ≥ 50 (together < 60 000), epochs ≥ 2, width ≥ 1");

  const int64_t pool_size = train_examples + test_examples;
  data::DatasetPtr pool = fashion_sample(data::Split::train, pool_size, ctx.seed());
  const double train_fraction = static_cast<double>(train_examples) / static_cast<double>(pool_size);
  auto [train_set, test_set] = data::stratified_split(pool, train_fraction, ctx.seed() + 1);
  auto [random_train, random_test] = data::random_split(pool, train_fraction, ctx.seed() + 1);
  const double stratified_difference = largest_share_difference(*train_set, *test_set, 10);
  const double random_difference = largest_share_difference(*random_train, *random_test, 10);
  ctx.note(fmt::format("pool of {} training images, split stratified by class into {} for training and {} for testing",
                       pool->size(), train_set->size(), test_set->size()));
  ctx.table("Class shares of the two parts", {"split", "largest difference of a class's share"},
            {{"stratified", fmt::format("{:.2f} points", 100 * stratified_difference)},
             {"random (same sizes)", fmt::format("{:.2f} points", 100 * random_difference)}});

  data::DataLoader train_loader(train_set, {.batch_size = 50, .shuffle = true, .seed = ctx.seed(), .prefetch = 0});
  data::DataLoader train_eval_loader(train_set, {.batch_size = 1000, .shuffle = false, .prefetch = 0});
  data::DataLoader test_loader(test_set, {.batch_size = 1000, .shuffle = false, .prefetch = 0});
  manual_seed(ctx.seed());  // the initial weights come from the default generator
  nn::ModulePtr model = models::mlp({.hidden = {width, width}});
  auto optimizer = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = lr});
  // Cosine decay: the last epochs take small steps, so the model settles on (and memorises) its training set.
  optim::CosineAnnealingLR schedule(*optimizer, epochs);
  auto loss = [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); };

  std::vector<EpochScores> scores;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    EpochScores score;
    score.train_loss_in_training = train_epoch(*model, *optimizer, train_loader, epoch, loss);
    schedule.step();
    score.train_accuracy = evaluate_classifier(model, optimizer, train_eval_loader).accuracy;
    const train::Evaluation test = evaluate_classifier(model, optimizer, test_loader);
    score.test_accuracy = test.accuracy;
    score.test_loss = test.loss;
    scores.push_back(score);
  }
  ctx.note(fmt::format("{}-{} ReLU MLP ({} parameters, {:.0f} per training image), Adam lr {:g} with cosine decay, batches of 50, {} epochs",
                       width, width, model->parameter_count(),
                       static_cast<double>(model->parameter_count()) / static_cast<double>(train_set->size()), lr, epochs));

  std::vector<std::vector<std::string>> rows;
  plot::Panel accuracy{"Accuracy per epoch: training images vs held-out test images", "epoch", "accuracy (fraction correct)",
                       {{"train", {}, {}}, {"test", {}, {}}}};
  for (size_t e = 0; e < scores.size(); ++e) {
    const EpochScores& score = scores[e];
    if (e < 5 || (e + 1) % 5 == 0) {
      rows.push_back({std::to_string(e + 1), fmt::format("{:.4f}", score.train_loss_in_training),
                      fmt::format("{:.1f} %", 100 * score.train_accuracy), fmt::format("{:.1f} %", 100 * score.test_accuracy),
                      fmt::format("{:.3f}", score.test_loss)});
    }
    accuracy.series[0].x.push_back(static_cast<double>(e + 1)), accuracy.series[0].y.push_back(score.train_accuracy);
    accuracy.series[1].x.push_back(static_cast<double>(e + 1)), accuracy.series[1].y.push_back(score.test_accuracy);
  }
  ctx.table("Per epoch", {"epoch", "train loss", "train accuracy", "test accuracy", "test loss"}, rows);
  ctx.line_plot("accuracy.png", accuracy);

  const EpochScores& last = scores.back();
  const auto lowest_test_loss = std::min_element(scores.begin(), scores.end(), [](const auto& a, const auto& b) {
    return a.test_loss < b.test_loss;
  });
  const double gap = last.train_accuracy - last.test_accuracy;
  ctx.figure("train accuracy (last epoch)", last.train_accuracy);
  ctx.figure("test accuracy (last epoch)", last.test_accuracy);
  ctx.figure("train − test accuracy", gap);
  ctx.claim({"the stratified split keeps the class shares closer than a random split of the same sizes",
             "층화 분할은 같은 크기의 무작위 분할보다 클래스 비율을 더 가깝게 유지한다"},
            stratified_difference < random_difference,
            format_text({"largest share difference {:.2f} points stratified vs {:.2f} random",
                         "비율 차이의 최댓값: 층화 {:.2f} %p 대 무작위 {:.2f} %p"},
                        100 * stratified_difference, 100 * random_difference));
  ctx.claim(
      {"the model all but memorises its training images (train accuracy ≥ 95 %)",
       "모델은 학습 이미지를 거의 외운다 (학습 정확도 95 % 이상)"},
      last.train_accuracy >= 0.95,
      format_text({"{:.2f} % of {} training images after {} epochs", "{2} 에포크 후 학습 이미지 {1}장 중 {0:.2f} %"},
                  100 * last.train_accuracy, train_set->size(), epochs));
  ctx.claim({"training accuracy overstates the accuracy on unseen images by ≥ 10 points",
             "학습 정확도는 처음 보는 이미지에 대한 정확도를 10 %p 이상 부풀린다"},
            gap >= 0.10,
            format_text({"{:.1f} % train vs {:.1f} % test", "학습 {:.1f} %, 테스트 {:.1f} %"},
                        100 * last.train_accuracy, 100 * last.test_accuracy));
  ctx.claim(
      {"the test loss rises after its minimum while the training loss keeps falling",
       "학습 손실은 계속 줄어드는데 테스트 손실은 최저점을 지나 오른다"},
      last.test_loss > lowest_test_loss->test_loss &&
          last.train_loss_in_training < lowest_test_loss->train_loss_in_training,
      format_text({"test loss lowest at epoch {} ({:.3f}), last {:.3f}; train loss {:.4f} then, {:.4f} last",
                   "테스트 손실은 에포크 {}에서 최저 ({:.3f}), 마지막 {:.3f}; 학습 손실은 그때 {:.4f}, 마지막 {:.4f}"},
                  lowest_test_loss - scores.begin() + 1, lowest_test_loss->test_loss, last.test_loss,
                  lowest_test_loss->train_loss_in_training, last.train_loss_in_training));
}

const bool registered = register_experiment({
    .id = "Q34",
    .title = "Why keep a separate test set?",
    .question = {"Why do we need a separate test set? Isn't the training accuracy enough?",
                 "테스트 세트를 따로 두는 이유가 뭔가요? 학습 정확도만 보면 안 되나요?"},
    .answer = {"The goal is accuracy on data the model has not seen, and the training accuracy does not measure it: "
               "a large enough network memorises its training images and reaches 100 % while scoring far lower on new "
               "images, and its test loss climbs while its training loss keeps falling. Only data kept out of training "
               "gives an unbiased estimate. The same holds for every decision: once the test score is used to pick an "
               "epoch, a model or a hyperparameter, it becomes part of fitting and turns optimistic, so the test set is "
               "touched once, at the end, and choices are made on a validation set. A stratified split keeps each "
               "class's share the same in both parts, so the test score is not skewed by a different class mix.",
               "우리가 알고 싶은 것은 모델이 처음 보는 데이터에서의 정확도인데, 학습 정확도로는 이걸 잴 수 없습니다. 충분히 큰 "
               "네트워크는 학습 이미지를 외워서 100 %에 도달하지만 새 이미지에서는 훨씬 낮고, 학습 손실이 계속 내려가는 동안 "
               "테스트 손실은 오히려 올라갑니다. 학습에 쓰지 않은 데이터만이 편향 없는 추정치를 줍니다. 결정에 쓰는 것도 "
               "마찬가지라서, 테스트 점수로 에폭이나 모델, 하이퍼파라미터를 고르는 순간 그 점수도 학습의 일부가 되어 낙관적으로 "
               "변합니다. 그래서 선택은 검증 세트로 하고 테스트 세트는 마지막에 한 번만 씁니다. 층화 분할을 하면 두 부분의 "
               "클래스 비율이 같아서 클래스 구성 차이 때문에 테스트 점수가 왜곡되지 않습니다."},
    .topic = "D",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
