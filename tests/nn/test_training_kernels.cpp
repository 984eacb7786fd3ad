// Three training steps of a small CNN, of a small Transformer block and of the zoo's CNNs (ResNet-20 with
// shortcut A and B, a bottleneck ResNet, the small MobileNetV2 and EfficientNet) run every op on a fast kernel
// (f32): forward, loss, backward and the optimizer. The dispatch observer names each call that ran on a reference
// kernel (plain loops in double) with its operands, so a fast path that stops covering a layer fails here.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "ops/observer.h"

using namespace nabla;
namespace F = nabla::functional;

namespace {

// Runs `step` under an observer; returns each call that ran on a reference kernel, named by its op and its
// operands' dtypes and shapes ("(strided)" for a non-contiguous one).
template <typename Step>
std::set<std::string> reference_calls(Step&& step) {
  std::set<std::string> calls;
  ops::ObserveDispatch observe([&](const ops::Dispatched& call) {
    if (call.kernel != ops::KernelKind::reference) return;
    std::string key = ops::op_name(call.op);
    for (const Tensor& input : call.inputs) {
      // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on `"literal" + std::string`.
      key += ' ';
      key += input.describe();
      if (!input.is_contiguous()) key += "(strided)";
    }
    calls.insert(key);
  });
  step();
  return calls;
}

// Fails naming every call that ran on a reference kernel.
void expect_no_reference_calls(const std::set<std::string>& calls) {
  for (const std::string& call : calls) ADD_FAILURE() << "ran on a reference kernel: " << call;
}

// Three optimizer steps under the observer; fails naming each call that ran on a reference kernel, and
// returns the first and the last loss.
template <typename LossOfStep>
std::pair<double, double> train_watched(LossOfStep&& loss_of_step, optim::Optimizer& optimizer) {
  double first = 0, last = 0;
  const std::set<std::string> calls = reference_calls([&] {
    for (int step = 0; step < 3; ++step) {
      Tensor loss = loss_of_step();
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      (step == 0 ? first : last) = loss.item();
    }
  });
  expect_no_reference_calls(calls);
  return {first, last};
}

Tensor parameter(const Shape& shape, double scale, Generator& generator) {
  return (randn(shape, {}, &generator) * scale).requires_grad_();
}

}  // namespace

TEST(TrainingKernels, SmallCnnStepRunsNoReferenceKernel) {
  Generator generator(1);
  // conv 3×3 (1→8) → batch norm → ReLU → max-pool 2 → conv 3×3 (8→16) → batch norm → ReLU
  // → adaptive average pool 1×1 → flatten → linear (16→10) → cross-entropy
  std::vector<Tensor> params = {
      parameter({8, 1, 3, 3}, 0.3, generator),  parameter({8}, 0.1, generator),
      ones({8}).requires_grad_(), parameter({8}, 0.1, generator),
      parameter({16, 8, 3, 3}, 0.1, generator), parameter({16}, 0.1, generator),
      ones({16}).requires_grad_(), parameter({16}, 0.1, generator),
      parameter({10, 16}, 0.2, generator),      parameter({10}, 0.1, generator)};
  Tensor mean1 = zeros({8}), var1 = ones({8}), mean2 = zeros({16}), var2 = ones({16});
  Tensor images = randn({32, 1, 28, 28}, {}, &generator);
  Tensor labels = randint(0, 10, {32}, {.dtype = DType::i64}, &generator);
  optim::SGD optimizer(params, {.lr = 0.05, .momentum = 0.9});

  auto loss_of_step = [&] {
    Tensor h = F::conv2d(images, params[0], params[1], {.padding = 1});
    h = relu(F::batch_norm(h, mean1, var1, params[2], params[3], true));
    h = F::max_pool2d(h, {.kernel_size = 2});
    h = F::conv2d(h, params[4], params[5], {.padding = 1});
    h = relu(F::batch_norm(h, mean2, var2, params[6], params[7], true));
    h = F::adaptive_avg_pool2d(h, 1).flatten(1);
    return cross_entropy(F::linear(h, params[8], params[9]), labels);
  };
  const auto [first, last] = train_watched(loss_of_step, optimizer);
  EXPECT_LT(last, first);  // the step trains
}

TEST(TrainingKernels, SmallTransformerBlockStepRunsNoReferenceKernel) {
  Generator generator(2);
  const int64_t vocabulary = 50, batch = 4, length = 16, width = 32, heads = 4, head_width = width / heads;
  // token + position embedding → pre-norm causal self-attention block → pre-norm GELU MLP → layer norm
  // → tied output projection → cross-entropy on the next token
  Tensor token_embedding = parameter({vocabulary, width}, 0.1, generator);
  Tensor position_embedding = parameter({length, width}, 0.1, generator);
  Tensor norm1_weight = ones({width}).requires_grad_(), norm1_bias = zeros({width}).requires_grad_();
  Tensor qkv_weight = parameter({3 * width, width}, 0.1, generator), qkv_bias = zeros({3 * width}).requires_grad_();
  Tensor projection_weight = parameter({width, width}, 0.1, generator), projection_bias = zeros({width}).requires_grad_();
  Tensor norm2_weight = ones({width}).requires_grad_(), norm2_bias = zeros({width}).requires_grad_();
  Tensor up_weight = parameter({4 * width, width}, 0.1, generator), up_bias = zeros({4 * width}).requires_grad_();
  Tensor down_weight = parameter({width, 4 * width}, 0.1, generator), down_bias = zeros({width}).requires_grad_();
  Tensor final_weight = ones({width}).requires_grad_(), final_bias = zeros({width}).requires_grad_();
  std::vector<Tensor> params = {token_embedding, position_embedding, norm1_weight, norm1_bias, qkv_weight,
                                qkv_bias, projection_weight, projection_bias, norm2_weight, norm2_bias,
                                up_weight, up_bias, down_weight, down_bias, final_weight, final_bias};
  Tensor tokens = randint(0, vocabulary, {batch, length + 1}, {.dtype = DType::i64}, &generator);
  Tensor inputs = tokens.slice(1, 0, length).contiguous(), targets = tokens.slice(1, 1, length + 1).contiguous();
  Tensor positions = arange(0, length);
  optim::AdamW optimizer(params, {.lr = 1e-2});

  auto loss_of_step = [&] {
    Tensor x = F::embedding(inputs, token_embedding) + F::embedding(positions, position_embedding);  // [B, T, W]
    Tensor h = F::layer_norm(x, {width}, norm1_weight, norm1_bias);
    std::vector<Tensor> qkv = F::linear(h, qkv_weight, qkv_bias).view({batch, length, 3, heads, head_width})
                                  .permute({2, 0, 3, 1, 4}).chunk(3, 0);  // each [1, B, H, T, D]
    Tensor attended = F::scaled_dot_product_attention(qkv[0].squeeze(0), qkv[1].squeeze(0), qkv[2].squeeze(0),
                                                      {.is_causal = true});  // [B, H, T, D]
    attended = attended.transpose(1, 2).reshape({batch, length, width});
    x = x + F::linear(attended, projection_weight, projection_bias);
    h = F::layer_norm(x, {width}, norm2_weight, norm2_bias);
    x = x + F::linear(gelu(F::linear(h, up_weight, up_bias)), down_weight, down_bias);
    Tensor logits = F::linear(F::layer_norm(x, {width}, final_weight, final_bias), token_embedding);
    return cross_entropy(logits.reshape({batch * length, vocabulary}), targets.reshape({batch * length}));
  };
  const auto [first, last] = train_watched(loss_of_step, optimizer);
  EXPECT_LT(last, first);
}

namespace {

// Three steps of SGD with momentum and weight decay (the ResNet recipe) on random images and labels.
void expect_model_trains_on_fast_kernels(const nn::ModulePtr& model, const Shape& images_shape, int64_t classes,
                                         uint64_t seed) {
  Generator generator(seed);
  Tensor images = randn(images_shape, {}, &generator);
  Tensor labels = randint(0, classes, {images_shape[0]}, {.dtype = DType::i64}, &generator);
  optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4});
  const auto [first, last] = train_watched([&] { return cross_entropy((*model)(images), labels); }, optimizer);
  EXPECT_LT(last, first);
}

// A model of the registry trained for three SGD steps in training mode (batch norm on batch statistics,
// dropout and stochastic depth drawing).
void expect_registry_model_trains_on_fast_kernels(const std::string& name) {
  Generator generator(3);
  nn::ModulePtr model = models::registry().make(name);
  model->train();
  const models::ModelEntry& entry = models::registry().at(name);
  Tensor images = randn(entry.batch_shape(8), {}, &generator);
  Tensor labels = randint(0, 10, {8}, {.dtype = DType::i64}, &generator);
  optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  auto loss_of_step = [&] { return cross_entropy((*model)(images), labels); };
  const auto [first, last] = train_watched(loss_of_step, optimizer);
  EXPECT_TRUE(std::isfinite(first) && std::isfinite(last));
}

}  // namespace

TEST(TrainingKernels, Resnet20StepRunsNoReferenceKernel) {
  for (models::Shortcut shortcut : {models::Shortcut::A, models::Shortcut::B}) {
    SCOPED_TRACE(shortcut == models::Shortcut::A ? "option A" : "option B");
    expect_model_trains_on_fast_kernels(models::cifar_resnet({.blocks_per_stage = 3, .shortcut = shortcut}),
                                        {8, 1, 28, 28}, 10, 3);
  }
}

TEST(TrainingKernels, BottleneckResnetStepRunsNoReferenceKernel) {
  // The ImageNet stem (7×7/2 convolution, 3×3/2 max-pool) and two bottleneck stages, at 32×32.
  nn::ModulePtr model = models::resnet({.block = models::ResNetBlock::bottleneck, .layers = {1, 1}, .classes = 10});
  expect_model_trains_on_fast_kernels(model, {4, 3, 32, 32}, 10, 4);
}

// Depthwise convolutions, ReLU6 (clamp and its backward), dropout.
TEST(TrainingKernels, MobileNetV2SmallStepRunsNoReferenceKernel) {
  expect_registry_model_trains_on_fast_kernels("mobilenetv2_small");
}

// Depthwise convolutions, SiLU, squeeze-and-excitation (sigmoid, the broadcast multiply), stochastic depth
// (bernoulli), dropout.
TEST(TrainingKernels, EfficientNetSmallStepRunsNoReferenceKernel) {
  expect_registry_model_trains_on_fast_kernels("efficientnet_small");
}

// The registry's GPT (token and position embeddings, packed q/k/v projection read in place by causal attention,
// GELU MLP, tied head) with attention and residual dropout, trained with AdamW as its recipe does.
TEST(TrainingKernels, GptStepRunsNoReferenceKernel) {
  nn::ModulePtr model = models::registry().make(
      "gpt", {.classes = 40, .overrides = {{"layers", 2}, {"d_model", 32}, {"context", 24}, {"dropout", 0.1}}});
  Generator generator(5);
  Tensor tokens = randint(0, 40, {4, 25}, {.dtype = DType::i64}, &generator);
  Tensor inputs = tokens.slice(1, 0, 24).contiguous(), targets = tokens.slice(1, 1, 25).reshape({4 * 24});
  optim::AdamW optimizer(model->parameters(), {.lr = 1e-2, .weight_decay = 0.1});
  const auto [first, last] =
      train_watched([&] { return cross_entropy((*model)(inputs).reshape({4 * 24, 40}), targets); }, optimizer);
  EXPECT_LT(last, first);
}

// The recurrent language models: embedding (index_select, and index_add backward), the input projections
// (matmul), the fused recurrent_sequence forward and backward, dropout between layers, the head, the
// cross-entropy over every position and Adam.
TEST(TrainingKernels, RecurrentLanguageModelStepRunsNoReferenceKernel) {
  for (const char* name : {"lstm", "gru"}) {
    SCOPED_TRACE(name);
    Generator generator(4);
    nn::ModulePtr model = models::registry().make(
        name, {.classes = 40, .overrides = {{"hidden", 48}, {"embedding", 24}, {"layers", 2}}});
    model->train();
    Tensor tokens = randint(0, 40, {4, 17}, {.dtype = DType::i64}, &generator);
    Tensor inputs = tokens.slice(1, 0, 16).contiguous(), targets = tokens.slice(1, 1, 17).contiguous();
    optim::Adam optimizer(model->parameters(), {.lr = 1e-2});
    auto loss_of_step = [&] { return cross_entropy((*model)(inputs).flatten(0, 1), targets.flatten()); };
    const auto [first, last] = train_watched(loss_of_step, optimizer);
    EXPECT_LT(last, first);
  }
}
