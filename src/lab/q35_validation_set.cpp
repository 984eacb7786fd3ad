// Q35: why a validation set. A labelled pool of Fashion-MNIST training images in which a share of the
// labels is wrong (label_noise: each replaced by another class at random, as careless annotation would),
// and a clean test set that takes part in no decision.
// 1. Early stopping: the pool is split (stratified) into training and validation halves; a large MLP
//      x [B, 784] → Linear H → ReLU → Linear H → ReLU → Linear 10
//    trains with Adam while validation and test accuracy are measured after every epoch; the weights of the
//    epoch with the best validation accuracy are kept.
// 2. Model selection with k-fold cross-validation: one-hidden-layer MLPs of several widths, each trained on
//    every fold's k − 1 parts and scored on the part left out: mean ± std of the k scores; the width with the
//    best mean is chosen, and each width's fold models are scored on the test set.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "epoch_training.h"
#include "nabla/data/dataset.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

// The pool in memory with a share `noise` of its labels moved to another class (uniform over the other nine).
std::shared_ptr<data::TensorDataset> with_label_noise(const data::Dataset& pool, double noise, Generator& generator,
                                                      int64_t& changed) {
  const int64_t count = pool.size();
  std::vector<int64_t> everything(static_cast<size_t>(count));
  std::iota(everything.begin(), everything.end(), 0);
  data::Batch batch = pool.get_batch(everything);
  std::vector<double> labels = batch.targets.to_vector();
  const std::vector<double> draw = rand({count}, {.dtype = DType::f64}, &generator).to_vector();
  const std::vector<double> shift = randint(1, 10, {count}, {.dtype = DType::i64}, &generator).to_vector();
  changed = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (draw[i] >= noise) continue;
    labels[i] = std::fmod(labels[i] + shift[i], 10.0);
    ++changed;
  }
  return std::make_shared<data::TensorDataset>(batch.inputs, from_vector(labels, {count}, {.dtype = DType::i64}),
                                               pool.class_names());
}

struct EpochScores {
  double validation_accuracy = 0, validation_loss = 0, test_accuracy = 0, train_loss = 0;
};

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}
double std_of(const std::vector<double>& values) {  // sample standard deviation (k − 1)
  const double mean = mean_of(values);
  double squares = 0;
  for (double value : values) squares += (value - mean) * (value - mean);
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

void run(Context& ctx) {
  const auto pool_examples = static_cast<int64_t>(ctx.parameter("pool_examples", ctx.quick() ? 1000 : 6000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 500 : 5000));
  const double label_noise = ctx.parameter("label_noise", 0.3);
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 20 : 40));
  const auto width = static_cast<int64_t>(ctx.parameter("width", ctx.quick() ? 128 : 256));
  const auto folds = static_cast<int64_t>(ctx.parameter("folds", 5));
  const auto fold_epochs = static_cast<int64_t>(ctx.parameter("fold_epochs", ctx.quick() ? 5 : 10));
  const auto patience = static_cast<int64_t>(ctx.parameter("patience", 5));
  const auto batch_size = static_cast<int64_t>(ctx.parameter("batch_size", 20));
  const double lr = ctx.parameter("lr", 2e-3);
  // The negative test's premise change: each fold scored on its own training images instead of the held-out
  // fold, so cross-validation no longer measures unseen data.
  const bool score_on_training = ctx.parameter("score_folds_on_training", 0) != 0;
  NABLA_KNOB_CHECK(pool_examples >= 100 && pool_examples < 60000 && test_examples >= 100 && test_examples <= 10000 &&
                  label_noise >= 0 && label_noise < 0.9 && epochs >= 2 && width >= 1 && folds >= 2 && fold_epochs >= 1 &&
                  patience >= 1 && batch_size >= 1 && lr > 0,
              "lab Q35: pool_examples in [100, 60 000), test_examples in [100, 10 000], label_noise in [0, 0.9), epochs ≥ 2, "
              "width ≥ 1, folds ≥ 2, fold_epochs ≥ 1, patience ≥ 1, batch_size ≥ 1, lr > 0");

  data::DatasetPtr picked = fashion_sample(data::Split::train, pool_examples, ctx.seed());
  int64_t changed = 0;
  auto pool = with_label_noise(*picked, label_noise, ctx.generator(), changed);
  data::DatasetPtr test_set = fashion_sample(data::Split::test, test_examples, ctx.seed() + 1);
  ctx.note(fmt::format("labelled pool: {} training images, {} of their labels ({:.1f} %) replaced by a wrong class; "
                       "clean test set: {} images",
                       pool->size(), changed, 100.0 * static_cast<double>(changed) / static_cast<double>(pool->size()),
                       test_set->size()));
  auto loss = [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); };
  data::DataLoader test_loader(test_set, {.batch_size = 1000, .shuffle = false, .prefetch = 0});

  // ---- 1. early stopping on a validation half
  auto [train_set, validation_set] = data::stratified_split(pool, 0.5, ctx.seed() + 2);
  data::DataLoader train_loader(train_set, {.batch_size = batch_size, .shuffle = true, .seed = ctx.seed(), .prefetch = 0});
  data::DataLoader validation_loader(validation_set, {.batch_size = 1000, .shuffle = false, .prefetch = 0});
  manual_seed(ctx.seed());  // initial weights come from the default generator
  nn::ModulePtr model = models::mlp({.hidden = {width, width}});
  auto optimizer = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = lr});
  std::vector<EpochScores> scores;
  std::map<std::string, Tensor> best_weights;
  size_t best = 0;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    EpochScores score;
    score.train_loss = train_epoch(*model, *optimizer, train_loader, epoch, loss);
    const train::Evaluation validation = evaluate_classifier(model, optimizer, validation_loader);
    score.validation_accuracy = validation.accuracy;
    score.validation_loss = validation.loss;
    score.test_accuracy = evaluate_classifier(model, optimizer, test_loader).accuracy;
    scores.push_back(score);
    if (scores.size() == 1 || score.validation_accuracy > scores[best].validation_accuracy) {
      best = scores.size() - 1;
      best_weights = copy_weights(*model);
    }
  }
  const EpochScores last = scores.back();
  model->load_state_dict(best_weights);
  const double restored_test = evaluate_classifier(model, optimizer, test_loader).accuracy;
  // Where a patience rule would have stopped: the first epoch that is `patience` epochs past the best so far.
  int64_t stop_epoch = epochs;
  for (size_t e = 0, best_so_far = 0; e < scores.size(); ++e) {
    if (scores[e].validation_accuracy > scores[best_so_far].validation_accuracy) best_so_far = e;
    if (static_cast<int64_t>(e - best_so_far) >= patience) {
      stop_epoch = static_cast<int64_t>(e) + 1;
      break;
    }
  }
  ctx.note(fmt::format("early stopping: {}-{} ReLU MLP, Adam lr {:g}, batches of {}, {} epochs on {} images; "
                       "validation on the other {}",
                       width, width, lr, batch_size, epochs, train_set->size(), validation_set->size()));
  std::vector<std::vector<std::string>> rows;
  plot::Panel curves{"Validation picks the epoch: accuracy per epoch (labels of the pool partly wrong)", "epoch",
                     "accuracy (fraction correct)", {{"validation (noisy labels)", {}, {}}, {"test (clean labels)", {}, {}}}};
  for (size_t e = 0; e < scores.size(); ++e) {
    const EpochScores& score = scores[e];
    if (e < 3 || (e + 1) % 5 == 0 || e == best) {
      rows.push_back({std::to_string(e + 1) + (e == best ? " (best validation)" : ""), fmt::format("{:.3f}", score.train_loss),
                      fmt::format("{:.1f} %", 100 * score.validation_accuracy), fmt::format("{:.3f}", score.validation_loss),
                      fmt::format("{:.1f} %", 100 * score.test_accuracy)});
    }
    curves.series[0].x.push_back(static_cast<double>(e + 1)), curves.series[0].y.push_back(score.validation_accuracy);
    curves.series[1].x.push_back(static_cast<double>(e + 1)), curves.series[1].y.push_back(score.test_accuracy);
  }
  ctx.table("Per epoch", {"epoch", "train loss", "validation accuracy", "validation loss", "test accuracy"}, rows);
  ctx.line_plot("early_stopping.png", curves);
  ctx.note("validation accuracy sits below test accuracy because a share of the validation labels is wrong too; "
           "it still rises and falls with the test accuracy, which is all a stopping rule needs");
  ctx.figure("best validation epoch", static_cast<double>(best + 1));
  ctx.figure("test accuracy, weights of the best validation epoch", restored_test);
  ctx.figure("test accuracy, last epoch", last.test_accuracy);
  ctx.note(fmt::format("a patience of {} epochs would have stopped after epoch {} of {}", patience, stop_epoch, epochs));

  ctx.claim({"without stopping the model overfits: the last epoch's validation accuracy is below the best",
             "멈추지 않으면 모델이 과적합된다: 마지막 에포크의 검증 정확도가 최고치보다 낮다"},
            last.validation_accuracy < scores[best].validation_accuracy,
            format_text({"validation {:.1f} % at epoch {} vs {:.1f} % at the last epoch",
                         "검증 정확도: 에포크 {1}에서 {0:.1f} %, 마지막 에포크에서 {2:.1f} %"},
                        100 * scores[best].validation_accuracy, best + 1, 100 * last.validation_accuracy));
  ctx.claim({"the early-stopped weights score higher on the clean test set than the last epoch's",
             "조기 종료한 가중치가 깨끗한 테스트 세트에서 마지막 에포크의 가중치보다 점수가 높다"},
            restored_test > last.test_accuracy,
            format_text({"test {:.1f} % with the weights of epoch {} vs {:.1f} % after epoch {}",
                         "테스트: 에포크 {1}의 가중치로 {0:.1f} %, 에포크 {3} 후 {2:.1f} %"},
                        100 * restored_test, best + 1, 100 * last.test_accuracy, epochs));

  // ---- 2. model selection by k-fold cross-validation
  const std::vector<int64_t> candidates = {4, 32, width};
  auto fold_sets = data::k_fold(pool, folds, ctx.seed() + 3);
  std::set<int64_t> validated;
  int64_t validations = 0;
  for (auto& [fold_train, fold_validation] : fold_sets) {
    validated.insert(fold_validation->indices().begin(), fold_validation->indices().end());
    validations += fold_validation->size();
  }
  std::vector<std::vector<double>> fold_scores(candidates.size()), fold_test(candidates.size());
  for (size_t c = 0; c < candidates.size(); ++c) {
    for (size_t f = 0; f < fold_sets.size(); ++f) {
      data::DataLoader fold_loader(fold_sets[f].first, {.batch_size = 50, .shuffle = true, .seed = ctx.seed() + f, .prefetch = 0});
      data::DataLoader held_out(score_on_training ? fold_sets[f].first : fold_sets[f].second, {.batch_size = 1000, .shuffle = false, .prefetch = 0});
      nn::ModulePtr candidate = models::mlp({.hidden = {candidates[c]}});
      auto candidate_optimizer = std::make_shared<optim::Adam>(candidate->parameters(), optim::AdamOptions{.lr = 2e-3});
      for (int64_t epoch = 0; epoch < fold_epochs; ++epoch) train_epoch(*candidate, *candidate_optimizer, fold_loader, epoch, loss);
      fold_scores[c].push_back(evaluate_classifier(candidate, candidate_optimizer, held_out).accuracy);
      fold_test[c].push_back(evaluate_classifier(candidate, candidate_optimizer, test_loader).accuracy);
    }
  }
  size_t chosen = 0, best_on_test = 0;
  for (size_t c = 1; c < candidates.size(); ++c) {
    if (mean_of(fold_scores[c]) > mean_of(fold_scores[chosen])) chosen = c;
    if (mean_of(fold_test[c]) > mean_of(fold_test[best_on_test])) best_on_test = c;
  }
  std::vector<std::vector<std::string>> selection;
  for (size_t c = 0; c < candidates.size(); ++c) {
    const auto [lowest, highest] = std::minmax_element(fold_scores[c].begin(), fold_scores[c].end());
    selection.push_back({fmt::format("784-{}-10{}", candidates[c], c == chosen ? " (chosen)" : ""),
                         fmt::format("{:.1f} ± {:.1f} %", 100 * mean_of(fold_scores[c]), 100 * std_of(fold_scores[c])),
                         fmt::format("{:.1f} – {:.1f} %", 100 * *lowest, 100 * *highest),
                         fmt::format("{:.1f} %", 100 * mean_of(fold_test[c]))});
  }
  ctx.note(fmt::format("{}-fold cross-validation over the {} pool images, {} epochs of Adam (lr 2e-3) per fold", folds,
                       pool->size(), fold_epochs));
  ctx.table("Model selection by cross-validation", {"model", "fold accuracy, mean ± std", "fold range", "test accuracy (mean of the fold models)"},
            selection);
  ctx.figure("chosen width", static_cast<double>(candidates[chosen]));
  ctx.figure("chosen model: cross-validation accuracy (mean)", mean_of(fold_scores[chosen]));
  ctx.figure("chosen model: cross-validation accuracy (std)", std_of(fold_scores[chosen]));
  ctx.figure("chosen model: test accuracy", mean_of(fold_test[chosen]));

  ctx.note(fmt::format("k-fold coverage: {} validations over {} folds, {} distinct images, pool of {}", validations, folds,
                       validated.size(), pool->size()));
  // Cross-validation estimates the accuracy on unseen images of the same distribution, and its held-out labels
  // carry the same noise: a prediction right against the clean label a of the time matches the noisy label
  // when that label was kept (1 − η) or, when wrong, moved onto the prediction (η/9 of the time). So from the
  // clean test accuracy a the fold models' mean validation score is predicted as a(1 − η) + (1 − a)η/9, within
  // the noise of both means (the folds' spread over √k, the binomial noise of the test images).
  const double cv_mean = mean_of(fold_scores[chosen]), test_mean = mean_of(fold_test[chosen]);
  const double predicted_cv = test_mean * (1 - label_noise) + (1 - test_mean) * label_noise / 9;
  const double test_images = static_cast<double>(test_loader.dataset().size());
  const double estimate_error = std::sqrt(std::pow(std_of(fold_scores[chosen]), 2) / static_cast<double>(folds) +
                                          test_mean * (1 - test_mean) / test_images);
  ctx.claim(
      {"cross-validation predicts accuracy on unseen data: its score is a(1 − η) + (1 − a)η/9 of the clean test "
       "accuracy a, within 3 standard errors",
       "교차 검증은 처음 보는 데이터의 정확도를 예측한다: 그 점수는 깨끗한 테스트 정확도 a로 구한 a(1 − η) + (1 − "
       "a)η/9와 표준오차 3배 이내로 같다"},
      std::abs(cv_mean - predicted_cv) <= 3 * estimate_error,
      format_text(
          {"784-{}-10: cross-validation {:.1f} %, predicted from test {:.1f} % and η = {:g}: {:.1f} %; 3 standard "
           "errors {:.1f} points",
           "784-{}-10: 교차 검증 {:.1f} %, 테스트 {:.1f} %와 η = {:g}에서 예측한 값 {:.1f} %; 표준오차 3배 {:.1f} %p"},
          candidates[chosen], 100 * cv_mean, 100 * test_mean, label_noise, 100 * predicted_cv, 300 * estimate_error));
  ctx.claim(
      {"the width chosen on cross-validation is the best on the test set, or within one fold std of it",
       "교차 검증으로 고른 폭은 테스트 세트에서 최선이거나, 최선과의 차이가 폴드 표준편차 하나 이내다"},
      mean_of(fold_test[chosen]) >= mean_of(fold_test[best_on_test]) - std_of(fold_scores[chosen]),
      format_text({"chosen 784-{}-10: test {:.1f} %; best on test 784-{}-10: {:.1f} %; fold std {:.1f} points",
                   "선택한 784-{}-10: 테스트 {:.1f} %; 테스트에서 최선인 784-{}-10: {:.1f} %; 폴드 표준편차 {:.1f} %p"},
                  candidates[chosen], 100 * mean_of(fold_test[chosen]), candidates[best_on_test],
                  100 * mean_of(fold_test[best_on_test]), 100 * std_of(fold_scores[chosen])));
}

const bool registered = register_experiment({
    .id = "Q35",
    .title = "Why a validation set?",
    .question = {"Why do we need a validation set in addition to the training and test sets?",
                 "학습 세트와 테스트 세트 말고 검증 세트가 따로 필요한 이유가 뭔가요?"},
    .answer = {"Training needs decisions the training data cannot make: when to stop, which model size, which "
               "hyperparameters. The training loss always prefers more fitting, and the test set must stay untouched "
               "to remain an honest final estimate, so a third part, the validation set, makes those choices. Here "
               "training on partly wrong labels keeps improving on the training set while validation accuracy peaks "
               "and then falls as the network memorises the errors; keeping the weights of the best validation epoch "
               "(early stopping) gives a better test score than the last epoch. With little data, k-fold "
               "cross-validation uses every example for validation once and reports mean ± std over the folds; the "
               "spread shows how much a single split's score could mislead.",
               "학습 데이터로는 정할 수 없는 결정이 있습니다. 언제 멈출지, 모델 크기를 얼마로 할지, 하이퍼파라미터를 어떻게 "
               "할지 같은 것들이요. 학습 손실은 항상 더 맞추는 쪽을 고르고, 테스트 세트는 마지막의 정직한 평가를 위해 손대면 "
               "안 되니까, 이런 선택을 하는 세 번째 데이터인 검증 세트가 필요합니다. 여기서는 라벨 일부가 틀린 데이터로 "
               "학습하면 학습 세트 성능은 계속 좋아지지만 검증 정확도는 정점을 찍은 뒤 네트워크가 틀린 라벨을 외우면서 "
               "떨어집니다. 검증 정확도가 가장 좋았던 에폭의 가중치를 쓰면(조기 종료) 마지막 에폭보다 테스트 점수가 "
               "높습니다. 데이터가 적을 때는 k-겹 교차 검증으로 모든 샘플을 한 번씩 검증에 쓰고 폴드 점수의 평균 ± 표준편차를 "
               "보고하는데, 이 편차를 보면 분할 하나의 점수가 얼마나 흔들릴 수 있는지 알 수 있습니다."},
    .topic = "C D",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
