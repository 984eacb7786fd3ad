// nn::Module: registration, state_dict round trips and their errors, train/eval, hooks, freezing, summary,
// and PyTorch's default initialisation bounds.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/init.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/loss.h"
#include "nabla/nn/norm.h"
#include "nabla/nn/summary.h"

namespace nabla::nn {
namespace {

std::shared_ptr<Sequential> mlp() {
  return std::make_shared<Sequential>(std::initializer_list<AnyModule>{
      std::make_shared<Linear>(4, 8), std::make_shared<ReLU>(), std::make_shared<Linear>(8, 3)});
}

TEST(Module, NamedParametersInRegistrationOrder) {
  auto model = mlp();
  NamedTensors named = model->named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "0.weight");
  EXPECT_EQ(named[1].first, "0.bias");
  EXPECT_EQ(named[3].first, "2.bias");
  EXPECT_EQ(model->parameter_count(), 4 * 8 + 8 + 8 * 3 + 3);
  EXPECT_TRUE(named[0].second.requires_grad());
}

TEST(Module, StateDictRoundTripAndErrors) {
  auto source = mlp(), target = mlp();
  StateDict state = source->state_dict();
  Tensor handle = target->named_parameters()[0].second;  // must stay valid: loading copies in place
  target->load_state_dict(state);
  EXPECT_EQ(handle.to_vector(), source->named_parameters()[0].second.to_vector());
  Tensor x = randn({2, 4});
  EXPECT_EQ((*target)(x).to_vector(), (*source)(x).to_vector());

  auto missing = state;
  missing.erase("2.bias");
  try {
    target->load_state_dict(missing);
    FAIL();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("missing keys [2.bias]"), std::string::npos) << error.what();
  }
  target->load_state_dict(missing, false);  // non-strict: loads what matches
  auto unexpected = state;
  unexpected.insert("extra.weight", zeros({1}));
  EXPECT_THROW(target->load_state_dict(unexpected), Error);
  auto wrong = state;
  wrong.insert("0.weight", zeros({3, 3}));
  try {
    target->load_state_dict(wrong, false);
    FAIL();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("0.weight (checkpoint [3, 3], model [8, 4])"), std::string::npos)
        << error.what();
  }
}

TEST(Module, TrainEvalPropagates) {
  auto model = mlp();
  model->eval();
  for (auto& [name, module] : model->named_modules()) EXPECT_FALSE(module->is_training()) << name;
  model->train();
  EXPECT_TRUE((*model)[2]->is_training());
}

// Training mode counts batches (an int64 buffer) and moves the running mean towards the batch mean.
TEST(Module, BatchNormTrainingUpdatesItsBuffers) {
  BatchNorm1d norm(2);
  norm(tensor({{1.0, 4.0}, {3.0, 8.0}}));
  EXPECT_EQ(norm.num_batches_tracked.item<int64_t>(), 1);
  EXPECT_NEAR(norm.running_mean.to_vector()[0], 0.1 * 2.0, 1e-6);
  EXPECT_NEAR(norm.running_mean.to_vector()[1], 0.1 * 6.0, 1e-6);
}

TEST(Module, BatchNormCountsTrainingBatchesOnly) {
  BatchNorm1d norm(3);
  Tensor x = randn({4, 3});
  norm(x);
  norm(x);
  EXPECT_EQ(norm.num_batches_tracked.dtype(), DType::i64);
  EXPECT_EQ(norm.num_batches_tracked.item(), 2);
  norm.eval();
  norm(x);
  EXPECT_EQ(norm.num_batches_tracked.item(), 2);
}

TEST(Module, HooksSeeAndReplace) {
  auto model = mlp();
  auto first = (*model)[0];
  Shape seen;
  first->register_forward_hook([&](Module&, const Tensor&, const Tensor& output) -> std::optional<Tensor> {
    seen = output.shape();
    return std::nullopt;
  });
  size_t handle = (*model)[2]->register_forward_hook(
      [](Module&, const Tensor&, const Tensor& output) -> std::optional<Tensor> { return output * 0.0; });
  Tensor y = (*model)(randn({5, 4}));
  EXPECT_EQ(seen, (Shape{5, 8}));
  EXPECT_EQ(sum(abs(y)).item(), 0.0);
  (*model)[2]->remove_hook(handle);
  Shape grad_shape;
  first->register_full_backward_hook([&](Module&, const Tensor& grad) { grad_shape = grad.shape(); });
  sum((*model)(randn({5, 4}))).backward();
  EXPECT_EQ(grad_shape, (Shape{5, 8}));
}

TEST(Module, FreezingStopsGradients) {
  auto model = mlp();
  (*model)[0]->requires_grad_(false);
  EXPECT_EQ(model->parameter_count(true), 8 * 3 + 3);
  sum((*model)(randn({2, 4}))).backward();
  EXPECT_FALSE(model->named_parameters()[0].second.grad().defined());
  EXPECT_TRUE(model->named_parameters()[2].second.grad().defined());
}

TEST(Init, DefaultBoundsAndGains) {
  Linear layer(100, 10);
  double bound = 1.0 / std::sqrt(100.0);
  std::vector<double> weights = layer.weight.to_vector();
  double largest = 0;
  for (double w : weights) largest = std::max(largest, std::fabs(w));
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.9 * bound);
  EXPECT_NEAR(init::calculate_gain(init::Nonlinearity::relu), std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(init::calculate_gain(init::Nonlinearity::tanh), 5.0 / 3.0, 1e-15);
  Tensor w = empty({200, 300});
  Generator generator(1);
  init::kaiming_normal_(w, 0, init::FanMode::fan_in, init::Nonlinearity::relu, &generator);
  double std = std::sqrt(mean(w * w).item());
  EXPECT_NEAR(std, std::sqrt(2.0 / 300), 0.01 * std::sqrt(2.0 / 300) * 5);
  init::xavier_uniform_(w, 1, &generator);
  EXPECT_LE(max(abs(w)).item(), std::sqrt(6.0 / 500));
}

TEST(Init, OrthogonalRowsAreOrthonormal) {
  Tensor w = empty({4, 6});
  Generator generator(2);
  init::orthogonal_(w, 1, &generator);
  Tensor product = matmul(w, w.t());
  std::vector<double> values = product.to_vector();
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(values[static_cast<size_t>(i * 4 + j)], i == j ? 1.0 : 0.0, 1e-5);
  }
}

TEST(Summary, ShapesParametersAndFlops) {
  auto model = mlp();
  ModelSummary report = summary(*model, {2, 4});
  ASSERT_EQ(report.layers.size(), 3u);
  EXPECT_EQ(report.layers[0].output_shape, (Shape{2, 8}));
  // Counted per op: the matmul (2 per multiply-add) and the bias add (one per output element).
  EXPECT_EQ(report.layers[0].flops, 2 * 2 * 4 * 8 + 2 * 8);
  EXPECT_EQ(report.layers[1].flops, 2 * 8);  // ReLU: one per element
  EXPECT_EQ(report.layers[2].parameters, 8 * 3 + 3);
  EXPECT_EQ(report.parameters, model->parameter_count());
  EXPECT_EQ(report.flops, report.layers[0].flops + report.layers[1].flops + report.layers[2].flops);
  EXPECT_NE(report.to_string().find("Linear(in_features=4, out_features=8, bias=true)"), std::string::npos) << report.to_string();
  // The per-op table: matmul (two calls) and add (two calls), relu (one).
  ASSERT_FALSE(report.ops.empty());
  EXPECT_EQ(report.ops[0].op, "matmul");
  EXPECT_EQ(report.ops[0].calls, 2);
  EXPECT_EQ(report.ops[0].flops, 2 * 2 * 4 * 8 + 2 * 2 * 8 * 3);
}

// A module that computes in its own forward, beside its children: a residual block x + relu(linear(x)).
class Residual : public Module {
 public:
  Residual() : Module("Residual") { linear = register_module("linear", std::make_shared<Linear>(4, 4)); }
  Tensor forward(const Tensor& x) override { return x + relu((*linear)(x)); }
  std::shared_ptr<Linear> linear;
};

TEST(Summary, OpsOfACompositeModuleCountOnceInTheModuleRunningThem) {
  auto model = std::make_shared<Sequential>(std::make_shared<Residual>());
  ModelSummary report = summary(*model, {2, 4});
  // The leaf (linear) and the block whose own ops (relu, add: 8 elements each) are counted in its row.
  ASSERT_EQ(report.layers.size(), 2u) << report.to_string();
  EXPECT_EQ(report.layers[0].name, "0.linear");
  EXPECT_EQ(report.layers[0].flops, 2 * 2 * 4 * 4 + 2 * 4);
  EXPECT_EQ(report.layers[1].name, "0");
  EXPECT_EQ(report.layers[1].flops, 8 + 8);
  EXPECT_EQ(report.layers[1].parameters, 0);  // its own, not its child's
  EXPECT_EQ(report.flops, report.layers[0].flops + report.layers[1].flops);
}

TEST(Loss, FocalLossReducesToCrossEntropyAtGammaZero) {
  Tensor logits = randn({6, 4});
  Tensor target = tensor({0, 3, 1, 2, 2, 0}, {.dtype = DType::i64});
  FocalLoss focal(0.0);
  EXPECT_NEAR(focal(logits, target).item(), cross_entropy(logits, target).item(), 1e-6);
  FocalLoss sharp(2.0);
  EXPECT_LT(sharp(logits, target).item(), focal(logits, target).item());
}

}  // namespace
}  // namespace nabla::nn
