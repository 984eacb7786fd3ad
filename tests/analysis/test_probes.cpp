// Probes: gradient norms equal the norms of .grad, activation statistics equal those of the module's
// output computed by hand, and dead units are counted per unit over every batch seen.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/analysis/probes.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/linear.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"

namespace nabla::analysis {
namespace {

std::shared_ptr<nn::Sequential> mlp() {
  manual_seed(3);
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{
      std::make_shared<nn::Linear>(4, 6), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(6, 2)});
}

// Makes units 1 and 4 of the first layer dead for any input of moderate size.
void kill_units(nn::Sequential& model) {
  autograd::NoGradGuard no_grad;
  Tensor bias = model.named_parameters()[1].second;
  Tensor mask = tensor({0, 1, 0, 0, 1, 0});
  copy_(bias, where(ne(mask, scalar_tensor(0)), full({6}, -100.0), bias));
}

TEST(Probes, GradientNormsAreTheNormsOfEachGradient) {
  auto model = mlp();
  GradientNormProbe probe(*model);
  testing::expect_error([&] { probe.total_norm(); }, {"GradientNormProbe::total_norm", "record()"});
  EXPECT_EQ(probe.record(), std::vector<double>(4, 0.0));  // no backward yet: no gradients
  Tensor loss = functional::mse_loss((*model)(randn({8, 4})), randn({8, 2}));
  loss.backward();
  const std::vector<double>& row = probe.record();
  ASSERT_EQ(probe.history().size(), 2u);
  nn::NamedTensors named = model->named_parameters();
  double total = 0;
  for (size_t i = 0; i < named.size(); ++i) {
    const double expected = std::sqrt(sum(named[i].second.grad().to(DType::f64).pow(2.0)).item());
    EXPECT_NEAR(row[i], expected, 1e-12 * expected) << named[i].first;
    EXPECT_GT(row[i], 0);
    total += expected * expected;
  }
  EXPECT_EQ(probe.names()[2], "2.weight");
  auto layers = probe.layer_norms();
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].first, "0");
  EXPECT_EQ(layers[1].first, "2");
  EXPECT_NEAR(layers[0].second, std::hypot(row[0], row[1]), 1e-12);
  EXPECT_NEAR(layers[1].second, std::hypot(row[2], row[3]), 1e-12);
  EXPECT_NEAR(probe.total_norm(), std::sqrt(total), 1e-9);
}

TEST(Probes, ActivationStatisticsMatchTheOutputs) {
  auto model = mlp();
  ActivationProbe probe(*model);
  EXPECT_EQ(probe.names(), (std::vector<std::string>{"0", "1", "2"}));  // the leaves, not the Sequential
  Tensor x = randn({16, 4});
  (*model)(x);
  autograd::NoGradGuard no_grad;
  Tensor hidden = relu((*model->child("0"))(x)).to(DType::f64);
  const ActivationStatistics& statistics = probe.statistics("1");
  EXPECT_EQ(statistics.calls, 1);
  EXPECT_NEAR(statistics.mean, mean(hidden).item(), 1e-12);
  EXPECT_NEAR(statistics.std, nabla::std(hidden, {}, 0).item(), 1e-12);
  const double zeros_counted = sum(eq(hidden, scalar_tensor(0, DType::f64))).item();
  EXPECT_NEAR(statistics.zero_fraction, zeros_counted / 96.0, 1e-12);
  EXPECT_GT(statistics.zero_fraction, 0.1);  // a ReLU output: some zeros
  EXPECT_EQ(probe.statistics("0").zero_fraction, 0.0);
  testing::expect_error([&] { probe.statistics("3"); }, {"ActivationProbe::statistics", "'3'"});
}

TEST(Probes, DeadUnitsAreCountedOverEveryBatchSeen) {
  auto model = mlp();
  kill_units(*model);
  ActivationProbe probe(*model, [](const std::string&, const nn::Module& module) { return module.name() == "ReLU"; });
  EXPECT_EQ(probe.names(), std::vector<std::string>{"1"});
  testing::expect_error([&] { probe.dead_units("1"); }, {"dead_units", "no output"});
  (*model)(randn({1, 4}));
  const int64_t after_one_sample = probe.dead_units("1");
  EXPECT_GE(after_one_sample, 2);  // units 1 and 4, and whichever this one sample left at zero
  for (int batch = 0; batch < 4; ++batch) (*model)(randn({32, 4}));
  EXPECT_EQ(probe.dead_units("1"), 2);
  EXPECT_EQ(probe.statistics("1").calls, 5);
  EXPECT_EQ(probe.statistics("1").active.to_vector(), (std::vector<double>{1, 0, 1, 1, 0, 1}));
  probe.reset();
  EXPECT_EQ(probe.statistics("1").calls, 0);
}

TEST(Probes, HooksAreRemovedWithTheProbe) {
  auto model = mlp();
  {
    ActivationProbe probe(*model);
    (*model)(randn({2, 4}));
  }
  // A hook left behind would write into the destroyed probe.
  Tensor output = (*model)(randn({2, 4}));
  EXPECT_EQ(output.shape(), (Shape{2, 2}));
  testing::expect_error([&] { ActivationProbe none(*model, [](const std::string&, const nn::Module&) { return false; }); },
                        {"ActivationProbe", "no module"});
}

TEST(Probes, DeadUnitsOfAConvolutionOutputArePerChannel) {
  // [N = 2, C = 3, H = 2, W = 2]: channel 0 is zero everywhere, channel 1 once, channel 2 never.
  Tensor activations = zeros({2, 3, 2, 2});
  Tensor one_position = activations.select(0, 1).select(0, 1).select(0, 0).select(0, 1);
  fill_(one_position, 0.5);
  Tensor channel_two = activations.select(1, 2);
  fill_(channel_two, 1.0);
  EXPECT_EQ(active_units(activations).to_vector(), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(dead_units(activations), 1);
  testing::expect_error([] { dead_units(zeros({5})); }, {"active_units", "[N, units, ...]", "float32[5]"});
}

}  // namespace
}  // namespace nabla::analysis
