// The fast-vs-reference driver: every registered case (tests/reference/cases_*.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <optional>

#include "backend/cpu/kernels.h"
#include "ops/observer.h"
#include "tests/reference/cases.h"

namespace nabla::testing {

namespace {
std::vector<ReferenceCaseList (*)()>& makers() {
  static std::vector<ReferenceCaseList (*)()> list;
  return list;
}

ReferenceCaseList all_cases() {
  ReferenceCaseList result;
  for (auto make : makers()) {
    ReferenceCaseList part = make();
    result.insert(result.end(), part.begin(), part.end());
  }
  return result;
}

std::vector<Tensor> make_inputs(const ReferenceCase& test_case, uint64_t seed) {
  Generator generator(seed);
  std::vector<Tensor> inputs;
  for (const Shape& shape : test_case.inputs) {
    Tensor x = rand(shape, {}, &generator) * 2.0 - 1.0;
    inputs.push_back(test_case.positive ? x + 1.5 : x);
  }
  return inputs;
}

class FastVersusReference : public ::testing::TestWithParam<ReferenceCase> {};

}  // namespace

// gtest prints a failing case's parameter: its name, not its bytes.
void PrintTo(const ReferenceCase& test_case, std::ostream* out) { *out << test_case.name; }

namespace {

// The ops a case is about: its `ops`, else the longest op name that begins its name (followed by '_').
std::vector<ops::OpId> ops_under_test(const ReferenceCase& test_case) {
  if (!test_case.ops.empty()) return test_case.ops;
  std::optional<ops::OpId> best;
  size_t best_length = 0;
  for (int i = 0; i < ops::op_count; ++i) {
    const std::string name = ops::op_name(static_cast<ops::OpId>(i));
    const bool begins = test_case.name.rfind(name, 0) == 0 &&
                        (test_case.name.size() == name.size() || test_case.name[name.size()] == '_');
    if (begins && name.size() > best_length) {
      best = static_cast<ops::OpId>(i);
      best_length = name.size();
    }
  }
  if (!best) return {};
  return {*best};
}

// What the unforced run dispatched: per op, the calls on fast and on reference kernels (any depth).
struct KernelCounts {
  int fast = 0;
  int reference = 0;
};

std::string describe(const std::map<ops::OpId, KernelCounts>& dispatched) {
  std::string text;
  for (const auto& [op, counts] : dispatched) {
    text += fmt::format(" {} (fast {}, reference {})", ops::op_name(op), counts.fast, counts.reference);
  }
  return text.empty() ? " nothing" : text;
}

TEST_P(FastVersusReference, Agree) {
  const ReferenceCase& test_case = GetParam();
  const std::vector<ops::OpId> under_test = ops_under_test(test_case);
  ASSERT_FALSE(under_test.empty()) << test_case.name << ": its name begins with no op; say which ops it tests (about)";
  if (test_case.expect == Expect::reference) {
    ASSERT_FALSE(test_case.reason.empty()) << test_case.name << ": say why the reference kernel runs";
  }
  std::map<ops::OpId, KernelCounts> dispatched;
  Tensor fast;
  {
    std::vector<Tensor> inputs = make_inputs(test_case, 1);  // made outside the watch: not the case's ops
    ops::ObserveDispatch observe([&](const ops::Dispatched& call) {
      if (call.kernel == ops::KernelKind::fast) ++dispatched[call.op].fast;
      if (call.kernel == ops::KernelKind::reference) ++dispatched[call.op].reference;
    });
    fast = test_case.function(std::move(inputs));
  }
  for (ops::OpId op : under_test) {
    const KernelCounts counts = dispatched.count(op) ? dispatched.at(op) : KernelCounts{};
    EXPECT_GT(counts.fast + counts.reference, 0)
        << test_case.name << " is about " << ops::op_name(op) << ", which it never ran; it ran" << describe(dispatched);
    if (test_case.expect == Expect::fast) {
      EXPECT_EQ(counts.reference, 0) << test_case.name << ": " << ops::op_name(op)
                                     << " ran on the reference kernel, so the case compares the reference with "
                                        "itself (no fast kernel for this input? mark it Expect::reference with the "
                                        "reason); it ran" << describe(dispatched);
    } else {
      EXPECT_EQ(counts.fast, 0) << test_case.name << ": " << ops::op_name(op) << " ran on a fast kernel, but the case "
                                << "expects the reference (" << test_case.reason << "): flip it to Expect::fast";
    }
  }
  Tensor reference;
  {
    cpu::ReferenceOnlyGuard reference_only;
    reference = test_case.function(make_inputs(test_case, 1));
  }
  ASSERT_EQ(fast.shape(), reference.shape());
  ASSERT_EQ(fast.dtype(), reference.dtype());
  std::vector<double> a = fast.to_vector(), b = reference.to_vector();
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(b[i])) {
      ASSERT_TRUE(std::isnan(a[i])) << "element " << i;
      continue;
    }
    if (a[i] == b[i]) continue;  // also equal infinities, whose difference would be NaN
    ASSERT_NEAR(a[i], b[i], test_case.tolerance * std::max(1.0, std::fabs(b[i]))) << "element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, FastVersusReference, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace

void register_reference_cases(ReferenceCaseList (*make)()) { makers().push_back(make); }

}  // namespace nabla::testing
