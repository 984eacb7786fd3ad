// Q24: why normalize inputs? One MLP, the same initial weights, the same batches and the same plain-SGD
// learning rate, on Fashion-MNIST pixels given three ways:
//   raw:      x ∈ {0, …, 255}
//   [0, 1]:   x / 255
//   z-score:  (x/255 − mean) / std  (one mean and std over all training pixels: data::normalize)
// and once more raw with the learning rate divided by 255² (the gradient and curvature of the first layer
// grow with the input's square, so that is the step that keeps raw inputs stable).
//   x [B, 1, 28, 28] → flatten [B, 784] → Linear 128 → ReLU → Linear 10 → cross-entropy
#include <cmath>

#include "nabla/data/dataset.h"
#include "nabla/data/loader.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

struct Run {
  std::string label;
  double lr = 0;
  std::vector<double> losses;       // per step, the batch loss (stops at the first non-finite one)
  int64_t steps_to_target = -1;     // first step whose running mean over `window` steps is ≤ target; −1: never
  int64_t non_finite_step = -1;     // the step whose loss was inf or NaN; −1: none
  double first_layer_gradient = 0;  // ‖∂L/∂W₁‖ at the first step
  double largest_loss = 0;
};

struct Settings {
  int64_t steps = 0, window = 0, hidden = 0;
  double lr = 0, target = 0;
  uint64_t seed = 0;
};

Run train_run(const std::string& label, data::TransformPtr inputs, double lr, const Settings& settings,
              const data::DatasetPtr& train_set) {
  manual_seed(settings.seed);  // the same initial weights in every run
  nn::ModulePtr model = models::mlp({.hidden = {settings.hidden}});
  optim::SGD optimizer(model->parameters(), {.lr = lr});
  data::DataLoader loader(train_set, {.batch_size = 64, .shuffle = true, .drop_last = true, .seed = settings.seed,
                                     .transform = inputs});
  Run run{label, lr};
  double window_sum = 0;
  for (int64_t epoch = 0; static_cast<int64_t>(run.losses.size()) < settings.steps; ++epoch) {
    auto batches = loader.epoch(epoch);
    while (std::optional<data::Batch> batch = batches->next()) {
      if (static_cast<int64_t>(run.losses.size()) >= settings.steps) break;
      Tensor loss = cross_entropy((*model)(batch->inputs), batch->targets);
      const double value = loss.item();
      const auto step = static_cast<int64_t>(run.losses.size()) + 1;
      if (!std::isfinite(value)) {
        run.non_finite_step = step;
        return run;
      }
      run.losses.push_back(value);
      run.largest_loss = std::max(run.largest_loss, value);
      window_sum += value;
      if (step > settings.window) window_sum -= run.losses[static_cast<size_t>(step - settings.window - 1)];
      if (run.steps_to_target < 0 && step >= settings.window && window_sum / static_cast<double>(settings.window) <= settings.target) {
        run.steps_to_target = step;
      }
      optimizer.zero_grad();
      loss.backward();
      if (step == 1) run.first_layer_gradient = norm(model->parameters().front().grad()).item();
      optimizer.step();
    }
  }
  return run;
}

Text steps_text(int64_t steps) {
  return steps < 0 ? Text{"never", "없음"} : Text{std::to_string(steps), std::to_string(steps)};
}

void run(Context& ctx) {
  Settings settings;
  settings.steps = static_cast<int64_t>(ctx.parameter("steps", ctx.quick() ? 400 : 3000));
  settings.window = static_cast<int64_t>(ctx.parameter("window", 20));
  settings.hidden = static_cast<int64_t>(ctx.parameter("hidden", 128));
  settings.lr = ctx.parameter("lr", 0.05);
  settings.target = ctx.parameter("target_loss", 0.7);
  settings.seed = ctx.seed();
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 10000 : 60000));
  // The premise: raw pixels are large numbers (0…255). The negative test gives them a scale of 1, the [0, 1] the
  // network is built for, and the claims that raw pixels misbehave must then fail.
  const double raw_scale = ctx.parameter("raw_scale", 255);
  NABLA_KNOB_CHECK(raw_scale > 0, "lab Q24: raw_scale must be positive");
  NABLA_KNOB_CHECK(settings.steps >= 1 && settings.window >= 1 && settings.window <= settings.steps && settings.hidden >= 1 &&
                  settings.lr > 0 && settings.target > 0 && train_examples >= 64 && train_examples <= 60000,
              "lab Q24: steps ≥ window ≥ 1, hidden, lr and target_loss positive, train_examples in [64, 60 000]");

  auto all_train = data::fashion_mnist(data::Split::train);
  Tensor chosen = randperm(all_train->size(), {.dtype = DType::i64}, &ctx.generator()).narrow(0, 0, train_examples);
  auto train_set = std::make_shared<data::TensorDataset>(index_select(all_train->inputs(), 0, chosen),
                                                         index_select(all_train->targets(), 0, chosen));
  // The training pixels' mean and std on the [0, 1] scale, measured, for the z-score run.
  Tensor scaled = train_set->inputs().to(DType::f64) / 255.0;
  const double pixel_mean = mean(scaled).item(), pixel_std = std(scaled).item();
  ctx.note(fmt::format("{} training images; MLP 784-{}-10, plain SGD lr {:g}, batches of 64, {} steps; pixel mean {:.4f} "
                       "and std {:.4f} (on [0, 1]); target: the mean loss of {} consecutive steps ≤ {:g}",
                       train_examples, settings.hidden, settings.lr, settings.steps, pixel_mean, pixel_std,
                       settings.window, settings.target));

  // The dataset gives [0, 1]; normalize((x − m)/s) with m = 0, s = 1/255 gives the raw 0…255 values back.
  const data::TransformPtr raw = data::normalize({0.0}, {1.0 / raw_scale});
  const std::vector<Run> runs = {
      train_run("raw 0…255", raw, settings.lr, settings, train_set),
      train_run("[0, 1]", nullptr, settings.lr, settings, train_set),
      train_run("z-score", data::normalize({pixel_mean}, {pixel_std}), settings.lr, settings, train_set),
      train_run("raw 0…255, lr / 255²", raw, settings.lr / (raw_scale * raw_scale), settings, train_set),
  };
  const Run& raw_run = runs[0];
  const Run& unit_run = runs[1];
  const Run& z_run = runs[2];
  const Run& slow_run = runs[3];

  std::vector<std::vector<std::string>> rows;
  plot::Panel curves{"Training loss per step (same weights, batches and optimizer)", "optimizer step", "loss on the batch (cross-entropy, nats; log scale)", {}, true};
  for (const Run& run : runs) {
    const double last = run.losses.empty() ? NAN : run.losses.back();
    rows.push_back({run.label, fmt::format("{:g}", run.lr), fmt::format("{:.3g}", run.first_layer_gradient),
                    fmt::format("{:.3g}", run.largest_loss), fmt::format("{:.3f}", last), steps_text(run.steps_to_target).en,
                    run.non_finite_step < 0 ? "-" : std::to_string(run.non_finite_step)});
    plot::Series series{run.label, {}, {}};
    for (size_t step = 0; step < run.losses.size(); ++step) {
      series.x.push_back(static_cast<double>(step + 1));
      series.y.push_back(run.losses[step]);
    }
    curves.series.push_back(series);
  }
  ctx.table("Runs", {"inputs", "lr", "‖∂L/∂W₁‖ at step 1", "largest loss", "last loss",
                     fmt::format("steps to loss ≤ {:g}", settings.target), "non-finite loss at step"},
            rows);
  ctx.line_plot("loss.png", curves);

  ctx.note(fmt::format("raw inputs start at a loss of {:.1f} (huge logits: ln 10 = {:.3f} is chance) and, at the same learning "
                       "rate, end at {:.3f}: the blown-up network has collapsed to about the same answer for every image",
                       raw_run.losses.empty() ? NAN : raw_run.losses.front(), std::log(10.0),
                       raw_run.losses.empty() ? NAN : raw_run.losses.back()));
  ctx.figure("steps to target, z-score", static_cast<double>(z_run.steps_to_target));
  ctx.figure("steps to target, [0, 1]", static_cast<double>(unit_run.steps_to_target));
  ctx.figure("steps to target, raw at lr / 255²", static_cast<double>(slow_run.steps_to_target));
  ctx.figure("largest loss, raw at the same lr", raw_run.largest_loss);
  ctx.figure("first-layer gradient, raw / [0, 1]", raw_run.first_layer_gradient / unit_run.first_layer_gradient);

  const auto reached = [](const Run& run) { return run.steps_to_target > 0; };
  ctx.claim({"raw pixels make the first layer's gradient ≥ 100× larger at the same weights",
             "같은 가중치에서 원시 픽셀은 첫 층의 기울기를 100배 이상 키운다"},
            raw_run.first_layer_gradient >= 100 * unit_run.first_layer_gradient,
            format_text({"‖∂L/∂W₁‖ {:.3g} raw vs {:.3g} on [0, 1]", "‖∂L/∂W₁‖ 원시 {:.3g} 대 [0, 1] {:.3g}"},
                        raw_run.first_layer_gradient, unit_run.first_layer_gradient));
  ctx.claim(
      {"at the same learning rate raw pixels do not train: the loss blows up (non-finite or ≥ 10× the first loss) "
       "and never reaches the target",
       "같은 학습률에서 원시 픽셀로는 학습되지 않는다: 손실이 폭발하고 (유한하지 않거나 처음 손실의 10배 이상) 목표에 "
       "끝내 도달하지 못한다"},
      !reached(raw_run) && (raw_run.non_finite_step > 0 || raw_run.largest_loss >= 10 * raw_run.losses.front()),
      format_text({"largest loss {:.3g}, first {:.3g}, non-finite at step {}",
                   "최대 손실 {:.3g}, 처음 {:.3g}, 유한하지 않게 된 스텝 {}"},
                  raw_run.largest_loss, raw_run.losses.empty() ? NAN : raw_run.losses.front(),
                  steps_text(raw_run.non_finite_step)));
  ctx.claim({"normalized inputs reach the target loss", "정규화한 입력은 목표 손실에 도달한다"},
            reached(unit_run) && reached(z_run),
            format_text({"[0, 1] in {} steps, z-score in {}", "도달 스텝: [0, 1] {}, z-점수 {}"},
                        steps_text(unit_run.steps_to_target), steps_text(z_run.steps_to_target)));
  ctx.claim({"centring helps: z-scored inputs reach the target in fewer steps than [0, 1]",
             "중심 맞추기가 도움이 된다: z-점수 입력이 [0, 1]보다 적은 스텝으로 목표에 도달한다"},
            reached(z_run) && (!reached(unit_run) || z_run.steps_to_target < unit_run.steps_to_target),
            format_text({"{} vs {} steps", "스텝 수 {} 대 {}"}, steps_text(z_run.steps_to_target),
                        steps_text(unit_run.steps_to_target)));
  ctx.claim({"a learning rate shrunk by 255² keeps raw pixels finite but trains slower than z-scored inputs",
             "학습률을 255²배 줄이면 원시 픽셀에서도 손실이 유한하지만 z-점수 입력보다 느리게 학습된다"},
            slow_run.non_finite_step < 0 &&
                (!reached(slow_run) || (reached(z_run) && slow_run.steps_to_target > z_run.steps_to_target)),
            format_text({"no non-finite loss; {} steps to the target vs {} (z-score)",
                         "유한하지 않은 손실 없음; 목표까지 스텝 수 {} 대 {} (z-점수)"},
                        steps_text(slow_run.steps_to_target), steps_text(z_run.steps_to_target)));
}

const bool registered = register_experiment({
    .id = "Q24",
    .title = "Why normalize inputs?",
    .question = {"Why do we normalize the inputs of a neural network?", "신경망의 입력을 왜 정규화하나요?"},
    .answer = {"The size of the inputs sets the size of the first layer's pre-activations and of its weight gradients "
               "(∂L/∂W = δ·xᵀ), so raw pixels of 0–255 make that gradient hundreds of times larger than pixels in [0, 1] "
               "and the curvature tens of thousands of times larger. At a learning rate that suits normalized inputs, "
               "raw inputs overshoot and the loss explodes or becomes NaN; at a rate small enough for them, the other "
               "layers barely move and training crawls. Centring helps as well: all-positive inputs make all of a "
               "unit's weight updates share a sign and the loss surface elongated, so zero-mean, unit-variance inputs "
               "train fastest. Standard initialisations also assume inputs of about unit scale. Adaptive optimizers "
               "such as Adam hide part of the problem, not all of it.",
               "첫 번째 층의 사전 활성값과 가중치 기울기(∂L/∂W = δ·xᵀ)의 크기는 입력의 크기에 따라 정해집니다. 그래서 "
               "0–255의 원본 픽셀을 쓰면 [0, 1] 픽셀보다 기울기가 수백 배, 곡률은 수만 배 커집니다. 정규화된 입력에 맞는 "
               "학습률에서는 원본 입력이 최솟값을 지나쳐 손실이 폭발하거나 NaN이 되고, 원본 입력에 맞춰 학습률을 충분히 "
               "줄이면 나머지 층이 거의 움직이지 않아 학습이 매우 느려집니다. 평균을 0으로 맞추는 것도 중요합니다. 입력이 "
               "모두 양수이면 한 유닛의 가중치 업데이트 부호가 모두 같아지고 손실 지형이 길쭉해지므로, 평균 0과 분산 1인 "
               "입력이 가장 빨리 학습됩니다. 표준적인 가중치 초기화도 입력 스케일이 1 정도라고 가정합니다. Adam 같은 적응형 "
               "옵티마이저는 이 문제를 일부만 가려 줄 뿐 완전히 없애지는 못합니다."},
    .topic = "D C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
