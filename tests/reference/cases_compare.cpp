// Fast-vs-reference cases: comparisons (compare.cpp) and multiplication by a bool mask (binary.cpp), the
// two ops of ReLU's backward pass; logical ops on bool masks (logical.cpp), clamp's and ReLU6's backward.
#include "tests/reference/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_REFERENCE_CASES(compare) {
  auto zero = [] { return wrapped_scalar(0.0); };
  auto positive = [zero](const Tensor& x) { return gt(x, zero()); };
  // Thirds of [-1, 1): many ties between the two inputs, so == and <= differ from their strict twins.
  auto thirds = [](const Tensor& x) { return floor(x * 3.0); };
  return {
      {"gt_scalar_size1", {{1}}, [positive](std::vector<Tensor> x) { return positive(x[0]); }},
      {"gt_scalar_relu_mask", {{128, 257}}, [positive](std::vector<Tensor> x) { return positive(x[0]); }},
      {"gt_scalar_beyond_l2", {beyond_l2}, [positive](std::vector<Tensor> x) { return positive(x[0]); }},
      {"lt_scalar_first", {{4099}}, [zero](std::vector<Tensor> x) { return lt(zero(), x[0]); }},
      // float(0.1) > 0.1 in double: a fast path that rounded the scalar to float would say false.
      {"gt_scalar_not_a_float", {{1001}},
       [](std::vector<Tensor> x) { return gt(x[0] * 0.0 + 0.1, wrapped_scalar(0.1)); }},
      {"ge_scalar_f64", {{4099}}, [](std::vector<Tensor> x) { return ge(x[0].to(DType::f64), wrapped_scalar(0.25)); }},
      {"eq_ties", {{97, 13}, {97, 13}}, [thirds](std::vector<Tensor> x) { return eq(thirds(x[0]), thirds(x[1])); }},
      {"ne_ties", {{4099}, {4099}}, [thirds](std::vector<Tensor> x) { return ne(thirds(x[0]), thirds(x[1])); }},
      {"le_ties_beyond_l2", {beyond_l2, beyond_l2},
       [thirds](std::vector<Tensor> x) { return le(thirds(x[0]), thirds(x[1])); }},
      {"lt_ties_f64", {{4099}, {4099}},
       [thirds](std::vector<Tensor> x) { return lt(thirds(x[0]).to(DType::f64), thirds(x[1]).to(DType::f64)); }},
      {"gt_transposed", {{31, 37}, {37, 31}}, [](std::vector<Tensor> x) { return gt(x[0], x[1].t()); }},
      about({OpId::mul}, {"mask_multiply_relu_backward", {{128, 257}, {128, 257}},
                          [positive](std::vector<Tensor> x) { return x[0] * positive(x[1]); }}),
      about({OpId::mul}, {"mask_multiply_mask_first", {{4099}, {4099}},
                          [positive](std::vector<Tensor> x) { return positive(x[1]) * x[0]; }}),
      about({OpId::mul}, {"mask_multiply_beyond_l2", {beyond_l2, beyond_l2},
                          [positive](std::vector<Tensor> x) { return x[0] * positive(x[1]); }}),
      about({OpId::mul}, {"mask_multiply_f64", {{4099}, {4099}},
                          [positive](std::vector<Tensor> x) { return x[0].to(DType::f64) * positive(x[1]); }}),
      // ±inf · 0 is NaN in the reference; a select would give 0.
      about({OpId::mul}, {"mask_multiply_infinity", {{1001}, {1001}},
                          [positive](std::vector<Tensor> x) { return (x[0] / 0.0) * positive(x[1]); }}),
      about({OpId::mul}, {"mask_multiply_broadcast_mask", {{33, 17}, {17}},
                          [positive](std::vector<Tensor> x) { return x[0] * positive(x[1]); }}),
      {"logical_and_clamp_inside", {{128, 257}}, [](std::vector<Tensor> x) {
         return logical_and(gt(x[0], wrapped_scalar(-0.5)), lt(x[0], wrapped_scalar(0.5)));
       }},
      {"logical_and_beyond_l2", {beyond_l2, beyond_l2},
       [positive](std::vector<Tensor> x) { return logical_and(positive(x[0]), positive(x[1])); }},
      {"logical_or_prime", {{4099}, {4099}},
       [positive](std::vector<Tensor> x) { return logical_or(positive(x[0]), positive(x[1])); }},
      {"logical_xor_size1", {{1}, {1}},
       [positive](std::vector<Tensor> x) { return logical_xor(positive(x[0]), positive(x[1])); }},
      on_reference("the fast kernel takes bool operands: float ones (nonzero is true) run the reference",
                   {"logical_and_float", {{97}, {97}}, [](std::vector<Tensor> x) { return logical_and(x[0], x[1]); }}),
      on_reference("the fast kernel takes same-shape operands: a broadcast one runs the reference",
                   {"logical_or_broadcast", {{33, 17}, {17}}, [positive](std::vector<Tensor> x) {
                      return logical_or(positive(x[0]), positive(x[1]));
                    }}),
  };
}

}  // namespace nabla::testing
