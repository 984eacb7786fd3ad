// Gradcheck cases: views, joins and copies.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_GRADCHECK_CASES(view) {
  // Each view is followed by a multiplication so that the gradient flowing back is not all ones.
  return {
      {"view", {OpId::view}, {{{3, 4}}}, [](auto& x) { return x[0].reshape({2, 6}) * x[0].reshape({2, 6}); }},
      {"permute", {OpId::permute}, {{{2, 3, 4}}}, [](auto& x) { return x[0].permute({2, 0, 1}).exp(); }},
      {"slice", {OpId::slice, OpId::slice_backward}, {{{5, 4}}},
       [](auto& x) { return x[0].slice(0, 1, 5, 2).tanh(); }},
      {"select_narrow", {OpId::slice}, {{{4, 3}}},
       [](auto& x) { return x[0].select(1, 2) * x[0].narrow(1, 0, 1).squeeze(1); }},
      {"expand", {OpId::expand}, {{{3, 1}}}, [](auto& x) { return x[0].expand({2, 3, 4}).sigmoid(); }},
      {"cat", {OpId::cat}, {{{2, 3}}, {{4, 3}}}, [](auto& x) { return cat({x[0], x[1]}, 0).tanh(); }},
      {"stack", {OpId::cat}, {{{2, 3}}, {{2, 3}}}, [](auto& x) { return stack({x[0], x[1]}, 1).exp(); }},
      {"clone", {OpId::clone}, {{{3, 4}}}, [](auto& x) { return x[0].clone() * x[0]; }},
      // float32 keeps 7 digits: a larger step keeps its rounding out of the finite differences.
      {"cast", {OpId::cast}, {{{3, 4}}}, [](auto& x) { return x[0].to(DType::f32).to(DType::f64) * 2.0; },
       true, {.eps = 1e-2, .atol = 1e-4, .rtol = 1e-3}},
      {"flatten_unflatten", {OpId::view}, {{{2, 3, 4}}},
       [](auto& x) { return x[0].flatten(1).unflatten(1, {4, 3}).exp(); }},
  };
}

}  // namespace nabla::testing
