// The linear SVM (src/vision/linear_svm.cpp): on HOG features of Fashion-MNIST images (nabla's hog, equal to
// scikit-image's) it lands within one point of scikit-learn's LinearSVC on the same split
// (tests/vision/svm_reference.json, from make_svm_reference.py); both losses separate a separable problem
// and lower their objective.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "nabla/data/dataset.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "nabla/random.h"
#include "nabla/vision/hog.h"
#include "nabla/vision/linear_svm.h"
#include "tests/common/expect_error.h"

namespace nabla::vision {
namespace {

// The first `count` images of a Fashion-MNIST split as [count, 28, 28] f64 in [0, 1], and their labels.
std::pair<Tensor, Tensor> first_images(data::Split split, int64_t count) {
  const auto dataset = data::fashion_mnist(split);
  const Tensor images = dataset->inputs().slice(0, 0, count).to(DType::f64).reshape({count, 28, 28});
  return {images, dataset->targets().slice(0, 0, count).to(DType::i64).contiguous()};
}

TEST(LinearSvm, MatchesScikitLearnOnHogFeatures) {
  std::ifstream file(std::string(NABLA_VISION_TEST_DIR) + "/svm_reference.json");
  ASSERT_TRUE(file.good()) << "cannot read svm_reference.json";
  const nlohmann::json reference = nlohmann::json::parse(file);
  const HogOptions hog_options{.orientations = reference["hog"]["orientations"],
                               .pixels_per_cell = reference["hog"]["pixels_per_cell"],
                               .cells_per_block = reference["hog"]["cells_per_block"]};
  auto [train_images, train_labels] = first_images(data::Split::train, reference["split"]["train_count"]);
  auto [test_images, test_labels] = first_images(data::Split::test, reference["split"]["test_count"]);
  ASSERT_EQ(reference["svm"]["loss"], "squared_hinge");
  LinearSvm svm({.C = reference["svm"]["C"], .loss = SvmLoss::squared_hinge});
  const std::vector<double> history = svm.fit(hog(train_images, hog_options), train_labels, 10);
  EXPECT_LT(history.back(), history.front());
  const double accuracy = svm.accuracy(hog(test_images, hog_options), test_labels);
  const double expected = reference["accuracy"];
  RecordProperty("accuracy", std::to_string(accuracy));
  EXPECT_NEAR(accuracy, expected, 0.01) << "scikit-learn's LinearSVC: " << expected;
}

TEST(LinearSvm, BothLossesSeparateSeparableClasses) {
  Generator generator(7);
  // Three clusters far apart in 2-D.
  const Tensor centres = from_vector({0, 6, 6, 0, -6, -6}, {3, 2}, {.dtype = DType::f64});
  std::vector<double> cluster;
  for (int i = 0; i < 90; ++i) cluster.push_back(i % 3);
  const Tensor labels = from_vector(cluster, {90}, {.dtype = DType::i64});
  const Tensor points = centres.index_select(0, labels) + randn({90, 2}, {.dtype = DType::f64}, &generator);
  for (SvmLoss loss : {SvmLoss::hinge, SvmLoss::squared_hinge}) {
    LinearSvm svm({.C = 10, .loss = loss, .steps = 300});
    const std::vector<double> history = svm.fit(points, labels, 3);
    EXPECT_LT(history.back(), 0.5 * history.front());
    EXPECT_EQ(svm.accuracy(points, labels), 1.0);
  }
  testing::expect_error([&] { LinearSvm().fit(points, labels.to(DType::f32), 3); }, {"LinearSvm::fit", "i64 labels"});
}

}  // namespace
}  // namespace nabla::vision
