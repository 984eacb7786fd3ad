// The PyTorch oracle for U-Net's decoder block (transposed and bilinear upsampling): with the same
// deterministic weights and inputs, in training mode, nabla's UNetUpBlock must give PyTorch's output, the
// gradients of its inputs and parameters, and the batch norms' running statistics after the step
// (tests/models/make_segmentation_fixtures.py wrote them into segmentation/unet_up_block.json).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/io/file.h"
#include "nabla/models/segmentation.h"
#include "nabla/ops.h"
#include "tests/common/deterministic_weights.h"

namespace nabla::models {
namespace {

// |nabla − PyTorch| within 1e-4 of the largest |PyTorch value| (float32 sums in another order), elementwise.
void expect_close(const Tensor& actual, const nlohmann::json& expected, const std::string& what) {
  SCOPED_TRACE(what);
  const std::vector<double> values = actual.to_vector();
  const std::vector<double> reference = expected.get<std::vector<double>>();
  ASSERT_EQ(values.size(), reference.size());
  double scale = 0;
  for (double value : reference) scale = std::max(scale, std::abs(value));
  for (size_t i = 0; i < values.size(); ++i) ASSERT_NEAR(values[i], reference[i], 1e-4 * std::max(scale, 1.0)) << "element " << i;
}

Shape shape_of(const nlohmann::json& json) { return json.get<std::vector<int64_t>>(); }

TEST(UNetUpBlockGolden, MatchesPyTorchForwardAndBackward) {
  const auto fixture = nlohmann::json::parse(io::read_file(NABLA_SEGMENTATION_DIR "/unet_up_block.json"));
  ASSERT_EQ(fixture.at("cases").size(), 2u);
  for (const auto& c : fixture.at("cases")) {
    const std::string upsampling = c.at("upsampling");
    SCOPED_TRACE(upsampling);
    UNetUpBlock block(c.at("in_channels"), c.at("out_channels"),
                      upsampling == "transposed" ? Upsampling::transposed : Upsampling::bilinear, true);
    nn::StateDict state;
    for (const auto& entry : c.at("state")) {
      const std::string name = entry.at(0);
      state[name] = testing::deterministic_tensor(name, shape_of(entry.at(1)));
    }
    block.load_state_dict(state);  // strict: the names and shapes are PyTorch's
    block.train();
    Tensor x = testing::deterministic_tensor("input", shape_of(c.at("x_shape"))).requires_grad_(true);
    Tensor skip = testing::deterministic_tensor("skip", shape_of(c.at("skip_shape"))).requires_grad_(true);
    Tensor output = block.forward(x, skip);
    ASSERT_EQ(output.shape(), shape_of(c.at("output_shape")));
    expect_close(output, c.at("output"), "output");
    output.backward(testing::deterministic_tensor("grad_output", output.shape()));
    expect_close(x.grad(), c.at("grad_x"), "grad x");
    expect_close(skip.grad(), c.at("grad_skip"), "grad skip");
    int64_t parameters = 0;
    for (const auto& [name, parameter] : block.named_parameters()) {
      ASSERT_TRUE(c.at("grad_parameters").contains(name)) << name;
      expect_close(parameter.grad(), c.at("grad_parameters").at(name), "grad " + name);
      ++parameters;
    }
    EXPECT_EQ(parameters, static_cast<int64_t>(c.at("grad_parameters").size()));
    const nn::StateDict after = block.state_dict();
    for (const auto& [name, values] : c.at("buffers_after").items()) expect_close(after.at(name), values, name);
  }
}

}  // namespace
}  // namespace nabla::models
