// Q02: how deep learning differs from classical machine learning. The same Fashion-MNIST split classified two
// ways:
//   classical: HOG features designed by hand (vision::hog: 4×4-pixel cells, 2×2-cell blocks, 9 orientation bins,
//              1 296 numbers per image) → a one-vs-rest linear SVM (vision::LinearSvm, squared hinge, C = 0.1);
//   deep:      the lab's small CNN (small_convnets.h) learning its own features from the pixels, Adam.
// Both are scored on the same test images (paired outcomes); the report shows what each one's features are:
// HOG's cell histograms and the CNN's first-layer filters.
#include <cmath>
#include <numeric>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/conv.h"
#include "nabla/vision/hog.h"
#include "nabla/vision/linear_svm.h"
#include "small_convnets.h"

namespace nabla::lab {
namespace {

// Every example of a data set: images [N, 1, 28, 28] and labels [N].
data::Batch everything(const data::DatasetPtr& dataset) {
  std::vector<int64_t> indices(static_cast<size_t>(dataset->size()));
  std::iota(indices.begin(), indices.end(), 0);
  return dataset->get_batch(indices);
}

void run(Context& ctx) {
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 2000 : 60000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 500 : 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 2 : 10));
  // The negative test's knob: 1 trains both on labels shuffled among the training images, so neither can learn.
  const bool shuffle_labels = ctx.parameter("shuffle_labels", 0) != 0;
  NABLA_KNOB_CHECK(train_examples >= 100 && train_examples <= 60000 && test_examples >= 100 && test_examples <= 10000 &&
                       epochs >= 1,
                   "lab Q02: train_examples in [100, 60 000], test_examples in [100, 10 000], epochs ≥ 1");
  FashionTask task = fashion_task(train_examples, test_examples, ctx.seed());
  data::Batch train = everything(task.train);
  if (shuffle_labels) {
    const Tensor order = randperm(train.targets.size(0), {.dtype = DType::i64}, &ctx.generator());
    train.targets = train.targets.index_select(0, order).contiguous();
    task.train = std::make_shared<data::TensorDataset>(train.inputs, train.targets);
  }
  const data::Batch test = everything(task.test);

  // Classical: fixed features, a linear classifier on top.
  const vision::HogOptions hog_options{.orientations = 9, .pixels_per_cell = 4, .cells_per_block = 2};
  auto hog_of = [&](const Tensor& images) { return vision::hog(images.reshape({-1, 28, 28}), hog_options); };
  vision::LinearSvm svm({.C = 0.1, .steps = ctx.quick() ? 150 : 400});
  svm.fit(hog_of(train.inputs), train.targets, 10);
  const Tensor svm_correct = (svm.predict(hog_of(test.inputs)) == test.targets).to(DType::f64);

  // Deep: features learned from the pixels.
  nn::ModulePtr cnn = small_cnn(ctx.generator());
  const ClassifierSettings settings{.epochs = epochs, .batch_size = 64, .lr = 3e-3, .seed = ctx.seed()};
  const ClassifierRun cnn_run = train_classifier(*cnn, task, settings);
  cnn->eval();
  const Tensor cnn_correct = correct_predictions([&](const Tensor& x) { return (*cnn)(x); }, task.test);

  const double svm_accuracy = mean(svm_correct).item(), cnn_accuracy = mean(cnn_correct).item();
  const auto n = static_cast<double>(test_examples);
  const double svm_error = std::sqrt(svm_accuracy * (1 - svm_accuracy) / n);
  const double cnn_error = std::sqrt(cnn_accuracy * (1 - cnn_accuracy) / n);
  const double difference_error = paired_standard_error(cnn_correct, svm_correct);
  ctx.note(fmt::format("{} training and {} test images (the same split for both{}); HOG: {} features per image, linear "
                       "SVM with {} full-batch Adam steps; CNN: {} parameters, {} epochs of Adam ({} steps)",
                       train_examples, test_examples, shuffle_labels ? ", training labels shuffled" : "",
                       vision::hog_feature_count(28, 28, hog_options), svm.options.steps, cnn->parameter_count(), epochs,
                       cnn_run.step_losses.size()));
  ctx.table("Test accuracy on the same images",
            {"classifier", "features", "trained parameters", "test accuracy"},
            {{"HOG + linear SVM", "designed by hand (HOG)", std::to_string(svm.weight.numel() + svm.bias.numel()),
              fmt::format("{:.1f} % ± {:.1f}", 100 * svm_accuracy, 100 * svm_error)},
             {"CNN", "learned from pixels", std::to_string(cnn->parameter_count()),
              fmt::format("{:.1f} % ± {:.1f}", 100 * cnn_accuracy, 100 * cnn_error)}});
  ctx.figure("HOG + linear SVM test accuracy", svm_accuracy, "fraction of test images");
  ctx.figure("CNN test accuracy", cnn_accuracy, "fraction of test images");
  ctx.figure("CNN minus HOG + SVM", cnn_accuracy - svm_accuracy, "fraction of test images");
  ctx.figure("paired standard error of the difference", difference_error, "fraction of test images");

  // What the features are: HOG's cell histograms (the strength of each cell's gradients, summed over the bins)
  // next to the images, and the CNN's first-layer filters as they were learned.
  const Tensor sample = test.inputs.slice(0, 0, 8);
  const Tensor cells = vision::hog_cells(sample.reshape({-1, 28, 28}), hog_options).sum({3});  // [8, 7, 7]
  ctx.image_grid("hog_cells.png", "First test images and their HOG cell strengths (7×7 cells of 4×4 pixels)",
                 cat({sample.reshape({-1, 28, 28}), functional::interpolate(cells.unsqueeze(1), {.size = Size2{28, 28}})
                                                                  .squeeze(1) / (cells.max().item() + 1e-12)}, 0),
                 8);
  for (auto& [path, module] : cnn->named_modules()) {
    if (auto* conv = dynamic_cast<nn::Conv2d*>(module.get())) {
      const Tensor filters = conv->weight.detach().select(1, 0);  // [8, 3, 3]
      const Tensor low = filters.min(), high = filters.max();
      ctx.image_grid("cnn_filters.png", "The CNN's first-layer 3×3 filters, learned", (filters - low) / (high - low + 1e-12), 8);
      break;
    }
  }

  ctx.claim({"with features designed by hand or learned, both classifiers beat chance (10 %) by more than 10 standard errors",
             "손으로 설계한 특징이든 학습한 특징이든, 두 분류기 모두 우연(10 %)보다 표준오차의 10배 넘게 정확하다"},
            svm_accuracy - 0.1 > 10 * svm_error && cnn_accuracy - 0.1 > 10 * cnn_error,
            format_text({"test accuracy: HOG + linear SVM {:.1f} % (standard error {:.1f}), CNN {:.1f} % (standard error {:.1f})",
                         "테스트 정확도: HOG + 선형 SVM {:.1f} % (표준오차 {:.1f}), CNN {:.1f} % (표준오차 {:.1f})"},
                        100 * svm_accuracy, 100 * svm_error, 100 * cnn_accuracy, 100 * cnn_error));
  ctx.claim({"the two differ on the same test images: the per-image outcomes disagree on at least 5 % of them",
             "같은 테스트 이미지에서 둘은 다르게 틀린다: 이미지별 결과가 적어도 5 %에서 다르다"},
            mean(abs(cnn_correct - svm_correct)).item() >= 0.05,
            format_text({"one right and the other wrong on {:.1f} % of the test images; CNN − HOG + SVM = {:+.1f} points "
                         "(paired standard error {:.1f})",
                         "한쪽만 맞힌 테스트 이미지 {:.1f} %; CNN − HOG + SVM = {:+.1f} %p (대응 표준오차 {:.1f})"},
                        100 * mean(abs(cnn_correct - svm_correct)).item(), 100 * (cnn_accuracy - svm_accuracy),
                        100 * difference_error));
}

const bool registered = register_experiment({
    .id = "Q02",
    .title = "Deep learning vs classical machine learning",
    .question = {"How does deep learning differ from classical machine learning?",
                 "딥러닝은 고전적인 머신러닝과 어떻게 다른가요?"},
    .answer = {"Classical machine learning usually splits the work: people design features that they believe carry the "
               "answer (here histograms of oriented gradients, HOG), and a simple model, often linear, learns only how to "
               "weigh them. Deep learning learns the features too: a network trained end to end on raw pixels shapes "
               "its filters to whatever separates the classes. On a small, clean task good hand-made features and a "
               "linear SVM are close to a small CNN, train in seconds and are easy to inspect; the deep model's "
               "advantage grows with data and with tasks whose right features nobody knows how to write down.",
               "고전적인 머신러닝은 보통 일을 나눕니다. 사람이 답을 담고 있다고 믿는 특징을 설계하고(여기서는 기울기 방향 "
               "히스토그램, HOG), 단순한(흔히 선형) 모델은 그 특징에 가중치를 주는 법만 배웁니다. 딥러닝은 특징까지 "
               "배웁니다. 원시 픽셀에서 끝까지 학습한 신경망은 클래스를 가르는 것에 맞춰 필터를 만듭니다. 작고 깨끗한 "
               "문제에서는 잘 만든 수작업 특징과 선형 SVM이 작은 CNN에 가깝고, 몇 초 만에 학습되며 들여다보기 쉽습니다. "
               "딥러닝의 이점은 데이터가 많아질수록, 그리고 올바른 특징을 아무도 적어 낼 수 없는 문제일수록 커집니다."},
    .topic = "D G J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
