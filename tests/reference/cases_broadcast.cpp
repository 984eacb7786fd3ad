// Fast-vs-reference cases: the general broadcasting and strided loop of the binary ops and comparisons
// (strided_binary.cpp, strided_compare.cpp), casts from bool, and int64/bool sums (integer_sum.cpp). Each
// broadcast position (leading, middle, trailing, both operands), transposed operands and outputs, mixed
// dtypes (a bool mask, a float64 or int64 one-element tensor), int64 results, odd sizes and sizes beyond L2.
#include "tests/reference/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_REFERENCE_CASES(broadcast) {
  using Inputs = std::vector<Tensor>;
  auto add = [](Inputs x) { return x[0] + x[1]; };
  auto sub = [](Inputs x) { return x[0] - x[1]; };
  auto mul = [](Inputs x) { return x[0] * x[1]; };
  auto div = [](Inputs x) { return x[0] / x[1]; };
  auto positive = [](const Tensor& x) { return gt(x, wrapped_scalar(0.0)); };
  // Small integers from U(-1, 1): many ties, so == and <= differ from their strict twins.
  auto integers = [](const Tensor& x) { return floor(x * 5.0).to(DType::i64); };
  // A 0-dim tensor (not a wrapped number) of another dtype, such as a learning rate held in float64.
  auto scalar_f64 = [](const Tensor& x) { return sum(x).to(DType::f64) * 0.01; };
  return {
      // add/sub/mul/div/minimum/maximum: broadcasting in every position
      {"add_position_bias", {{4, 16, 32}, {16, 32}}, add},
      {"add_outer", {{31, 1}, {1, 37}}, add},
      {"add_leading_and_trailing", {{1, 37, 1}, {5, 37, 3}}, add},
      {"add_position_bias_beyond_l2", {{67, 128, 97}, {128, 97}}, add},
      {"add_transposed_beyond_l2", {{1031, 1031}, {1031, 1031}}, [](Inputs x) { return x[0] + x[1].t(); }},
      {"add_both_transposed", {{32, 128}, {32, 128}}, [](Inputs x) { return x[0].t() + x[1].t(); }},
      {"add_sliced", {{64, 66}, {64, 33}}, [](Inputs x) { return x[0].slice(1, 0, 66, 2) + x[1]; }},
      {"sub_column_broadcast", {{4, 16, 32}, {4, 16, 1}}, sub},
      {"sub_column_first", {{33, 1}, {33, 17}}, sub},
      {"mul_column_broadcast", {{4, 16, 32}, {4, 16, 1}}, mul},
      {"mul_column_beyond_l2", {{4099, 257}, {4099, 1}}, mul},
      {"mul_middle_broadcast", {{7, 1, 13}, {7, 11, 13}}, mul},
      {"mul_both_transposed", {{32, 128}, {32, 128}}, [](Inputs x) { return x[0].t() * x[1].t(); }},
      {"mul_transposed_f64_scalar", {{32, 96}, {5}},
       [scalar_f64](Inputs x) { return x[0].t() * scalar_f64(x[1]); }},
      {"mul_f64_scalar_tensor_beyond_l2", {beyond_l2, {3}},
       [scalar_f64](Inputs x) { return x[0] * scalar_f64(x[1]); }},
      {"mul_f64_transposed", {{37, 31}, {31}},
       [](Inputs x) { return x[0].to(DType::f64).t() * x[1].to(DType::f64).reshape({31, 1}); }},
      {"div_column_broadcast", {{33, 17}, {33, 1}}, div, true},
      {"div_outer_first", {{1, 37}, {31, 1}}, div, true},
      {"div_transposed_prime", {{13, 97}, {97, 13}}, [](Inputs x) { return x[0] / x[1].t(); }, true},
      {"maximum_outer", {{31, 1}, {1, 37}}, [](Inputs x) { return maximum(x[0], x[1]); }},
      {"maximum_transposed_nan", {{29, 31}, {31, 29}},
       // NaN where floor(2x) = 0 (0 / 0): maximum propagates it from either side
       [](Inputs x) { return maximum(x[0] * (floor(x[0] * 2.0) / floor(x[0] * 2.0)), x[1].t()); }},
      {"minimum_column", {{33, 17}, {33, 1}}, [](Inputs x) { return minimum(x[0], x[1]); }},
      // a bool mask against floats: broadcast, and times a one-element tensor
      about({OpId::mul}, {"mask_multiply_column", {{33, 17}, {33, 1}},
                          [positive](Inputs x) { return x[0] * positive(x[1]); }}),
      about({OpId::mul}, {"mask_times_scalar", {{32, 1}, {7}},
                          [positive](Inputs x) { return positive(x[0]) * sum(x[1]); }}),
      about({OpId::mul}, {"mask_multiply_transposed_f64", {{31, 37}, {37, 31}},
                          [positive](Inputs x) { return x[0].to(DType::f64) * positive(x[1]).t(); }}),
      // in place: the output is input 0, broadcast or transposed
      about({OpId::add_}, {"add_inplace_column", {{33, 17}, {33, 1}}, [](Inputs x) { return x[0].add_(x[1]); }}),
      about({OpId::sub_}, {"sub_inplace_transposed", {{37, 31}, {31, 37}},
                           [](Inputs x) { return x[0].t().sub_(x[1]).contiguous(); }}),
      about({OpId::mul_}, {"mul_inplace_f64_scalar", {{4, 16, 32}, {3}},
                           [scalar_f64](Inputs x) { return x[0].mul_(scalar_f64(x[1])); }}),
      about({OpId::div_}, {"div_inplace_leading", {{5, 7, 3}, {7, 3}}, [](Inputs x) { return x[0].div_(x[1]); }, true}),
      // int64 results (batch norm's num_batches_tracked += 1): broadcast, strided, in place, with a bool mask
      {"add_int64_outer", {{31, 1}, {1, 37}}, [integers](Inputs x) { return integers(x[0]) + integers(x[1]); }},
      {"sub_int64_transposed_beyond_l2", {{1031, 1031}, {1031, 1031}},
       [integers](Inputs x) { return integers(x[0]) - integers(x[1]).t(); }},
      {"mul_int64_mask", {{33, 17}, {33, 1}}, [integers, positive](Inputs x) { return integers(x[0]) * positive(x[1]); }},
      {"maximum_int64_column", {{33, 17}, {33, 1}},
       [integers](Inputs x) { return maximum(integers(x[0]), integers(x[1])); }},
      {"minimum_int64_row", {{33, 17}, {17}}, [integers](Inputs x) { return minimum(integers(x[0]), integers(x[1])); }},
      about({OpId::add_}, {"add_inplace_int64_counter", {{}, {}}, [integers](Inputs x) {
              Tensor counter = integers(x[0]);
              return counter.add_(ones_like(counter));
            }}),
      // comparisons: int64 and bool operands, broadcasting, strides
      {"eq_int64_one_hot", {{32, 1}, {1, 10}}, [integers](Inputs x) { return eq(integers(x[0]), integers(x[1])); }},
      {"ne_int64_scalar_tensor", {{32, 1}, {3}},
       [integers](Inputs x) { return ne(integers(x[0]), sum(integers(x[1]))); }},
      {"ne_int64_wrapped", {{4099}}, [integers](Inputs x) { return ne(integers(x[0]), wrapped_scalar(-2.0)); }},
      {"ne_int64_wrapped_beyond_l2", {beyond_l2},
       [integers](Inputs x) { return ne(integers(x[0]), wrapped_scalar(-2.0)); }},
      {"lt_int64_half", {{4099}}, [integers](Inputs x) { return lt(integers(x[0]), wrapped_scalar(0.5)); }},
      {"ge_int64_transposed", {{31, 37}, {37, 31}},
       [integers](Inputs x) { return ge(integers(x[0]), integers(x[1]).t()); }},
      {"le_bool_broadcast", {{33, 17}, {17}}, [positive](Inputs x) { return le(positive(x[0]), positive(x[1])); }},
      {"eq_bool_beyond_l2", {beyond_l2, beyond_l2},
       [positive](Inputs x) { return eq(positive(x[0]), positive(x[1])); }},
      {"gt_f32_column", {{33, 17}, {33, 1}}, [](Inputs x) { return gt(x[0], x[1]); }},
      {"lt_f64_outer_beyond_l2", {{1031, 1}, {1, 1031}},
       [](Inputs x) { return lt(x[0].to(DType::f64), x[1].to(DType::f64)); }},
      {"gt_int64_vs_float", {{97}}, [integers](Inputs x) { return gt(integers(x[0]), wrapped_scalar(-1.5)); }},
      // casts from bool
      {"cast_bool_to_f32", {{32, 10}}, [positive](Inputs x) { return positive(x[0]).to(DType::f32); }},
      {"cast_bool_to_f64_transposed", {{31, 37}}, [positive](Inputs x) { return positive(x[0]).t().to(DType::f64); }},
      {"cast_bool_to_i64_beyond_l2", {beyond_l2}, [positive](Inputs x) { return positive(x[0]).to(DType::i64); }},
      // integer sums into int64
      {"sum_bool_all", {{32, 1}}, [positive](Inputs x) { return sum(positive(x[0])); }},
      {"sum_bool_all_beyond_l2", {beyond_l2}, [positive](Inputs x) { return sum(positive(x[0])); }},
      {"sum_bool_last", {{13, 257}}, [positive](Inputs x) { return sum(positive(x[0]), {-1}); }},
      {"sum_int64_leading", {{97, 13}}, [integers](Inputs x) { return sum(integers(x[0]), {0}); }},
      {"sum_int64_middle", {{5, 7, 11}}, [integers](Inputs x) { return sum(integers(x[0]), {1}, true); }},
      {"sum_int64_two_dims_beyond_l2", {{64, 128, 97}}, [integers](Inputs x) { return sum(integers(x[0]), {1, 2}); }},
      // int64 results of int64 operands: exact integer arithmetic (batch norm's num_batches_tracked += 1)
      about({OpId::mul}, {"mul_int64_transposed_beyond_l2", {{1031, 1031}, {1031, 1031}},
                          [integers](Inputs x) { return integers(x[0]) * integers(x[1]).t(); }}),
      about({OpId::minimum}, {"minimum_int64", {{4099}, {4099}},
                              [integers](Inputs x) { return minimum(integers(x[0]), integers(x[1])); }}),
      about({OpId::add_}, {"add_in_place_int64_counter", {{1}}, [integers](Inputs x) {
              Tensor counter = integers(x[0]);
              counter.add_(ones_like(counter));
              return counter;
            }}),
  };
}

}  // namespace nabla::testing
