// The gradcheck driver: every case × every layout, float64, central differences.
#include <gtest/gtest.h>

#include <set>

#include "nabla/gradcheck.h"
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

std::string instance_name(const ::testing::TestParamInfo<Instance>& info) {
  std::string name = all_cases()[info.param.case_index].name + "_" + layout_name(info.param.layout);
  for (char& c : name) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Ops, Gradcheck, ::testing::ValuesIn(instances()), instance_name);

TEST(GradcheckCoverage, EveryDifferentiableOpHasACase) {
  std::set<ops::OpId> covered;
  for (const GradCase& test_case : all_cases()) covered.insert(test_case.covers.begin(), test_case.covers.end());
  for (int i = 0; i < ops::op_count; ++i) {
    auto op = static_cast<ops::OpId>(i);
    if (ops::schema(op).differentiable == 0 || ops::schema(op).differentiable == ops::refused) continue;
    EXPECT_TRUE(covered.count(op)) << "no gradcheck case covers " << ops::op_name(op);
  }
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
