// The fast-vs-reference driver: every registered case (tests/reference/cases_*.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/kernels.h"
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

TEST_P(FastVersusReference, Agree) {
  const ReferenceCase& test_case = GetParam();
  Tensor fast = test_case.function(make_inputs(test_case, 1));
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
