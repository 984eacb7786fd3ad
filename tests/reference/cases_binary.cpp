// Fast-vs-reference cases: the f32 elementwise add/sub/mul/div fast path.
#include "tests/reference/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_REFERENCE_CASES(binary) {
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
      about({OpId::add_}, {"add_inplace", {{4099}, {4099}}, [](std::vector<Tensor> x) { return x[0].add_(x[1]); }}),
      about({OpId::mul_}, {"mul_inplace_scalar", {{4099}}, [](std::vector<Tensor> x) { return x[0].mul_(-2.0); }}),
  };
}

}  // namespace nabla::testing
