// Fast-vs-reference cases: float32 sum and mean (over everything, the last dim, the leading dims) and max
// along the last dim, on sizes of 1, primes, beyond L2, and non-contiguous inputs (which take the reference
// kernel in both runs, and must still agree).
#include "tests/reference/cases.h"

namespace nabla::testing {

NABLA_REFERENCE_CASES(reduce) {
  using Inputs = std::vector<Tensor>;
  auto sum_all = [](Inputs x) { return sum(x[0]); };
  auto sum_last = [](Inputs x) { return sum(x[0], {-1}); };
  auto sum_leading = [](Inputs x) { return sum(x[0], {0}); };
  auto mean_all = [](Inputs x) { return mean(x[0]); };
  auto mean_last = [](Inputs x) { return mean(x[0], {-1}, true); };
  auto mean_leading = [](Inputs x) { return mean(x[0], {0, 1}); };
  auto max_values = [](Inputs x) { return max(x[0], -1).first; };
  auto max_indices = [](Inputs x) { return max(x[0], -1).second.to(DType::f32); };
  const Shape wide_rows{3, 1 << 19};
  const std::string strided = "the fast kernel takes contiguous inputs: a strided input runs the reference";  // a few long rows: each row's chunks run in parallel
  return {
      {"sum_all_size1", {{1}}, sum_all},
      {"sum_all_prime", {{7, 13}}, sum_all},
      {"sum_all_beyond_l2", {beyond_l2}, sum_all},
      {"sum_all_positive_beyond_l2", {beyond_l2}, sum_all, true},
      {"sum_last_size1", {{5, 1}}, sum_last},
      {"sum_last_prime", {{31, 4099}}, sum_last},
      {"sum_last_beyond_l2", {{1024, 1024}}, sum_last},
      {"sum_last_long_rows", {wide_rows}, sum_last},
      on_reference(strided, {"sum_last_transposed", {{37, 41}}, [](Inputs x) { return sum(x[0].t(), {-1}); }}),
      {"sum_leading_prime", {{97, 13}}, sum_leading},
      {"sum_leading_one_column", {{4099, 1}}, sum_leading},
      {"sum_leading_narrow_beyond_l2", {{1 << 18, 5}}, sum_leading},
      {"sum_leading_wide_beyond_l2", {{1031, 1031}}, sum_leading},
      {"sum_leading_two_dims", {{3, 5, 7, 11}}, [](Inputs x) { return sum(x[0], {0, 1}); }},
      on_reference(strided, {"sum_leading_sliced", {{64, 33}}, [](Inputs x) { return sum(x[0].slice(1, 0, 33, 2), {0}); }}),
      // The trailing dims (squeeze-excitation's gate gradient: [N, C, H, W] → [N, C, 1, 1]).
      {"sum_trailing_two_dims", {{8, 96, 7, 7}}, [](Inputs x) { return sum(x[0], {2, 3}, true); }},
      {"sum_trailing_beyond_l2", {{4, 97, 61, 47}}, [](Inputs x) { return sum(x[0], {-2, -1}); }},
      {"mean_trailing_three_dims", {{5, 3, 7, 11}}, [](Inputs x) { return mean(x[0], {1, 2, 3}); }},
      {"mean_all_prime", {{101}}, mean_all},
      {"mean_all_beyond_l2", {beyond_l2}, mean_all},
      {"mean_last_prime", {{13, 257}}, mean_last},
      {"mean_leading_beyond_l2", {{64, 128, 97}}, mean_leading},
      {"max_values_size1", {{1}}, max_values},
      {"max_values_prime", {{13, 97}}, max_values},
      {"max_values_beyond_l2", {{512, 2048}}, max_values},
      {"max_indices_prime", {{13, 97}}, max_indices},
      {"max_indices_beyond_l2", {{512, 2048}}, max_indices},
      {"max_indices_short_rows", {{4099, 3}}, max_indices},
      on_reference(strided, {"max_values_transposed", {{33, 17}}, [](Inputs x) { return max(x[0].t(), -1).first; }}),
  };
}

}  // namespace nabla::testing
