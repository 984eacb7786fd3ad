// MobileNetV2 (src/models/mobilenet.cpp) and ReLU6: torchvision's parameter counts, state-dict names and
// channel rounding for several width multipliers (read from torchvision 0.29's mobilenet_v2), shapes, the
// residual rule, summary()'s FLOPs of a depthwise convolution, and ReLU6's gradient (finite differences away
// from its kinks, PyTorch's values at them).
#include <gtest/gtest.h>

#include <map>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/gradcheck.h"
#include "nabla/models/registry.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/summary.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"

namespace nabla::models {
namespace {

using testing::expect_error;

// The out-channels of the layer whose state-dict names begin with `prefix`: its last batch norm's running_var.
int64_t out_channels(const nn::StateDict& state, const std::string& prefix) {
  int64_t channels = -1;
  for (const auto& [name, tensor] : state) {
    if (name.starts_with(prefix) && name.ends_with(".running_var")) channels = tensor.shape()[0];
  }
  return channels;
}

TEST(MobileNetV2, ParameterCountsEqualTorchvisionsForEachWidth) {
  // sum(p.numel() for p in torchvision.models.mobilenet_v2(width_mult=w).parameters())
  const std::map<double, int64_t> torchvision = {
      {0.35, 1677128}, {0.5, 1968680}, {0.75, 2636424}, {1.0, 3504872}, {1.3, 5386792}};
  for (const auto& [width, count] : torchvision) {
    SCOPED_TRACE(width);
    EXPECT_EQ(registry().make("mobilenet_v2", {.classes = 1000, .overrides = {{"width", width}}})->parameter_count(),
              count);
  }
}

TEST(MobileNetV2, WidthMultiplierRoundsChannelsAsTorchvision) {
  // Out-channels of features.0 … features.18 in torchvision's mobilenet_v2(width_mult=w).
  const std::map<double, std::vector<int64_t>> torchvision = {
      {0.35, {16, 8, 8, 8, 16, 16, 16, 24, 24, 24, 24, 32, 32, 32, 56, 56, 56, 112, 1280}},
      {0.75, {24, 16, 24, 24, 24, 24, 24, 48, 48, 48, 48, 72, 72, 72, 120, 120, 120, 240, 1280}},
      {1.3, {40, 24, 32, 32, 40, 40, 40, 80, 80, 80, 80, 128, 128, 128, 208, 208, 208, 416, 1664}}};
  for (const auto& [width, expected] : torchvision) {
    SCOPED_TRACE(width);
    const nn::StateDict state = mobilenet_v2({.width_mult = width})->state_dict();
    for (size_t layer = 0; layer < expected.size(); ++layer) {
      EXPECT_EQ(out_channels(state, fmt::format("features.{}.", layer)), expected[layer]) << "features." << layer;
    }
  }
}

TEST(MobileNetV2, MakeDivisibleRoundsToNearestMultipleButNeverLosesTenPercent) {
  EXPECT_EQ(make_divisible(32 * 0.75), 24);  // 24 is a multiple already
  EXPECT_EQ(make_divisible(20), 24);         // halves round up: ⌊(20 + 4)/8⌋·8
  EXPECT_EQ(make_divisible(17), 16);         // nearest multiple, 6 % lost
  EXPECT_EQ(make_divisible(19.9), 24);       // 16 would lose 20 %
  EXPECT_EQ(make_divisible(10), 16);         // 8 would lose 20 %: one multiple more
  EXPECT_EQ(make_divisible(32 * 0.35), 16);  // 11.2 → 8 loses 29 %
  EXPECT_EQ(make_divisible(2), 8);           // at least the divisor
  EXPECT_EQ(make_divisible(2, 8, 4), 4);     // or at least min_value
  EXPECT_EQ(make_divisible(13, 1), 13);      // divisor 1: no rounding
  expect_error([] { make_divisible(0); }, {"make_divisible", "positive"});
}

TEST(MobileNetV2, StateDictNamesAndShapesAreTorchvisions) {
  const nn::StateDict state = mobilenet_v2()->state_dict();
  EXPECT_EQ(state.size(), 314u);  // len(torchvision.models.mobilenet_v2().state_dict()), num_batches_tracked included
  const std::map<std::string, Shape> torchvision = {
      {"features.0.0.weight", {32, 3, 3, 3}},          {"features.0.1.num_batches_tracked", {}},
      {"features.1.conv.0.0.weight", {32, 1, 3, 3}},   {"features.1.conv.1.weight", {16, 32, 1, 1}},
      {"features.1.conv.2.running_mean", {16}},        {"features.2.conv.0.0.weight", {96, 16, 1, 1}},
      {"features.2.conv.1.0.weight", {96, 1, 3, 3}},   {"features.2.conv.2.weight", {24, 96, 1, 1}},
      {"features.17.conv.3.running_var", {320}},       {"features.18.0.weight", {1280, 320, 1, 1}},
      {"features.18.1.bias", {1280}},                  {"classifier.1.weight", {1000, 1280}},
      {"classifier.1.bias", {1000}}};
  for (const auto& [name, shape] : torchvision) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(state.contains(name));
    EXPECT_EQ(state.at(name).shape(), shape);
  }
  EXPECT_EQ(state.begin()->first, "features.0.0.weight");  // registration order, as PyTorch's
}

TEST(MobileNetV2, ShapesThroughTheNetwork) {
  autograd::NoGradGuard no_grad;
  auto model = std::dynamic_pointer_cast<nn::Module>(mobilenet_v2({.classes = 7}));
  model->eval();
  Tensor x = randn({2, 3, 64, 64});
  EXPECT_EQ((*model->child("features"))(x).shape(), (Shape{2, 1280, 2, 2}));  // stride 32
  EXPECT_EQ((*model)(x).shape(), (Shape{2, 7}));
  nn::ModulePtr small = registry().make("mobilenetv2_small");
  small->eval();
  Tensor images = randn({3, 1, 28, 28});
  EXPECT_EQ((*small->child("features"))(images).shape(), (Shape{3, 640, 4, 4}));
  EXPECT_EQ((*small)(images).shape(), (Shape{3, 10}));
}

TEST(MobileNetV2, InvertedResidualAddsItsInputOnlyWhenShapesAllow) {
  autograd::NoGradGuard no_grad;
  EXPECT_TRUE(InvertedResidual(16, 16, 1, 6).residual());
  EXPECT_FALSE(InvertedResidual(16, 24, 1, 6).residual());
  EXPECT_FALSE(InvertedResidual(16, 16, 2, 6).residual());
  InvertedResidual block(8, 8, 1, 6);
  block.eval();
  Tensor x = randn({2, 8, 5, 5});
  EXPECT_LT(max(abs(block(x) - (x + (*block.conv)(x)))).item(), 1e-6);
  expect_error([] { InvertedResidual(8, 8, 3, 6); }, {"InvertedResidual", "stride", "3"});
}

TEST(MobileNetV2, SummaryCountsDepthwiseFlopsAsKernelTimesChannelsPerGroup) {
  nn::ModulePtr model = mobilenet_v2();
  const nn::ModelSummary report = nn::summary(*model, {1, 3, 32, 32});
  std::map<std::string, nn::LayerSummary> layers;
  for (const nn::LayerSummary& layer : report.layers) layers[layer.name] = layer;
  // features.1.conv.0.0: depthwise 3×3 over 32 channels (groups 32) at 16×16; features.2.conv.1.0: 96 channels,
  // stride 2, 16×16 → 8×8. FLOPs = 2 · k·k·(C_in/groups)·C_out·H'·W' (a multiply-add is two), no bias.
  ASSERT_TRUE(layers.contains("features.1.conv.0.0"));
  EXPECT_EQ(layers["features.1.conv.0.0"].flops, 2 * 3 * 3 * (32 / 32) * 32 * 16 * 16);
  EXPECT_EQ(layers["features.1.conv.0.0"].parameters, 3 * 3 * (32 / 32) * 32);
  EXPECT_EQ(layers["features.1.conv.0.0"].output_shape, (Shape{1, 32, 16, 16}));
  ASSERT_TRUE(layers.contains("features.2.conv.1.0"));
  EXPECT_EQ(layers["features.2.conv.1.0"].flops, 2 * 3 * 3 * (96 / 96) * 96 * 8 * 8);
  // The pointwise convolution after it: 1·1·96·24 taps per pixel.
  EXPECT_EQ(layers["features.2.conv.2"].flops, 2 * 96 * 24 * 8 * 8);
  EXPECT_EQ(report.parameters, model->parameter_count());
}

TEST(MobileNetV2, RegistryOptionsAreChecked) {
  expect_error([] { registry().make("mobilenet_v2", {.overrides = {{"width", "wide"}}}); },
               {"mobilenet_v2", "width", "\"wide\""});
  expect_error([] { registry().make("mobilenetv2_small", {.overrides = {{"width", 0}}}); },
               {"mobilenetv2_small", "width", "0"});
}

TEST(ReLU6, GradientMatchesFiniteDifferencesAwayFromItsKinks) {
  Generator generator(3);
  // U(−2, 8) covers both flat sides and the slope; gradcheck skips the few points within eps of 0 or 6.
  Tensor x = (rand({64}, {.dtype = DType::f64}, &generator) * 10.0 - 2.0).requires_grad_();
  GradcheckResult result = gradcheck([](const std::vector<Tensor>& in) { return functional::relu6(in[0]); }, {x});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_GE(result.checked, 60);
}

TEST(ReLU6, BoundariesFollowPyTorch) {
  // torch 2.15: F.relu6(x) for x = [-1, 0, 3, 6, 7] gives [0, 0, 3, 6, 6] and, summed, the gradient
  // [0, 0, 1, 0, 0]: hardtanh's rule, 1 only strictly inside (0, 6) — unlike relu, whose gradient at 0 is 0
  // but is 1 above it.
  for (DType dtype : {DType::f32, DType::f64}) {
    Tensor x = tensor({-1.0, 0.0, 3.0, 6.0, 7.0}, {.dtype = dtype}).requires_grad_();
    nn::ReLU6 relu6;
    Tensor y = relu6(x);
    EXPECT_EQ(y.to_vector(), (std::vector<double>{0, 0, 3, 6, 6}));
    y.sum().backward();
    EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0, 0, 1, 0, 0}));
  }
}

}  // namespace
}  // namespace nabla::models
