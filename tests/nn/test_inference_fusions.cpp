// Inference fusions against the unfused layers: an eval-mode batch norm folded into the convolution before it
// (src/nn/fold_batch_norm.h) gives the two layers' result to f32 rounding, the fold is what ran (no batch_norm
// op, a convolution with a bias on the fast kernel), and it does not run where it must not: in training, with
// gradients recorded, or with a hook on either layer.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nn/fold_batch_norm.h"
#include "ops/observer.h"

namespace nabla::nn {
namespace {

// Per op name, the calls dispatched on the fast and on the reference kernel while `run` ran.
struct OpCounts {
  std::map<std::string, int> fast, reference;
  int biased_convolutions = 0;  // conv2d calls with a bias input, on the fast kernel
};

template <typename Run>
OpCounts count_ops(Run&& run) {
  OpCounts counts;
  ops::ObserveDispatch observe([&](const ops::Dispatched& call) {
    const std::string name = ops::op_name(call.op);
    if (call.kernel == ops::KernelKind::fast) ++counts.fast[name];
    if (call.kernel == ops::KernelKind::reference) ++counts.reference[name];
    if (call.op == ops::OpId::conv2d && call.kernel == ops::KernelKind::fast && call.inputs.size() == 3) {
      ++counts.biased_convolutions;
    }
  });
  run();
  return counts;
}

int calls(const OpCounts& counts, const std::string& op) {
  auto count = [&](const std::map<std::string, int>& table) {
    auto it = table.find(op);
    return it == table.end() ? 0 : it->second;
  };
  return count(counts.fast) + count(counts.reference);
}

// Batch-norm parameters and running statistics away from (1, 0) and (0, 1), so that the fold has work to do.
void randomize(BatchNorm& bn, Generator& generator) {
  autograd::NoGradGuard no_grad;
  bn.weight.copy_(randn(bn.weight.shape(), {}, &generator) * 0.3 + 1.0);
  bn.bias.copy_(randn(bn.bias.shape(), {}, &generator) * 0.2);
  bn.running_mean.copy_(randn(bn.running_mean.shape(), {}, &generator) * 0.5);
  bn.running_var.copy_(rand(bn.running_var.shape(), {}, &generator) + 0.25);
}

void expect_close(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.shape(), expected.shape());
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], e[i], 2e-5 + 2e-5 * std::abs(e[i])) << "element " << i;
  }
}

struct ConvBatchNorm {
  Conv2d conv;
  BatchNorm2d bn;
  ConvBatchNorm(const Conv2dOptions& options, Generator& generator)
      : conv(options, &generator), bn(options.out_channels) {
    randomize(bn, generator);
  }
  // The two layers in turn, with gradients recorded (the fold never applies there).
  Tensor unfused(const Tensor& x) { return bn(conv(x)).detach(); }
};

TEST(ConvBatchNormFold, MatchesConvolutionThenBatchNormAndReplacesIt) {
  Generator generator(7);
  for (const bool with_bias : {false, true}) {
    SCOPED_TRACE(with_bias ? "convolution with bias" : "convolution without bias");
    ConvBatchNorm layers({.in_channels = 3, .out_channels = 8, .kernel_size = 3, .stride = 2, .padding = 1,
                          .bias = with_bias},
                         generator);
    layers.bn.eval();
    const Tensor x = randn({2, 3, 9, 9}, {}, &generator);
    const Tensor expected = layers.unfused(x);
    ConvBatchNormFold fold;
    autograd::NoGradGuard no_grad;
    ASSERT_TRUE(ConvBatchNormFold::applies(layers.conv, layers.bn));
    Tensor folded;
    const OpCounts counts = count_ops([&] { folded = fold(layers.conv, layers.bn, x); });
    EXPECT_EQ(calls(counts, "batch_norm"), 0);
    EXPECT_EQ(counts.biased_convolutions, 1) << "the folded convolution runs with a bias on the fast kernel";
    expect_close(folded, expected);
  }
}

TEST(ConvBatchNormFold, FollowsChangesToTheLayers) {
  Generator generator(8);
  ConvBatchNorm layers({.in_channels = 4, .out_channels = 6, .kernel_size = 1, .bias = false}, generator);
  layers.bn.eval();
  const Tensor x = randn({1, 4, 5, 5}, {}, &generator);
  ConvBatchNormFold fold;
  {
    autograd::NoGradGuard no_grad;
    expect_close(fold(layers.conv, layers.bn, x), layers.unfused(x));
  }
  // In-place writes move the tensors' versions, so the next call folds again (the cached fold would be stale).
  for (Tensor* changed : {&layers.bn.running_mean, &layers.bn.running_var, &layers.bn.weight, &layers.conv.weight}) {
    {
      autograd::NoGradGuard no_grad;
      changed->mul_(full(changed->shape(), 1.5));
    }
    const Tensor expected = layers.unfused(x);
    autograd::NoGradGuard no_grad;
    expect_close(fold(layers.conv, layers.bn, x), expected);
  }
  // A tensor replaced by another (load_state_dict may assign) is noticed too.
  layers.bn.bias = randn(layers.bn.bias.shape(), {}, &generator);
  const Tensor expected = layers.unfused(x);
  autograd::NoGradGuard no_grad;
  expect_close(fold(layers.conv, layers.bn, x), expected);
}

TEST(ConvBatchNormFold, RunsTheLayersInTrainingWithGradientsOrWithHooks) {
  Generator generator(9);
  ConvBatchNorm layers({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .padding = 1, .bias = false},
                       generator);
  const Tensor x = randn({2, 2, 4, 4}, {}, &generator);
  ConvBatchNormFold fold;
  auto batch_norms = [&] { return calls(count_ops([&] { fold(layers.conv, layers.bn, x); }), "batch_norm"); };
  layers.bn.train();
  {
    autograd::NoGradGuard no_grad;
    EXPECT_EQ(batch_norms(), 1) << "training mode uses the batch's statistics";
  }
  layers.bn.eval();
  EXPECT_EQ(batch_norms(), 1) << "with gradients recorded the parameters need their own gradients";
  autograd::NoGradGuard no_grad;
  EXPECT_EQ(batch_norms(), 0);
  const size_t hook = layers.bn.register_forward_hook([](Module&, const Values&, const Values&) {});
  EXPECT_EQ(batch_norms(), 1) << "a hook expects its layer to run";
  layers.bn.remove_hook(hook);
  EXPECT_EQ(batch_norms(), 0);
}

// The CIFAR ResNets at inference: every conv → bn pair folded (no batch_norm op at all), the same logits as
// the unfused eval-mode network (with gradients recorded) to f32 rounding, at batch 1 and at a larger batch.
TEST(ConvBatchNormFold, ResNetInferenceFoldsEveryBatchNorm) {
  Generator generator(10);
  for (const std::string name : {"resnet20", "plain20"}) {
    SCOPED_TRACE(name);
    ModulePtr model = models::registry().make(name);
    for (auto& [path, module] : model->named_modules()) {
      if (auto bn = std::dynamic_pointer_cast<BatchNorm>(module)) randomize(*bn, generator);
    }
    model->eval();
    for (const int64_t batch : {1, 3}) {
      const Tensor x = randn({batch, 1, 28, 28}, {}, &generator);
      Tensor unfused;
      const OpCounts before = count_ops([&] { unfused = (*model)(x).detach(); });
      EXPECT_EQ(calls(before, "batch_norm"), 19);
      Tensor folded;
      const OpCounts after = count_ops([&] {
        autograd::InferenceModeGuard inference;
        folded = (*model)(x);
      });
      EXPECT_EQ(calls(after, "batch_norm"), 0);
      EXPECT_EQ(after.biased_convolutions, 19);
      expect_close(folded, unfused);
    }
  }
}

}  // namespace
}  // namespace nabla::nn
