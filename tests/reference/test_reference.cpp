// Fast kernels against reference kernels: each case runs twice, once with the CPU backend's fast paths
// and once forced onto the reference kernels, on shapes that hit the fast paths' edges (size 1, primes,
// beyond L2, scalars, in place). Add a case to the table to cover a new fast kernel.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "backend/cpu/kernels.h"
#include "nabla/nabla.h"

namespace nabla {
namespace {

struct ReferenceCase {
  std::string name;
  std::vector<Shape> inputs;  // f32, U(-1, 1) (shifted to (0.5, 2.5) for positive = true)
  std::function<Tensor(std::vector<Tensor>)> function;
  bool positive = false;
  double tolerance = 1e-6;  // relative to max(1, |reference|)
};

const Shape beyond_l2{1 << 20};  // 4 MiB of float32, twice the L2 cache

std::vector<ReferenceCase> cases() {
  auto add = [](std::vector<Tensor> x) { return x[0] + x[1]; };
  auto sub = [](std::vector<Tensor> x) { return x[0] - x[1]; };
  auto mul = [](std::vector<Tensor> x) { return x[0] * x[1]; };
  auto div = [](std::vector<Tensor> x) { return x[0] / x[1]; };
  return {
      {"add_size1", {{1}, {1}}, add},
      {"add_prime", {{7, 13}, {7, 13}}, add},
      {"add_beyond_l2", {beyond_l2, beyond_l2}, add},
      {"add_scalar", {{1001}}, [](std::vector<Tensor> x) { return x[0] + 0.1; }},
      {"add_scalar_first", {{1001}}, [](std::vector<Tensor> x) { return 0.1 + x[0]; }},
      {"add_one_element", {{1}}, [](std::vector<Tensor> x) { return x[0] + 0.1; }},
      {"add_broadcast_row", {{33, 17}, {17}}, add},
      {"add_transposed", {{31, 37}, {37, 31}}, [](std::vector<Tensor> x) { return x[0] + x[1].t(); }},
      {"sub_beyond_l2", {beyond_l2, beyond_l2}, sub},
      {"mul_prime", {{97}, {97}}, mul},
      {"mul_beyond_l2", {beyond_l2, beyond_l2}, mul},
      {"mul_scalar", {{4099}}, [](std::vector<Tensor> x) { return x[0] * 3.0; }},
      {"div_prime", {{101}, {101}}, div, true},
      {"div_beyond_l2", {beyond_l2, beyond_l2}, div, true},
      {"add_inplace", {{4099}, {4099}}, [](std::vector<Tensor> x) { return x[0].add_(x[1]); }},
      {"mul_inplace_scalar", {{4099}}, [](std::vector<Tensor> x) { return x[0].mul_(-2.0); }},
  };
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
    ASSERT_NEAR(a[i], b[i], test_case.tolerance * std::max(1.0, std::fabs(b[i]))) << "element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, FastVersusReference, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace nabla
