// The Vision Transformer (src/models/vit.cpp): the registry's Tiny/Small/Base configurations have the
// reference libraries' parameter counts (tests/models/vit_reference_counts.json, from
// make_vit_reference_counts.py); the attention maps it exposes are the weights its fused attention uses; the
// fixed 2-D positions follow their formula; every parameter learns. The logits against torchvision's are
// checked in test_torchvision_models.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/models/registry.h"
#include "nabla/models/vit.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/init.h"
#include "nabla/ops.h"
#include "nabla/random.h"
#include "tests/common/expect_error.h"

namespace nabla::models {
namespace {

double max_difference(const Tensor& a, const Tensor& b) {
  return abs(a.to(DType::f64) - b.to(DType::f64)).max().item<double>();
}

VisionTransformerOptions tiny_test_options() {
  return {.image_size = 8, .patch_size = 4, .in_channels = 2, .num_layers = 2, .num_heads = 2, .hidden_dim = 8,
          .mlp_dim = 16, .classes = 3};
}

TEST(VisionTransformer, ConfigurationsHaveTheReferenceParameterCounts) {
  std::ifstream file(std::string(NABLA_MODELS_TEST_DIR) + "/vit_reference_counts.json");
  ASSERT_TRUE(file.good()) << "cannot read vit_reference_counts.json";
  const nlohmann::json counts = nlohmann::json::parse(file)["models"];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [name, reference] : counts.items()) {
    SCOPED_TRACE(name);
    const nn::ModulePtr model = registry().make(name, {.classes = 1000});
    EXPECT_EQ(model->parameter_count(), reference["parameters"].get<int64_t>())
        << reference["library"].get<std::string>() << "." << reference["constructor"].get<std::string>();
  }
}

// Each block's attention weights, applied to its values and projected by out_proj, give exactly what the
// block's fused attention returns: the maps explainability shows are the ones the model used.
TEST(VisionTransformer, AttentionMapsAreTheWeightsTheModelUses) {
  manual_seed(3);
  VisionTransformer model(tiny_test_options());
  model.eval();
  autograd::NoGradGuard no_grad;
  const Tensor images = randn({2, 2, 8, 8});
  const std::vector<Tensor> maps = model.attention_maps(images);
  ASSERT_EQ(maps.size(), 2u);
  Tensor x = model.embed(images);
  for (size_t layer = 0; layer < maps.size(); ++layer) {
    const auto& block = model.blocks[layer];
    const Tensor& weights = maps[layer];  // [B, H, T, T]
    ASSERT_EQ(weights.shape(), (Shape{2, 2, 5, 5}));
    EXPECT_LT(max_difference(weights.sum(-1), ones({2, 2, 5})), 1e-5) << "rows are distributions";
    const Tensor normed = (*block->ln_1)(x);
    const int64_t E = 8, D = 4;
    const Tensor values = functional::linear(normed, block->self_attention->in_proj_weight.slice(0, 2 * E, 3 * E),
                                             block->self_attention->in_proj_bias.slice(0, 2 * E, 3 * E))
                              .reshape({2, 5, 2, D})
                              .transpose(1, 2);                                      // [B, H, T, D]
    const Tensor mixed = matmul(weights, values).transpose(1, 2).reshape({2, 5, E});  // [B, T, E]
    const Tensor expected = (*block->self_attention->out_proj)(mixed);
    EXPECT_LT(max_difference((*block->self_attention)(normed, normed, normed), expected), 1e-5) << "layer " << layer;
    x = (*block)(x);
  }
}

TEST(VisionTransformer, SinusoidalPositionsFollowTheFormulaAndAreNotParameters) {
  const Tensor table = sinusoidal_2d_positions(3, 8).to(DType::f64).contiguous();  // quarter 2: ω = 1, 0.01
  ASSERT_EQ(table.shape(), (Shape{1, 10, 8}));
  const double* row0 = table.data<double>();
  for (int64_t feature = 0; feature < 8; ++feature) EXPECT_EQ(row0[feature], 0.0) << "the class token has no position";
  const double* patch = table.data<double>() + (1 + 2 * 3 + 1) * 8;  // row 2, column 1
  const double omega[2] = {1.0, 0.01};
  for (int k = 0; k < 2; ++k) {
    EXPECT_NEAR(patch[k], std::sin(2 * omega[k]), 1e-7);
    EXPECT_NEAR(patch[2 + k], std::cos(2 * omega[k]), 1e-7);
    EXPECT_NEAR(patch[4 + k], std::sin(1 * omega[k]), 1e-7);
    EXPECT_NEAR(patch[6 + k], std::cos(1 * omega[k]), 1e-7);
  }
  VisionTransformerOptions options = tiny_test_options();
  const int64_t learned = VisionTransformer(options).parameter_count();
  options.positions = PatchPositions::sinusoidal;
  VisionTransformer fixed(options);
  EXPECT_EQ(learned - fixed.parameter_count(), 5 * 8) << "only encoder.pos_embedding [1, 5, 8] goes";
  EXPECT_FALSE(fixed.state_dict().find("encoder.pos_embedding"));
}

TEST(VisionTransformer, EveryParameterReceivesAGradient) {
  manual_seed(5);
  VisionTransformer model(tiny_test_options());
  // The zero-initialised head would stop every gradient below it; give it weights as training would.
  nn::init::normal_(model.head->weight, 0, 0.1);
  const Tensor logits = model(randn({3, 2, 8, 8}));
  ASSERT_EQ(logits.shape(), (Shape{3, 3}));
  functional::cross_entropy(logits, from_vector({0, 1, 2}, {3}, {.dtype = DType::i64}), {}).backward();
  for (const auto& [name, parameter] : model.named_parameters()) {
    ASSERT_TRUE(parameter.grad().defined()) << name;
    EXPECT_GT(abs(parameter.grad()).sum().item<double>(), 0) << name;
  }
}

TEST(VisionTransformer, WrongImagesAndOptionsAreOneLineErrors) {
  VisionTransformer model(tiny_test_options());
  testing::expect_error([&] { model(zeros({1, 2, 9, 8})); }, {"VisionTransformer", "[B, 2, 8, 8]", "9"});
  VisionTransformerOptions bad = tiny_test_options();
  bad.patch_size = 3;
  testing::expect_error([&] { VisionTransformer{bad}; }, {"image_size (8)", "patch_size (3)"});
  testing::expect_error([&] { registry().make("vit", {.overrides = {{"num_heads", 3}}}); },
                        {"hidden_dim (64)", "num_heads (3)"});
}

}  // namespace
}  // namespace nabla::models
