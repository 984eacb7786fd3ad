// RNN, LSTM, GRU and their cells: gradients (float64, finite differences) of the inputs, the initial states
// and every parameter, for each cell and for two-layer bidirectional LSTM and GRU; PyTorch's parameter names and
// shapes; the states' shapes; the errors for bad shapes; and the language models `lstm` and `gru` of the registry.
// The values against PyTorch's are golden cases (tests/golden).
#include <gtest/gtest.h>

#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "tests/common/expect_error.h"

namespace nabla::nn {
namespace {

using testing::expect_error;

Tensor uniform_f64(const Shape& shape, uint64_t seed) {
  Generator generator(seed);
  return (rand(shape, {.dtype = DType::f64}, &generator) * 2.0 - 1.0).requires_grad_();
}

// Checks the gradient of `function` with respect to `inputs` and every parameter of `module`: gradcheck
// perturbs the parameters in place, which the module reads on each call.
template <typename Function>
void expect_gradients(Module& module, std::vector<Tensor> inputs, Function function) {
  for (const Tensor& parameter : module.parameters()) inputs.push_back(parameter);
  const GradcheckResult result = gradcheck([&](const std::vector<Tensor>& x) { return function(x); }, inputs);
  EXPECT_TRUE(result.ok) << module.describe() << ": " << result.message;
  EXPECT_GT(result.checked, 0);
}

TEST(Recurrent, LSTMCellGradients) {
  LSTMCell cell({.input_size = 3, .hidden_size = 4, .dtype = DType::f64});
  expect_gradients(cell, {uniform_f64({2, 3}, 1), uniform_f64({2, 4}, 2), uniform_f64({2, 4}, 3)},
                   [&](const std::vector<Tensor>& x) {
                     LSTMState state = cell(x[0], x[1], x[2]);
                     return cat({state.h, state.c}, -1);
                   });
}

TEST(Recurrent, GRUCellGradients) {
  GRUCell cell({.input_size = 3, .hidden_size = 4, .dtype = DType::f64});
  expect_gradients(cell, {uniform_f64({2, 3}, 4), uniform_f64({2, 4}, 5)},
                   [&](const std::vector<Tensor>& x) { return cell(x[0], x[1]); });
}

TEST(Recurrent, RNNCellGradientsTanhAndRelu) {
  RNNCell tanh_cell({.input_size = 3, .hidden_size = 4, .dtype = DType::f64});
  expect_gradients(tanh_cell, {uniform_f64({2, 3}, 6), uniform_f64({2, 4}, 7)},
                   [&](const std::vector<Tensor>& x) { return tanh_cell(x[0], x[1]); });
  RNNCell relu_cell({.input_size = 3, .hidden_size = 4, .bias = false, .nonlinearity = RNNNonlinearity::relu,
                     .dtype = DType::f64});
  expect_gradients(relu_cell, {uniform_f64({3}, 8), uniform_f64({4}, 9)},  // unbatched
                   [&](const std::vector<Tensor>& x) { return relu_cell(x[0], x[1]); });
}

TEST(Recurrent, TwoLayerBidirectionalLSTMGradients) {
  LSTM lstm({.input_size = 3, .hidden_size = 3, .num_layers = 2, .bidirectional = true, .dtype = DType::f64});
  expect_gradients(lstm, {uniform_f64({4, 2, 3}, 10), uniform_f64({4, 2, 3}, 11), uniform_f64({4, 2, 3}, 12)},
                   [&](const std::vector<Tensor>& x) {
                     LSTMOutput out = lstm(x[0], x[1], x[2]);
                     return cat({out.output.flatten(), out.h_n.flatten(), out.c_n.flatten()}, 0);
                   });
}

TEST(Recurrent, TwoLayerBidirectionalBatchFirstGRUGradients) {
  GRU gru({.input_size = 3, .hidden_size = 3, .num_layers = 2, .batch_first = true, .bidirectional = true,
           .dtype = DType::f64});
  expect_gradients(gru, {uniform_f64({2, 4, 3}, 13), uniform_f64({4, 2, 3}, 14)}, [&](const std::vector<Tensor>& x) {
    RecurrentOutput out = gru(x[0], x[1]);
    return cat({out.output.flatten(), out.h_n.flatten()}, 0);
  });
}

TEST(Recurrent, ParametersHavePyTorchNamesAndShapes) {
  LSTM lstm({.input_size = 5, .hidden_size = 7, .num_layers = 2, .bidirectional = true});
  const StateDict state = lstm.state_dict();
  std::vector<std::string> names;
  for (const auto& [name, tensor] : lstm.named_parameters()) names.push_back(name);
  const std::vector<std::string> expected{
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(lstm.layer_parameters(0, 0)[0].shape(), (Shape{28, 5}));
  EXPECT_EQ(lstm.layer_parameters(1, 1)[0].shape(), (Shape{28, 14}));  // reads both directions of layer 0
  EXPECT_EQ(lstm.layer_parameters(1, 1)[1].shape(), (Shape{28, 7}));
  GRU gru({.input_size = 5, .hidden_size = 7, .bias = false});
  EXPECT_EQ(gru.named_parameters().size(), 2u);
  EXPECT_EQ(gru.layer_parameters(0, 0)[1].shape(), (Shape{21, 7}));
  // PyTorch's initialisation: every value within ±1/√hidden.
  const double bound = 1.0 / std::sqrt(7.0);
  for (const Tensor& parameter : lstm.parameters()) {
    EXPECT_LE(max(abs(parameter)).item(), bound);
  }
}

TEST(Recurrent, OutputAndStateShapes) {
  manual_seed(0);
  LSTM lstm({.input_size = 4, .hidden_size = 6, .num_layers = 3, .batch_first = true, .bidirectional = true});
  LSTMOutput out = lstm(randn({2, 5, 4}), Tensor(), Tensor());
  EXPECT_EQ(out.output.shape(), (Shape{2, 5, 12}));
  EXPECT_EQ(out.h_n.shape(), (Shape{6, 2, 6}));
  EXPECT_EQ(out.c_n.shape(), (Shape{6, 2, 6}));
  // h_n of the last layer's forward direction is its output at the last step, the reverse one at the first.
  EXPECT_EQ(out.h_n.select(0, 4).to_vector(), out.output.select(1, 4).slice(-1, 0, 6).contiguous().to_vector());
  EXPECT_EQ(out.h_n.select(0, 5).to_vector(), out.output.select(1, 0).slice(-1, 6, 12).contiguous().to_vector());
  GRU gru({.input_size = 4, .hidden_size = 6});
  RecurrentOutput unbatched = gru(randn({5, 4}), Tensor());
  EXPECT_EQ(unbatched.output.shape(), (Shape{5, 6}));
  EXPECT_EQ(unbatched.h_n.shape(), (Shape{1, 6}));
  EXPECT_EQ(gru(randn({5, 3, 4})).shape(), (Shape{5, 3, 6}));  // the one-tensor forward: the output only
}

// The cell is the layer over one step: the same parameters give the same state.
TEST(Recurrent, LSTMCellMatchesOneStepOfTheLayer) {
  manual_seed(1);
  LSTM lstm({.input_size = 4, .hidden_size = 5});
  LSTMCell cell({.input_size = 4, .hidden_size = 5});
  cell.load_state_dict({{"weight_ih", lstm.layer_parameters(0, 0)[0]}, {"weight_hh", lstm.layer_parameters(0, 0)[1]},
                        {"bias_ih", lstm.layer_parameters(0, 0)[2]}, {"bias_hh", lstm.layer_parameters(0, 0)[3]}});
  Tensor x = randn({1, 3, 4}), h = randn({1, 3, 5}), c = randn({1, 3, 5});
  LSTMOutput layer = lstm(x, h, c);
  LSTMState step = cell(x.select(0, 0), h.select(0, 0), c.select(0, 0));
  EXPECT_EQ(step.h.to_vector(), layer.h_n.select(0, 0).contiguous().to_vector());
  EXPECT_EQ(step.c.to_vector(), layer.c_n.select(0, 0).contiguous().to_vector());
}

TEST(Recurrent, BadShapesNameTheArgument) {
  LSTM lstm({.input_size = 4, .hidden_size = 6, .num_layers = 2});
  expect_error([&] { lstm(zeros({5, 2, 3})); }, {"LSTM: expected input [T, B, 4]"});
  expect_error([&] { lstm(zeros({5, 2, 4}), zeros({1, 2, 6}), Tensor()); }, {"h_0 must be [num_layers·directions"});
  LSTMCell cell({.input_size = 4, .hidden_size = 6});
  expect_error([&] { cell(zeros({2, 4}), zeros({3, 6}), Tensor()); }, {"LSTMCell: h must be [2, 6]"});
  expect_error([] { GRU({.input_size = 0, .hidden_size = 3}); }, {"GRU: input_size, hidden_size and num_layers"});
  expect_error([] { RNN({.input_size = 2, .hidden_size = 3, .dropout = 1.5}); }, {"RNN: dropout must be in [0, 1]"});
}

TEST(Recurrent, DoubleBackwardIsRefused) {
  GRUCell cell({.input_size = 2, .hidden_size = 3, .dtype = DType::f64});
  Tensor x = uniform_f64({2, 2}, 20);
  Tensor h = cell(x, Tensor());
  expect_error([&] { autograd::grad({sum(h)}, {x}, {}, true, true); },
               {"recurrent_sequence: double backward is not supported"});
}

TEST(Recurrent, LanguageModelsMapTokensToLogits) {
  for (const char* name : {"lstm", "gru"}) {
    const models::ModelEntry& entry = models::registry().at(name);
    EXPECT_EQ(entry.input.dataset, "text");
    nn::ModulePtr model = models::registry().make(
        name, {.classes = 11, .overrides = {{"layers", 2}, {"hidden", 8}, {"embedding", 6}, {"context", 16}}});
    Tensor tokens = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {2, 5}, {.dtype = DType::i64});
    EXPECT_EQ((*model)(tokens).shape(), (Shape{2, 5, 11})) << name;
    expect_error([&] { models::registry().make(name, {.overrides = {{"hidden", 0}}}); }, {"option hidden"});
  }
}

}  // namespace
}  // namespace nabla::nn
