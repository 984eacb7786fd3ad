// Golden tests: every case of cases.json, made by make_fixtures.py with PyTorch, replayed through nabla's
// public API. A case checks each output (shape, dtype, values within the case's tolerance) and the
// gradient of sum(output * upstream) with respect to each input that requires grad. The fixtures are
// committed, so these tests need no Python. One gtest per case: PyTorch/Golden.Matches/<case>.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "nabla/io/safetensors.h"
#include "nabla/nabla.h"
#include "ops/op.h"

namespace nabla::golden {
namespace {

using json = nlohmann::json;
using Tensors = std::vector<Tensor>;
using OpFunction = std::function<Tensors(const Tensors& inputs, const json& args)>;

std::string golden_file(const char* name) { return std::string(NABLA_GOLDEN_DIR) + "/" + name; }

// ---------------------------------------------------------------- loading (once per process)

// Parsed lazily and never throwing: gtest lists the cases before any test runs, and a missing or broken
// file should fail the FixturesLoad test, not abort the listing.
struct CaseFile {
  json cases = json::array();
  std::string error;
};

const CaseFile& case_file() {
  static const CaseFile file = [] {
    CaseFile result;
    try {
      std::ifstream in(golden_file("cases.json"));
      if (!in) throw Error("can't open " + golden_file("cases.json"));
      result.cases = json::parse(in);
    } catch (const std::exception& error) {
      result.error = error.what();
    }
    return result;
  }();
  return file;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const json& spec : case_file().cases) names.push_back(spec.at("name").get<std::string>());
  return names;
}

const json& case_spec(const std::string& name) {
  for (const json& spec : case_file().cases) {
    if (spec.at("name") == name) return spec;
  }
  throw Error("no golden case named " + name);
}

const std::map<std::string, Tensor>& fixtures() {
  static const std::map<std::string, Tensor> tensors = load_safetensors(golden_file("fixtures.safetensors"));
  return tensors;
}

const Tensor& fixture(const std::string& name) {
  auto it = fixtures().find(name);
  if (it == fixtures().end()) throw Error("fixtures.safetensors has no tensor " + name);
  return it->second;
}

DType dtype_named(const std::string& name) {
  for (int i = 0; i < dtype_count; ++i) {
    if (dtype_name(static_cast<DType>(i)) == name) return static_cast<DType>(i);
  }
  throw Error("unknown dtype name " + name);
}

// ---------------------------------------------------------------- the ops, as make_fixtures.py runs them

// A Python number: ints and floats promote differently (int tensor + 2 stays int, + 2.5 gives float).
Tensor scalar_argument(const json& args) {
  if (args.at("scalar_kind") == "int") return wrapped_scalar(args.at("scalar").get<int64_t>());
  return wrapped_scalar(args.at("scalar").get<double>());
}

bool float_scalar(const json& args) { return args.contains("scalar") && args.at("scalar_kind") == "float"; }

// Float scalars for + - * / go through the operator overloads that C++ users write: x + 2.5, 2.5 - x.
std::optional<Tensor> arithmetic_with_double(const std::string& op, const Tensor& x, double scalar, bool first) {
  if (op == "add") return first ? scalar + x : x + scalar;
  if (op == "sub") return first ? scalar - x : x - scalar;
  if (op == "mul") return first ? scalar * x : x * scalar;
  if (op == "div") return first ? scalar / x : x / scalar;
  if (op == "pow" && !first) return pow(x, scalar);
  return std::nullopt;
}

OpFunction binary(const std::string& op, Tensor (*function)(const Tensor&, const Tensor&)) {
  return [op, function](const Tensors& x, const json& args) -> Tensors {
    if (!args.contains("scalar")) return {function(x[0], x[1])};
    bool first = args.value("scalar_first", false);
    if (float_scalar(args)) {
      if (auto result = arithmetic_with_double(op, x[0], args.at("scalar").get<double>(), first)) return {*result};
    }
    Tensor scalar = scalar_argument(args);
    return {first ? function(scalar, x[0]) : function(x[0], scalar)};
  };
}

OpFunction unary(Tensor (*function)(const Tensor&)) {
  return [function](const Tensors& x, const json&) -> Tensors { return {function(x[0])}; };
}

// In-place ops write into a clone: a leaf that requires grad may not be modified in place.
OpFunction inplace(bool add) {
  return [add](const Tensors& x, const json& args) -> Tensors {
    Tensor result = x[0].clone();
    if (float_scalar(args)) {
      double scalar = args.at("scalar").get<double>();
      add ? result.add_(scalar) : result.mul_(scalar);
    } else {
      const Tensor other = args.contains("scalar") ? scalar_argument(args) : x[1];
      add ? result.add_(other) : result.mul_(other);
    }
    return {result};
  };
}

std::vector<int64_t> dims_of(const json& args) { return args.value("dims", std::vector<int64_t>{}); }
bool keepdim_of(const json& args) { return args.value("keepdim", false); }
int64_t dim_of(const json& args) { return args.at("dim").get<int64_t>(); }

Reduction reduction_named(const std::string& name) {
  if (name == "none") return Reduction::none;
  if (name == "sum") return Reduction::sum;
  if (name == "mean") return Reduction::mean;
  throw Error("unknown reduction " + name);
}

// index_add and scatter_add have no public function (they are the backward passes of index_select and
// gather): call them through the dispatcher, inputs in PyTorch's order (self, index, source).
OpFunction through_dispatch(ops::OpId op) {
  return [op](const Tensors& x, const json& args) -> Tensors {
    return {ops::call1(op, {x[0], x[1], x[2]}, ops::DimAttrs{.dim = dim_of(args)})};
  };
}

Tensors max_op(const Tensors& x, const json& args) {
  if (!args.contains("dim")) return {max(x[0])};
  auto [values, indices] = max(x[0], dim_of(args), keepdim_of(args));
  return {values, indices};
}

const std::map<std::string, OpFunction>& op_table() {
  using T = const Tensors&;
  using A = const json&;
  static const std::map<std::string, OpFunction> table = {
      {"neg", unary(&neg)},
      {"exp", unary(&exp)},
      {"log", unary(&log)},
      {"sqrt", unary(&sqrt)},
      {"tanh", unary(&tanh)},
      {"sigmoid", unary(&sigmoid)},
      {"relu", unary(&relu)},
      {"add", binary("add", &add)},
      {"sub", binary("sub", &sub)},
      {"mul", binary("mul", &mul)},
      {"div", binary("div", &div)},
      {"pow", binary("pow", static_cast<Tensor (*)(const Tensor&, const Tensor&)>(&pow))},
      {"maximum", binary("maximum", &maximum)},
      {"eq", binary("eq", &eq)},
      {"ne", binary("ne", &ne)},
      {"lt", binary("lt", &lt)},
      {"le", binary("le", &le)},
      {"gt", binary("gt", &gt)},
      {"ge", binary("ge", &ge)},
      {"where", [](T x, A) -> Tensors { return {where(x[0], x[1], x[2])}; }},
      {"add_", inplace(true)},
      {"mul_", inplace(false)},
      {"clone", [](T x, A) -> Tensors { return {x[0].clone()}; }},
      {"cast", [](T x, A args) -> Tensors { return {x[0].to(dtype_named(args.at("dtype")))}; }},
      {"view", [](T x, A args) -> Tensors { return {x[0].view(args.at("shape").get<Shape>())}; }},
      {"permute", [](T x, A args) -> Tensors { return {x[0].permute(args.at("dims").get<Shape>())}; }},
      {"slice", [](T x, A args) -> Tensors {
         return {x[0].slice(dim_of(args), args.at("start"), args.at("end"), args.at("step"))};
       }},
      {"expand", [](T x, A args) -> Tensors { return {x[0].expand(args.at("shape").get<Shape>())}; }},
      {"cat", [](T x, A args) -> Tensors { return {cat(x, dim_of(args))}; }},
      {"index_add", through_dispatch(ops::OpId::index_add)},
      {"scatter_add", through_dispatch(ops::OpId::scatter_add)},
      {"sum", [](T x, A args) -> Tensors { return {sum(x[0], dims_of(args), keepdim_of(args))}; }},
      {"mean", [](T x, A args) -> Tensors { return {mean(x[0], dims_of(args), keepdim_of(args))}; }},
      {"max", &max_op},
      {"argmax", [](T x, A args) -> Tensors { return {argmax(x[0], dim_of(args), keepdim_of(args))}; }},
      {"logsumexp", [](T x, A args) -> Tensors { return {logsumexp(x[0], dims_of(args), keepdim_of(args))}; }},
      {"softmax", [](T x, A args) -> Tensors { return {softmax(x[0], dim_of(args))}; }},
      {"log_softmax", [](T x, A args) -> Tensors { return {log_softmax(x[0], dim_of(args))}; }},
      {"matmul", [](T x, A) -> Tensors { return {matmul(x[0], x[1])}; }},
      {"index_select", [](T x, A args) -> Tensors { return {index_select(x[0], dim_of(args), x[1])}; }},
      {"gather", [](T x, A args) -> Tensors { return {gather(x[0], dim_of(args), x[1])}; }},
      {"cross_entropy", [](T x, A args) -> Tensors {
         return {cross_entropy(x[0], x[1], reduction_named(args.at("reduction")), args.value("ignore_index", -100))};
       }},
  };
  return table;
}

// ---------------------------------------------------------------- comparing

struct Tolerance {
  double atol, rtol;
};

// nan matches nan and an infinity matches itself: PyTorch's special values are part of the contract.
bool close(double actual, double expected, Tolerance tolerance, bool exact) {
  if (std::isnan(expected)) return std::isnan(actual);
  if (exact || std::isinf(expected)) return actual == expected;
  return std::fabs(actual - expected) <= tolerance.atol + tolerance.rtol * std::fabs(expected);
}

// One failure per tensor, listing the first few elements that differ.
void expect_matches(const std::string& what, const Tensor& actual, const Tensor& expected, Tolerance tolerance) {
  ASSERT_TRUE(actual.defined()) << what << ": nabla returned an undefined tensor";
  EXPECT_EQ(dtype_name(actual.dtype()), dtype_name(expected.dtype())) << what << ": dtype differs from PyTorch's";
  ASSERT_EQ(shape_string(actual.shape()), shape_string(expected.shape())) << what << ": shape differs from PyTorch's";
  std::vector<double> got = actual.to_vector(), want = expected.to_vector();
  bool exact = !is_floating(expected.dtype());
  std::string report;
  int mismatches = 0;
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (close(got[i], want[i], tolerance, exact)) continue;
    worst = std::max(worst, std::fabs(got[i] - want[i]));
    if (++mismatches <= 5) report += fmt::format("\n  [{}] nabla {:.17g}, PyTorch {:.17g}", i, got[i], want[i]);
  }
  EXPECT_EQ(mismatches, 0) << what << ": " << mismatches << " of " << want.size()
                           << fmt::format(" elements differ (largest difference {:.3g}; atol {:g}, rtol {:g}):",
                                          worst, tolerance.atol, tolerance.rtol)
                           << report;
}

// ---------------------------------------------------------------- running one case

Tensors load_inputs(const json& spec) {
  Tensors inputs;
  const json& requires_grad = spec.at("requires_grad");
  for (size_t i = 0; i < spec.at("inputs").size(); ++i) {
    Tensor input = fixture(spec.at("inputs")[i]).clone();  // a fresh leaf: the fixtures stay untouched
    if (requires_grad[i].get<bool>()) input.requires_grad_();
    inputs.push_back(input);
  }
  return inputs;
}

void check_gradients(const json& spec, const Tensors& inputs, const Tensors& outputs, Tolerance tolerance) {
  Tensors differentiable, upstreams, wanted;
  std::vector<std::string> grad_names;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const json& upstream = spec.at("upstreams")[i];
    if (upstream.is_null()) continue;
    differentiable.push_back(outputs[i]);
    upstreams.push_back(fixture(upstream));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (spec.at("grads")[i].is_null()) continue;
    wanted.push_back(inputs[i]);
    grad_names.push_back(spec.at("grads")[i]);
  }
  if (differentiable.empty() || wanted.empty()) return;
  Tensors grads = autograd::grad(differentiable, wanted, upstreams, {}, false, /*allow_unused=*/true);
  ASSERT_EQ(grads.size(), wanted.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& expected = fixture(grad_names[i]);
    // An unused input has no gradient in nabla where PyTorch's fixture holds zeros.
    Tensor actual = grads[i].defined() ? grads[i] : zeros_like(expected);
    expect_matches(grad_names[i], actual, expected, tolerance);
  }
}

// What the op sees: the inputs listed in "transposed_inputs" as strided views (last two dims swapped).
Tensors seen_by_op(const json& spec, const Tensors& inputs) {
  Tensors seen = inputs;
  for (const json& index : spec.value("transposed_inputs", json::array())) {
    Tensor& input = seen.at(index.get<size_t>());
    input = input.mT();
  }
  return seen;
}

// PyTorch refused this call: nabla must throw its one-line nabla::Error, not return or throw another type.
void expect_error(const json& spec, const OpFunction& function, const Tensors& inputs) {
  const std::string pytorch = spec.at("error");
  try {
    Tensors outputs = function(seen_by_op(spec, inputs), spec.at("args"));
    std::vector<std::string> results;
    for (const Tensor& output : outputs) results.push_back(output.describe() + " " + output.to_string());
    ADD_FAILURE() << "PyTorch raises \"" << pytorch << "\" but nabla returned " << fmt::format("{}", fmt::join(results, ", "));
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_FALSE(message.empty());
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  } catch (const std::exception& error) {
    ADD_FAILURE() << "PyTorch raises \"" << pytorch << "\"; nabla threw a non-nabla::Error: " << error.what();
  }
}

void run_case(const json& spec) {
  const std::string op = spec.at("op");
  auto function = op_table().find(op);
  ASSERT_NE(function, op_table().end()) << "no C++ function for op " << op;
  Tensors inputs = load_inputs(spec);
  if (spec.contains("error")) return expect_error(spec, function->second, inputs);
  Tolerance tolerance{spec.at("tolerance").at("atol"), spec.at("tolerance").at("rtol")};
  Tensors outputs = function->second(seen_by_op(spec, inputs), spec.at("args"));
  ASSERT_EQ(outputs.size(), spec.at("outputs").size()) << "number of outputs";
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string name = spec.at("outputs")[i];
    expect_matches(name, outputs[i], fixture(name), tolerance);
  }
  check_gradients(spec, inputs, outputs, tolerance);
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, Matches) {
  const json& spec = case_spec(GetParam());
  SCOPED_TRACE(fmt::format("case {}: op {}, args {}{}", GetParam(), spec.at("op").get<std::string>(),
                           spec.at("args").dump(), spec.contains("note") ? " — " + spec.at("note").get<std::string>() : ""));
  try {
    run_case(spec);
  } catch (const std::exception& error) {
    FAIL() << "threw: " << error.what();
  }
}

INSTANTIATE_TEST_SUITE_P(PyTorch, Golden, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Golden);  // FixturesLoad reports a missing cases.json

// ---------------------------------------------------------------- the files and the coverage

TEST(GoldenFiles, FixturesLoad) {
  ASSERT_EQ(case_file().error, "") << "run tests/golden/make_fixtures.py to make the fixtures";
  ASSERT_FALSE(case_file().cases.empty());
  ASSERT_NO_THROW(fixtures());
  for (const json& spec : case_file().cases) {
    for (const char* list : {"inputs", "outputs", "upstreams", "grads"}) {
      for (const json& name : spec.at(list)) {
        if (name.is_null()) continue;
        EXPECT_EQ(fixtures().count(name.get<std::string>()), 1u) << name;
      }
    }
  }
}

TEST(GoldenFiles, EveryCaseNamesAKnownOp) {
  std::set<std::string> op_names;
  for (int i = 0; i < ops::op_count; ++i) op_names.insert(ops::op_name(static_cast<ops::OpId>(i)));
  for (const json& spec : case_file().cases) {
    EXPECT_EQ(op_table().count(spec.at("op")), 1u) << spec.at("name") << ": no C++ function for " << spec.at("op");
    for (const json& covered : spec.at("covers")) {
      EXPECT_EQ(op_names.count(covered), 1u) << spec.at("name") << " covers " << covered << ", not in ops.def";
    }
  }
}

TEST(GoldenFiles, EveryOpHasACase) {
  std::set<std::string> covered;
  for (const json& spec : case_file().cases) {
    for (const json& name : spec.at("covers")) covered.insert(name.get<std::string>());
  }
  for (int i = 0; i < ops::op_count; ++i) {
    const char* name = ops::op_name(static_cast<ops::OpId>(i));
    EXPECT_EQ(covered.count(name), 1u) << "op " << name << " has no golden case: add one to make_fixtures.py";
  }
}

}  // namespace
}  // namespace nabla::golden
