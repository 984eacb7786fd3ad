// Q25: batch normalization.
//   1. One BatchNorm1d layer fed training batches x ~ N(μ_f, σ_f²) [B, F]: in training it normalises with the
//      batch's statistics and updates running_mean/var as a momentum average (variance unbiased); in eval it
//      normalises with those running statistics, so its output no longer depends on the batch.
//   2. A deep ReLU MLP (He initialisation) with and without BatchNorm after every hidden Linear, trained by
//      full-batch SGD on Gaussian blobs over a sweep of learning rates: which rates train, which diverge.
#include <algorithm>
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/data/synthetic.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/init.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/norm.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

double largest_difference(const Tensor& a, const Tensor& b) { return max(abs(a - b)).item(); }

void running_statistics(Context& ctx) {
  const int64_t features = 8, batch = 32, steps = 50;
  const double momentum = 0.1, eps = 1e-5;
  Generator& generator = ctx.generator();
  const Tensor centre = randn({features}, {}, &generator) * 3.0;        // μ_f
  const Tensor spread = rand({features}, {}, &generator) * 2.0 + 0.5;   // σ_f
  auto draw = [&] { return centre + spread * randn({batch, features}, {}, &generator); };

  nn::BatchNorm1d norm({.num_features = features, .eps = eps, .momentum = momentum});
  Tensor hand_mean = zeros({features}), hand_variance = ones({features});  // the layer's initial buffers
  double train_deviation = 0;
  {
    autograd::NoGradGuard no_grad;
    for (int64_t step = 0; step < steps; ++step) {
      const Tensor x = draw();
      const Tensor y = norm(x);
      // training output: mean 0, variance 1 per feature over this batch (biased variance, as it divides by)
      train_deviation = std::max({train_deviation, max(abs(mean(y, {0}))).item(), max(abs(var(y, {0}, 0) - 1)).item()});
      hand_mean = hand_mean * (1 - momentum) + mean(x, {0}) * momentum;
      hand_variance = hand_variance * (1 - momentum) + var(x, {0}, 1) * momentum;
    }
  }
  const double mean_error = largest_difference(norm.running_mean, hand_mean);
  const double variance_error = largest_difference(norm.running_var, hand_variance) / max(hand_variance).item();
  ctx.claim({"training mode normalises with the batch statistics", "학습 모드는 배치 통계로 정규화한다"},
            train_deviation < 1e-3,
            format_text({"worst |mean| or |variance − 1| per feature over {} training batches: {:.3g}",
                         "학습 배치 {}개에서 특성별 |평균| 또는 |분산 − 1|의 최댓값: {:.3g}"},
                        steps, train_deviation));
  ctx.claim(
      {"running statistics are a momentum average of the batch statistics", "이동 통계는 배치 통계의 모멘텀 평균이다"},
      mean_error < 1e-5 && variance_error < 1e-5,
      format_text({"after {} batches, momentum {:g}: |running_mean − hand average| ≤ {:.3g}, relative "
                   "|running_var − hand average of the unbiased variances| ≤ {:.3g}",
                   "배치 {}개 후, 모멘텀 {:g}: |running_mean − 손으로 구한 평균| ≤ {:.3g}, 상대 |running_var − 불편 "
                   "분산을 손으로 평균한 값| ≤ {:.3g}"},
                  steps, momentum, mean_error, variance_error));

  // Eval: a new batch, normalised with the running statistics rather than its own.
  const Tensor x = draw();
  norm.eval();
  autograd::NoGradGuard no_grad;
  const Tensor y_eval = norm(x);
  const Tensor with_running = (x - norm.running_mean) / sqrt(norm.running_var + eps);
  const Tensor with_batch = (x - mean(x, {0})) / sqrt(var(x, {0}, 0) + eps);
  const double eval_vs_running = largest_difference(y_eval, with_running);
  const double eval_vs_batch = largest_difference(y_eval, with_batch);
  const double single_vs_batch = largest_difference(norm(x.slice(0, 0, 1)), y_eval.slice(0, 0, 1));
  std::vector<std::vector<std::string>> rows;
  const std::vector<double> true_mean = centre.to_vector(), true_std = spread.to_vector();
  const std::vector<double> running_mean = norm.running_mean.to_vector(), running_var = norm.running_var.to_vector();
  for (int64_t f = 0; f < 3; ++f)
    rows.push_back({std::to_string(f), fmt::format("{:.3f}", true_mean[f]), fmt::format("{:.3f}", running_mean[f]),
                    fmt::format("{:.3f}", true_std[f] * true_std[f]), fmt::format("{:.3f}", running_var[f])});
  ctx.table(fmt::format("Running statistics after {} batches of {} (first 3 of {} features)", steps, batch, features),
            {"feature", "true mean", "running_mean", "true variance", "running_var"}, rows);
  ctx.claim({"eval mode normalises with the running statistics", "평가 모드는 이동 통계로 정규화한다"},
            eval_vs_running < 1e-5 && eval_vs_batch > 100 * eval_vs_running && single_vs_batch < 1e-6,
            format_text({"eval output vs (x − running_mean)/√(running_var + ε): {:.3g}; vs the batch's own statistics: "
                         "{:.3g}; a batch of one sample in eval gives its row of the batch output within {:.3g}",
                         "평가 출력과 (x − running_mean)/√(running_var + ε)의 차이: {:.3g}; 배치 자체 통계와의 차이: "
                         "{:.3g}; 평가 모드에서 샘플 하나짜리 배치는 배치 출력의 해당 행과 {:.3g} 이내로 같다"},
                        eval_vs_running, eval_vs_batch, single_vs_batch));
}

struct TrainResult {
  std::vector<double> losses;
  bool trained = false;  // finite, and the last loss below half the first
};

TrainResult train(bool batch_norm, double learning_rate, int64_t depth, int64_t width, int64_t steps,
                  const data::Labeled& data, uint64_t seed) {
  Generator generator(seed);  // the same initial weights for every learning rate
  nn::Sequential model;
  int64_t in = data.inputs.size(1);
  for (int64_t layer = 0; layer < depth; ++layer) {
    auto linear = std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = in, .out_features = width}, &generator);
    nn::init::kaiming_normal_(linear->weight, 0, nn::init::FanMode::fan_in, nn::init::Nonlinearity::relu, &generator);
    model.push_back(linear);
    if (batch_norm) model.push_back(std::make_shared<nn::BatchNorm1d>(width));
    model.push_back(std::make_shared<nn::ReLU>());
    in = width;
  }
  const int64_t classes = max(data.targets).item<int64_t>() + 1;
  model.push_back(std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = in, .out_features = classes}, &generator));
  optim::SGD optimizer(model.parameters(), {.lr = learning_rate});
  TrainResult result;
  for (int64_t step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    Tensor loss = cross_entropy(model(data.inputs), data.targets);
    const double value = loss.item();
    result.losses.push_back(value);
    if (!std::isfinite(value)) break;  // diverged: nothing more to learn from this run
    loss.backward();
    optimizer.step();
  }
  const double last = result.losses.back();
  result.trained = std::isfinite(last) && last < 0.5 * result.losses.front();
  return result;
}

Text describe(const TrainResult& result) {
  const double last = result.losses.back();
  if (!std::isfinite(last)) return format_text({"diverged (step {})", "발산 ({}스텝)"}, result.losses.size() - 1);
  return format_text({"{:.3g} → {:.3g}{}", "{:.3g} → {:.3g}{}"}, result.losses.front(), last,
                     result.trained ? Text{"", ""} : Text{" (fails)", " (실패)"});
}

void learning_rates(Context& ctx) {
  const auto depth = static_cast<int64_t>(ctx.parameter("depth", ctx.quick() ? 8 : 16));
  const int64_t width = ctx.quick() ? 32 : 64, steps = ctx.quick() ? 60 : 200;
  const std::vector<double> rates = {0.01, 0.03, 0.1, 0.3, 1, 3, 10};
  const data::Labeled data = data::gaussian_blobs(ctx.quick() ? 64 : 256, 4, 16, 2.0, 1.0, ctx.generator());
  ctx.note(fmt::format("{} Linear+ReLU layers of width {} (He initialisation), ±BatchNorm after each Linear; "
                       "{} Gaussian-blob points in 16-D, 4 classes; {} steps of full-batch SGD; 'trains' = final "
                       "cross-entropy below half the initial one",
                       depth, width, data.inputs.size(0), steps));
  std::vector<std::vector<std::string>> rows;
  double plain_largest = 0, normalised_largest = 0;
  int64_t showcase = -1;  // the largest rate index at which only the BatchNorm net trains
  std::vector<TrainResult> plain_runs, normalised_runs;
  for (double rate : rates) {
    plain_runs.push_back(train(false, rate, depth, width, steps, data, ctx.seed()));
    normalised_runs.push_back(train(true, rate, depth, width, steps, data, ctx.seed()));
    if (plain_runs.back().trained) plain_largest = rate;
    if (normalised_runs.back().trained) normalised_largest = rate;
    if (normalised_runs.back().trained && !plain_runs.back().trained) showcase = static_cast<int64_t>(rows.size());
    rows.push_back({fmt::format("{:g}", rate), describe(plain_runs.back()).en, describe(normalised_runs.back()).en});
  }
  ctx.table("Cross-entropy, first → last step, per learning rate", {"learning rate", "plain", "with BatchNorm"}, rows);
  ctx.figure("largest learning rate that trains, plain", plain_largest);
  ctx.figure("largest learning rate that trains, with BatchNorm", normalised_largest);
  ctx.claim(
      {"the plain net trains at a small learning rate", "일반 네트워크는 작은 학습률에서 학습된다"}, plain_largest > 0,
      format_text({"largest rate of the sweep at which it trains: {:g}", "탐색한 학습률 중 학습되는 최댓값: {:g}"},
                  plain_largest));
  // The loss curves are drawn at that rate (or at the largest rate when there is none).
  const size_t shown = showcase >= 0 ? static_cast<size_t>(showcase) : rates.size() - 1;
  ctx.claim({"with BatchNorm the net trains at a rate where the plain net fails",
             "BatchNorm을 넣으면 일반 네트워크가 실패하는 학습률에서도 학습된다"},
            showcase >= 0,
            showcase >= 0 ? format_text({"at learning rate {:g}: plain {}, with BatchNorm {}",
                                         "학습률 {:g}에서: 일반 {}, BatchNorm 사용 {}"},
                                        rates[shown], describe(plain_runs[shown]), describe(normalised_runs[shown]))
                          : Text{"no learning rate of the sweep trains only with BatchNorm",
                                 "탐색한 학습률 중 BatchNorm을 넣었을 때만 학습되는 값이 없다"});
    // a decade on the sweep's grid; the tolerance only absorbs the rounding of 0.3 × 10
  ctx.claim({"BatchNorm's largest trainable rate is ≥ 10× the plain net's",
             "BatchNorm이 있을 때 학습되는 최대 학습률은 일반 네트워크의 10배 이상이다"},
            plain_largest > 0 && std::log10(normalised_largest / plain_largest) >= 1 - 1e-9,
            format_text({"{:g} with BatchNorm vs {:g} plain", "BatchNorm 사용 {:g} 대 일반 {:g}"}, normalised_largest,
                        plain_largest));

  plot::Panel panel{fmt::format("Training loss at learning rate {:g}", rates[shown]), "optimizer step", "training loss (cross-entropy, nats; log scale)", {}, true};
  for (auto [name, run] : {std::pair{"plain", &plain_runs[shown]}, std::pair{"with BatchNorm", &normalised_runs[shown]}}) {
    plot::Series series{name, {}, {}};
    for (size_t step = 0; step < run->losses.size(); ++step) {
      if (!std::isfinite(run->losses[step])) break;
      series.x.push_back(static_cast<double>(step));
      series.y.push_back(run->losses[step]);
    }
    panel.series.push_back(series);
  }
  ctx.line_plot("loss_curves.png", panel);
}

void run(Context& ctx) {
  running_statistics(ctx);
  learning_rates(ctx);
}

const bool registered = register_experiment({
    .id = "Q25",
    .title = "Batch normalization: what and why",
    .question = {"What is batch normalization, and why does it help?",
                 "배치 정규화란 무엇이고, 왜 도움이 되나요?"},
    .answer = {"Batch norm standardises each feature (channel) with the mean and variance of the current mini-batch, "
               "then applies a learned scale γ and shift β. During training it also keeps running averages of those "
               "statistics, and in eval mode it uses them instead, so a prediction no longer depends on the other "
               "samples (forgetting model.eval() is a classic bug). The original 'internal covariate shift' explanation "
               "is doubtful; what is measurable is that the layer output no longer depends on the scale of the "
               "preceding weights, which keeps activations and gradients in range and tolerates much larger learning "
               "rates: the deep net below trains with batch norm at rates where the same net without it diverges. "
               "It depends on the batch, so very small batches make it noisy.",
               "배치 정규화는 각 특징(채널)을 현재 미니배치의 평균과 분산으로 표준화한 뒤, 학습되는 스케일 γ와 시프트 β를 "
               "적용합니다. 학습 중에는 이 통계의 이동 평균도 함께 저장했다가 평가 모드에서는 그것을 써서, 예측이 배치 안의 "
               "다른 샘플에 의존하지 않게 합니다(model.eval()을 빠뜨리는 게 흔한 버그입니다). 원래 논문의 '내부 공변량 "
               "변화' 설명은 의심스럽고, 실제로 측정되는 효과는 층 출력이 앞 가중치의 크기에 무관해져서 활성값과 기울기가 "
               "적당한 범위에 머물고 훨씬 큰 학습률을 견딘다는 점입니다. 아래의 깊은 신경망은 배치 정규화가 없으면 발산하는 "
               "학습률에서도 배치 정규화를 넣으면 학습됩니다. 배치에 의존하므로 배치가 아주 작으면 불안정해집니다."},
    .topic = "B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
