// The ResNet family (src/models/resnet.cpp), checked against the architecture rather than against itself:
// output shapes; parameter counts against closed forms derived here from He et al.'s description;
// torchvision's state-dict names; option A's shortcut (no parameters, subsample + zero channels, by value);
// summary()'s FLOPs of one convolution; and the blocks' gradients in f64 against finite differences.
#include <gtest/gtest.h>

#include <set>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/gradcheck.h"
#include "nabla/models/registry.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/norm.h"
#include "nabla/nn/summary.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"

namespace nabla::models {
namespace {

using testing::expect_error;

// The module of `model` at dotted `path` (e.g. "layer2.0.downsample"); fails the test when there is none.
nn::ModulePtr module_at(nn::Module& model, const std::string& path) {
  for (auto& [name, module] : model.named_modules()) {
    if (name == path) return module;
  }
  ADD_FAILURE() << "no module " << path;
  return nullptr;
}

std::set<std::string> state_names(const nn::Module& model) {
  std::set<std::string> names;
  for (const auto& [name, tensor] : model.state_dict()) names.insert(name);
  return names;
}

// He et al. §4.2's network, counted from its description: a 3×3 stem (in_channels → 16) with batch norm
// (2 per channel); three stages of n basic blocks of width 16, 32, 64, each block two 3×3 convolutions and two
// batch norms; where the width doubles, option B adds a 1×1 projection and its batch norm; then fc (64 →
// classes, with bias). Convolutions have no bias (the batch norm after each makes one redundant).
int64_t cifar_resnet_parameters(int64_t in_channels, int64_t n, int64_t classes, bool projection) {
  auto conv = [](int64_t kernel, int64_t in, int64_t out) { return kernel * kernel * in * out; };
  auto norm = [](int64_t channels) { return 2 * channels; };
  int64_t total = conv(3, in_channels, 16) + norm(16);
  int64_t previous = 16;
  for (int64_t width : {16, 32, 64}) {
    for (int64_t block = 0; block < n; ++block) {
      const int64_t in = block == 0 ? previous : width;
      total += conv(3, in, width) + norm(width) + conv(3, width, width) + norm(width);
      if (projection && in != width) total += conv(1, in, width) + norm(width);
    }
    previous = width;
  }
  return total + 64 * classes + classes;
}

TEST(ResNet, ImageNetModelsMapImagesToClassScores) {
  autograd::NoGradGuard no_grad;
  for (const char* name : {"resnet18", "resnet34", "resnet50"}) {
    SCOPED_TRACE(name);
    nn::ModulePtr model = registry().make(name, {.classes = 1000});
    model->eval();
    EXPECT_EQ((*model)(randn({2, 3, 64, 64})).shape(), (Shape{2, 1000}));
    EXPECT_EQ(registry().at(name).input.dataset, "imagenet");
    EXPECT_EQ(registry().at(name).input.shape, (Shape{3, 224, 224}));
  }
}

TEST(ResNet, CifarModelsMapFashionMnistToClassScores) {
  autograd::NoGradGuard no_grad;
  for (const char* name : {"resnet20", "resnet32", "resnet56", "plain20", "plain32", "plain56"}) {
    SCOPED_TRACE(name);
    nn::ModulePtr model = registry().make(name);
    EXPECT_EQ((*model)(randn({3, 1, 28, 28})).shape(), (Shape{3, 10}));
  }
  // Stages halve the resolution twice: 28 → 14 → 7, with 16, 32, 64 channels.
  nn::ModulePtr model = registry().make("resnet20");
  Tensor h = randn({2, 1, 28, 28});
  const std::vector<Shape> expected{{2, 16, 28, 28}, {2, 32, 14, 14}, {2, 64, 7, 7}};
  h = (*module_at(*model, "bn1"))((*module_at(*model, "conv1"))(h));
  for (size_t stage = 0; stage < 3; ++stage) {
    h = (*module_at(*model, "layer" + std::to_string(stage + 1)))(h);
    EXPECT_EQ(h.shape(), expected[stage]);
  }
}

TEST(ResNet, BlocksChangeShapeByStrideAndExpansion) {
  autograd::NoGradGuard no_grad;
  Tensor x = randn({2, 8, 9, 9});
  for (Shortcut shortcut : {Shortcut::A, Shortcut::B, Shortcut::none}) {
    EXPECT_EQ((*basic_block({.in_channels = 8, .channels = 16, .stride = 2, .shortcut = shortcut}))(x).shape(),
              (Shape{2, 16, 5, 5}));
  }
  EXPECT_EQ((*bottleneck_block({.in_channels = 8, .channels = 4, .stride = 2}))(x).shape(), (Shape{2, 16, 5, 5}));
  EXPECT_EQ((*bottleneck_block({.in_channels = 8, .channels = 2, .stride = 1}))(x).shape(), (Shape{2, 8, 9, 9}));
}

TEST(ResNet, Resnet20ParameterCountIsTheClosedForm) {
  // He et al. report 0.27M parameters for ResNet-20 on 3-channel CIFAR-10.
  for (int64_t in_channels : {3, 1}) {
    SCOPED_TRACE(in_channels);
    for (Shortcut shortcut : {Shortcut::A, Shortcut::B}) {
      nn::ModulePtr model = cifar_resnet({.blocks_per_stage = 3, .shortcut = shortcut, .in_channels = in_channels});
      EXPECT_EQ(model->parameter_count(), cifar_resnet_parameters(in_channels, 3, 10, shortcut == Shortcut::B));
    }
  }
  const int64_t option_a = cifar_resnet({.in_channels = 3}).get()->parameter_count();
  EXPECT_NEAR(static_cast<double>(option_a) / 1e6, 0.27, 0.005);
  // The registry's models (1 channel) and the option override.
  for (int64_t n : {3, 5, 9}) {
    const std::string depth = std::to_string(6 * n + 2);
    SCOPED_TRACE(depth);
    EXPECT_EQ(registry().make("resnet" + depth)->parameter_count(), cifar_resnet_parameters(1, n, 10, false));
    EXPECT_EQ(registry().make("resnet" + depth, {.overrides = {{"shortcut", "B"}}})->parameter_count(),
              cifar_resnet_parameters(1, n, 10, true));
    // The plain twin is the same network without its (parameter-free) skips.
    EXPECT_EQ(registry().make("plain" + depth)->parameter_count(), cifar_resnet_parameters(1, n, 10, false));
  }
}

TEST(ResNet, OptionsAreChecked) {
  expect_error([] { registry().make("resnet20", {.overrides = {{"shortcut", "C"}}}); },
               {"model 'resnet20'", "shortcut", "\"C\""});
  expect_error([] { registry().make("plain20", {.overrides = {{"shortcut", "A"}}}); }, {"model 'plain20'", "takes none"});
  expect_error([] { basic_block({.in_channels = 0, .channels = 4}); }, {"BasicBlock", "positive"});
  expect_error([] { (*basic_block({.in_channels = 4, .channels = 8, .stride = 2, .shortcut = Shortcut::A}))(zeros({1, 3, 4, 4})); },
               {"conv2d", "[1, 3, 4, 4]"});
}

TEST(ResNet, StateDictNamesAreTorchvisions) {
  const std::set<std::string> names18 = state_names(*resnet18());
  for (const char* name : {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                           "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.1.bn2.running_var",
                           "layer2.0.downsample.0.weight", "layer2.0.downsample.1.num_batches_tracked",
                           "layer4.1.conv2.weight", "fc.weight", "fc.bias"}) {
    EXPECT_TRUE(names18.count(name)) << name;
  }
  // No projection where the shape is kept, no bias on a convolution.
  EXPECT_FALSE(names18.count("layer1.0.downsample.0.weight"));
  EXPECT_FALSE(names18.count("conv1.bias"));
  EXPECT_FALSE(names18.count("layer1.0.conv1.bias"));
  // ResNet-50: the first bottleneck widens 64 → 256, so it projects; conv3 and bn3 exist.
  nn::ModulePtr model50 = resnet50();
  const std::set<std::string> names50 = state_names(*model50);
  for (const char* name : {"layer1.0.downsample.0.weight", "layer1.0.conv3.weight", "layer4.2.bn3.bias"}) {
    EXPECT_TRUE(names50.count(name)) << name;
  }
  EXPECT_EQ(model50->state_dict().at("layer1.0.downsample.0.weight").shape(), (Shape{256, 64, 1, 1}));
  EXPECT_EQ(model50->state_dict().at("fc.weight").shape(), (Shape{1000, 2048}));
  // Every batch norm uses eps 1e-5 (torchvision's).
  for (auto& [name, module] : model50->named_modules()) {
    if (auto norm = std::dynamic_pointer_cast<nn::BatchNorm>(module)) {
      EXPECT_EQ(norm->options.eps, 1e-5) << name;
    }
  }
  // CIFAR option B projects at the two widenings; option A and the plain net hold no shortcut state.
  const std::set<std::string> names_b = state_names(*registry().make("resnet20", {.overrides = {{"shortcut", "B"}}}));
  EXPECT_TRUE(names_b.count("layer2.0.downsample.0.weight"));
  EXPECT_TRUE(names_b.count("layer3.0.downsample.1.running_mean"));
  for (const char* model : {"resnet20", "plain20"}) {
    for (const std::string& name : state_names(*registry().make(model))) {
      EXPECT_EQ(name.find("downsample"), std::string::npos) << model << ": " << name;
    }
  }
}

TEST(ResNet, OptionAShortcutSubsamplesAndPadsWithZeros) {
  nn::ModulePtr model = registry().make("resnet20");
  nn::ModulePtr shortcut = module_at(*model, "layer2.0.downsample");
  ASSERT_TRUE(shortcut);
  EXPECT_EQ(shortcut->parameter_count(), 0);
  EXPECT_TRUE(shortcut->state_dict().empty());
  EXPECT_EQ(module_at(*model, "layer3.0.downsample")->parameter_count(), 0);
  Tensor x = randn({2, 16, 7, 7});
  Tensor y = (*shortcut)(x);
  ASSERT_EQ(y.shape(), (Shape{2, 32, 4, 4}));
  const std::vector<double> in = x.to_vector(), out = y.to_vector();
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t c = 0; c < 32; ++c) {
      for (int64_t i = 0; i < 4; ++i) {
        for (int64_t j = 0; j < 4; ++j) {
          const double value = out[static_cast<size_t>(((n * 32 + c) * 4 + i) * 4 + j)];
          // Channel c < 16 is input channel c at rows and columns 0, 2, 4, 6; the rest are zeros.
          const double expected = c < 16 ? in[static_cast<size_t>(((n * 16 + c) * 7 + 2 * i) * 7 + 2 * j)] : 0.0;
          ASSERT_EQ(value, expected) << "n=" << n << " c=" << c << " i=" << i << " j=" << j;
        }
      }
    }
  }
}

// With the last batch norm's scale and shift at zero the residual branch outputs zeros, so a block computes
// relu(shortcut(x)) and its plain twin relu(0): what is added is exactly the shortcut.
TEST(ResNet, BlocksAddTheirShortcut) {
  autograd::NoGradGuard no_grad;
  Tensor x = randn({2, 8, 6, 6});
  for (Shortcut shortcut : {Shortcut::A, Shortcut::none}) {
    for (int64_t stride : {1, 2}) {
      SCOPED_TRACE(stride);
      const int64_t width = stride == 1 ? 8 : 16;
      nn::ModulePtr block = basic_block({.in_channels = 8, .channels = width, .stride = stride, .shortcut = shortcut});
      auto bn2 = std::dynamic_pointer_cast<nn::BatchNorm>(block->child("bn2"));
      bn2->weight.zero_();
      bn2->bias.zero_();
      Tensor expected = zeros({2, width, 6 / stride, 6 / stride});
      if (shortcut == Shortcut::A) {
        Tensor sampled = x.slice(2, 0, 6, stride).slice(3, 0, 6, stride);
        expected = relu(functional::pad(sampled, {0, 0, 0, 0, 0, width - 8}));
      }
      EXPECT_EQ((*block)(x).to_vector(), expected.to_vector());
    }
  }
}

TEST(ResNet, SummaryCountsAConvolutionsFlops) {
  nn::ModulePtr model = registry().make("resnet20");
  const nn::ModelSummary report = nn::summary(*model, {2, 1, 28, 28});
  // layer2.0.conv1: 3×3, 16 → 32, stride 2, so 14×14 outputs; no bias. nabla counts a multiply-add as two
  // FLOPs (flops.h), so the count is 2·k·k·(C_in/groups)·C_out·H'·W' per sample.
  const int64_t k = 3, in_channels = 16, out_channels = 32, height = 14, width = 14, batch = 2;
  bool found = false;
  for (const nn::LayerSummary& layer : report.layers) {
    if (layer.name != "layer2.0.conv1") continue;
    found = true;
    EXPECT_EQ(layer.output_shape, (Shape{batch, out_channels, height, width}));
    EXPECT_EQ(layer.parameters, k * k * in_channels * out_channels);
    EXPECT_EQ(layer.flops, batch * 2 * k * k * in_channels * out_channels * height * width);
  }
  EXPECT_TRUE(found) << report.to_string();
  EXPECT_EQ(report.parameters, model->parameter_count());
}

// ---- gradients in f64. A layer computes with its fields (Conv2d::weight, BatchNorm::weight …), so the
// check swaps f64 leaves into them: the block then runs in f64 and gradcheck perturbs those leaves.
struct F64Block {
  std::vector<Tensor*> fields;  // the trainable fields, in the order of `values`
  std::vector<Tensor> values;   // their f64 leaves
};

F64Block to_f64(nn::Module& block, Generator& generator) {
  F64Block result;
  auto leaf = [&](Tensor* field, double scale, double shift) {
    Tensor value = (randn(field->shape(), {.dtype = DType::f64}, &generator) * scale + shift).requires_grad_();
    result.fields.push_back(field);
    result.values.push_back(value);
  };
  for (auto& [name, module] : block.named_modules()) {
    if (auto conv = std::dynamic_pointer_cast<nn::Conv2d>(module)) {
      leaf(&conv->weight, 0.4, 0);
    } else if (auto norm = std::dynamic_pointer_cast<nn::BatchNorm>(module)) {
      leaf(&norm->weight, 0.2, 1);
      leaf(&norm->bias, 0.2, 0);
      // Running statistics away from (0, 1), so eval mode is not the identity normalisation.
      norm->running_mean = randn(norm->running_mean.shape(), {.dtype = DType::f64}, &generator) * 0.3;
      norm->running_var = rand(norm->running_var.shape(), {.dtype = DType::f64}, &generator) + 0.5;
    }
  }
  return result;
}

void expect_block_gradients(nn::ModulePtr block, const Shape& input_shape, uint64_t seed) {
  Generator generator(seed);
  F64Block f64 = to_f64(*block, generator);
  std::vector<Tensor> inputs{randn(input_shape, {.dtype = DType::f64}, &generator).requires_grad_()};
  inputs.insert(inputs.end(), f64.values.begin(), f64.values.end());
  auto function = [&](const std::vector<Tensor>& values) {
    for (size_t i = 0; i < f64.fields.size(); ++i) *f64.fields[i] = values[i + 1];
    return (*block)(values[0]);
  };
  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "train" : "eval");
    block->train(training);
    const GradcheckResult result = gradcheck(function, inputs);
    EXPECT_TRUE(result.ok) << result.message;
    EXPECT_GT(result.checked, 0);
  }
}

TEST(ResNet, BasicBlockGradientsMatchFiniteDifferences) {
  expect_block_gradients(basic_block({.in_channels = 2, .channels = 3, .stride = 2, .shortcut = Shortcut::A}),
                         {2, 2, 5, 5}, 1);
  expect_block_gradients(basic_block({.in_channels = 2, .channels = 3, .stride = 2, .shortcut = Shortcut::B}),
                         {2, 2, 5, 5}, 2);
  expect_block_gradients(basic_block({.in_channels = 3, .channels = 3, .stride = 1}), {2, 3, 4, 4}, 3);
}

TEST(ResNet, BottleneckBlockGradientsMatchFiniteDifferences) {
  expect_block_gradients(bottleneck_block({.in_channels = 4, .channels = 2, .stride = 2}), {2, 4, 5, 5}, 4);
  expect_block_gradients(bottleneck_block({.in_channels = 8, .channels = 2, .stride = 1}), {2, 8, 3, 3}, 5);
}

}  // namespace
}  // namespace nabla::models
