// Gradcheck cases: Tensor::index and Tensor::index_put_ (composites of select/slice/unsqueeze,
// index_select, masked_select, scatter and copy_), on f64 inputs in every layout the driver makes.
// Linear results are squared so that the second-order check has a gradient to follow.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using namespace nabla::indexing;

NABLA_GRADCHECK_CASES(indexing) {
  using In = InputSpec;
  return {
      {"index_basic", {}, {{{3, 4, 5}}},
       [](auto& x) { return x[0].index({Slice(1, None, 2), -1, None, Ellipsis}).pow(2.0); }},
      {"index_int_tensor", {}, {{{3, 4}}, {{2, 3}, In::index, 4}},
       [](auto& x) { return x[0].index({Slice(), x[1]}).pow(2.0); }},
      {"index_mask", {}, {{{3, 4}}, {{3, 4}, In::mask}}, [](auto& x) { return x[0].index({x[1]}).pow(2.0); }},
      {"index_mask_rows", {}, {{{3, 4}}, {{3}, In::mask}}, [](auto& x) { return x[0].index({x[1]}).pow(2.0); }},
      // index_put_ on a non-leaf copy of x[0]: the written positions lose x[0]'s gradient, the value gets it.
      {"index_put_slice", {}, {{{3, 4}}, {{4}}},
       [](auto& x) {
         Tensor y = x[0] * 1.0;
         y.index_put_({Slice(0, 2)}, x[1] * x[1]);
         return y * x[0];
       }},
      // Distinct rows: a value overwritten by a duplicate index would still get a gradient (as PyTorch's).
      {"index_put_index_tensor", {}, {{{3, 4}}, {{2, 4}}},
       [](auto& x) {
         Tensor y = x[0] * 1.0;
         y.index_put_({tensor({2, -3}, DType::i64)}, x[1]);
         return y * x[0];
       }},
      {"index_put_mask_scalar", {}, {{{3, 4}}, {{3, 4}, In::mask}},
       [](auto& x) {
         Tensor y = x[0] * 1.0;
         y.index_put_({x[1]}, 0.5);
         return y * x[0];
       }},
  };
}

}  // namespace nabla::testing
