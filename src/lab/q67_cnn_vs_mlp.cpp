// Q67: why CNNs beat MLPs on images. Two Fashion-MNIST classifiers with the same parameter budget:
//   CNN: x [B, 1, 28, 28] → conv 3×3 (8, padding 1) → ReLU → max-pool 2 → conv 3×3 (16, padding 1) → ReLU →
//        max-pool 2 → flatten [B, 784] → Linear 10
//   MLP: x [B, 784] → Linear h → ReLU → Linear 10, h chosen so that 795·h + 10 is closest to the CNN's count
// trained the same way (Adam, same batches), then tested on the test images translated by k pixels
// (k = 0…max_shift to the right, zeros moving in).
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "small_convnets.h"

namespace nabla::lab {
namespace {

void run(Context& ctx) {
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 6000 : 60000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 2000 : 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 3 : 10));
  // The negative test's knob: 0 tests on untranslated images only, so there is no robustness to compare.
  const auto max_shift = static_cast<int64_t>(ctx.parameter("max_shift", 2));
  NABLA_KNOB_CHECK(train_examples >= 100 && train_examples <= 60000 && test_examples >= 100 && test_examples <= 10000 &&
                       epochs >= 1 && max_shift >= 0 && max_shift <= 8,
                   "lab Q67: train_examples in [100, 60 000], test_examples in [100, 10 000], epochs ≥ 1, max_shift in [0, 8]");

  Generator& generator = ctx.generator();
  nn::ModulePtr cnn = small_cnn(generator);
  const int64_t budget = cnn->parameter_count();
  // The MLP's count is 784·h + h + 10·h + 10: the h closest to the CNN's budget.
  const auto hidden = static_cast<int64_t>(std::llround(static_cast<double>(budget - 10) / 795.0));
  nn::ModulePtr mlp = models::mlp({.hidden = {hidden}});
  const FashionTask task = fashion_task(train_examples, test_examples, ctx.seed());
  const ClassifierSettings settings{.epochs = epochs, .batch_size = 32, .lr = 3e-3, .seed = ctx.seed()};
  const ClassifierRun cnn_run = train_classifier(*cnn, task, settings);
  train_classifier(*mlp, task, settings);
  ctx.note(fmt::format("{} training and {} test images; {} epochs of Adam (lr {:g}, batches of {}, {} steps), the same "
                       "batches for both models; the test images are then moved k pixels to the right (zeros move in)",
                       train_examples, test_examples, epochs, settings.lr, settings.batch_size, cnn_run.step_losses.size()));

  // The same weights on translated test images. Both models are scored on the same images, so each comparison
  // uses the paired standard error (the noise of the per-image difference), not two independent ones.
  cnn->eval();
  mlp->eval();
  std::vector<Tensor> cnn_correct, mlp_correct;
  std::vector<std::vector<std::string>> rows;
  plot::Panel panel{"Test accuracy on images moved k pixels to the right", "translation k (pixels)", "test accuracy (%)",
                    {{"CNN", {}, {}}, {"MLP", {}, {}}}};
  for (int64_t shift = 0; shift <= max_shift; ++shift) {
    const BatchTransform moved = [shift](const Tensor& images) { return translate(images, 0, shift); };
    cnn_correct.push_back(correct_predictions([&](const Tensor& x) { return (*cnn)(x); }, task.test, moved));
    mlp_correct.push_back(correct_predictions([&](const Tensor& x) { return (*mlp)(x); }, task.test, moved));
    const double cnn_accuracy = mean(cnn_correct.back()).item(), mlp_accuracy = mean(mlp_correct.back()).item();
    rows.push_back({std::to_string(shift), fmt::format("{:.1f} %", 100 * cnn_accuracy), fmt::format("{:.1f} %", 100 * mlp_accuracy)});
    panel.series[0].x.push_back(static_cast<double>(shift));
    panel.series[0].y.push_back(100 * cnn_accuracy);
    panel.series[1].x.push_back(static_cast<double>(shift));
    panel.series[1].y.push_back(100 * mlp_accuracy);
  }
  ctx.table(fmt::format("Parameters: CNN {}, MLP (784 → {} → 10) {}", budget, hidden, mlp->parameter_count()),
            {"translation k (pixels)", "CNN test accuracy", "MLP test accuracy"}, rows);
  ctx.line_plot("translation.png", panel);

  const double cnn_accuracy = mean(cnn_correct.front()).item(), mlp_accuracy = mean(mlp_correct.front()).item();
  ctx.figure("CNN parameters", static_cast<double>(budget));
  ctx.figure("MLP parameters", static_cast<double>(mlp->parameter_count()));
  ctx.figure("CNN test accuracy", cnn_accuracy, "fraction of test images");
  ctx.figure("MLP test accuracy", mlp_accuracy, "fraction of test images");
  const double parameter_gap = std::abs(static_cast<double>(mlp->parameter_count() - budget)) / static_cast<double>(budget);
  const double accuracy_error = paired_standard_error(cnn_correct.front(), mlp_correct.front());
  ctx.claim({"at the same parameter budget (within 10 %) the CNN is more accurate than the MLP (by > 3 standard errors)",
             "같은 파라미터 예산(10 % 이내)에서 CNN이 MLP보다 정확하다 (표준오차의 3배 넘게)"},
            parameter_gap <= 0.1 && cnn_accuracy - mlp_accuracy > 3 * accuracy_error,
            format_text({"{} vs {} parameters; test accuracy {:.1f} % vs {:.1f} % (paired standard error of the difference "
                         "{:.2f} points)",
                         "파라미터 {} 대 {}; 테스트 정확도 {:.1f} % 대 {:.1f} % (차이의 대응 표준오차 {:.2f} %p)"},
                        budget, mlp->parameter_count(), 100 * cnn_accuracy, 100 * mlp_accuracy, 100 * accuracy_error));
  // What each model loses per image when the image moves: lost = correct at 0 − correct at k, paired again.
  const Tensor cnn_lost = cnn_correct.front() - cnn_correct.back(), mlp_lost = mlp_correct.front() - mlp_correct.back();
  const double cnn_drop = mean(cnn_lost).item(), mlp_drop = mean(mlp_lost).item();
  const double drop_error = paired_standard_error(mlp_lost, cnn_lost);
  ctx.figure(fmt::format("CNN accuracy lost at a {}-pixel translation", max_shift), cnn_drop, "fraction of test images");
  ctx.figure(fmt::format("MLP accuracy lost at a {}-pixel translation", max_shift), mlp_drop, "fraction of test images");
  ctx.claim(format_text({"moved by {} pixels, the CNN loses less accuracy than the MLP (by > 3 standard errors)",
                         "{}픽셀 이동하면 CNN이 MLP보다 정확도를 덜 잃는다 (표준오차의 3배 넘게)"},
                        max_shift),
            mlp_drop - cnn_drop > 3 * drop_error,
            format_text({"accuracy lost: CNN {:.1f} points, MLP {:.1f} points (paired standard error of the difference {:.2f})",
                         "잃은 정확도: CNN {:.1f} %p, MLP {:.1f} %p (차이의 대응 표준오차 {:.2f})"},
                        100 * cnn_drop, 100 * mlp_drop, 100 * drop_error));
}

const bool registered = register_experiment({
    .id = "Q67",
    .title = "Why CNNs beat MLPs on images",
    .question = {"Why do convolutional networks work better than fully connected ones on images?",
                 "이미지에서 합성곱 신경망이 완전연결 신경망보다 잘 되는 이유는 무엇인가요?"},
    .answer = {"A convolution assumes two things about images: what matters is local (a pixel relates to its neighbours), "
               "and the same pattern means the same wherever it appears. So a layer is a few small filters slid over the "
               "whole image, with their weights shared across positions, instead of one weight per input-output pair. "
               "For the same number of parameters a CNN can therefore afford many more features, and what it learns at "
               "one place it knows everywhere: its feature maps move with the input, and pooling absorbs small moves. An "
               "MLP has to learn each position separately, so with the same budget it is less accurate, and an object "
               "moved by a few pixels falls on weights that never saw it. These assumptions are the CNN's inductive "
               "bias; with enough data and augmentation other models can learn them, but not for free.",
               "합성곱은 이미지에 대해 두 가지를 가정합니다. 중요한 것은 국소적이고(픽셀은 이웃과 관련됨), 같은 패턴은 어디에 "
               "나타나든 같은 의미라는 것입니다. 그래서 입력-출력 쌍마다 가중치를 두는 대신, 작은 필터 몇 개를 이미지 전체에 "
               "밀면서 위치마다 같은 가중치를 공유합니다. 같은 파라미터 수로 CNN은 훨씬 많은 특징을 쓸 수 있고, 한 곳에서 배운 "
               "것을 모든 곳에서 압니다. 특징 맵은 입력을 따라 움직이고, 풀링은 작은 이동을 흡수합니다. MLP는 위치마다 따로 "
               "배워야 하므로 같은 예산에서 정확도가 낮고, 몇 픽셀 움직인 물체는 그것을 본 적 없는 가중치에 떨어집니다. 이 "
               "가정들이 CNN의 귀납적 편향이며, 데이터와 증강이 충분하면 다른 모델도 배울 수 있지만 공짜는 아닙니다."},
    .topic = "E",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
