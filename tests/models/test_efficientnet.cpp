// EfficientNet (src/models/efficientnet.cpp), squeeze-and-excitation and stochastic depth: torchvision's
// parameter counts, state-dict names, stage widths and depths and stochastic-depth schedule for B0…B3 (read from
// torchvision 0.29), the compound rule, gradients of SE and of an MBConv block in float64 against finite
// differences, and stochastic depth's statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/gradcheck.h"
#include "nabla/models/registry.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/norm.h"
#include "nabla/nn/squeeze_excitation.h"
#include "nabla/nn/stochastic_depth.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"

namespace nabla::models {
namespace {

using testing::expect_error;
namespace F = functional;

TEST(EfficientNet, ParameterCountsAndStateDictSizesEqualTorchvisions) {
  // sum(p.numel() for p in m.parameters()) and len(m.state_dict()) for torchvision.models.efficientnet_bN()
  const int64_t parameters[] = {5288548, 7794184, 9109994, 12233232};
  const size_t entries[] = {360, 508, 508, 574};
  for (int64_t index = 0; index <= 3; ++index) {
    SCOPED_TRACE(index);
    nn::ModulePtr model = registry().make(fmt::format("efficientnet_b{}", index), {.classes = 1000});
    EXPECT_EQ(model->parameter_count(), parameters[index]);
    EXPECT_EQ(model->state_dict().size(), entries[static_cast<size_t>(index)]);
  }
}

TEST(EfficientNet, StagesHaveTorchvisionsWidthsAndDepths) {
  // [b.out_channels for b in stage] for each of torchvision's features[1:8]
  const std::vector<std::vector<int64_t>> torchvision[] = {
      {{16}, {24, 24}, {40, 40}, {80, 80, 80}, {112, 112, 112}, {192, 192, 192, 192}, {320}},
      {{16, 16}, {24, 24, 24}, {40, 40, 40}, {80, 80, 80, 80}, {112, 112, 112, 112}, {192, 192, 192, 192, 192}, {320, 320}},
      {{16, 16}, {24, 24, 24}, {48, 48, 48}, {88, 88, 88, 88}, {120, 120, 120, 120}, {208, 208, 208, 208, 208}, {352, 352}},
      {{24, 24}, {32, 32, 32}, {48, 48, 48}, {96, 96, 96, 96, 96}, {136, 136, 136, 136, 136}, {232, 232, 232, 232, 232, 232},
       {384, 384}}};
  for (int64_t index = 0; index <= 3; ++index) {
    SCOPED_TRACE(index);
    nn::ModulePtr model = efficientnet_b(index);
    const nn::StateDict state = model->state_dict();
    auto features = std::dynamic_pointer_cast<nn::Sequential>(model->child("features"));
    ASSERT_EQ(features->size(), 9u);
    for (size_t stage = 0; stage < 7; ++stage) {
      auto blocks = features->at<nn::Sequential>(stage + 1);
      const std::vector<int64_t>& expected = torchvision[index][stage];
      ASSERT_EQ(blocks->size(), expected.size()) << "stage " << stage + 1;
      for (size_t block = 0; block < expected.size(); ++block) {
        // The projection's batch norm is the block's last child, "3" (or "2" without an expansion).
        const std::string prefix = fmt::format("features.{}.{}.block.", stage + 1, block);
        const std::string last = state.contains(prefix + "3.1.running_var") ? "3" : "2";
        EXPECT_EQ(state.at(prefix + last + ".1.running_var").shape()[0], expected[block]) << prefix;
      }
    }
  }
}

TEST(EfficientNet, StateDictNamesAndShapesAreTorchvisions) {
  const nn::StateDict state = efficientnet_b(0)->state_dict();
  const std::map<std::string, Shape> torchvision = {
      {"features.0.0.weight", {32, 3, 3, 3}},           {"features.0.1.running_mean", {32}},
      {"features.1.0.block.0.0.weight", {32, 1, 3, 3}}, {"features.1.0.block.1.fc1.weight", {8, 32, 1, 1}},
      {"features.1.0.block.1.fc1.bias", {8}},           {"features.1.0.block.1.fc2.weight", {32, 8, 1, 1}},
      {"features.1.0.block.2.0.weight", {16, 32, 1, 1}}, {"features.2.0.block.0.0.weight", {96, 16, 1, 1}},
      {"features.2.0.block.1.0.weight", {96, 1, 3, 3}}, {"features.2.0.block.2.fc1.weight", {4, 96, 1, 1}},
      {"features.2.1.block.2.fc1.weight", {6, 144, 1, 1}}, {"features.3.0.block.1.0.weight", {144, 1, 5, 5}},
      {"features.2.0.block.3.1.num_batches_tracked", {}}, {"features.8.0.weight", {1280, 320, 1, 1}},
      {"classifier.1.weight", {1000, 1280}},            {"classifier.1.bias", {1000}}};
  for (const auto& [name, shape] : torchvision) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(state.contains(name));
    EXPECT_EQ(state.at(name).shape(), shape);
  }
}

TEST(EfficientNet, StochasticDepthGrowsLinearlyWithTheBlockIndex) {
  for (int64_t index : {0, 3}) {
    nn::ModulePtr model = efficientnet_b(index);
    std::vector<double> probabilities;
    for (const auto& [name, module] : model->named_modules()) {
      if (auto drop = std::dynamic_pointer_cast<nn::StochasticDepth>(module)) probabilities.push_back(drop->p);
    }
    const auto blocks = static_cast<double>(probabilities.size());
    ASSERT_EQ(probabilities.size(), index == 0 ? 16u : 26u);
    for (size_t block = 0; block < probabilities.size(); ++block) {
      EXPECT_DOUBLE_EQ(probabilities[block], 0.2 * static_cast<double>(block) / blocks);
    }
  }
  // torchvision's efficientnet_b0().features[2][0].stochastic_depth.p
  EXPECT_DOUBLE_EQ(std::dynamic_pointer_cast<nn::StochasticDepth>(
                       efficientnet_b(0)->child("features")->child("2")->child("0")->child("stochastic_depth"))->p,
                   0.0125);
}

TEST(EfficientNet, CompoundRuleScalesDepthWidthAndResolution) {
  const CompoundScaling base = compound_scaling(0);
  EXPECT_EQ(base.depth_mult, 1.0);
  EXPECT_EQ(base.width_mult, 1.0);
  EXPECT_EQ(base.resolution_mult, 1.0);
  const CompoundScaling two = compound_scaling(2);
  EXPECT_DOUBLE_EQ(two.depth_mult, 1.2 * 1.2);
  EXPECT_DOUBLE_EQ(two.width_mult, 1.1 * 1.1);
  EXPECT_DOUBLE_EQ(two.resolution_mult, 1.15 * 1.15);
  // α·β²·γ² ≈ 2: each step of φ about doubles the FLOPs.
  EXPECT_NEAR(1.2 * 1.1 * 1.1 * 1.15 * 1.15, 2.0, 0.1);
  EXPECT_EQ(efficientnet(0.0)->parameter_count(), efficientnet_b(0)->parameter_count());
  int64_t previous = 0;
  for (double phi : {0.0, 0.5, 1.0, 2.0}) {
    const int64_t count = registry().make("efficientnet_small", {.overrides = {{"phi", phi}}})->parameter_count();
    EXPECT_GT(count, previous) << phi;
    previous = count;
  }
  EXPECT_FALSE(efficientnet_small_options(10, 0).input_size);
  EXPECT_EQ(efficientnet_small_options(10, 1).input_size, std::optional<int64_t>(32));  // round(28 · 1.15)
  EXPECT_EQ(efficientnet_small_options(10, 2).input_size, std::optional<int64_t>(37));  // round(28 · 1.3225)
  expect_error([] { registry().make("efficientnet_small", {.overrides = {{"phi", -1}}}); },
               {"efficientnet_small", "phi", "-1"});
}

TEST(EfficientNet, SmallVariantShapes) {
  autograd::NoGradGuard no_grad;
  for (double phi : {0.0, 1.0}) {
    nn::ModulePtr model = registry().make("efficientnet_small", {.classes = 10, .overrides = {{"phi", phi}}});
    model->eval();
    EXPECT_EQ((*model)(randn({2, 1, 28, 28})).shape(), (Shape{2, 10}));
  }
  nn::ModulePtr model = registry().make("efficientnet_small");
  EXPECT_EQ((*model->child("features"))(randn({2, 1, 28, 28})).shape(), (Shape{2, 448, 4, 4}));
}

// Swaps every Conv2d's and BatchNorm's tensors inside `module` for float64 copies, so that gradcheck can run the
// module's own forward in float64: returns the parameter slots the forward reads and their float64 values.
struct Float64Parameters {
  std::vector<Tensor*> slots;
  std::vector<Tensor> values;
};
Float64Parameters to_float64(nn::Module& module) {
  Float64Parameters parameters;
  auto add = [&parameters](Tensor& slot) {
    if (!slot.defined()) return;
    parameters.slots.push_back(&slot);
    parameters.values.push_back(slot.detach().to(DType::f64).requires_grad_());
  };
  for (auto& [name, child] : module.named_modules()) {
    if (auto conv = std::dynamic_pointer_cast<nn::Conv2d>(child)) {
      add(conv->weight);
      add(conv->bias);
    } else if (auto norm = std::dynamic_pointer_cast<nn::BatchNorm>(child)) {
      add(norm->weight);
      add(norm->bias);
      norm->running_mean = norm->running_mean.to(DType::f64);
      norm->running_var = norm->running_var.to(DType::f64);
    }
  }
  return parameters;
}

// gradcheck of module(x) with respect to x and every parameter, in float64.
GradcheckResult module_gradcheck(nn::Module& module, const Shape& input_shape) {
  Float64Parameters parameters = to_float64(module);
  Generator generator(5);
  std::vector<Tensor> inputs{randn(input_shape, {.dtype = DType::f64}, &generator).requires_grad_()};
  inputs.insert(inputs.end(), parameters.values.begin(), parameters.values.end());
  return gradcheck(
      [&](const std::vector<Tensor>& in) {
        for (size_t i = 0; i < parameters.slots.size(); ++i) *parameters.slots[i] = in[i + 1];
        return module(in[0]);
      },
      inputs);
}

TEST(SqueezeExcitation, GradientsMatchFiniteDifferencesInFloat64) {
  auto se = nn::make<nn::SqueezeExcitation>(
      {.input_channels = 6, .squeeze_channels = 2, .activation = std::make_shared<nn::SiLU>()});
  GradcheckResult result = module_gradcheck(*se, {2, 6, 3, 4});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.checked, 2 * 6 * 3 * 4 + (2 * 6 + 2) + (6 * 2 + 6));  // x, fc1, fc2: nothing skipped
}

TEST(SqueezeExcitation, GatesEachChannelBySigmoidOfItsContext) {
  autograd::NoGradGuard no_grad;
  nn::SqueezeExcitation se({.input_channels = 4, .squeeze_channels = 2});
  EXPECT_EQ(se.state_dict().size(), 4u);  // fc1.weight, fc1.bias, fc2.weight, fc2.bias
  Tensor x = randn({2, 4, 5, 5});
  // The gate by hand: mean over H, W → fc1 → ReLU (the default) → fc2 → sigmoid.
  Tensor context = x.mean({2, 3}, true);
  Tensor gate = sigmoid(F::conv2d(relu(F::conv2d(context, se.fc1->weight, se.fc1->bias)), se.fc2->weight, se.fc2->bias));
  EXPECT_LT(max(abs(se(x) - gate * x)).item(), 1e-6);
  expect_error([&] { se(randn({2, 3, 5, 5})); }, {"SqueezeExcitation", "[N, 4, H, W]"});
}

TEST(MBConv, GradientsMatchFiniteDifferencesInFloat64) {
  // Expansion 4 → 8, depthwise 3×3, SE (squeeze 1), projection 8 → 4, residual; batch statistics (training
  // mode), no stochastic depth so the function is deterministic.
  auto block = std::make_shared<MBConv>(
      MBConvSetting{.expand_ratio = 2, .kernel_size = 3, .stride = 1, .in_channels = 4, .out_channels = 4, .layers = 1},
      0.0);
  ASSERT_TRUE(block->residual());
  GradcheckResult result = module_gradcheck(*block, {2, 4, 4, 4});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_GT(result.checked, 300);
  // Stride 2 (no residual) with a 5×5 kernel.
  auto strided = std::make_shared<MBConv>(
      MBConvSetting{.expand_ratio = 6, .kernel_size = 5, .stride = 2, .in_channels = 2, .out_channels = 3, .layers = 1},
      0.0);
  ASSERT_FALSE(strided->residual());
  result = module_gradcheck(*strided, {2, 2, 5, 5});
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(StochasticDepth, PreservesTheExpectationAndDropsWholeRows) {
  Generator generator(7);
  const double p = 0.3;
  const int64_t rows = 4000;
  Tensor x = ones({rows, 3, 2});
  Tensor y = F::stochastic_depth(x, p, StochasticDepthMode::row, true, &generator);
  // Each row is all 0 or all 1/(1 − p).
  const std::vector<double> values = y.to_vector();
  int64_t dropped = 0;
  for (int64_t row = 0; row < rows; ++row) {
    const double first = values[static_cast<size_t>(row * 6)];
    EXPECT_TRUE(first == 0.0 || std::abs(first - 1 / (1 - p)) < 1e-6) << first;
    for (int64_t i = 1; i < 6; ++i) EXPECT_EQ(values[static_cast<size_t>(row * 6 + i)], first);
    dropped += first == 0.0;
  }
  // The mean is 1 and the drop rate p, each within five standard deviations of its estimate.
  const double drop_sd = std::sqrt(p * (1 - p) / rows);
  EXPECT_NEAR(static_cast<double>(dropped) / rows, p, 5 * drop_sd);
  EXPECT_NEAR(y.mean().item(), 1.0, 5 * drop_sd / (1 - p));
}

TEST(StochasticDepth, IdentityInEvalAndBatchModeDropsAllOrNothing) {
  Tensor x = randn({8, 4});
  nn::StochasticDepth drop(0.5, StochasticDepthMode::row);
  drop.eval();
  EXPECT_EQ(drop(x).impl(), x.impl());  // the input itself, not a copy
  EXPECT_EQ(F::stochastic_depth(x, 0.0, StochasticDepthMode::row, true).impl(), x.impl());
  Generator generator(11);
  int64_t kept = 0;
  for (int trial = 0; trial < 40; ++trial) {
    Tensor y = F::stochastic_depth(x, 0.5, StochasticDepthMode::batch, true, &generator);
    const double total_abs = abs(y).sum().item();
    if (total_abs == 0) continue;
    EXPECT_LT(max(abs(y - x * 2.0)).item(), 1e-6);
    ++kept;
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 40);
  EXPECT_EQ(abs(F::stochastic_depth(x, 1.0, StochasticDepthMode::row, true)).sum().item(), 0.0);
  expect_error([&] { F::stochastic_depth(x, 1.5, StochasticDepthMode::row, true); }, {"stochastic_depth", "1.5"});
}

TEST(StochasticDepth, GradientIsTheSameMask) {
  Generator generator(13);
  Tensor x = randn({16, 3}).requires_grad_();
  Tensor y = F::stochastic_depth(x, 0.4, StochasticDepthMode::row, true, &generator);
  y.sum().backward();
  // dy/dx is the noise itself: y = x · noise, so the gradient of sum(y) is noise = y / x.
  EXPECT_LT(max(abs(x.grad() * x.detach() - y.detach())).item(), 1e-6);
}

}  // namespace
}  // namespace nabla::models
