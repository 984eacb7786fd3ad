// Modules whose forward has any signature: operator() and hooks through nn::call, results that are
// structs or tuples of tensors, AnyModule's run-time checks, containers of AnyModules and Sequential's
// arity rule, and the construction spellings (nn::make, braced options).
#include <gtest/gtest.h>

#include <tuple>

#include "nabla/nabla.h"
#include "tests/common/expect_error.h"
#include "tests/common/temporary_directory.h"

namespace nabla::nn {
namespace {

using testing::expect_error;

// y = linear(x) · mask: two tensor inputs, one output.
class Masked : public TypedModule<Masked> {
 public:
  explicit Masked(int64_t features) : TypedModule("Masked") {
    linear = register_module("linear", std::make_shared<Linear>(features, features));
  }
  Tensor forward(const Tensor& x, const Tensor& mask) { return (*linear)(x) * mask; }
  std::shared_ptr<Linear> linear;
};

// Splits the features in two halves: one input, a struct of two tensors out. The input is taken by value:
// `forward(const Tensor&)` is Module's virtual one-tensor forward, which must return a Tensor.
struct Halves {
  Tensor low, high;
};
class Splitter : public TypedModule<Splitter> {
 public:
  Splitter() : TypedModule("Splitter") {}
  Halves forward(Tensor x) {
    int64_t half = x.size(-1) / 2;
    return {x.slice(-1, 0, half) * 2.0, x.slice(-1, half, x.size(-1)) * 3.0};
  }
};

// A tensor and a number in; a tuple out. Not a TypedModule: called through nn::call or an AnyModule.
class Power : public Module {
 public:
  Power() : Module("Power") {}
  std::tuple<Tensor, Tensor> forward(const Tensor& x, int64_t exponent) { return {pow(x, exponent), x}; }
};

TEST(AnySignature, TwoInputModuleRunsEveryHook) {
  manual_seed(0);
  auto masked = std::make_shared<Masked>(3);
  Tensor x = randn({4, 3}), mask = ones({4, 3});
  Tensor plain = (*masked)(x, mask);  // no hooks: the direct path
  EXPECT_EQ(plain.to_vector(), ((*masked->linear)(x) * mask).to_vector());

  size_t pre_inputs = 0, forward_inputs = 0;
  Shape forward_output;
  masked->register_forward_pre_hook([&](Module&, const Values& inputs) -> std::optional<Values> {
    pre_inputs = inputs.size();
    return Values{inputs[0], zeros(inputs[1].shape())};  // replaces the mask
  });
  masked->register_forward_hook([&](Module&, const Values& inputs, const Values& output) {
    forward_inputs = inputs.size();
    forward_output = output[0].shape();
    EXPECT_EQ(sum(abs(inputs[1])).item(), 0.0) << "the forward hook sees the replaced mask";
  });
  Tensor y = (*masked)(x, mask);
  EXPECT_EQ(pre_inputs, 2u);
  EXPECT_EQ(forward_inputs, 2u);
  EXPECT_EQ(forward_output, (Shape{4, 3}));
  EXPECT_EQ(sum(abs(y)).item(), 0.0);
}

TEST(AnySignature, ForwardHookReplacesTheOutputAndBackwardHookSeesItsGradient) {
  manual_seed(1);
  auto masked = std::make_shared<Masked>(3);
  Tensor x = randn({2, 3}), mask = randn({2, 3});
  sum((*masked)(x, mask) * 5.0).backward();
  std::vector<double> expected_grad = masked->linear->weight.grad().to_vector();
  masked->zero_grad();

  size_t handle = masked->register_forward_hook(
      [](Module&, const Values&, const Values& output) -> std::optional<Values> { return output[0] * 0.0 + 1.0; });
  EXPECT_EQ((*masked)(x, mask).to_vector(), ones({2, 3}).to_vector());
  masked->remove_hook(handle);

  Values seen;
  masked->register_full_backward_hook([&](Module&, const Values& grads) { seen = grads; });
  sum((*masked)(x, mask) * 5.0).backward();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to_vector(), (ones({2, 3}) * 5.0).to_vector());
  // The hook's identity node passes gradients through unchanged.
  EXPECT_EQ(masked->linear->weight.grad().to_vector(), expected_grad);
}

TEST(AnySignature, StructResultFlattensForHooksAndRebuildsAfterReplacement) {
  auto splitter = std::make_shared<Splitter>();
  Tensor x = arange(8).reshape({2, 4}).to(DType::f32).requires_grad_();
  Halves plain = (*splitter)(x);
  EXPECT_EQ(plain.low.shape(), (Shape{2, 2}));

  Values grads;
  splitter->register_full_backward_hook([&](Module&, const Values& grad_outputs) { grads = grad_outputs; });
  size_t swap = splitter->register_forward_hook(
      [](Module&, const Values&, const Values& output) -> std::optional<Values> { return Values{output[1], output[0]}; });
  Halves swapped = (*splitter)(x);
  EXPECT_EQ(swapped.low.to_vector(), plain.high.to_vector());
  EXPECT_EQ(swapped.high.to_vector(), plain.low.to_vector());
  splitter->remove_hook(swap);

  auto [low, high] = (*splitter)(x);
  sum(low).backward({}, false);
  ASSERT_EQ(grads.size(), 2u);
  EXPECT_EQ(grads[0].to_vector(), ones({2, 2}).to_vector());
  EXPECT_EQ(grads[1].to_vector(), zeros({2, 2}).to_vector());  // the unused output's gradient is zero
  // Gradient of sum(2·low) through the hook node: 2 on the low half, 0 on the high half.
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{2, 2, 0, 0, 2, 2, 0, 0}));

  splitter->register_forward_hook(
      [](Module&, const Values&, const Values&) -> std::optional<Values> { return Values{ones({1})}; });
  expect_error([&] { (*splitter)(x); }, {"Splitter", "hook returned 1 tensors", "has 2"});
}

TEST(AnySignature, NonTensorArgumentsPassThroughAndTuplesFlatten) {
  auto power = std::make_shared<Power>();
  Tensor x = tensor({1.0, 2.0, 3.0});
  size_t seen_inputs = 0, seen_outputs = 0;
  power->register_forward_hook([&](Module&, const Values& inputs, const Values& output) {
    seen_inputs = inputs.size();
    seen_outputs = output.size();
  });
  auto [cubed, same] = call(*power, x, int64_t{3});
  EXPECT_EQ(cubed.to_vector(), (std::vector<double>{1, 8, 27}));
  EXPECT_EQ(same.to_vector(), x.to_vector());
  EXPECT_EQ(seen_inputs, 1u);  // the exponent is not a tensor: hooks do not see it
  EXPECT_EQ(seen_outputs, 2u);
}

TEST(AnySignature, OneTensorHooksRefuseModulesWithSeveralInputs) {
  auto masked = std::make_shared<Masked>(2);
  masked->register_forward_hook([](Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> { return {}; });
  expect_error([&] { (*masked)(ones({1, 2}), ones({1, 2})); }, {"Masked", "one-tensor", "got 2 tensors"});
}

TEST(AnyModule, CallsModulesOfEveryArity) {
  manual_seed(2);
  auto linear = std::make_shared<Linear>(3, 3);
  auto masked = std::make_shared<Masked>(3);
  AnyModule one(linear), two(masked), split(std::make_shared<Splitter>()), power(std::make_shared<Power>());
  Tensor x = randn({2, 3}), mask = randn({2, 3});
  EXPECT_EQ(one.forward(x).to_vector(), (*linear)(x).to_vector());
  EXPECT_EQ(two.forward(x, mask).to_vector(), (*masked)(x, mask).to_vector());
  EXPECT_EQ(two.signature().to_string(), "(Tensor, Tensor) -> Tensor");
  EXPECT_EQ(one.signature().to_string(), "(Tensor) -> Tensor");
  Halves halves = split.forward_as<Halves>(randn({2, 4}));
  EXPECT_EQ(halves.high.shape(), (Shape{2, 2}));
  // An int literal converts to the int64_t that Power::forward takes.
  auto [squared, same] = power.forward_as<std::tuple<Tensor, Tensor>>(x, 2);
  EXPECT_EQ(squared.to_vector(), (x * x).to_vector());
  EXPECT_EQ(two.ptr<Masked>().get(), masked.get());
  EXPECT_EQ(two->name(), "Masked");
}

TEST(AnyModule, ChecksArityTypesAndResult) {
  AnyModule two(std::make_shared<Masked>(3));
  Tensor x = ones({1, 3});
  expect_error([&] { two.forward(x); }, {"AnyModule(Masked): forward takes 2 arguments (Tensor, Tensor), got 1 (Tensor)"});
  expect_error([&] { two.forward(x, 0.5); }, {"AnyModule(Masked)", "got 2 (Tensor, double)"});
  expect_error([&] { two.forward(x, x, x); }, {"got 3"});
  AnyModule split(std::make_shared<Splitter>());
  expect_error([&] { split.forward(ones({1, 4})); }, {"AnyModule(Splitter)", "not a Tensor", "forward_as"});
  expect_error([&] { split.forward_as<Tensor>(ones({1, 4})); }, {"AnyModule(Splitter)", "asked for Tensor"});
  expect_error([&] { two.ptr<Linear>(); }, {"AnyModule(Masked)", "not a"});
  AnyModule empty;
  EXPECT_TRUE(empty.empty());
  expect_error([&] { empty.forward(x); }, {"AnyModule: empty"});
}

TEST(Sequential, FirstChildMayTakeSeveralInputs) {
  manual_seed(3);
  auto masked = std::make_shared<Masked>(3);
  auto last = std::make_shared<Linear>(3, 2);
  auto sequential = std::make_shared<Sequential>(masked, std::make_shared<ReLU>(), last);
  Tensor x = randn({4, 3}), mask = randn({4, 3});
  Tensor expected = (*last)(relu((*masked)(x, mask)));
  EXPECT_EQ(sequential->forward(x, mask).to_vector(), expected.to_vector());
  EXPECT_EQ((*sequential)(x, mask).to_vector(), expected.to_vector());
  expect_error([&] { (*sequential)(x); }, {"Sequential: child 0 (Masked)", "(Tensor, Tensor) -> Tensor"});

  // Nested in an AnyModule, a Sequential takes its first child's arguments, with its own hooks.
  size_t seen_inputs = 0;
  sequential->register_forward_pre_hook([&](Module&, const Values& inputs) {
    seen_inputs = inputs.size();
  });
  AnyModule any(sequential);
  EXPECT_EQ(any.signature().to_string(), "(Tensor, Tensor) -> Tensor");
  EXPECT_EQ(any.forward(x, mask).to_vector(), expected.to_vector());
  EXPECT_EQ(seen_inputs, 2u);
  EXPECT_EQ(sequential->named_parameters()[0].first, "0.linear.weight");
  EXPECT_EQ(sequential->at<Linear>(2).get(), last.get());
}

TEST(Sequential, RefusesChildrenWhoseArityDoesNotCompose) {
  auto linear = std::make_shared<Linear>(3, 3);
  expect_error([&] { Sequential({linear, std::make_shared<Masked>(3)}); },
               {"Sequential: child 1 (Masked) has forward (Tensor, Tensor) -> Tensor",
                "only the first child may take other arguments"});
  expect_error([&] { Sequential({linear, std::make_shared<Splitter>()}); },
               {"Sequential: child 1 (Splitter)", "must return a Tensor"});
  Sequential ok;
  ok.push_back(std::make_shared<Masked>(3));
  expect_error([&] { ok.push_back(std::make_shared<Masked>(3)); }, {"child 1 (Masked)"});
  EXPECT_EQ(ok.size(), 1u);  // the refused child was not registered
  EXPECT_EQ(ok.named_children().size(), 1u);
}

TEST(Containers, ModuleListAndModuleDictHoldAnyModule) {
  manual_seed(4);
  ModuleList list({std::make_shared<Linear>(3, 3), std::make_shared<Masked>(3)});
  Tensor x = randn({2, 3}), mask = randn({2, 3});
  Tensor h = list.any_module(0).forward(x);
  Tensor y = list.any_module(1).forward(h, mask);
  EXPECT_EQ(y.to_vector(), ((*list.at<Masked>(1))(h, mask)).to_vector());
  EXPECT_EQ(list.named_parameters()[2].first, "1.linear.weight");
  size_t count = 0;
  for (const AnyModule& module : list) count += module.signature().parameters.size();
  EXPECT_EQ(count, 3u);

  ModuleDict dict;
  dict.insert("encoder", std::make_shared<Masked>(3));
  dict.insert("head", std::make_shared<Linear>(3, 1));
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"encoder", "head"}));
  EXPECT_EQ(dict.any_module("head").forward(dict.any_module("encoder").forward(x, mask)).shape(), (Shape{2, 1}));
  EXPECT_TRUE(dict.contains("head"));
  expect_error([&] { dict.any_module("decoder"); }, {"ModuleDict: no module named 'decoder'", "encoder, head"});
  expect_error([&] { dict.insert("head", std::make_shared<Linear>(1, 1)); }, {"'head' is already registered"});
}

class StateDictFile : public testing::TemporaryDirectoryTest {
 protected:
  StateDictFile() : TemporaryDirectoryTest("state_dict") {}
};

TEST_F(StateDictFile, RoundTripKeepsRegistrationOrderAndOneType) {
  manual_seed(5);
  auto source = std::make_shared<Masked>(3), target = std::make_shared<Masked>(3);
  StateDict state = source->state_dict();
  EXPECT_EQ(state.keys(), (std::vector<std::string>{"linear.weight", "linear.bias"}));
  target->load_state_dict(state);
  Tensor x = randn({2, 3}), mask = ones({2, 3});
  EXPECT_EQ((*target)(x, mask).to_vector(), (*source)(x, mask).to_vector());

  // Through safetensors without a conversion loop.
  std::string path = this->path("masked.safetensors");
  save_safetensors(path, source->state_dict());
  auto fresh = std::make_shared<Masked>(3);
  fresh->load_state_dict(load_safetensors(path));
  EXPECT_EQ((*fresh)(x, mask).to_vector(), (*source)(x, mask).to_vector());

  // clone() is a snapshot; the state dict itself shares the parameters.
  StateDict snapshot = source->state_dict().clone();
  {
    autograd::NoGradGuard no_grad;
    source->linear->weight.mul_(scalar_tensor(0.0));
  }
  EXPECT_EQ(sum(abs(source->state_dict().at("linear.weight"))).item(), 0.0);
  EXPECT_GT(sum(abs(snapshot.at("linear.weight"))).item(), 0.0);
}

TEST(StateDict, StrictAndNonStrictErrorsNameTheKeys) {
  auto model = std::make_shared<Masked>(3);
  StateDict state = model->state_dict().clone();
  state.erase("linear.bias");
  state.insert("extra.weight", zeros({1}));
  expect_error([&] { model->load_state_dict(state); },
               {"missing keys [linear.bias]", "unexpected keys [extra.weight]", "strict=false"});
  std::vector<double> bias = model->linear->bias.to_vector();
  model->load_state_dict(state, false);  // loads the weight, ignores the rest
  EXPECT_EQ(model->linear->bias.to_vector(), bias);
  EXPECT_EQ(model->linear->weight.to_vector(), state.at("linear.weight").to_vector());
  state.insert("linear.weight", zeros({2, 2}));
  expect_error([&] { model->load_state_dict(state, false); },
               {"shape mismatch", "linear.weight (checkpoint [2, 2], model [3, 3])"});
  expect_error([&] { state.at("nothing"); }, {"StateDict: no key 'nothing'"});
  EXPECT_EQ(state.keys(), (std::vector<std::string>{"linear.weight", "extra.weight"}));  // replacing keeps the place
}

TEST(Construction, BracedOptionsAndMake) {
  Conv2d value({.in_channels = 1, .out_channels = 6, .kernel_size = 5, .padding = 2});
  EXPECT_EQ(value.weight.shape(), (Shape{6, 1, 5, 5}));
  auto shared = make<Conv2d>({.in_channels = 2, .out_channels = 4, .kernel_size = {3, 1}, .groups = 2});
  EXPECT_EQ(shared->weight.shape(), (Shape{4, 1, 3, 1}));
  Generator generator(7);
  auto seeded = make<Linear>({.in_features = 4, .out_features = 2, .bias = false}, &generator);
  EXPECT_FALSE(seeded->bias.defined());
  EXPECT_EQ(make<Linear>(4, 2)->weight.shape(), (Shape{2, 4}));
  EXPECT_EQ(make<BatchNorm2d>({.num_features = 3, .momentum = 0.5})->options.momentum, 0.5);
  EXPECT_EQ(make<Embedding>({.num_embeddings = 10, .embedding_dim = 4})->weight.shape(), (Shape{10, 4}));
  EXPECT_EQ(make<GroupNorm>({.num_groups = 2, .num_channels = 4})->weight.shape(), (Shape{4}));
  EXPECT_EQ(make<ConvTranspose2d>({.in_channels = 3, .out_channels = 2, .kernel_size = 2})->weight.shape(),
            (Shape{3, 2, 2, 2}));
  EXPECT_EQ(make<Conv1d>({.in_channels = 3, .out_channels = 2, .kernel_size = 4})->weight.shape(), (Shape{2, 3, 4}));
  expect_error([] { Conv2d({.in_channels = 3, .out_channels = 4, .groups = 2}); },
               {"Conv2d", "in_channels (3)", "groups (2)"});
  // The layer and the function take one options struct.
  Tensor x = randn({1, 1, 8, 8});
  EXPECT_EQ(value(x).to_vector(), functional::conv2d(x, value.weight, value.bias, value.options).to_vector());
}

TEST(Functional, PoolingWithAKernelSizeOnly) {
  Tensor x = randn({2, 3, 6, 6});
  namespace F = functional;
  EXPECT_EQ(F::max_pool2d(x, 2).to_vector(), F::max_pool2d(x, {.kernel_size = 2, .stride = 2}).to_vector());
  EXPECT_EQ(F::max_pool2d(x, 2).shape(), (Shape{2, 3, 3, 3}));
  EXPECT_EQ(F::avg_pool2d(x, 2).to_vector(), F::avg_pool2d(x, {.kernel_size = 2, .stride = 2}).to_vector());
  EXPECT_EQ(F::max_pool2d(x, 3, 1, 1).to_vector(),
            F::max_pool2d(x, {.kernel_size = 3, .stride = 1, .padding = 1}).to_vector());
  EXPECT_EQ(F::avg_pool2d(x, 3, 2).shape(), (Shape{2, 3, 2, 2}));
}

}  // namespace
}  // namespace nabla::nn
