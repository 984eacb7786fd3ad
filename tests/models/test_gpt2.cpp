// GPT-2 compatibility: a randomly initialised Hugging Face GPT2LMHeadModel (tests/models/make_gpt2_fixture.py),
// saved as safetensors with Hugging Face's names and Conv1D layouts, loads into nabla's GPT through
// models::load_gpt2 and gives the same logits (float32, rtol 1e-4) and the same greedy continuation.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "nabla/io/safetensors.h"
#include "nabla/models/generation.h"
#include "nabla/models/gpt.h"
#include "nabla/nabla.h"
#include "tests/common/expect_error.h"

using namespace nabla;
using nabla::testing::expect_error;

namespace {

const std::string directory = NABLA_GPT2_DIR;

nlohmann::json expected() {
  std::ifstream file(directory + "/expected.json");
  EXPECT_TRUE(file.good()) << "missing " << directory << "/expected.json";
  return nlohmann::json::parse(file);
}

std::shared_ptr<models::GPT> load(const nlohmann::json& config) {
  auto model = std::make_shared<models::GPT>(models::gpt2_options(config["vocab_size"], config["n_positions"],
                                                                  config["n_embd"], config["n_layer"], config["n_head"]));
  models::load_gpt2(*model, load_safetensors(directory + "/model.safetensors"));
  model->eval();
  return model;
}

Tensor ids_of(const nlohmann::json& rows) {
  std::vector<double> values;
  for (const auto& row : rows) for (int64_t id : row) values.push_back(static_cast<double>(id));
  return from_vector(values, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())}, DType::i64);
}

}  // namespace

TEST(GPT2, LogitsMatchHuggingFace) {
  const nlohmann::json fixture = expected();
  auto model = load(fixture["config"]);
  autograd::NoGradGuard no_grad;
  const Tensor logits = (*model)(ids_of(fixture["input_ids"]));
  const std::vector<int64_t> shape = fixture["logits_shape"];
  ASSERT_EQ(logits.shape(), Shape(shape.begin(), shape.end()));
  const std::vector<double> actual = logits.to_vector(), reference = fixture["logits"];
  ASSERT_EQ(actual.size(), reference.size());
  double worst = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    worst = std::max(worst, std::abs(actual[i] - reference[i]) / (1e-4 * (1 + std::abs(reference[i]))));
  }
  EXPECT_LE(worst, 1.0) << "largest |difference| over 1e-4·(1 + |expected|)";
}

TEST(GPT2, GreedyContinuationMatchesHuggingFace) {
  const nlohmann::json fixture = expected();
  auto model = load(fixture["config"]);
  const std::vector<int64_t> prompt = fixture["greedy_prompt"], continuation = fixture["greedy_continuation"];
  const Tensor generated = models::generate(*model, ids_of(nlohmann::json::array({prompt})),
                                            {.max_new_tokens = static_cast<int64_t>(continuation.size()), .greedy = true});
  const std::vector<double> tokens = generated.to_vector();
  const std::vector<double> produced(tokens.begin() + static_cast<std::ptrdiff_t>(prompt.size()), tokens.end());
  EXPECT_EQ(produced, std::vector<double>(continuation.begin(), continuation.end()));
}

TEST(GPT2, LoaderRefusesAnUntiedHeadAndUnknownNames) {
  const nlohmann::json fixture = expected();
  const nlohmann::json& config = fixture["config"];
  models::GPT model(models::gpt2_options(config["vocab_size"], config["n_positions"], config["n_embd"], config["n_layer"],
                                         config["n_head"]));
  std::map<std::string, Tensor> tensors = load_safetensors(directory + "/model.safetensors");
  std::map<std::string, Tensor> untied = tensors;
  untied["lm_head.weight"] = zeros(tensors.at("transformer.wte.weight").shape());
  expect_error([&] { models::load_gpt2(model, untied); }, {"load_gpt2", "lm_head.weight"});
  std::map<std::string, Tensor> extra = tensors;
  extra["transformer.h.0.attn.rotary.weight"] = zeros({2});
  expect_error([&] { models::load_gpt2(model, extra); }, {"h.0.attn.rotary.weight"});
}
