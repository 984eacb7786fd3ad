// Q50: MobileNet's key idea, the depthwise separable convolution. A standard k×k convolution M → N channels on
// x [1, M, H, W] (padding k/2, no bias) against its separable replacement:
//   depthwise k×k M → M (groups = M: one filter per channel) → pointwise 1×1 M → N (mixes the channels)
// Cost per output position: standard k²·M·N multiply-adds; separable k²·M + M·N, a ratio of 1/N + 1/k².
// The FLOPs are measured by the per-op counter (analysis::FlopCounter) while each runs, and by nn::summary();
// the parameters are counted from the layers' tensors. Then two small Fashion-MNIST nets that differ only in
// that block, trained alike:
//   x [B, 1, 28, 28] → conv 3×3 1→8 p1 → ReLU → max-pool 2 → [block 8→16 at 14×14] → ReLU → max-pool 2 →
//   flatten [B, 784] → Linear 10
#include <cmath>

#include "nabla/analysis/flops.h"
#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/pool.h"
#include "nabla/nn/summary.h"
#include "small_convnets.h"

namespace nabla::lab {
namespace {

// depthwise_groups: the groups of the depthwise layer; M (its input channels) makes it depthwise, and the
// negative test's 1 makes it a full k×k convolution M → M.
std::shared_ptr<nn::Sequential> separable_block(int64_t in, int64_t out, int64_t kernel, int64_t depthwise_groups, bool bias,
                                                Generator& generator) {
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = in, .out_channels = in, .kernel_size = kernel,
                                                     .padding = kernel / 2, .groups = depthwise_groups, .bias = bias},
                                   &generator),
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = in, .out_channels = out, .kernel_size = 1, .bias = bias},
                                   &generator)});
}

std::shared_ptr<nn::Sequential> standard_block(int64_t in, int64_t out, int64_t kernel, bool bias, Generator& generator) {
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{std::make_shared<nn::Conv2d>(
      nn::Conv2dOptions{.in_channels = in, .out_channels = out, .kernel_size = kernel, .padding = kernel / 2, .bias = bias},
      &generator)});
}

// FLOPs of one forward pass, counted op by op.
int64_t counted_flops(nn::Module& block, const Tensor& x) {
  autograd::NoGradGuard no_grad;
  analysis::FlopCounter counter;
  block(x);
  return counter.total();
}

struct Ratio {
  int64_t in, out, kernel;
  double flops, parameters, summary_flops, predicted;
};

nn::ModulePtr fashion_net(bool separable, int64_t depthwise_groups, Generator& generator) {
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = 1, .out_channels = 8, .kernel_size = 3, .padding = 1}, &generator),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2)});
  if (separable) {
    model->push_back(separable_block(8, 16, 3, depthwise_groups, true, generator));
  } else {
    model->push_back(standard_block(8, 16, 3, true, generator));
  }
  model->push_back(std::make_shared<nn::ReLU>());
  model->push_back(std::make_shared<nn::MaxPool2d>(2));
  model->push_back(std::make_shared<nn::Flatten>());
  model->push_back(std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 16 * 7 * 7, .out_features = 10}, &generator));
  return model;
}

void run(Context& ctx) {
  const auto size = static_cast<int64_t>(ctx.parameter("size", 14));
  // The negative test's knob: 0 gives the "depthwise" layer groups = 1, a full k×k convolution M → M.
  const bool depthwise = ctx.parameter("depthwise", 1) != 0;
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 4000 : 60000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 2000 : 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 2 : 10));
  NABLA_KNOB_CHECK(size >= 7 && size <= 64 && train_examples >= 100 && train_examples <= 60000 && test_examples >= 100 &&
                       test_examples <= 10000 && epochs >= 1,
                   "lab Q50: size in [7, 64], train_examples in [100, 60 000], test_examples in [100, 10 000], epochs ≥ 1");
  Generator& generator = ctx.generator();

  // ---- 1. cost, over channel counts and kernel sizes (M = N/2, as a block that doubles the channels)
  std::vector<Ratio> ratios;
  for (int64_t kernel : {3, 5, 7}) {
    for (int64_t out : {8, 16, 32, 64, 128, 256}) {
      const int64_t in = out / 2;
      const Tensor x = randn({1, in, size, size}, {}, &generator);
      auto standard = standard_block(in, out, kernel, false, generator);
      auto separable = separable_block(in, out, kernel, depthwise ? in : 1, false, generator);
      const Shape shape = {1, in, size, size};
      ratios.push_back({in, out, kernel,
                        static_cast<double>(counted_flops(*separable, x)) / static_cast<double>(counted_flops(*standard, x)),
                        static_cast<double>(separable->parameter_count()) / static_cast<double>(standard->parameter_count()),
                        static_cast<double>(nn::summary(*separable, shape).flops) /
                            static_cast<double>(nn::summary(*standard, shape).flops),
                        1.0 / static_cast<double>(out) + 1.0 / static_cast<double>(kernel * kernel)});
    }
  }
  std::vector<std::vector<std::string>> rows;
  double worst_flops = 0, worst_parameters = 0, worst_summary = 0;
  plot::Panel panel{fmt::format("Separable / standard convolution cost on {}×{} maps, M = N/2 input channels", size, size),
                    "output channels N", "separable / standard (FLOPs; log scale)", {}, true};
  for (int64_t kernel : {3, 5, 7}) {
    plot::Series measured{fmt::format("k = {}: counted FLOPs ratio", kernel), {}, {}};
    plot::Series predicted{fmt::format("k = {}: 1/N + 1/k²", kernel), {}, {}};
    for (const Ratio& ratio : ratios) {
      if (ratio.kernel != kernel) continue;
      measured.x.push_back(static_cast<double>(ratio.out));
      measured.y.push_back(ratio.flops);
      predicted.x.push_back(static_cast<double>(ratio.out));
      predicted.y.push_back(ratio.predicted);
    }
    panel.series.push_back(measured);
    panel.series.push_back(predicted);
  }
  for (const Ratio& ratio : ratios) {
    worst_flops = std::max(worst_flops, std::abs(ratio.flops / ratio.predicted - 1));
    worst_parameters = std::max(worst_parameters, std::abs(ratio.parameters / ratio.predicted - 1));
    worst_summary = std::max(worst_summary, std::abs(ratio.summary_flops / ratio.predicted - 1));
    rows.push_back({std::to_string(ratio.in), std::to_string(ratio.out), std::to_string(ratio.kernel),
                    fmt::format("{:.5f}", ratio.flops), fmt::format("{:.5f}", ratio.summary_flops),
                    fmt::format("{:.5f}", ratio.parameters), fmt::format("{:.5f}", ratio.predicted)});
  }
  ctx.table("Separable / standard, no bias", {"M", "N", "k", "FLOPs (counter)", "FLOPs (summary())", "parameters", "1/N + 1/k²"},
            rows);
  ctx.line_plot("cost_ratio.png", panel);
  for (const Ratio& ratio : ratios) {
    if (ratio.kernel == 3 && ratio.out == 256) ctx.figure("separable / standard FLOPs at M = 128, N = 256, k = 3", ratio.flops);
  }
  ctx.claim({"the separable block's FLOPs, counted op by op, are 1/N + 1/k² of the standard convolution's",
             "연산별로 센 분리형 블록의 FLOPs는 표준 합성곱의 1/N + 1/k²이다"},
            worst_flops < 1e-12 && worst_summary < 1e-12,
            format_text({"{} configurations; worst relative difference from 1/N + 1/k²: {:.2g} (counter), {:.2g} (summary())",
                         "설정 {}개; 1/N + 1/k²와의 최대 상대 차이: {:.2g} (카운터), {:.2g} (summary())"},
                        ratios.size(), worst_flops, worst_summary));
  ctx.claim({"its parameters are 1/N + 1/k² of the standard convolution's",
             "분리형 블록의 파라미터 수는 표준 합성곱의 1/N + 1/k²이다"},
            worst_parameters < 1e-12,
            format_text({"worst relative difference over {} configurations: {:.2g}", "설정 {}개에서 최대 상대 차이: {:.2g}"},
                        ratios.size(), worst_parameters));

  // ---- 2. accuracy: the same small net with either block, the same initial stem and batches
  const FashionTask task = fashion_task(train_examples, test_examples, ctx.seed());
  const ClassifierSettings settings{.epochs = epochs, .batch_size = 32, .lr = 3e-3, .seed = ctx.seed()};
  nn::ModulePtr standard_net = fashion_net(false, 8, generator);
  nn::ModulePtr separable_net = fashion_net(true, depthwise ? 8 : 1, generator);
  const ClassifierRun standard_run = train_classifier(*standard_net, task, settings);
  const ClassifierRun separable_run = train_classifier(*separable_net, task, settings);
  const nn::ModelSummary standard_summary = nn::summary(*standard_net, {1, 1, 28, 28});
  const nn::ModelSummary separable_summary = nn::summary(*separable_net, {1, 1, 28, 28});
  ctx.table(fmt::format("Fashion-MNIST: {} training, {} test images, {} epochs of Adam (lr {:g}, batches of {})",
                        train_examples, test_examples, epochs, settings.lr, settings.batch_size),
            {"net", "parameters", "FLOPs per image (summary())", "final training loss", "test accuracy"},
            {{"standard 3×3 block", std::to_string(standard_summary.parameters), std::to_string(standard_summary.flops),
              fmt::format("{:.3f}", standard_run.step_losses.back()), fmt::format("{:.1f} %", 100 * standard_run.test_accuracy)},
             {"depthwise + pointwise block", std::to_string(separable_summary.parameters),
              std::to_string(separable_summary.flops), fmt::format("{:.3f}", separable_run.step_losses.back()),
              fmt::format("{:.1f} %", 100 * separable_run.test_accuracy)}});
  ctx.line_plot("training_loss.png", training_loss_panel({{"standard 3×3 block", &standard_run},
                                                          {"depthwise + pointwise block", &separable_run}}));
  ctx.figure("standard net test accuracy", standard_run.test_accuracy, "fraction of test images");
  ctx.figure("separable net test accuracy", separable_run.test_accuracy, "fraction of test images");
  // The nets differ only in the block (M = 8 → N = 16, 3×3 on 14×14, with biases), so summary()'s totals must differ
  // by what the formulas give for the two blocks: parameters k²MN + N against k²M + M + MN + N, and FLOPs per output
  // position 2k²MN + N against (2k²M + M) + (2MN + N).
  const int64_t m = 8, n = 16, k = 3, positions = 14 * 14;
  const int64_t parameter_saving = (k * k * m * n + n) - (k * k * m + m + m * n + n);
  const int64_t flop_saving = positions * ((2 * k * k * m * n + n) - (2 * k * k * m + m) - (2 * m * n + n));
  const int64_t measured_parameter_saving = standard_summary.parameters - separable_summary.parameters;
  const int64_t measured_flop_saving = standard_summary.flops - separable_summary.flops;
  ctx.claim({"in the small nets, summary() shows exactly the block's saving: parameters and FLOPs by the formulas",
             "작은 신경망에서 summary()는 블록이 줄인 만큼을 정확히 보여 준다: 공식대로의 파라미터와 FLOPs"},
            measured_parameter_saving == parameter_saving && measured_flop_saving == flop_saving,
            format_text({"parameters saved {} (formula {}), FLOPs per image saved {} (formula {})",
                         "줄어든 파라미터 {} (공식 {}), 이미지당 줄어든 FLOPs {} (공식 {})"},
                        measured_parameter_saving, parameter_saving, measured_flop_saving, flop_saving));
  const double chance = 0.1;
  ctx.claim({"both nets learn the task: test accuracy ≥ 5× chance (50 %)",
             "두 신경망 모두 과제를 배운다: 테스트 정확도가 우연의 5배(50 %) 이상이다"},
            std::min(standard_run.test_accuracy, separable_run.test_accuracy) >= 5 * chance,
            format_text({"standard {:.1f} %, separable {:.1f} % (the separable net computes {:.0f} % of the standard net's FLOPs)",
                         "표준 {:.1f} %, 분리형 {:.1f} % (분리형 신경망의 FLOPs는 표준 신경망의 {:.0f} %)"},
                        100 * standard_run.test_accuracy, 100 * separable_run.test_accuracy,
                        100.0 * static_cast<double>(separable_summary.flops) / static_cast<double>(standard_summary.flops)));
}

const bool registered = register_experiment({
    .id = "Q50",
    .title = "MobileNet's key idea: depthwise separable convolution",
    .question = {"What is the key idea of MobileNet?", "MobileNet의 핵심 아이디어는 무엇인가요?"},
    .answer = {"MobileNet replaces each standard convolution by a depthwise separable one: a depthwise k×k convolution "
               "that filters every channel on its own (groups = channels), then a pointwise 1×1 convolution that mixes "
               "the channels. A standard layer does both jobs at once with k²·M·N multiply-adds per position; the pair "
               "needs k²·M + M·N, a fraction 1/N + 1/k² of it: about 8–9 times less for 3×3 kernels and many channels, "
               "and the parameters shrink by the same factor. Accuracy drops a little for the saving, and width and "
               "resolution multipliers trade the two further. On hardware the gain is smaller than the FLOPs suggest: "
               "depthwise layers do little arithmetic per byte moved, so they are bound by memory, not compute.",
               "MobileNet은 표준 합성곱을 depthwise separable 합성곱으로 바꿉니다. 각 채널을 따로 거르는 depthwise k×k "
               "합성곱(groups = 채널 수) 다음에, 채널을 섞는 pointwise 1×1 합성곱을 둡니다. 표준 층은 두 일을 한꺼번에 하며 "
               "위치마다 k²·M·N번의 곱셈-덧셈이 들지만, 이 쌍은 k²·M + M·N번이면 되어 1/N + 1/k²배입니다. 3×3 커널에 채널이 "
               "많으면 8~9배 줄고, 파라미터도 같은 비율로 줄어듭니다. 그 대가로 정확도가 조금 떨어지며, 폭과 해상도 배수로 "
               "둘을 더 조절합니다. 실제 하드웨어에서는 FLOPs만큼 빨라지지 않는데, depthwise 층은 옮기는 바이트당 연산이 "
               "적어 계산이 아니라 메모리 대역폭에 묶이기 때문입니다."},
    .topic = "E J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
