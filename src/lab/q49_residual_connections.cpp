// Q49: ResNet's key idea, the skip connection. The CIFAR-style nets of He et al. §4.2 for 1×28×28 images
// (src/models/resnet.cpp): conv 3×3 (16) → BN → ReLU → three stages of n basic blocks (16, 32, 64 channels;
// strides 1, 2, 2) → average pool → fc, 6n + 2 weighted layers. ResNet-20/56 (n = 3, 9) add each block's
// input to its output (shortcut A: zero-padded channels where the shape changes); Plain-20/56 are the same
// nets without the addition. Batch norm follows every convolution in all four.
//
// 1. At initialisation, on Fashion-MNIST batches in training mode (batch statistics), ‖∂L/∂W_l‖ for every
//    convolution l and the fc layer. The prediction for the plain nets is mean-field: a conv → BN → ReLU layer
//    of equal width multiplies the squared norm of the gradient flowing back by
//      2 (He init: C_out·k²·Var(W) = 2, as many channels in as out) · ½ (ReLU passes half) · 1/σ²,
//    where σ² is the variance over the batch of the conv's output that BN divides by. Its input is ReLU(z)
//    with z ~ N(0, 1) per channel, whose variance is ½ − 1/(2π); times 2: σ² = 1 − 1/π. So each layer
//    multiplies the squared gradient by π/(π − 1) ≈ 1.47: with batch norm, a plain net's gradients grow
//    towards the input, they do not vanish (Yang et al. 2019), and Plain-56's 36 extra equal-width layers
//    predict a first-layer gradient (π/(π − 1))^18 ≈ 10^3 times Plain-20's. The residual block's branch
//    adds to the identity path instead of replacing it; the sum's variance grows block by block, so each
//    branch's 1/σ² shrinks and its contribution to the gradient is a factor 1 + O(1/l): polynomial, not
//    exponential, in depth.
// 2. With --full: the four nets trained alike on a Fashion-MNIST subset with He et al.'s protocol scaled to the
//    budget: SGD (momentum 0.9, weight decay 1e-4, batches of 128) at lr 0.1, a short linear warm-up (their
//    110-layer net's remedy) and a decay to 0 — cosine per step, as the registry's recipe, in place of their ÷10
//    steps — the same schedule for all four. Their Fig. 6 is the prediction: after the full schedule Plain-56
//    ends at a higher training loss than Plain-20, ResNet-56 does not end higher than ResNet-20. A constant
//    lr over a few hundred steps measures which net is faster early, not where each ends: the deeper ResNet
//    was still the higher one there.
//    The PyTorch twin that predicts the budget is scripts/q49_twin.py. It must start from the same weights'
//    scale as these nets: He et al. initialise as "Delving deep" (a normal draw of variance 2/fan; torchvision
//    and src/models/resnet.cpp take fan_out), while nn.Conv2d's default draw (uniform, variance 1/(3·fan_in))
//    is smaller: ‖W‖² is 6.0× smaller for the 3×3 convolutions of equal width, 3.0× for the stride-2 ones
//    (measured on ResNet-56's 55 convolutions). Behind batch norm a convolution's scale does not change what
//    the net computes but divides its effective step by ‖W‖², so a twin on the default draw trains as at an lr
//    about 6× higher, and its curves are not a prediction for these nets.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "epoch_training.h"
#include "nabla/autograd.h"
#include "nabla/data/loader.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/scheduler.h"

namespace nabla::lab {
namespace {

struct Net {
  std::string name;
  int64_t depth;
  bool residual;
};

const std::vector<Net>& nets() {
  static const std::vector<Net> list{{"Plain-20", 20, false}, {"Plain-56", 56, false}, {"ResNet-20", 20, true},
                                     {"ResNet-56", 56, true}};
  return list;
}

// `skip` false is the negative test's knob: the "residual" nets are built without their additions.
nn::ModulePtr build(const Net& net, bool skip) {
  return models::cifar_resnet({.blocks_per_stage = (net.depth - 2) / 6,
                               .shortcut = net.residual && skip ? models::Shortcut::A : models::Shortcut::none});
}

// ‖∂L/∂W‖ of every convolution and of fc, in forward order (the registration order of the weights).
std::vector<double> weight_gradient_norms(nn::Module& model) {
  std::vector<double> norms;
  for (const auto& [name, parameter] : model.named_parameters()) {
    if (parameter.dim() == 4 || name == "fc.weight") norms.push_back(parameter.grad().norm().item());
  }
  return norms;
}

struct GradientProfile {
  std::vector<double> log_norm;  // per weighted layer: the mean over repeats of ln ‖∂L/∂W_l‖
  std::vector<double> first_layer_log;  // per repeat: ln ‖∂L/∂W_1‖
};

GradientProfile gradient_profile(const Net& net, bool skip, const std::vector<data::Batch>& batches, uint64_t seed) {
  GradientProfile profile;
  for (size_t repeat = 0; repeat < batches.size(); ++repeat) {
    manual_seed(seed + repeat);  // the models initialise from the default generator: a new draw per repeat
    nn::ModulePtr model = build(net, skip);
    model->train();
    cross_entropy((*model)(batches[repeat].inputs), batches[repeat].targets).backward();
    const std::vector<double> norms = weight_gradient_norms(*model);
    if (profile.log_norm.empty()) profile.log_norm.assign(norms.size(), 0.0);
    for (size_t layer = 0; layer < norms.size(); ++layer) {
      profile.log_norm[layer] += std::log(norms[layer]) / static_cast<double>(batches.size());
    }
    profile.first_layer_log.push_back(std::log(norms.front()));
  }
  return profile;
}

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

// The standard error of the mean of `values`.
double standard_error(const std::vector<double>& values) {
  const double average = mean_of(values);
  double squares = 0;
  for (double value : values) squares += (value - average) * (value - average);
  return std::sqrt(squares / static_cast<double>(values.size() - 1) / static_cast<double>(values.size()));
}

// ---- 2. (--full) training: the mean training loss of each epoch, and the last epoch's per-step losses.
struct TrainingRun {
  std::vector<double> epoch_losses, last_epoch_steps;
};

// The schedule of every net, per optimizer step: a linear rise from 1 % of lr over `warmup_steps`, then a
// cosine decay that reaches 0 at the last step, so each net ends where it has settled, not mid-descent.
std::shared_ptr<optim::Scheduler> warmup_then_cosine(optim::Optimizer& optimizer, int64_t warmup_steps, int64_t total_steps) {
  auto warmup = std::make_shared<optim::LinearLR>(optimizer, 0.01, 1.0, warmup_steps);
  auto decay = std::make_shared<optim::CosineAnnealingLR>(optimizer, total_steps - warmup_steps);
  return std::make_shared<optim::SequentialLR>(optimizer, std::vector<std::shared_ptr<optim::Scheduler>>{warmup, decay},
                                               std::vector<int64_t>{warmup_steps});
}

struct Schedule {
  int64_t epochs;
  double lr;
  double warmup_fraction;  // of all steps
};

TrainingRun train(const Net& net, bool skip, const data::DatasetPtr& train_set, const Schedule& schedule, uint64_t seed) {
  manual_seed(seed);  // the same initial draw order for every net
  nn::ModulePtr model = build(net, skip);
  model->train();
  optim::SGD optimizer(model->parameters(), {.lr = schedule.lr, .momentum = 0.9, .weight_decay = 1e-4});
  data::DataLoader loader(train_set, {.batch_size = 128, .shuffle = true, .seed = seed, .prefetch = 0});
  const int64_t total_steps = schedule.epochs * loader.batches_per_epoch();
  const int64_t warmup_steps =
      std::clamp<int64_t>(std::llround(schedule.warmup_fraction * static_cast<double>(total_steps)), 1, total_steps - 1);
  std::shared_ptr<optim::Scheduler> scheduler = warmup_then_cosine(optimizer, warmup_steps, total_steps);
  TrainingRun run;
  for (int64_t epoch = 0; epoch < schedule.epochs; ++epoch) {
    run.last_epoch_steps.clear();
    auto pass = loader.epoch(epoch);
    while (std::optional<data::Batch> batch = pass->next()) {
      optimizer.zero_grad();
      Tensor loss = cross_entropy((*model)(batch->inputs), batch->targets);
      run.last_epoch_steps.push_back(loss.item());
      loss.backward();
      optimizer.step();
      scheduler->step();
    }
    run.epoch_losses.push_back(mean_of(run.last_epoch_steps));
  }
  return run;
}

void degradation(Context& ctx, bool skip) {
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", 4));
  const double lr = ctx.parameter("lr", 0.1);
  const double warmup = ctx.parameter("warmup", 0.1);
  NABLA_KNOB_CHECK(train_examples >= 256 && train_examples <= 60000 && epochs >= 1 && lr > 0 && warmup > 0 && warmup < 1,
                   "lab Q49: train_examples in [256, 60 000], epochs ≥ 1, lr > 0, warmup (a fraction of the steps) in (0, 1)");
  const Schedule schedule{.epochs = epochs, .lr = lr, .warmup_fraction = warmup};
  const data::DatasetPtr train_set = fashion_sample(data::Split::train, train_examples, ctx.seed());
  std::vector<TrainingRun> runs;
  plot::Panel curves{fmt::format("Training loss on {} Fashion-MNIST images (SGD, momentum 0.9, batches of 128; lr {:g} "
                                 "after {:g} % warm-up, cosine to 0)", train_examples, lr, 100 * warmup),
                     "epoch", "mean training loss of the epoch (cross-entropy, nats; log scale)", {}, true};
  std::vector<std::vector<std::string>> rows;
  for (const Net& net : nets()) {
    runs.push_back(train(net, skip, train_set, schedule, ctx.seed()));
    plot::Series series{net.name, {}, runs.back().epoch_losses};
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) series.x.push_back(static_cast<double>(epoch));
    curves.series.push_back(series);
    rows.push_back({net.name, fmt::format("{:.4f}", runs.back().epoch_losses.back()),
                    fmt::format("{:.4f}", standard_error(runs.back().last_epoch_steps))});
  }
  ctx.line_plot("training_loss.png", curves);
  ctx.table("Last epoch's mean training loss", {"net", "loss (nats)", "standard error over its steps"}, rows);
  // A difference counts when it exceeds twice the standard error of the difference of the two last-epoch means.
  auto compare = [&](size_t a, size_t b) {
    const double difference = runs[a].epoch_losses.back() - runs[b].epoch_losses.back();
    const double error = std::hypot(standard_error(runs[a].last_epoch_steps), standard_error(runs[b].last_epoch_steps));
    return std::pair{difference, error};
  };
  const auto [plain_gap, plain_error] = compare(1, 0);
  ctx.claim({"degradation: Plain-56 ends at a higher training loss than Plain-20",
             "성능 저하: Plain-56의 마지막 학습 손실이 Plain-20보다 높다"},
            plain_gap > 2 * plain_error,
            format_text({"Plain-56 − Plain-20: {:+.4f} nats (2 standard errors: {:.4f})",
                         "Plain-56 − Plain-20: {:+.4f} nats (표준오차 2배: {:.4f})"},
                        plain_gap, 2 * plain_error));
  const auto [residual_gap, residual_error] = compare(3, 2);
  ctx.claim({"ResNet-56 does not degrade: its training loss is not higher than ResNet-20's",
             "ResNet-56은 성능 저하가 없다: 학습 손실이 ResNet-20보다 높지 않다"},
            residual_gap < 2 * residual_error,
            format_text({"ResNet-56 − ResNet-20: {:+.4f} nats (2 standard errors: {:.4f}); ResNet-56 − Plain-56: {:+.4f}",
                         "ResNet-56 − ResNet-20: {:+.4f} nats (표준오차 2배: {:.4f}); ResNet-56 − Plain-56: {:+.4f}"},
                        residual_gap, 2 * residual_error, compare(3, 1).first));
}

void run(Context& ctx) {
  const auto batch_size = static_cast<int64_t>(ctx.parameter("batch", 16));
  const auto repeats = static_cast<int64_t>(ctx.parameter("repeats", 3));
  const bool skip = ctx.parameter("skip", 1) != 0;
  NABLA_KNOB_CHECK(batch_size >= 4 && batch_size <= 256 && repeats >= 2 && repeats <= 20,
                   "lab Q49: batch in [4, 256], repeats in [2, 20]");

  // ---- 1. gradients at initialisation, each repeat a new batch and a new draw of the weights
  const data::DatasetPtr images = fashion_sample(data::Split::train, batch_size * repeats, ctx.seed());
  std::vector<data::Batch> batches;
  for (int64_t repeat = 0; repeat < repeats; ++repeat) {
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < batch_size; ++i) indices.push_back(repeat * batch_size + i);
    batches.push_back(images->get_batch(indices));
  }
  std::vector<GradientProfile> profiles;
  for (const Net& net : nets()) profiles.push_back(gradient_profile(net, skip, batches, ctx.seed()));
  const double log10_e = 1 / std::log(10.0);
  plot::Panel panel{fmt::format("Gradient norms at initialisation (batch norm in all four; {} batches of {})", repeats,
                                batch_size),
                    "weighted layer (1: the first convolution; the last: fc)",
                    "‖∂L/∂W‖ (Frobenius norm of the weight gradient; log scale)", {}, true};
  std::vector<std::vector<std::string>> rows;
  for (size_t n = 0; n < nets().size(); ++n) {
    plot::Series series{nets()[n].name, {}, {}};
    for (size_t layer = 0; layer < profiles[n].log_norm.size(); ++layer) {
      series.x.push_back(static_cast<double>(layer + 1));
      series.y.push_back(std::exp(profiles[n].log_norm[layer]));
    }
    panel.series.push_back(series);
    rows.push_back({nets()[n].name, std::to_string(profiles[n].log_norm.size()),
                    fmt::format("{:.3g}", std::exp(profiles[n].log_norm.front())),
                    fmt::format("{:.3g}", std::exp(profiles[n].log_norm.back())),
                    fmt::format("{:+.2f}", (profiles[n].log_norm.front() - profiles[n].log_norm.back()) * log10_e)});
  }
  panel.legend = plot::Legend::below;
  ctx.line_plot("gradient_norms.png", panel);
  ctx.table("Weight-gradient norms at initialisation (geometric means over the repeats)",
            {"net", "weighted layers", "first conv ‖∂L/∂W‖", "fc ‖∂L/∂W‖", "log10(first / fc)"}, rows);

  // Plain nets: the mean-field growth. Plain-56 has 36 more equal-width conv → BN → ReLU layers than Plain-20;
  // the stem, the stage transitions and the head are the same in both, so they cancel in the ratio.
  const double gain_squared = std::numbers::pi / (std::numbers::pi - 1);
  const double predicted_log10 = 18 * std::log10(gain_squared);
  std::vector<double> plain_ratio;  // per repeat, log10 of Plain-56's first-layer gradient over Plain-20's
  for (int64_t repeat = 0; repeat < repeats; ++repeat) {
    plain_ratio.push_back((profiles[1].first_layer_log[static_cast<size_t>(repeat)] -
                           profiles[0].first_layer_log[static_cast<size_t>(repeat)]) * log10_e);
  }
  const double measured_log10 = mean_of(plain_ratio);
  ctx.figure("log10 of Plain-56's over Plain-20's first-layer gradient", measured_log10);
  // An exponential law is told apart from none (0) and from vanishing (< 0) by its exponent: the measured one
  // must be within a factor 2 of the predicted one.
  ctx.claim({"with batch norm, a plain net's first-layer gradient grows with depth at the mean-field rate π/(π − 1) per layer",
             "배치 정규화가 있으면 평범한 신경망의 첫 층 기울기는 층마다 평균장 비율 π/(π − 1)로 깊이에 따라 커진다"},
            measured_log10 > predicted_log10 / 2 && measured_log10 < 2 * predicted_log10,
            format_text({"Plain-56 / Plain-20 first-layer ‖∂L/∂W‖ = 10^{:.2f} ± {:.2f} (over {} draws); predicted "
                         "(π/(π − 1))^(36/2) = 10^{:.2f}: the gradient does not vanish, it grows",
                         "Plain-56 / Plain-20 첫 층 ‖∂L/∂W‖ = 10^{:.2f} ± {:.2f} (초기화 {}번); 예측 (π/(π − 1))^(36/2) = "
                         "10^{:.2f}: 기울기는 사라지지 않고 커진다"},
                        measured_log10, standard_error(plain_ratio), repeats, predicted_log10));
  // Residual nets: the identity path carries the gradient back with an O(1/l) correction per block, so the first
  // layer's gradient stays of the order of (within a factor 10 of) the last layer's, while the plain rule would
  // predict 10^(layers·log10(π/(π − 1))/2) for a plain net of that depth.
  for (size_t n : {size_t{3}}) {  // ResNet-56: at 20 layers even the plain net stays within 10×
    const double first_over_last = (profiles[n].log_norm.front() - profiles[n].log_norm.back()) * log10_e;
    const double plain_prediction = static_cast<double>(nets()[n].depth - 2) * std::log10(gain_squared) / 2;
    ctx.claim(format_text({"{}'s first-layer gradient stays of the order of its last layer's",
                           "{}의 첫 층 기울기는 마지막 층 기울기와 같은 자릿수에 머문다"},
                          nets()[n].name),
              std::abs(first_over_last) < 1,
              format_text({"first conv / fc ‖∂L/∂W‖ = 10^{:+.2f}; a plain net of this depth: 10^{:+.2f} measured, "
                           "≈ 10^{:.1f} by the mean-field rule",
                           "첫 합성곱 / fc ‖∂L/∂W‖ = 10^{:+.2f}; 같은 깊이의 평범한 신경망: 측정 10^{:+.2f}, 평균장 규칙 ≈ 10^{:.1f}"},
                          first_over_last, (profiles[n - 2].log_norm.front() - profiles[n - 2].log_norm.back()) * log10_e,
                          plain_prediction));
  }
  if (ctx.full()) degradation(ctx, skip);
}

const bool registered = register_experiment({
    .id = "Q49",
    .title = "ResNet's key idea: the skip connection",
    .question = {"What is the key idea of ResNet?", "ResNet의 핵심 아이디어는 무엇인가요?"},
    .answer = {"ResNet adds each block's input to its output, y = ReLU(x + F(x)), so a block only has to learn a "
               "correction F to the identity. The problem it solved is degradation: deeper plain nets reach a higher "
               "training loss than shallower ones, which is an optimisation failure, not overfitting. With batch norm "
               "this is not the vanishing gradient of the textbook answer: measured at initialisation, a plain net's "
               "gradients grow towards the input, about √(π/(π − 1)) per layer, which makes the deep plain net's "
               "landscape badly conditioned. The skip connections keep the first layer's gradient of the order of "
               "the last one's at any depth, and a 56-layer ResNet trains at least as well as a 20-layer one.",
               "ResNet은 각 블록의 입력을 출력에 더해 y = ReLU(x + F(x))로 만들어, 블록이 항등 함수에 대한 보정 F만 "
               "배우면 되게 합니다. 해결한 문제는 성능 저하(degradation)입니다. 더 깊은 평범한 신경망이 얕은 것보다 "
               "학습 손실이 높게 끝나는데, 이는 과적합이 아니라 최적화의 실패입니다. 배치 정규화가 있으면 교과서의 "
               "답처럼 기울기가 사라지는 것도 아닙니다. 초기화 시점에 측정하면 평범한 신경망의 기울기는 입력 쪽으로 "
               "층마다 약 √(π/(π − 1))배씩 커지며, 이 때문에 깊은 평범한 신경망의 손실 지형은 조건이 나쁩니다. 스킵 "
               "연결은 어떤 깊이에서도 첫 층의 기울기를 마지막 층과 같은 자릿수로 유지하며, 56층 ResNet은 20층만큼 "
               "또는 그보다 잘 학습됩니다."},
    .topic = "E J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
