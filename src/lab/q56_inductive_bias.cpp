// Q56: inductive bias. One fixed random permutation π of the 784 pixels, applied to every image (train and test):
// x'_i = x_π(i). An MLP has no notion of which pixels are neighbours, a CNN does.
//   MLP (f64): x [B, 784] → Linear 64 → ReLU → Linear 10, trained by SGD twice: on the images as they are from
//   initial weights W₁, and on the permuted images from W₁' = W₁ with its columns permuted the same way
//   (W₁'[:, i] = W₁[:, π(i)], so W₁'x' = W₁x). Every step then computes the same numbers summed in another order:
//   the two loss curves are the same up to rounding.
//   CNN (f32, the lab's small CNN): trained on the images as they are and on the permuted ones, from the same
//   initial weights: its 3×3 filters and pooling assume neighbouring pixels belong together, and after the
//   permutation they do not.
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/init.h"
#include "nabla/optim/optimizer.h"
#include "small_convnets.h"

namespace nabla::lab {
namespace {

struct MlpWeights {
  Tensor w1, b1, w2, b2;
  std::vector<Tensor> parameters() const { return {w1, b1, w2, b2}; }
  Tensor operator()(const Tensor& x) const { return matmul(relu(matmul(x, w1.t()) + b1), w2.t()) + b2; }
};

// PyTorch's Linear initialisation, U(−1/√fan_in, 1/√fan_in), in f64.
MlpWeights initial_mlp(int64_t hidden, Generator& generator) {
  const TensorOptions f64{.dtype = DType::f64};
  auto uniform = [&](const Shape& shape, int64_t fan_in) {
    const double bound = 1 / std::sqrt(static_cast<double>(fan_in));
    return (rand(shape, f64, &generator) * 2.0 - 1.0) * bound;
  };
  return {uniform({hidden, 784}, 784), uniform({hidden}, 784), uniform({10, hidden}, hidden), uniform({10}, hidden)};
}

MlpWeights trainable_copy(const MlpWeights& weights) {
  return {weights.w1.clone().requires_grad_(), weights.b1.clone().requires_grad_(), weights.w2.clone().requires_grad_(),
          weights.b2.clone().requires_grad_()};
}

struct MlpRun {
  std::vector<double> losses;
  double test_accuracy = 0;
  MlpWeights trained;
};

MlpRun train_mlp(const MlpWeights& initial, const FashionTask& task, const ClassifierSettings& settings, double lr,
                 const BatchTransform& transform) {
  MlpRun run{{}, 0, trainable_copy(initial)};
  optim::SGD optimizer(run.trained.parameters(), {.lr = lr});
  auto forward = [&](const Tensor& x) { return run.trained(x); };
  run.losses = train_steps(forward, optimizer, task, settings, transform);
  run.test_accuracy = accuracy(forward, task.test, transform);
  return run;
}

// The loss of each stretch of `window` steps, averaged (one batch's loss is too noisy to compare curves by eye).
plot::Series curve(const std::string& title, const std::vector<double>& values, size_t window) {
  plot::Series series{title, {}, {}};
  for (size_t end = window; end <= values.size(); end += window) {
    double total = 0;
    for (size_t step = end - window; step < end; ++step) total += values[step];
    series.x.push_back(static_cast<double>(end));
    series.y.push_back(total / static_cast<double>(window));
  }
  return series;
}

void run(Context& ctx) {
  // The negative test's knob: 1 permutes the MLP's initial weights with another permutation than the pixels'.
  const bool wrong_permutation = ctx.parameter("wrong_permutation", 0) != 0;
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 4000 : 60000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 2000 : 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 2 : 10));
  const auto hidden = static_cast<int64_t>(ctx.parameter("hidden", 64));
  NABLA_KNOB_CHECK(train_examples >= 100 && train_examples <= 60000 && test_examples >= 100 && test_examples <= 10000 &&
                       epochs >= 1 && hidden >= 1,
                   "lab Q56: train_examples in [100, 60 000], test_examples in [100, 10 000], epochs ≥ 1, hidden ≥ 1");
  Generator& generator = ctx.generator();
  const Tensor permutation = argsort(rand({784}, {}, &generator));
  const Tensor other_permutation = argsort(rand({784}, {}, &generator));
  const FashionTask task = fashion_task(train_examples, test_examples, ctx.seed());
  const ClassifierSettings settings{.epochs = epochs, .batch_size = 32, .lr = 3e-3, .seed = ctx.seed()};

  // ---- the MLP, in f64 so that rounding stays far below what any real difference would be
  const BatchTransform flat = [](const Tensor& images) { return images.flatten(1).to(DType::f64); };
  const BatchTransform permuted_flat = [&](const Tensor& images) {
    return images.flatten(1).to(DType::f64).index_select(1, permutation);
  };
  const MlpWeights initial = initial_mlp(hidden, generator);
  MlpWeights permuted_initial = initial;
  permuted_initial.w1 = initial.w1.index_select(1, wrong_permutation ? other_permutation : permutation);
  const double mlp_lr = 0.1;
  const MlpRun plain_mlp = train_mlp(initial, task, settings, mlp_lr, flat);
  const MlpRun permuted_mlp = train_mlp(permuted_initial, task, settings, mlp_lr, permuted_flat);
  double worst_loss_difference = 0;
  for (size_t step = 0; step < plain_mlp.losses.size(); ++step) {
    worst_loss_difference = std::max(worst_loss_difference, std::abs(plain_mlp.losses[step] - permuted_mlp.losses[step]));
  }
  // After training, the permuted net's first layer is still the plain one's with its columns permuted.
  const double weight_difference =
      max(abs(permuted_mlp.trained.w1.detach() - plain_mlp.trained.w1.detach().index_select(1, permutation))).item();

  // ---- the CNN, from the same initial weights on both inputs
  const BatchTransform permuted_images = [&](const Tensor& images) {
    return images.flatten(1).index_select(1, permutation).reshape({images.size(0), 1, 28, 28});
  };
  nn::ModulePtr plain_cnn = small_cnn(generator);
  nn::ModulePtr permuted_cnn = small_cnn(generator);
  permuted_cnn->load_state_dict(plain_cnn->state_dict().clone());
  const ClassifierRun plain_cnn_run = train_classifier(*plain_cnn, task, settings);
  const ClassifierRun permuted_cnn_run = train_classifier(*permuted_cnn, task, settings, permuted_images);
  plain_cnn->eval();
  permuted_cnn->eval();
  const Tensor plain_correct = correct_predictions([&](const Tensor& x) { return (*plain_cnn)(x); }, task.test);
  const Tensor permuted_correct =
      correct_predictions([&](const Tensor& x) { return (*permuted_cnn)(x); }, task.test, permuted_images);
  const double cnn_drop = mean(plain_correct).item() - mean(permuted_correct).item();
  const double cnn_drop_error = paired_standard_error(plain_correct, permuted_correct);

  ctx.note(fmt::format("{} training and {} test images, the same batches for every run; MLP 784 → {} → 10 in f64, SGD lr {:g}; "
                       "CNN: Adam lr {:g}; {} epochs ({} steps)",
                       train_examples, test_examples, hidden, mlp_lr, settings.lr, epochs, plain_mlp.losses.size()));
  auto percent = [](double value) { return fmt::format("{:.2f} %", 100 * value); };
  ctx.table("Test accuracy on the images as they are and with the pixels permuted",
            {"model", "original pixels", "permuted pixels", "final training loss (original / permuted)"},
            {{fmt::format("MLP (permuted init{})", wrong_permutation ? ": WRONG permutation" : ""),
              percent(plain_mlp.test_accuracy), percent(permuted_mlp.test_accuracy),
              fmt::format("{:.12f} / {:.12f}", plain_mlp.losses.back(), permuted_mlp.losses.back())},
             {"CNN (same init)", percent(plain_cnn_run.test_accuracy), percent(permuted_cnn_run.test_accuracy),
              fmt::format("{:.4f} / {:.4f}", plain_cnn_run.step_losses.back(), permuted_cnn_run.step_losses.back())}});
  const size_t window = std::max<size_t>(1, plain_mlp.losses.size() / 25);
  ctx.line_plot("loss_curves.png",
                plot::Panel{fmt::format("Training loss, mean of every {} steps (the MLP's two curves coincide)", window),
                            "optimizer step", "training loss (cross-entropy, nats; log scale)",
                            {curve("MLP, original pixels", plain_mlp.losses, window),
                             curve("MLP, permuted pixels and init", permuted_mlp.losses, window),
                             curve("CNN, original pixels", plain_cnn_run.step_losses, window),
                             curve("CNN, permuted pixels", permuted_cnn_run.step_losses, window)},
                            true, plot::Legend::below});
  {
    data::DataLoader loader(task.test, {.batch_size = 6, .shuffle = false, .prefetch = 0});
    const Tensor images = loader.epoch(0)->next()->inputs;
    ctx.image_grid("permuted_images.png", "Six test images (top) and the same images with the pixels permuted (bottom)",
                   cat({images, permuted_images(images)}, 0), 6);
  }
  ctx.figure("MLP: max |loss difference| over steps", worst_loss_difference, "nats");
  ctx.figure("CNN: test accuracy lost to the permutation", cnn_drop, "fraction of test images");

  // f64 rounding (ε ≈ 2·10⁻¹⁶) summed over 784 products a step, over a few hundred steps: far below 10⁻⁹.
  ctx.claim({"the MLP on permuted pixels from the permuted init follows the same loss curve, up to rounding",
             "순열을 적용한 픽셀과 그에 맞게 순열한 초기값으로 학습한 MLP는 반올림 오차 안에서 같은 손실 곡선을 따른다"},
            worst_loss_difference < 1e-9,
            format_text({"max |loss difference| over {} steps: {:.3g}; after training, max |W₁' − W₁[:, π]| = {:.3g}",
                         "{}스텝 동안 손실 차이의 최댓값: {:.3g}; 학습 후 max |W₁' − W₁[:, π]| = {:.3g}"},
                        plain_mlp.losses.size(), worst_loss_difference, weight_difference));
  const double test_images = static_cast<double>(test_examples);
  ctx.claim({"the MLP on permuted pixels reaches the same test accuracy (to one test image)",
             "순열한 픽셀로 학습한 MLP는 같은 테스트 정확도에 이른다 (테스트 이미지 1장 이내)"},
            std::abs(plain_mlp.test_accuracy - permuted_mlp.test_accuracy) * test_images <= 1 + 1e-9,
            format_text({"{:.2f} % on the original pixels, {:.2f} % on the permuted ones",
                         "원래 픽셀 {:.2f} %, 순열한 픽셀 {:.2f} %"},
                        100 * plain_mlp.test_accuracy, 100 * permuted_mlp.test_accuracy));
  ctx.claim({"the CNN's test accuracy drops on permuted pixels (by > 3 standard errors)",
             "픽셀을 순열하면 CNN의 테스트 정확도가 떨어진다 (표준오차의 3배 넘게)"},
            cnn_drop > 3 * cnn_drop_error,
            format_text({"{:.1f} % → {:.1f} %: {:.1f} points lost (paired standard error {:.2f})",
                         "{:.1f} % → {:.1f} %: {:.1f} %p 하락 (대응 표준오차 {:.2f})"},
                        100 * plain_cnn_run.test_accuracy, 100 * permuted_cnn_run.test_accuracy, 100 * cnn_drop,
                        100 * cnn_drop_error));
}

const bool registered = register_experiment({
    .id = "Q56",
    .title = "Inductive bias",
    .question = {"What is inductive bias, and what is a CNN's?", "귀납적 편향이란 무엇이고, CNN의 귀납적 편향은 무엇인가요?"},
    .answer = {"Inductive bias is what a model assumes about the problem before it sees any data: the set of functions it "
               "can express and which of them training prefers. A fully connected network assumes nothing about the order "
               "of its inputs: shuffle the pixels of every image by one fixed permutation, permute its first layer's "
               "weights the same way, and it computes exactly the same thing, so its training and accuracy are the same. A "
               "CNN assumes that neighbouring pixels belong together and that a pattern means the same wherever it "
               "appears (small shared filters, pooling). On real images that assumption is right and makes it learn "
               "faster and better from less data; on permuted pixels it is wrong, and the same CNN does worse. A good "
               "inductive bias is one that matches the data.",
               "귀납적 편향은 모델이 데이터를 보기 전에 문제에 대해 가정하는 것, 즉 표현할 수 있는 함수의 집합과 그중 학습이 "
               "선호하는 것입니다. 완전연결 신경망은 입력의 순서에 대해 아무것도 가정하지 않습니다. 모든 이미지의 픽셀을 같은 "
               "순열로 섞고 첫 층 가중치도 똑같이 섞으면 정확히 같은 계산을 하므로 학습 과정과 정확도가 같습니다. CNN은 이웃한 "
               "픽셀끼리 관련 있고 같은 패턴은 어디에 있든 같은 의미라고 가정합니다(작은 공유 필터, 풀링). 실제 이미지에서는 이 "
               "가정이 맞아 적은 데이터로 더 빠르고 잘 배우지만, 순열한 픽셀에서는 틀려서 같은 CNN의 성능이 떨어집니다. 좋은 "
               "귀납적 편향이란 데이터에 맞는 편향입니다."},
    .topic = "E",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
