// The gradcheck driver: every case × every layout, float64, central differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "nabla/gradcheck.h"
#include "ops/observer.h"
#include "tests/gradcheck/cases.h"

namespace nabla::testing {

namespace {
std::vector<CaseList (*)()>& makers() {
  static std::vector<CaseList (*)()> list;
  return list;
}
}  // namespace

void register_cases(CaseList (*make)()) { makers().push_back(make); }

const CaseList& all_cases() {
  static const CaseList cases = [] {
    CaseList result;
    for (auto make : makers()) {
      CaseList part = make();
      result.insert(result.end(), part.begin(), part.end());
    }
    return result;
  }();
  return cases;
}

namespace {

enum class Layout { contiguous, transposed, sliced, broadcast };
const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::contiguous: return "contiguous";
    case Layout::transposed: return "transposed";
    case Layout::sliced: return "sliced";
    case Layout::broadcast: return "broadcast";
  }
  return "?";
}

bool differentiable(const InputSpec& spec) { return spec.kind != InputSpec::index && spec.kind != InputSpec::mask; }

bool applies(Layout layout, const InputSpec& spec) {
  if (!differentiable(spec)) return false;
  switch (layout) {
    case Layout::contiguous: return true;
    case Layout::transposed: return spec.shape.size() >= 2;
    case Layout::sliced: return !spec.shape.empty();
    case Layout::broadcast: return !spec.shape.empty() && spec.shape[0] > 1 && spec.kind != InputSpec::distinct;
  }
  return false;
}

// `position` (the input's index) shifts distinct values so that two inputs never tie either.
Tensor values(const InputSpec& spec, const Shape& shape, Generator& generator, size_t position) {
  switch (spec.kind) {
    case InputSpec::uniform: return rand(shape, {.dtype = DType::f64}, &generator) * 2.0 - 1.0;
    case InputSpec::positive: return rand(shape, {.dtype = DType::f64}, &generator) * 1.5 + 0.5;
    case InputSpec::distinct: {
      // A random permutation of 0..n-1, scaled: neighbours differ by 0.1, far above the step eps.
      Tensor order = randperm(numel(shape), {.dtype = DType::f64}, &generator);
      double shift = 0.03 * static_cast<double>(position) - 0.05 * static_cast<double>(numel(shape));
      return (order * 0.1 + shift).reshape(shape);
    }
    case InputSpec::index: return randint(0, spec.index_high, shape, {.dtype = DType::i64}, &generator);
    case InputSpec::mask: return gt(rand(shape, {.dtype = DType::f64}, &generator), wrapped_scalar(0.5));
  }
  return {};
}

// Makes a float64 leaf laid out so that `view` of it has the spec's shape with the layout's strides.
std::pair<Tensor, std::function<Tensor(const Tensor&)>> make_input(const InputSpec& spec, Layout layout,
                                                                   Generator& generator, size_t position) {
  Shape shape = spec.shape;
  if (!applies(layout, spec)) {
    return {values(spec, shape, generator, position), [](const Tensor& t) { return t; }};
  }
  switch (layout) {
    case Layout::transposed: {
      std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
      return {values(spec, shape, generator, position), [](const Tensor& t) { return t.transpose(-1, -2); }};
    }
    case Layout::sliced: {
      int64_t last = shape.back();
      shape.back() = 2 * last;
      return {values(spec, shape, generator, position), [last](const Tensor& t) { return t.slice(-1, 0, 2 * last, 2); }};
    }
    case Layout::broadcast: {
      Shape full = shape;
      shape[0] = 1;
      return {values(spec, shape, generator, position), [full](const Tensor& t) { return t.expand(full); }};
    }
    default:
      return {values(spec, shape, generator, position), [](const Tensor& t) { return t; }};
  }
}

struct Instance {
  size_t case_index;
  Layout layout;
};

std::vector<Instance> instances() {
  std::vector<Instance> result;
  const CaseList& cases = all_cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    for (Layout layout : {Layout::contiguous, Layout::transposed, Layout::sliced, Layout::broadcast}) {
      bool any = false;
      for (const InputSpec& spec : cases[i].inputs) any = any || applies(layout, spec);
      if (any) result.push_back({i, layout});
    }
  }
  return result;
}

class Gradcheck : public ::testing::TestWithParam<Instance> {};

TEST_P(Gradcheck, MatchesFiniteDifferences) {
  const GradCase& test_case = all_cases()[GetParam().case_index];
  const Layout layout = GetParam().layout;
  Generator generator(GetParam().case_index * 7 + static_cast<uint64_t>(layout));
  std::vector<Tensor> leaves;
  std::vector<std::function<Tensor(const Tensor&)>> views;
  for (const InputSpec& spec : test_case.inputs) {
    auto [leaf, view] = make_input(spec, layout, generator, leaves.size());
    if (differentiable(spec)) leaf.requires_grad_();
    leaves.push_back(leaf);
    views.push_back(view);
  }
  GradcheckFunction function = [&](const std::vector<Tensor>& inputs) {
    std::vector<Tensor> laid_out;
    for (size_t i = 0; i < inputs.size(); ++i) laid_out.push_back(views[i](inputs[i]));
    return test_case.function(laid_out);
  };
  GradcheckResult result = gradcheck(function, leaves, test_case.options);
  EXPECT_TRUE(result.ok) << test_case.name << " (" << layout_name(layout) << "): " << result.message;
  EXPECT_GT(result.checked, 0) << "every point was skipped as non-differentiable";
  if (layout == Layout::contiguous && test_case.second_order) {
    GradcheckResult second = gradgradcheck(function, leaves, test_case.options);
    EXPECT_TRUE(second.ok) << test_case.name << " second order: " << second.message;
  }
}

// gtest's names are identifiers.
std::string identifier(std::string name) {
  for (char& c : name) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

std::string instance_name(const ::testing::TestParamInfo<Instance>& info) {
  return identifier(all_cases()[info.param.case_index].name + "_" + layout_name(info.param.layout));
}

INSTANTIATE_TEST_SUITE_P(Ops, Gradcheck, ::testing::ValuesIn(instances()), instance_name);

// A case's claim (`covers`) is checked against what it ran: each op it names must be dispatched by the
// case itself or by a backward formula of its graph (depth 0: not an op some kernel called), and a
// differentiable op must have been called on an input that requires grad in the forward pass, or run in a
// backward pass — else gradcheck never saw its gradient.
std::set<ops::OpId> dispatched_by(const GradCase& test_case, uint64_t seed) {
  Generator generator(seed);
  std::vector<Tensor> leaves, differentiable_leaves;
  for (const InputSpec& spec : test_case.inputs) {
    Tensor leaf = make_input(spec, Layout::contiguous, generator, leaves.size()).first;
    if (differentiable(spec)) differentiable_leaves.push_back(leaf.requires_grad_());
    leaves.push_back(leaf);
  }
  std::set<ops::OpId> seen;
  auto recorder = [&seen](bool backward) {
    return [&seen, backward](const ops::Dispatched& call) {
      if (call.depth != 0) return;
      const uint32_t differentiable_outputs = ops::schema(call.op).differentiable;
      if (backward || differentiable_outputs == 0 || differentiable_outputs == ops::refused ||
          std::any_of(call.inputs.begin(), call.inputs.end(), [](const Tensor& t) { return t.requires_grad(); })) {
        seen.insert(call.op);
      }
    };
  };
  Tensor output;
  {
    ops::ObserveDispatch observe(recorder(false));
    output = test_case.function(leaves);
  }
  if (!output.requires_grad()) return seen;
  Generator upstream_generator(seed + 1);
  Tensor upstream = randn(output.shape(), {.dtype = output.dtype()}, &upstream_generator);
  // First order as gradcheck takes it (no graph of the backward: fused backward ops run here), then, for a
  // second-order case, the same backward building its graph (composite formulas run there).
  {
    ops::ObserveDispatch observe(recorder(true));
    autograd::grad({output}, differentiable_leaves, {upstream}, true, false, true);
  }
  if (!test_case.second_order) return seen;
  std::vector<Tensor> grads;
  {
    ops::ObserveDispatch observe(recorder(true));
    grads = autograd::grad({output}, differentiable_leaves, {upstream}, true, true, true);
  }
  // The gradient of the gradient, as gradgradcheck takes it: the backward formulas' own backward.
  std::vector<Tensor> first, weights;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined() || !grads[i].requires_grad()) continue;
    first.push_back(grads[i]);
    weights.push_back(randn(grads[i].shape(), {.dtype = grads[i].dtype()}, &upstream_generator));
  }
  if (first.empty()) return seen;
  ops::ObserveDispatch observe(recorder(true));
  autograd::grad(first, differentiable_leaves, weights, {}, false, true);
  return seen;
}

class GradcheckClaim : public ::testing::TestWithParam<size_t> {};

TEST_P(GradcheckClaim, CaseDispatchesTheOpsItCovers) {
  const GradCase& test_case = all_cases()[GetParam()];
  const std::set<ops::OpId> seen = dispatched_by(test_case, GetParam() * 7);
  for (ops::OpId op : test_case.covers) {
    EXPECT_TRUE(seen.count(op)) << test_case.name << " claims to cover " << ops::op_name(op)
                                << ", but it never ran where gradcheck sees its gradient (in the forward pass on an "
                                   "input that requires grad, or in a backward pass)";
  }
}

// The cases that claim ops (a composite such as a loss claims none: it checks a public function).
std::vector<size_t> claiming_cases() {
  std::vector<size_t> indices;
  for (size_t i = 0; i < all_cases().size(); ++i) {
    if (!all_cases()[i].covers.empty()) indices.push_back(i);
  }
  return indices;
}

INSTANTIATE_TEST_SUITE_P(Cases, GradcheckClaim, ::testing::ValuesIn(claiming_cases()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return identifier(all_cases()[info.param].name); });

// Every differentiable op is claimed by some case (and GradcheckClaim proves each claim).
TEST(GradcheckCoverage, EveryDifferentiableOpHasACase) {
  std::set<ops::OpId> covered;
  for (const GradCase& test_case : all_cases()) covered.insert(test_case.covers.begin(), test_case.covers.end());
  for (int i = 0; i < ops::op_count; ++i) {
    auto op = static_cast<ops::OpId>(i);
    if (ops::schema(op).differentiable == 0 || ops::schema(op).differentiable == ops::refused) continue;
    EXPECT_TRUE(covered.count(op)) << "no gradcheck case covers " << ops::op_name(op);
  }
}

TEST(GradcheckHarness, FailsWhenMostPointsAreKinks) {
  // |x| at x = 0 everywhere: every element is a kink, so the check would compare nothing.
  Tensor x = zeros({6}, {.dtype = DType::f64}).requires_grad_();
  GradcheckFunction kinked = [](const std::vector<Tensor>& inputs) { return abs(inputs[0]); };
  GradcheckResult refused = gradcheck(kinked, {x});
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.skipped, 6);
  EXPECT_NE(refused.message.find("allow_kinks"), std::string::npos) << refused.message;
  // Declared, with the reason, the same check passes.
  GradcheckResult declared = gradcheck(kinked, {x}, {.allow_kinks = "abs at its kink, on purpose"});
  EXPECT_TRUE(declared.ok) << declared.message;
  EXPECT_EQ(declared.skipped, 6);
}

TEST(GradcheckHarness, CatchesAWrongGradient) {
  // A function whose backward is deliberately wrong (2x instead of 3x²) must fail the check.
  Tensor x = rand({5}, {.dtype = DType::f64}).requires_grad_();
  GradcheckFunction wrong = [](const std::vector<Tensor>& inputs) {
    return autograd::apply_function(
        "WrongCube", inputs,
        [](autograd::FunctionContext& ctx, const std::vector<Tensor>& in) {
          ctx.save_for_backward({in[0]});
          return std::vector<Tensor>{in[0] * in[0] * in[0]};
        },
        [](autograd::FunctionContext& ctx, const std::vector<Tensor>& grads) {
          return std::vector<Tensor>{grads[0] * 2.0 * ctx.saved_tensors()[0]};
        })[0];
  };
  EXPECT_FALSE(gradcheck(wrong, {x}).ok);
}

}  // namespace
}  // namespace nabla::testing
