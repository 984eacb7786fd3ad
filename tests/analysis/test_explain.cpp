// Explanations (src/analysis/explain.cpp): integrated gradients are complete (they sum to the change of the
// score within 1 %); saliency is the weight pattern of a linear model; Grad-CAM on a network ending in global
// average pooling is CAM scaled and rectified; rollout of known attention is its closed form; and the
// model-randomisation sanity check: Grad-CAM maps of a trained network find the evidence, depend on the
// class asked about, and change when the weights are re-initialised.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/analysis/explain.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/pool.h"
#include "nabla/ops.h"
#include "nabla/optim/optimizer.h"
#include "nabla/random.h"
#include "tests/common/expect_error.h"

namespace nabla::analysis {
namespace {

// conv(1→8) → ReLU → conv(8→8) → ReLU → global average → Linear(8 → 2): children "0" … "5"/"6".
std::shared_ptr<nn::Sequential> small_cnn(uint64_t seed) {
  manual_seed(seed);
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{
      nn::make<nn::Conv2d>({.in_channels = 1, .out_channels = 8, .kernel_size = 3, .padding = 1}),
      std::make_shared<nn::ReLU>(),
      nn::make<nn::Conv2d>({.in_channels = 8, .out_channels = 8, .kernel_size = 3, .padding = 1}),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::AdaptiveAvgPool2d>(Size2{1, 1}),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(8, 2),
  });
}

Tensor labels(std::initializer_list<double> values) {
  return from_vector(std::vector<double>(values), {static_cast<int64_t>(values.size())}, {.dtype = DType::i64});
}

double cosine(const Tensor& a, const Tensor& b) {
  const Tensor x = a.to(DType::f64).flatten(), y = b.to(DType::f64).flatten();
  return (x * y).sum().item<double>() / std::sqrt((x * x).sum().item<double>() * (y * y).sum().item<double>() + 1e-30);
}

TEST(Explain, IntegratedGradientsAreComplete) {
  auto model = small_cnn(1);
  model->eval();
  const Tensor images = rand({3, 1, 12, 12});
  const Tensor classes = labels({0, 1, 1});
  const IntegratedGradients result = integrated_gradients(*model, images, classes, {}, 128);
  const Tensor sums = result.attributions.to(DType::f64).sum({1, 2, 3});
  for (int64_t n = 0; n < 3; ++n) {
    const double total = sums.select(0, n).item<double>(), difference = result.difference.select(0, n).item<double>();
    EXPECT_GT(std::abs(difference), 1e-4) << "a test whose score does not move checks nothing";
    EXPECT_LE(std::abs(total - difference), 0.01 * std::abs(difference)) << "image " << n;
  }
}

TEST(Explain, SaliencyOfALinearModelIsItsWeights) {
  manual_seed(2);
  auto linear = std::make_shared<nn::Linear>(2 * 3 * 3, 4);
  auto model = std::make_shared<nn::Sequential>(std::make_shared<nn::Flatten>(), linear);
  const Tensor maps = saliency(*model, rand({2, 2, 3, 3}), labels({3, 1}));
  ASSERT_EQ(maps.shape(), (Shape{2, 3, 3}));
  for (int64_t n = 0; n < 2; ++n) {
    const Tensor row = linear->weight.detach().select(0, n == 0 ? 3 : 1).reshape({2, 3, 3});
    EXPECT_LT(abs(maps.select(0, n) - abs(row).max(0).values).max().item<double>(), 1e-6);
  }
}

TEST(Explain, GradCamOfAGlobalAveragePooledNetworkIsRectifiedCam) {
  auto model = small_cnn(3);
  model->eval();
  const Tensor images = rand({2, 1, 10, 10});
  const Tensor classes = labels({1, 0});
  const Tensor gradcam = grad_cam(*model, "3", images, classes);
  const Tensor class_map = cam(*model, "3", "6", images, classes);
  ASSERT_EQ(gradcam.shape(), (Shape{2, 10, 10}));
  EXPECT_GT(class_map.abs().max().item<double>(), 1e-3);
  EXPECT_LT(abs(gradcam - relu(class_map / 100.0)).max().item<double>(), 1e-6);
  testing::expect_error([&] { grad_cam(*model, "9", images, classes); }, {"no layer '9'", "0, 2"});
  EXPECT_EQ(last_convolution(*model), "2");
}

TEST(Explain, RolloutOfUniformAttentionIsItsClosedForm) {
  const int64_t T = 5;  // class token + 2×2 patches
  const Tensor uniform = full({1, 2, T, T}, 1.0 / T);
  // One block: 0.5·(1/T) + 0.5·I; the class token's share of patch j is 0.5/T. Two blocks compose.
  const Tensor one = attention_rollout({uniform});
  ASSERT_EQ(one.shape(), (Shape{1, 2, 2}));
  EXPECT_LT(abs(one - 0.5 / T).max().item<double>(), 1e-6);
  const Tensor mixed = full({T, T}, 0.5 / T) + eye(T) * 0.5;
  const Tensor expected = matmul(mixed, mixed).select(0, 0).slice(0, 1, T).reshape({1, 2, 2});
  EXPECT_LT(abs(attention_rollout({uniform, uniform}) - expected).max().item<double>(), 1e-6);
  testing::expect_error([&] { attention_rollout({full({1, 2, 4, 4}, 0.25)}); }, {"3 patch tokens"});
}

// Class 0: a bright 4×4 square in the top-left quadrant; class 1: in the bottom-right; on faint noise.
std::pair<Tensor, Tensor> quadrant_data(int64_t count, Generator* generator) {
  Tensor images = rand({count, 1, 12, 12}, {}, generator) * 0.2;
  std::vector<double> classes;
  for (int64_t n = 0; n < count; ++n) {
    const int64_t label = n % 2, offset = label == 0 ? 1 : 7;
    images.select(0, n).slice(1, offset, offset + 4).slice(2, offset, offset + 4).fill_(1.0);
    classes.push_back(static_cast<double>(label));
  }
  return {images, from_vector(classes, {count}, {.dtype = DType::i64})};
}

TEST(Explain, GradCamPassesTheModelRandomisationSanityCheck) {
  Generator generator(11);
  auto [images, classes] = quadrant_data(64, &generator);
  auto trained = small_cnn(4);
  optim::Adam optimizer(trained->parameters(), {.lr = 0.01});
  for (int step = 0; step < 60; ++step) {
    optimizer.zero_grad();
    functional::cross_entropy((*trained)(images), classes, {}).backward();
    optimizer.step();
  }
  trained->eval();
  ASSERT_EQ(eq(predicted_classes(*trained, images), classes).to(DType::f64).mean().item<double>(), 1.0);

  auto [test_images, test_classes] = quadrant_data(8, &generator);
  const Tensor maps = grad_cam(*trained, "2", test_images, test_classes);
  // The evidence: the share of each map's mass on the quadrant that holds the square.
  double share = 0;
  for (int64_t n = 0; n < 8; ++n) {
    const int64_t offset = n % 2 == 0 ? 0 : 6;
    share += maps.select(0, n).slice(0, offset, offset + 6).slice(1, offset, offset + 6).sum().item<double>() /
             (maps.select(0, n).sum().item<double>() + 1e-12) / 8;
  }
  EXPECT_GT(share, 0.5) << "the trained network's maps point at the square";

  // Class sensitivity: asking about the other class gives a different map.
  const Tensor other = grad_cam(*trained, "2", test_images, (1 - test_classes).to(DType::i64));
  const double class_similarity = cosine(maps, other);
  // Model randomisation: the same architecture with fresh weights explains differently.
  auto randomised = small_cnn(5);
  randomised->eval();
  const double random_similarity = cosine(maps, grad_cam(*randomised, "2", test_images, test_classes));
  RecordProperty("class_similarity", std::to_string(class_similarity));
  RecordProperty("randomised_similarity", std::to_string(random_similarity));
  EXPECT_LT(class_similarity, 0.9);
  EXPECT_LT(random_similarity, 0.9);
}

}  // namespace
}  // namespace nabla::analysis
