// Q32: hyperparameters. Learning rate, batch size and hidden width of a one-hidden-layer MLP
//   x [B, 784] → Linear width → ReLU → Linear 10
// trained for a few epochs of SGD with momentum 0.9 (learning rate decayed to 0 by a cosine) on a Fashion-MNIST subset, are chosen by validation
// accuracy: once by a grid, once by random search with the same number of trainings. The test set scores
// only the configuration chosen in the end.
#include <algorithm>
#include <cmath>
#include <map>

#include "epoch_training.h"
#include "nabla/data/dataset.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

struct Config {
  double lr = 0;
  int64_t batch_size = 0, width = 0;
};

struct Trial {
  Config config;
  double validation_accuracy = 0;
  bool diverged = false;
  nn::ModulePtr model;
  std::shared_ptr<optim::Optimizer> optimizer;
};

struct Data {
  data::DatasetPtr train, validation;
  int64_t epochs = 0;
  uint64_t seed = 0;
};

Trial train_config(const Config& config, const Data& data) {
  manual_seed(data.seed);  // every configuration starts from the same generator state
  Trial trial{config, 0, false, models::mlp({.hidden = {config.width}}), nullptr};
  trial.optimizer = std::make_shared<optim::SGD>(trial.model->parameters(), optim::SGDOptions{.lr = config.lr, .momentum = 0.9});
  data::DataLoader loader(data.train, {.batch_size = config.batch_size, .shuffle = true, .seed = data.seed, .prefetch = 0});
  auto loss = [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); };
  // Cosine decay to 0 over the run's steps: the last steps are small, so a configuration is judged by where it
  // settles rather than by the noise of its last step.
  optim::CosineAnnealingLR schedule(*trial.optimizer, data.epochs * loader.batches_per_epoch());
  for (int64_t epoch = 0; epoch < data.epochs && !trial.diverged; ++epoch) {
    trial.diverged = std::isnan(train_epoch(*trial.model, *trial.optimizer, loader, epoch, loss, &schedule));
  }
  data::DataLoader validation(data.validation, {.batch_size = 1000, .shuffle = false, .prefetch = 0});
  // A diverged network's logits are not numbers; it is scored as chance, which it is.
  trial.validation_accuracy = trial.diverged ? 0.1 : evaluate_classifier(trial.model, trial.optimizer, validation).accuracy;
  return trial;
}

std::string config_text(const Config& config) {
  return fmt::format("lr {:.3g}, batch {}, width {}", config.lr, config.batch_size, config.width);
}

const Trial& best_of(const std::vector<Trial>& trials) {
  return *std::max_element(trials.begin(), trials.end(), [](const Trial& a, const Trial& b) {
    return a.validation_accuracy < b.validation_accuracy;
  });
}

void run(Context& ctx) {
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 1000 : 5000));
  const auto validation_examples = static_cast<int64_t>(ctx.parameter("validation_examples", ctx.quick() ? 500 : 2000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 1000 : 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 3 : 5));
  NABLA_KNOB_CHECK(train_examples >= 100 && validation_examples >= 100 && train_examples + validation_examples < 60000 &&
                  test_examples >= 100 && test_examples <= 10000 && epochs >= 1,
              "lab Q32: train_examples, validation_examples ≥ 100 (together < 60 000), test_examples in [100, 10 000], "
              "epochs ≥ 1");
  // The grid's learning rates: evenly spaced in log between centre/√range and centre·√range; random search draws
  // from the ranges the grid spans (log-uniform). The negative test narrows lr_range: when the learning rates
  // tried barely differ, the learning rate no longer matters most.
  const double lr_range = ctx.parameter("lr_range", ctx.quick() ? 100 : 1000);
  // The other negative test: validation images taken from the training images, so that validation accuracy is
  // training accuracy and no longer an honest estimate of the test accuracy.
  const bool validation_from_training = ctx.parameter("validation_from_training", 0) != 0;
  NABLA_KNOB_CHECK(lr_range >= 1 && lr_range <= 1e4, "lab Q32: lr_range in [1, 10 000]");
  const double lr_centre = ctx.quick() ? 0.03 : std::sqrt(1e-3);
  const int lr_count = ctx.quick() ? 3 : 4;
  std::vector<double> lrs;
  for (int k = 0; k < lr_count; ++k) {
    lrs.push_back(lr_centre * std::pow(lr_range, static_cast<double>(k) / (lr_count - 1) - 0.5));
  }
  const std::vector<int64_t> batch_sizes = ctx.quick() ? std::vector<int64_t>{16, 128} : std::vector<int64_t>{16, 64, 256};
  const std::vector<int64_t> widths = ctx.quick() ? std::vector<int64_t>{16, 128} : std::vector<int64_t>{16, 64, 256};

  const int64_t pool_size = train_examples + validation_examples;
  data::DatasetPtr pool = fashion_sample(data::Split::train, pool_size, ctx.seed());
  auto [train_set, validation_set] =
      data::stratified_split(pool, static_cast<double>(train_examples) / static_cast<double>(pool_size), ctx.seed() + 1);
  NABLA_KNOB_CHECK(!validation_from_training || validation_examples <= train_examples,
                   "lab Q32: validation_from_training needs validation_examples ≤ train_examples");
  if (validation_from_training) {
    std::vector<int64_t> first(static_cast<size_t>(validation_set->size()));
    for (size_t i = 0; i < first.size(); ++i) first[i] = static_cast<int64_t>(i);
    validation_set = std::make_shared<data::Subset>(train_set, first);
  }
  const Data data{train_set, validation_set, epochs, ctx.seed()};
  ctx.note(fmt::format("{} training and {} validation images (a stratified split of the training set); {} epoch{} of "
                       "SGD with momentum 0.9 and cosine decay per configuration",
                       train_set->size(), validation_set->size(), epochs, epochs > 1 ? "s" : ""));

  std::vector<Trial> grid;
  for (double lr : lrs) {
    for (int64_t batch_size : batch_sizes) {
      for (int64_t width : widths) grid.push_back(train_config({lr, batch_size, width}, data));
    }
  }
  // Random search: as many trainings, each hyperparameter drawn log-uniformly over the grid's range.
  const auto budget = static_cast<int64_t>(grid.size());
  const std::vector<double> draws = rand({budget, 3}, {.dtype = DType::f64}, &ctx.generator()).to_vector();
  auto log_uniform = [](double low, double high, double u) { return std::exp(std::log(low) + u * (std::log(high) - std::log(low))); };
  std::vector<Trial> random;
  for (int64_t t = 0; t < budget; ++t) {
    const auto draw = [&](int64_t k) { return draws[static_cast<size_t>(3 * t + k)]; };
    const Config config{log_uniform(lrs.front(), lrs.back(), draw(0)),
                        std::llround(log_uniform(static_cast<double>(batch_sizes.front()), static_cast<double>(batch_sizes.back()), draw(1))),
                        std::llround(log_uniform(static_cast<double>(widths.front()), static_cast<double>(widths.back()), draw(2)))};
    random.push_back(train_config(config, data));
  }

  auto rows_of = [](const std::vector<Trial>& trials, const Trial& chosen) {
    std::vector<std::vector<std::string>> rows;
    for (const Trial& trial : trials) {
      rows.push_back({fmt::format("{:.3g}", trial.config.lr), std::to_string(trial.config.batch_size),
                      std::to_string(trial.config.width),
                      trial.diverged ? "diverged" : fmt::format("{:.1f} %", 100 * trial.validation_accuracy),
                      &trial == &chosen ? "← chosen" : ""});
    }
    return rows;
  };
  const Trial& grid_best = best_of(grid);
  const Trial& random_best = best_of(random);
  ctx.table(fmt::format("Grid search ({} configurations)", grid.size()), {"lr", "batch", "width", "validation accuracy", ""},
            rows_of(grid, grid_best));
  ctx.table(fmt::format("Random search ({} configurations)", random.size()), {"lr", "batch", "width", "validation accuracy", ""},
            rows_of(random, random_best));

  plot::Panel panel{"Validation accuracy vs learning rate", "learning rate (log₁₀)", "validation accuracy (fraction correct)",
                    {{"grid", {}, {}}, {"random", {}, {}}}};
  for (auto [series, trials] : {std::pair{size_t{0}, &grid}, std::pair{size_t{1}, &random}}) {
    for (const Trial& trial : *trials) {
      panel.series[series].x.push_back(std::log10(trial.config.lr));
      panel.series[series].y.push_back(trial.validation_accuracy);
    }
  }
  ctx.scatter_plot("validation_vs_lr.png", panel);

  // The chosen configuration: the better of the two searches, on validation; the test set scores it once.
  const Trial& chosen = random_best.validation_accuracy > grid_best.validation_accuracy ? random_best : grid_best;
  data::DatasetPtr test_set = fashion_sample(data::Split::test, test_examples, ctx.seed() + 2);
  data::DataLoader test_loader(test_set, {.batch_size = 1000, .shuffle = false, .prefetch = 0});
  const double test_accuracy = evaluate_classifier(chosen.model, chosen.optimizer, test_loader).accuracy;
  ctx.note(fmt::format("chosen: {} ({} search), validation {:.1f} %, test {:.1f} % on {} images", config_text(chosen.config),
                       &chosen == &grid_best ? "grid" : "random", 100 * chosen.validation_accuracy, 100 * test_accuracy,
                       test_set->size()));
  ctx.figure("chosen: validation accuracy", chosen.validation_accuracy);
  ctx.figure("chosen: test accuracy", test_accuracy);
  ctx.figure("grid best: validation accuracy", grid_best.validation_accuracy);
  ctx.figure("random best: validation accuracy", random_best.validation_accuracy);

  // Every claim compares a measured difference with the binomial noise of accuracies measured on n images,
  // √(p(1 − p)/n): the noise the validation and test sets themselves put on the figures.
  const auto validation_count = static_cast<double>(validation_set->size());
  const auto test_count = static_cast<double>(test_set->size());
  auto binomial_variance = [](double accuracy, double count) { return accuracy * (1 - accuracy) / count; };
  double grid_worst = 1, grid_mean = 0;
  for (const Trial& trial : grid) grid_worst = std::min(grid_worst, trial.validation_accuracy), grid_mean += trial.validation_accuracy;
  grid_mean /= static_cast<double>(grid.size());
  const double difference_error = std::sqrt(2 * binomial_variance(grid_mean, validation_count));
  ctx.claim({"hyperparameters matter: the grid's best and worst differ by more than 5 standard errors of the noise",
             "하이퍼파라미터는 중요하다: 그리드의 최고와 최저 검증 정확도 차이가 잡음의 표준오차 5배를 넘는다"},
            grid_best.validation_accuracy - grid_worst > 5 * difference_error,
            format_text({"best {:.1f} % ({}), worst {:.1f} %; one standard error of a difference: {:.1f} points",
                         "최고 {:.1f} % ({}), 최저 {:.1f} %; 차이의 표준오차 1배: {:.1f} %p"},
                        100 * grid_best.validation_accuracy, config_text(grid_best.config), 100 * grid_worst,
                        100 * difference_error));

  // Main effects: the mean validation accuracy for each value of one hyperparameter over all values of the
  // others; a hyperparameter matters as much as the range of its means.
  auto main_effect = [&](auto key) {
    std::map<double, std::pair<double, int>> sums;
    for (const Trial& trial : grid) {
      auto& [total, count] = sums[static_cast<double>(key(trial.config))];
      total += trial.validation_accuracy, ++count;
    }
    double low = 1, high = 0;
    for (const auto& [value, sum] : sums) low = std::min(low, sum.first / sum.second), high = std::max(high, sum.first / sum.second);
    return high - low;
  };
  const double lr_effect = main_effect([](const Config& config) { return config.lr; });
  const double batch_effect = main_effect([](const Config& config) { return static_cast<double>(config.batch_size); });
  const double width_effect = main_effect([](const Config& config) { return static_cast<double>(config.width); });
  ctx.figure("main effect of the learning rate (validation)", lr_effect);
  ctx.claim({"the learning rate matters most: its main effect on validation accuracy exceeds batch size's and width's",
             "학습률이 가장 중요하다: 검증 정확도에 대한 학습률의 주효과가 배치 크기와 너비의 주효과보다 크다"},
            lr_effect > batch_effect && lr_effect > width_effect,
            format_text({"range of the mean validation accuracy over each hyperparameter's grid values: learning rate "
                         "{:.1f} points (×{:g} range), batch size {:.1f}, width {:.1f}",
                         "하이퍼파라미터별 그리드 값에 대한 평균 검증 정확도의 범위: 학습률 {:.1f} %p (범위 ×{:g}), "
                         "배치 크기 {:.1f} %p, 너비 {:.1f} %p"},
                        100 * lr_effect, lr_range, 100 * batch_effect, 100 * width_effect));

  const double shortfall = grid_best.validation_accuracy - random_best.validation_accuracy;
  ctx.figure("grid best − random best (validation)", shortfall);
  ctx.claim({"random search's best matches the grid's best within 3 standard errors of the noise",
             "랜덤 서치의 최고 성능은 잡음의 표준오차 3배 안에서 그리드 서치의 최고 성능과 같다"},
            std::abs(shortfall) <= 3 * difference_error,
            format_text({"random {:.1f} % ({}) vs grid {:.1f} %; 3 standard errors: {:.1f} points",
                         "랜덤 {:.1f} % ({}), 그리드 {:.1f} %; 표준오차 3배: {:.1f} %p"},
                        100 * random_best.validation_accuracy, config_text(random_best.config),
                        100 * grid_best.validation_accuracy, 300 * difference_error));

  // The validation score predicts the test score when both sets are fresh draws of the same distribution: their
  // difference is then binomial noise (and a little optimism from choosing the maximum).
  const double estimate_error = std::sqrt(binomial_variance(chosen.validation_accuracy, validation_count) +
                                          binomial_variance(chosen.validation_accuracy, test_count));
  ctx.claim({"the chosen configuration's validation accuracy predicts its test accuracy within 3 standard errors",
             "고른 설정의 검증 정확도는 표준오차 3배 안에서 테스트 정확도를 예측한다"},
            std::abs(chosen.validation_accuracy - test_accuracy) <= 3 * estimate_error,
            format_text({"validation {:.1f} %, test {:.1f} %, 3 standard errors {:.1f} points",
                         "검증 {:.1f} %, 테스트 {:.1f} %, 표준오차 3배 {:.1f} %p"},
                        100 * chosen.validation_accuracy, 100 * test_accuracy, 300 * estimate_error));
}

const bool registered = register_experiment({
    .id = "Q32",
    .title = "What are hyperparameters?",
    .question = {"What are hyperparameters, and how do you choose them?", "하이퍼파라미터가 뭐고, 어떻게 정하나요?"},
    .answer = {"Hyperparameters are the settings fixed before training that gradient descent does not learn: the "
               "learning rate, batch size, width and depth, regularisation strength, number of epochs. They are "
               "chosen by training with several settings and comparing the trained models on a validation set, never "
               "on the training loss (which favours overfitting) and never on the test set (which must stay an honest "
               "final estimate). A grid tries every combination, so its cost multiplies with each added "
               "hyperparameter; random search with the same budget tries a new value of every hyperparameter in every "
               "run, which pays off when only one or two of them matter, and usually gets about as close to the best. "
               "The learning rate usually matters most: here a bad one costs more accuracy than any other choice.",
               "하이퍼파라미터는 학습 전에 정해 두는 설정값으로, 경사 하강법이 학습하지 않는 것들입니다. 학습률, 배치 크기, "
               "층의 너비와 깊이, 정규화 세기, 에폭 수 같은 것들이요. 여러 설정으로 학습한 뒤 검증 세트에서 비교해서 고르는데, "
               "과적합을 좋아하는 학습 손실로 고르면 안 되고, 마지막까지 정직한 평가로 남아야 하는 테스트 세트로 골라도 안 "
               "됩니다. 그리드 서치는 모든 조합을 시도해서 하이퍼파라미터가 하나 늘 때마다 비용이 곱으로 늘고, 같은 예산의 "
               "랜덤 서치는 매번 모든 하이퍼파라미터에 새 값을 쓰기 때문에 중요한 게 한두 개뿐일 때 유리하고 보통 최적에 "
               "비슷하게 가까이 갑니다. 대개 학습률이 가장 중요해서, 여기서도 나쁜 학습률이 다른 어떤 선택보다 정확도를 많이 "
               "떨어뜨립니다."},
    .topic = "C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
