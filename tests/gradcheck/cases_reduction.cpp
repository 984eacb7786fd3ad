// Gradcheck cases: the reductions (sum, mean, prod, min, var, std, norm), the scan cumsum, and topk and sort.
// Orderings use distinct values so no finite-difference step crosses a tie; products and norms use uniform
// values (no exact zeros or ties). The two lists register in this order, which keeps each case's index, and
// so its seed, as it was when they were two files.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_GRADCHECK_CASES(sum_mean) {
  return {
      {"sum_all", {OpId::sum}, {{{3, 4}}}, [](auto& x) { return sum(x[0] * x[0]); }},
      {"sum_dim", {OpId::sum}, {{{2, 3, 4}}}, [](auto& x) { return sum(x[0], {1}).exp(); }},
      {"sum_dims_keepdim", {OpId::sum}, {{{2, 3, 4}}}, [](auto& x) { return sum(x[0], {0, -1}, true).tanh(); }},
      {"mean_dim", {OpId::mean}, {{{3, 5}}}, [](auto& x) { return mean(x[0], {0}).exp(); }},
      {"mean_all", {OpId::mean}, {{{3, 5}}}, [](auto& x) { return mean(x[0] * x[0]); }},
  };
}

NABLA_GRADCHECK_CASES(reductions_scans_sorting) {
  using In = InputSpec;
  // Zeros at fixed places: row 0 has one, row 1 two, row 2 none. The gradient of a lone zero's slice is
  // checked at the zero itself in tests/ops (gradcheck there is given inputs that hold exact zeros).
  auto with_zeros = [](const Tensor& x) {
    Tensor keep = tensor({{1, 0, 1, 1}, {0, 1, 0, 1}, {1, 1, 1, 1}}, {.dtype = DType::f64});
    return x * keep;
  };
  return {
      {"prod_dim", {OpId::prod}, {{{3, 4}}}, [](auto& x) { return prod(x[0], {1}); }},
      {"prod_all", {OpId::prod}, {{{2, 3}}}, [](auto& x) { return prod(x[0] + 1.5); }},
      {"prod_dims_keepdim", {OpId::prod}, {{{2, 3, 2}}}, [](auto& x) { return prod(x[0], {0, 2}, true) * x[0]; }},
      {"prod_with_zeros", {OpId::prod}, {{{3, 4}}}, [=](auto& x) { return prod(with_zeros(x[0]), {1}); }},
      {"prod_with_zeros_dim0", {OpId::prod}, {{{3, 4}}},
       [=](auto& x) { return prod(with_zeros(x[0]).t() + 0.0, {1}) * 2.0; }},
      {"min_dim", {OpId::min}, {{{3, 4}, In::distinct}}, [](auto& x) { return min(x[0], 1).first; }},
      {"min_dim0_keepdim", {OpId::min}, {{{3, 4}, In::distinct}}, [](auto& x) { return min(x[0], 0, true).first * x[0]; }},
      // min() and the infinity norm are autograd functions (Amin, Amax) around the min/max op, run without
      // grad: their gradient is a mask of ties, never min's or max's backward, so they cover no op of ops.def.
      {"min_all", {}, {{{3, 4}, In::distinct}}, [](auto& x) { return min(x[0]) * min(x[0]); }},
      {"var_all", {OpId::var}, {{{3, 4}}}, [](auto& x) { return var(x[0]); }},
      {"var_dim_unbiased", {OpId::var}, {{{3, 4}}}, [](auto& x) { return var(x[0], {1}) * x[0].sum(); }},
      {"var_dims_correction0_keepdim", {OpId::var}, {{{2, 3, 4}}}, [](auto& x) { return var(x[0], {0, 2}, 0, true); }},
      // Over dim 1: the broadcast layout repeats x along dim 0, where std is 0 and has no gradient.
      {"std_dim", {OpId::var}, {{{3, 4}}}, [](auto& x) { return nabla::std(x[0], {1}); }},
      {"std_all_keepdim", {OpId::var}, {{{3, 4}}}, [](auto& x) { return nabla::std(x[0], {}, 1, true) * x[0]; }},
      {"norm_2", {OpId::sum}, {{{3, 4}}}, [](auto& x) { return norm(x[0]); }},
      {"norm_2_dim", {OpId::sum}, {{{3, 4}}}, [](auto& x) { return norm(x[0], 2, {1}, true) * x[0]; }},
      {"norm_1_dim", {OpId::sum}, {{{3, 4}}}, [](auto& x) { return norm(x[0], 1, {0}) * norm(x[0], 1, {0}); }},
      {"norm_3", {OpId::sum}, {{{3, 4}}}, [](auto& x) { return norm(x[0], 3, {1}); }},
      {"norm_half", {OpId::sum}, {{{3, 4}}}, [](auto& x) { return norm(x[0], 0.5, {0}); }},
      {"norm_infinity", {}, {{{3, 4}}},
       [](auto& x) { return norm(x[0], std::numeric_limits<double>::infinity(), {1}, true) * x[0]; }},
      {"cumsum_dim1", {OpId::cumsum}, {{{3, 4}}}, [](auto& x) { return cumsum(x[0], 1) * x[0]; }},
      {"cumsum_dim0", {OpId::cumsum}, {{{3, 4}}}, [](auto& x) { return cumsum(x[0], 0).pow(2.0); }},
      {"cumsum_1d", {OpId::cumsum}, {{{5}}}, [](auto& x) { return cumsum(x[0], -1).exp(); }},
      {"topk_largest", {OpId::topk}, {{{3, 5}, In::distinct}}, [](auto& x) { return topk(x[0], 2).first.pow(2.0); }},
      {"topk_smallest_dim0", {OpId::topk}, {{{4, 3}, In::distinct}},
       [](auto& x) { return topk(x[0], 3, 0, false).first.pow(2.0); }},
      {"sort_last", {OpId::sort}, {{{3, 4}, In::distinct}}, [](auto& x) { return sort(x[0]).first.pow(2.0); }},
      {"sort_dim0_descending", {OpId::sort}, {{{4, 3}, In::distinct}},
       [](auto& x) { return sort(x[0], 0, true).first * arange(3, {.dtype = DType::f64}); }},
  };
}

}  // namespace nabla::testing
