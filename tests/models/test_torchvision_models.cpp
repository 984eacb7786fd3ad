// The torchvision oracle: each model of tests/models/torchvision/*.json, built from nabla's registry, has
// torchvision's parameter count, loads torchvision's state dict by its names through a .safetensors file,
// and maps the same input to the same logits in eval mode. The weights are the deterministic ones of
// tests/common/deterministic_weights.h (a function of name and shape, so none are committed); the JSON
// files come from tests/models/make_torchvision_fixtures.py, run with torchvision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "nabla/autograd.h"
#include "nabla/io/safetensors.h"
#include "nabla/models/registry.h"
#include "nabla/ops.h"
#include "tests/common/deterministic_weights.h"
#include "tests/common/temporary_directory.h"

namespace nabla::models {
namespace {

using nlohmann::json;

const std::filesystem::path fixtures = NABLA_TORCHVISION_DIR;  // tests/models/torchvision, set by CMake

json read_json(const std::filesystem::path& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  return json::parse(file);
}

std::vector<std::filesystem::path> model_fixtures() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures))
    if (entry.path().extension() == ".json" && entry.path().stem() != "generator_samples") paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

// The C++ half of the weight rule reproduces the values its Python half wrote.
TEST(DeterministicWeights, EqualThePythonRule) {
  const json samples = read_json(fixtures / "generator_samples.json");
  ASSERT_GE(samples.size(), 5u);
  for (const json& sample : samples) {
    const std::string name = sample["name"];
    SCOPED_TRACE(name);
    const Tensor tensor = testing::deterministic_tensor(name, sample["shape"].get<Shape>());
    const Tensor flat = tensor.to(DType::f64).reshape({-1}).contiguous();
    const std::vector<double> first = sample["first"];
    for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(flat.data<double>()[i], first[i]);
    EXPECT_NEAR(flat.sum().item<double>(), sample["sum"].get<double>(), 1e-9 * (1 + std::abs(sample["sum"].get<double>())));
  }
}

class TorchvisionModel : public testing::TemporaryDirectoryTest {
 protected:
  TorchvisionModel() : TemporaryDirectoryTest("torchvision") {}
};

TEST_F(TorchvisionModel, SameCountNamesAndLogits) {
  const std::vector<std::filesystem::path> paths = model_fixtures();
  if (paths.empty()) GTEST_SKIP() << "no model fixtures in " << fixtures << " yet";
  autograd::NoGradGuard no_grad;
  for (const std::filesystem::path& path : paths) {
    const json fixture = read_json(path);
    const std::string name = fixture["model"];
    SCOPED_TRACE(name);
    ModelOptions options{.classes = fixture["options"]["classes"]};
    for (const auto& [key, value] : fixture["options"].items())
      if (key != "classes") options.overrides[key] = value;
    nn::ModulePtr model = registry().make(name, options);
    EXPECT_EQ(model->parameter_count(), fixture["parameters"].get<int64_t>()) << "torchvision's parameter count";

    // torchvision's state dict, by its names, through a file as a user's converted weights would come.
    std::map<std::string, Tensor> state;
    std::set<std::string> torchvision_names;
    std::map<std::string, Shape> shapes;
    for (const json& entry : fixture["state"]) {
      const std::string key = entry[0];
      shapes[key] = entry[1].get<Shape>();
      if (!fixture["logits"].is_null()) state[key] = testing::deterministic_tensor(key, shapes[key]);
      torchvision_names.insert(key);
    }
    std::set<std::string> nabla_names;
    for (const auto& [key, tensor] : model->state_dict()) nabla_names.insert(key);
    EXPECT_EQ(nabla_names, torchvision_names) << "the state-dict names differ from torchvision's";
    if (fixture["logits"].is_null()) {  // a listing only (vit_b_16): names, shapes and count, no weights
      for (const auto& [key, tensor] : model->state_dict()) {
        if (shapes.contains(key)) {
          EXPECT_EQ(tensor.shape(), shapes[key]) << key;
        }
      }
      continue;
    }
    const std::string file = this->path(name + ".safetensors");
    save_safetensors(file, state);
    model->load_state_dict(load_safetensors(file));
    model->eval();

    const Tensor input = testing::deterministic_tensor("input", fixture["input_shape"].get<Shape>());
    const Tensor logits = (*model)(input).reshape({-1}).to(DType::f64).contiguous();
    const std::vector<double> expected = fixture["logits"];
    ASSERT_EQ(logits.numel(), static_cast<int64_t>(expected.size()));
    // f32 through dozens of layers: rtol 1e-4 per logit, plus an absolute floor of 1e-4 of the largest logit
    // so logits near zero are held to the scale of the computation that produced them.
    double largest = 0;
    for (double value : expected) largest = std::max(largest, std::abs(value));
    int64_t mismatches = 0;
    for (int64_t i = 0; i < logits.numel(); ++i) {
      const double got = logits.data<double>()[i], want = expected[static_cast<size_t>(i)];
      if (std::abs(got - want) > 1e-4 * largest + 1e-4 * std::abs(want) && mismatches++ < 5)
        ADD_FAILURE() << "logit " << i << ": nabla " << got << ", torchvision " << want;
    }
    EXPECT_EQ(mismatches, 0);
  }
}

}  // namespace
}  // namespace nabla::models
