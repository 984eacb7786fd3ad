// U-Net and FCN (src/models/segmentation.cpp), the per-pixel losses (src/nn/functional/segmentation_loss.cpp)
// and IoU in the confusion matrix: shapes at several sizes and options, gradients reaching every parameter,
// the losses against plain loops over pixels, Dice's gradient against finite differences, IoU by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/gradcheck.h"
#include "nabla/models/registry.h"
#include "nabla/models/segmentation.h"
#include "nabla/nn/segmentation_loss.h"
#include "nabla/ops.h"
#include "nabla/train/segmentation_metrics.h"
#include "tests/common/expect_error.h"

namespace nabla::models {
namespace {

using testing::expect_error;

TEST(SegmentationModels, ScoreEveryPixelAtAnySizeTheLevelsDivide) {
  autograd::NoGradGuard no_grad;
  for (const auto& [name, model] :
       std::vector<std::pair<std::string, nn::ModulePtr>>{{"unet", unet({.classes = 5, .width = 4})},
                                                          {"unet bilinear", unet({.classes = 5, .width = 4, .upsampling = Upsampling::bilinear})},
                                                          {"unet no skips", unet({.classes = 5, .width = 4, .skips = false})},
                                                          {"unet depth 2", unet({.classes = 5, .width = 4, .depth = 2})},
                                                          {"fcn", fcn({.classes = 5, .width = 4})},
                                                          {"fcn no skips", fcn({.classes = 5, .width = 4, .skips = 0})}}) {
    SCOPED_TRACE(name);
    for (int64_t side : {16, 24, 64}) EXPECT_EQ((*model)(randn({2, 1, side, side})).shape(), (Shape{2, 5, side, side}));
  }
}

TEST(SegmentationModels, SkipsAddTheirParameters) {
  // U-Net's decoder convolutions read twice the channels with skips; FCN adds one 1×1 classifier per fusion.
  EXPECT_GT(unet({.width = 4})->parameter_count(), unet({.width = 4, .skips = false})->parameter_count());
  const int64_t none = fcn({.classes = 3, .width = 4, .skips = 0})->parameter_count();
  EXPECT_EQ(fcn({.classes = 3, .width = 4, .skips = 1})->parameter_count() - none, 8 * 3 + 3);  // skip1: 1×1, 8 → 3
  EXPECT_EQ(fcn({.classes = 3, .width = 4, .skips = 2})->parameter_count() - none, 8 * 3 + 3 + 4 * 3 + 3);
}

TEST(SegmentationModels, GradientsReachEveryParameter) {
  for (const auto& model : {unet({.classes = 3, .width = 4}), fcn({.classes = 3, .width = 4})}) {
    Tensor target = randint(0, 3, {2, 16, 16});
    functional::pixel_cross_entropy((*model)(randn({2, 1, 16, 16})), target).backward();
    for (const auto& [name, parameter] : model->named_parameters()) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(parameter.grad().defined());
      EXPECT_GT(sum(abs(parameter.grad())).item(), 0);
    }
  }
}

TEST(SegmentationModels, RefuseInputsTheLevelsDoNotDivide) {
  expect_error([] { (*unet({.width = 4}))(randn({1, 1, 20, 20})); }, {"unet", "multiples of 8", "[1, 1, 20, 20]"});
  expect_error([] { (*fcn({.width = 4}))(randn({1, 1, 12, 12})); }, {"fcn", "multiples of 8"});
  expect_error([] { registry().make("unet", {.overrides = {{"upsampling", "cubic"}}}); }, {"unet", "upsampling", "cubic"});
}

TEST(SegmentationLosses, PixelCrossEntropyIsTheMeanOverPixelsOfEachPixelsCrossEntropy) {
  Tensor logits = randn({2, 4, 3, 5}, DType::f64), target = randint(0, 4, {2, 3, 5});
  double expected = 0;
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t y = 0; y < 3; ++y) {
      for (int64_t x = 0; x < 5; ++x) {
        Tensor scores = logits.select(0, n).select(1, y).select(1, x);  // [4]
        expected += cross_entropy(scores.unsqueeze(0), target.select(0, n).select(0, y).select(0, x).unsqueeze(0)).item();
      }
    }
  }
  EXPECT_NEAR(functional::pixel_cross_entropy(logits, target).item(), expected / 30, 1e-12);
}

TEST(SegmentationLosses, DiceLossFollowsItsFormulaAndItsGradientTheFiniteDifferences) {
  Tensor logits = randn({2, 3, 4, 4}, DType::f64), target = randint(0, 3, {2, 4, 4});
  // Plain loops: softmax per pixel, then per class (2·Σ p·t + 1) / (Σ p + Σ t + 1).
  std::vector<double> scores = logits.to_vector(), truth = target.to_vector();
  std::vector<double> intersection(3, 0), total(3, 0);
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t pixel = 0; pixel < 16; ++pixel) {
      double denominator = 0;
      for (int64_t c = 0; c < 3; ++c) denominator += std::exp(scores[static_cast<size_t>((n * 3 + c) * 16 + pixel)]);
      for (int64_t c = 0; c < 3; ++c) {
        const double p = std::exp(scores[static_cast<size_t>((n * 3 + c) * 16 + pixel)]) / denominator;
        const double t = truth[static_cast<size_t>(n * 16 + pixel)] == static_cast<double>(c) ? 1 : 0;
        intersection[static_cast<size_t>(c)] += p * t;
        total[static_cast<size_t>(c)] += p + t;
      }
    }
  }
  double dice = 0;
  for (size_t c = 0; c < 3; ++c) dice += (2 * intersection[c] + 1) / (total[c] + 1) / 3;
  EXPECT_NEAR(functional::dice_loss(logits, target).item(), 1 - dice, 1e-12);

  GradcheckResult result = gradcheck([&](const std::vector<Tensor>& inputs) { return functional::dice_loss(inputs[0], target); },
                                     {logits.requires_grad_(true)});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_GT(result.checked, 0);
}

TEST(SegmentationLosses, RefuseScoresAndTargetsOfDifferentPixels) {
  expect_error([] { functional::dice_loss(randn({1, 3, 4, 4}), randint(0, 3, {1, 4, 5})); },
               {"dice_loss", "[1, 3, 4, 4]", "[1, 4, 5]"});
  expect_error([] { functional::pixel_cross_entropy(randn({1, 3, 4}), randint(0, 3, {1, 4})); }, {"pixel_cross_entropy"});
}

TEST(IntersectionOverUnion, CountsPixelsAsExamples) {
  // Truth and prediction per pixel (one image 2×3): classes 0, 1, 2; class 3 never occurs nor is predicted.
  Tensor truth = tensor({{0, 0, 1}, {1, 2, 2}}, {.dtype = DType::i64}).unsqueeze(0);
  const std::vector<int64_t> predicted = {0, 1, 1, 1, 2, 0};
  Tensor logits = zeros({1, 4, 2, 3});
  for (int64_t pixel = 0; pixel < 6; ++pixel) logits.select(0, 0).select(0, predicted[static_cast<size_t>(pixel)]).select(0, pixel / 3).select(0, pixel % 3).fill_(1);
  train::ConfusionMatrix matrix(4);
  matrix.add(logits, truth);
  EXPECT_EQ(matrix.total(), 6);
  EXPECT_DOUBLE_EQ(train::intersection_over_union(matrix, 0), 1.0 / 3);  // TP 1; truth {0, 1}, predicted {0, 5}: union 3
  EXPECT_DOUBLE_EQ(train::intersection_over_union(matrix, 1), 2.0 / 3);  // TP 2 (pixels 2, 3); union {1, 2, 3}
  EXPECT_DOUBLE_EQ(train::intersection_over_union(matrix, 2), 1.0 / 2);  // TP 1 (pixel 4); union {4, 5}
  EXPECT_DOUBLE_EQ(train::intersection_over_union(matrix, 3), 0.0);
  EXPECT_DOUBLE_EQ(train::mean_intersection_over_union(matrix), (1.0 / 3 + 2.0 / 3 + 1.0 / 2) / 3);  // class 3 has no IoU to average
}

}  // namespace
}  // namespace nabla::models
