// Q29: classifying imbalanced data. Fashion-MNIST made 100:1 imbalanced: a few minority classes keep 1 % as
// many training images as the others. The same MLP
//   x [B, 784] → Linear 128 → ReLU → Linear 10
// is trained with the same number of Adam steps six ways: plain (uniform shuffling, cross-entropy),
// oversampling (a sampler drawing each class equally often), undersampling (every class cut to the minority's
// size, afresh each epoch), class-weighted cross-entropy (weight 1 / class frequency), focal loss (γ = 2), and
// focal loss with the class weights as α. Scored on a balanced test set: recall per class, balanced accuracy.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "epoch_training.h"
#include "nabla/data/dataset.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "nabla/nn/loss.h"

namespace nabla::lab {
namespace {

constexpr int64_t kClasses = 10;

// "2,4,6" → {2, 4, 6}; a class outside 0…9 or an empty list is an error naming the knob.
std::vector<int64_t> parse_classes(const std::string& text) {
  std::vector<int64_t> classes;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    char* end = nullptr;
    const long value = std::strtol(item.c_str(), &end, 10);
    NABLA_KNOB_CHECK(end != item.c_str() && *end == '\0' && value >= 0 && value < kClasses,
                "lab Q29: minority must list classes 0–9 separated by commas, got '{}'", text);
    classes.push_back(value);
  }
  NABLA_KNOB_CHECK(!classes.empty() && classes.size() < kClasses, "lab Q29: minority must name 1 to 9 classes, got '{}'", text);
  return classes;
}

// A random subset of `all` with `wanted[c]` examples of class c.
std::shared_ptr<data::Subset> imbalanced_subset(const data::DatasetPtr& all, const std::vector<int64_t>& wanted,
                                                Generator& generator) {
  const std::vector<int64_t> labels = all->labels();
  const std::vector<double> order = randperm(all->size(), {.dtype = DType::i64}, &generator).to_vector();
  std::vector<int64_t> taken(kClasses, 0), indices;
  for (double position : order) {
    const auto index = static_cast<int64_t>(position);
    const int64_t label = labels[static_cast<size_t>(index)];
    if (taken[static_cast<size_t>(label)] < wanted[static_cast<size_t>(label)]) {
      ++taken[static_cast<size_t>(label)];
      indices.push_back(index);
    }
  }
  std::sort(indices.begin(), indices.end());
  return std::make_shared<data::Subset>(all, indices);
}

struct Method {
  Text name;  // English in the tables and plots, both languages in the claims' evidence
  std::shared_ptr<const data::Sampler> sampler;  // null: uniform shuffling
  train::LossFunction loss;
};

struct Outcome {
  Text name;
  std::vector<double> recall;
  double balanced_accuracy = 0, accuracy = 0, minority_recall = 0, majority_recall = 0;
  double accuracy_at_training_mix = 0;  // Σ_c (training share of c) · recall_c: accuracy on a test set as skewed as training
  int64_t epochs = 0;
};

void run(Context& ctx) {
  const std::vector<int64_t> minority = parse_classes(ctx.option("minority", "0,2,4"));
  const auto majority_count = static_cast<int64_t>(ctx.parameter("majority_examples", ctx.quick() ? 400 : 6000));
  const double ratio = ctx.parameter("ratio", 100);
  const auto steps = static_cast<int64_t>(ctx.parameter("steps", ctx.quick() ? 150 : 2000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 2000 : 10000));
  const auto batch_size = static_cast<int64_t>(ctx.parameter("batch_size", 64));
  NABLA_KNOB_CHECK(majority_count >= 10 && majority_count <= 6000 && ratio >= 1 && steps >= 1 && test_examples >= 100 &&
                  test_examples <= 10000 && batch_size >= 1,
              "lab Q29: majority_examples in [10, 6 000], ratio ≥ 1, steps ≥ 1, test_examples in [100, 10 000], batch_size ≥ 1");
  const auto minority_count = std::max<int64_t>(1, std::llround(static_cast<double>(majority_count) / ratio));
  std::vector<bool> is_minority(kClasses, false);
  for (int64_t c : minority) is_minority[static_cast<size_t>(c)] = true;

  std::vector<int64_t> wanted(kClasses);
  for (int64_t c = 0; c < kClasses; ++c) wanted[static_cast<size_t>(c)] = is_minority[static_cast<size_t>(c)] ? minority_count : majority_count;
  auto train_set = imbalanced_subset(data::fashion_mnist(data::Split::train), wanted, ctx.generator());
  data::DatasetPtr test_set = fashion_sample(data::Split::test, test_examples, ctx.seed() + 1);
  std::string minority_names;
  for (int64_t c : minority) minority_names += (minority_names.empty() ? "" : ", ") + data::fashion_mnist_classes[static_cast<size_t>(c)];
  ctx.note(fmt::format("training set: {} images per majority class, {} per minority class ({}): {} in all, {}:1; "
                       "balanced test set of {} images",
                       majority_count, minority_count, minority_names, train_set->size(),
                       static_cast<double>(majority_count) / static_cast<double>(minority_count), test_set->size()));

  // Class weights N / (C · n_c): 1 for a balanced set, ratio× more for a minority class than a majority one.
  const std::vector<int64_t> labels = train_set->labels();
  std::vector<double> class_weight(kClasses);
  for (int64_t c = 0; c < kClasses; ++c) {
    class_weight[static_cast<size_t>(c)] = static_cast<double>(train_set->size()) /
                                           (static_cast<double>(kClasses) * static_cast<double>(wanted[static_cast<size_t>(c)]));
  }
  const Tensor weight = from_vector(class_weight, {kClasses}, {.dtype = DType::f32});
  auto focal = std::make_shared<nn::FocalLoss>(2.0);
  auto weighted_focal = std::make_shared<nn::FocalLoss>(2.0, weight);
  auto plain_loss = [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); };
  const std::vector<Method> methods = {
      {{"plain", "기본"}, nullptr, plain_loss},
      {{"oversampling", "오버샘플링"}, data::WeightedSampler::balancing(labels), plain_loss},
      {{"undersampling", "언더샘플링"}, std::make_shared<data::BalancedUndersampler>(labels), plain_loss},
      {{"class-weighted loss", "클래스 가중 손실"}, nullptr,
       [weight](const Tensor& output, const Tensor& target) { return functional::cross_entropy(output, target, {.weight = weight}); }},
      {{"focal loss (γ = 2)", "포컬 손실 (γ = 2)"}, nullptr, [focal](const Tensor& output, const Tensor& target) { return (*focal)(output, target); }},
      {{"focal loss + class weights", "포컬 손실 + 클래스 가중치"}, nullptr,
       [weighted_focal](const Tensor& output, const Tensor& target) { return (*weighted_focal)(output, target); }},
  };

  data::DataLoader test_loader(test_set, {.batch_size = 1000, .shuffle = false, .prefetch = 0});
  std::vector<Outcome> outcomes;
  for (const Method& method : methods) {
    manual_seed(ctx.seed());  // every method starts from the same weights
    nn::ModulePtr model = models::mlp({.hidden = {128}});
    auto optimizer = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 1e-3});
    data::DataLoader loader(train_set, {.batch_size = batch_size, .shuffle = true, .seed = ctx.seed(), .prefetch = 0,
                                       .sampler = method.sampler});
    // The same number of optimizer steps for every method: undersampling's epochs are short, so it gets more.
    const int64_t epochs = std::max<int64_t>(1, (steps + loader.batches_per_epoch() - 1) / loader.batches_per_epoch());
    for (int64_t epoch = 0; epoch < epochs; ++epoch) train_epoch(*model, *optimizer, loader, epoch, method.loss);
    const train::Evaluation evaluation = evaluate_classifier(model, optimizer, test_loader);
    Outcome outcome{method.name, {}, evaluation.confusion.balanced_accuracy(), evaluation.accuracy, 0, 0, 0, epochs};
    for (int64_t c = 0; c < kClasses; ++c) {
      const double recall = evaluation.confusion.recall(c);
      outcome.recall.push_back(recall);
      (is_minority[static_cast<size_t>(c)] ? outcome.minority_recall : outcome.majority_recall) += recall;
      outcome.accuracy_at_training_mix += recall * static_cast<double>(wanted[static_cast<size_t>(c)]) /
                                          static_cast<double>(train_set->size());
    }
    outcome.minority_recall /= static_cast<double>(minority.size());
    outcome.majority_recall /= static_cast<double>(kClasses - static_cast<int64_t>(minority.size()));
    outcomes.push_back(outcome);
  }
  ctx.note(fmt::format("each method: {} Adam steps (lr 1e-3) of batches of {}; undersampling's epochs hold {} images",
                       steps, batch_size, kClasses * minority_count));

  std::vector<std::string> header = {"class"};
  for (const Outcome& outcome : outcomes) header.push_back(outcome.name.en);
  std::vector<std::vector<std::string>> rows;
  for (int64_t c = 0; c < kClasses; ++c) {
    std::vector<std::string> row = {data::fashion_mnist_classes[static_cast<size_t>(c)] +
                                    (is_minority[static_cast<size_t>(c)] ? " (minority)" : "")};
    for (const Outcome& outcome : outcomes) row.push_back(fmt::format("{:.1f} %", 100 * outcome.recall[static_cast<size_t>(c)]));
    rows.push_back(row);
  }
  auto summary_row = [&](const std::string& label, double Outcome::*field) {
    std::vector<std::string> row = {label};
    for (const Outcome& outcome : outcomes) row.push_back(fmt::format("{:.1f} %", 100 * outcome.*field));
    rows.push_back(row);
  };
  summary_row("minority recall (mean)", &Outcome::minority_recall);
  summary_row("majority recall (mean)", &Outcome::majority_recall);
  summary_row("balanced accuracy", &Outcome::balanced_accuracy);
  summary_row("accuracy at the training mix", &Outcome::accuracy_at_training_mix);
  ctx.table("Recall per class on the balanced test set", header, rows);
  ctx.note("accuracy at the training mix = Σ recall_c × (share of class c in training): what a test set as skewed as "
           "the training set would report");

  plot::Panel panel{"Recall per class (balanced test set)", "class index", "recall (fraction of the class found)", {}};
  for (const Outcome& outcome : outcomes) {
    plot::Series series{outcome.name.en, {}, {}};
    for (int64_t c = 0; c < kClasses; ++c) series.x.push_back(static_cast<double>(c)), series.y.push_back(outcome.recall[static_cast<size_t>(c)]);
    panel.series.push_back(series);
  }
  ctx.line_plot("recall_per_class.png", panel);

  const Outcome& plain = outcomes[0];
  for (const Outcome& outcome : outcomes) ctx.figure(outcome.name.en + ": balanced accuracy", outcome.balanced_accuracy);
  ctx.figure("plain: minority recall", plain.minority_recall);
  // The remedies that change what the model sees or how much each class counts.
  const Outcome& focal_alone = outcomes[4];
  std::vector<Text> method_evidence;  // "; method recall / balanced accuracy" per class-rebalancing method
  bool plain_lowest = true, plain_below = true, focal_below = true;
  for (size_t m = 1; m < outcomes.size(); ++m) {
    if (&outcomes[m] == &focal_alone) continue;  // focal loss without α has no class weighting
    plain_lowest = plain_lowest && plain.minority_recall < outcomes[m].minority_recall;
    focal_below = focal_below && focal_alone.minority_recall < outcomes[m].minority_recall;
    plain_below = plain_below && plain.balanced_accuracy < outcomes[m].balanced_accuracy;
    method_evidence.push_back(format_text({"; {} {:.1f} % / {:.1f} %", "; {} {:.1f} % / {:.1f} %"}, outcomes[m].name,
                                          100 * outcomes[m].minority_recall, 100 * outcomes[m].balanced_accuracy));
  }
  const Text evidence = join_texts(method_evidence, "");
  ctx.claim({"plain training has the lowest minority recall of the class-rebalancing methods",
             "기본 학습은 클래스 균형 방법들 중 소수 클래스 재현율이 가장 낮다"},
            plain_lowest,
            format_text({"minority recall / balanced accuracy: plain {:.1f} % / {:.1f} %{}",
                         "소수 클래스 재현율 / 균형 정확도: 기본 {:.1f} % / {:.1f} %{}"},
                        100 * plain.minority_recall, 100 * plain.balanced_accuracy, evidence));
  ctx.claim({"every class-rebalancing method has a higher balanced accuracy than plain training",
             "모든 클래스 균형 방법의 균형 정확도가 기본 학습보다 높다"},
            plain_below, format_text({"plain {:.1f} %{}", "기본 {:.1f} %{}"}, 100 * plain.balanced_accuracy, evidence));
  ctx.claim(
      {"focal loss alone is no fix for imbalance: its minority recall is below every class-rebalancing method's",
       "포컬 손실만으로는 불균형이 해결되지 않는다: 소수 클래스 재현율이 모든 클래스 균형 방법보다 낮다"},
      focal_below,
      format_text({"focal loss (γ = 2, no α): minority recall {:.1f} %, balanced accuracy {:.1f} % (plain {:.1f} %){}",
                   "포컬 손실 (γ = 2, α 없음): 소수 클래스 재현율 {:.1f} %, 균형 정확도 {:.1f} % (기본 {:.1f} %){}"},
                  100 * focal_alone.minority_recall, 100 * focal_alone.balanced_accuracy, 100 * plain.balanced_accuracy,
                  evidence));
  ctx.claim(
      {"accuracy at the training mix hides the problem: for plain training it is ≥ 10 points above the balanced "
       "accuracy",
       "학습 데이터의 클래스 비율에서 잰 정확도는 문제를 가린다: 기본 학습에서 균형 정확도보다 10 %p 이상 높다"},
      plain.accuracy_at_training_mix >= plain.balanced_accuracy + 0.10,
      format_text({"{:.1f} % at the training mix vs {:.1f} % balanced; minority recall {:.1f} %",
                   "학습 데이터 비율에서 {:.1f} %, 균형 정확도 {:.1f} %; 소수 클래스 재현율 {:.1f} %"},
                  100 * plain.accuracy_at_training_mix, 100 * plain.balanced_accuracy, 100 * plain.minority_recall));
}

const bool registered = register_experiment({
    .id = "Q29",
    .title = "Classifying imbalanced data",
    .question = {"How do you train a classifier when some classes are much rarer than others?",
                 "클래스 불균형이 심한 데이터로 분류기를 학습할 때는 어떻게 하나요?"},
    .answer = {"First measure it properly: plain accuracy on data as skewed as the training set looks fine while the "
               "rare classes are mostly missed, so report per-class recall, balanced accuracy or F1. Then make the rare "
               "classes count: oversample them (a weighted sampler), undersample the common ones (simple, but it throws "
               "most of the data away), or weight the loss by inverse class frequency; here each of these raises the "
               "minority recall and the balanced accuracy well above plain training, at some cost in the majority "
               "classes' recall. Focal loss on its own is not a class-imbalance fix: it down-weights easy examples, "
               "not rare classes, and helps little unless combined with class weights (its α). Moving the decision "
               "threshold and collecting more rare examples are the other levers.",
               "먼저 평가부터 제대로 해야 합니다. 학습 데이터처럼 치우친 데이터에서 재는 일반 정확도는 높게 나오지만 드문 "
               "클래스는 대부분 놓치고 있을 수 있어서, 클래스별 재현율, 균형 정확도, F1을 봐야 합니다. 그다음 드문 클래스가 "
               "학습에서 제 몫을 하게 만듭니다. 가중 샘플러로 드문 클래스를 오버샘플링하거나, 많은 클래스를 언더샘플링하거나"
               "(간단하지만 데이터 대부분을 버립니다), 손실에 클래스 빈도의 역수로 가중치를 줍니다. 여기서는 이 방법들 모두 "
               "일반 학습보다 소수 클래스 재현율과 균형 정확도를 크게 올리고, 대신 다수 클래스 재현율이 조금 떨어집니다. "
               "포컬 로스만으로는 불균형 해결책이 아닙니다. 드문 클래스가 아니라 쉬운 샘플의 가중치를 낮추는 것이라서, 클래스 "
               "가중치(α)와 같이 써야 효과가 있습니다. 결정 임계값 조정과 드문 클래스 데이터를 더 모으는 것도 방법입니다."},
    .topic = "D C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
