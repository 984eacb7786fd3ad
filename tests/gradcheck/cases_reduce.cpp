// Gradcheck cases: sum and mean.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_GRADCHECK_CASES(reduce) {
  return {
      {"sum_all", {OpId::sum}, {{{3, 4}}}, [](auto& x) { return sum(x[0] * x[0]); }},
      {"sum_dim", {OpId::sum}, {{{2, 3, 4}}}, [](auto& x) { return sum(x[0], {1}).exp(); }},
      {"sum_dims_keepdim", {OpId::sum}, {{{2, 3, 4}}}, [](auto& x) { return sum(x[0], {0, -1}, true).tanh(); }},
      {"mean_dim", {OpId::mean}, {{{3, 5}}}, [](auto& x) { return mean(x[0], {0}).exp(); }},
      {"mean_all", {OpId::mean}, {{{3, 5}}}, [](auto& x) { return mean(x[0] * x[0]); }},
  };
}

}  // namespace nabla::testing
