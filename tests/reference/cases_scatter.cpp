// Fast-vs-reference cases: scatter_add along the last dim (scatter.cpp), directly with repeated indices
// (the order of additions matters) and as max pooling's backward pass; max pooling's forward on ties and
// NaNs (first maximum wins, a NaN wins), whose indices that backward pass scatters to.
#include "tests/reference/cases.h"

namespace nabla::testing {
namespace F = functional;
using ops::OpId;

namespace {
using Inputs = std::vector<Tensor>;

// Indices in [0, size) from U(-1, 1) values: many repeats when the index is longer than size.
Tensor indices_from(const Tensor& x, int64_t size) {
  return clamp(floor((x * 0.5 + 0.5) * static_cast<double>(size)), 0.0, static_cast<double>(size - 1)).to(DType::i64);
}

// Scatters t[1] (the source) into t[0] (self) at indices made from t[2] (the index's shape is the source's).
std::function<Tensor(Inputs)> scatter_last(DType dtype = DType::f32) {
  return [dtype](Inputs t) {
    return scatter_add(t[0].to(dtype), -1, indices_from(t[2], t[0].size(-1)), t[1].to(dtype));
  };
}

std::function<Tensor(Inputs)> max_pool_backward(F::Pool2dOptions options) {
  return [options](Inputs t) {
    t[0].requires_grad_();
    Tensor y = F::max_pool2d(t[0], options);
    y.backward(t[1].narrow(0, 0, y.numel()).reshape(y.shape()));
    return t[0].grad();
  };
}
// Halves of [-1, 1) (ties in most windows) with NaN where x < -0.9: first-maximum and NaN rules.
Tensor ties_and_nans(const Tensor& x) { return floor(x * 2.0) + sqrt(x + 0.9) * 0.0; }
}  // namespace

NABLA_REFERENCE_CASES(scatter) {
  return {
      {"scatter_add_size1", {{1}, {1}, {1}}, scatter_last()},
      {"scatter_add_repeats", {{7, 5}, {7, 61}, {7, 61}}, scatter_last()},
      {"scatter_add_f64", {{3, 4, 17}, {3, 4, 40}, {3, 4, 40}}, scatter_last(DType::f64)},
      {"scatter_add_beyond_l2", {{64, 16384}, {64, 8192}, {64, 8192}}, scatter_last()},
      {"scatter_add_dim_counted_forward", {{5, 9}, {5, 9}, {5, 9}},
       [](Inputs t) { return scatter_add(t[0], 1, indices_from(t[2], 9), t[1]); }},
      // the kernelsindex branch adds scatter kernels: if one takes a strided self, flip this case to fast
      on_reference("the fast scatter_add takes a contiguous self",
                   {"scatter_add_transposed_self", {{9, 5}, {5, 9}, {5, 9}},
                    [](Inputs t) { return scatter_add(t[0].t(), -1, indices_from(t[2], 9), t[1]); }}),
      // max pooling's backward pass is a scatter_add of the upstream gradient to the maxima's indices
      about({OpId::scatter_add},
            {"max_pool_backward_lenet1", {{8, 6, 28, 28}, {8 * 6 * 14 * 14}}, max_pool_backward({.kernel_size = 2})}),
      about({OpId::max_pool2d}, {"max_pool_stride2_ties_nans_values", {{4, 3, 28, 30}},
                                 [](Inputs t) { return F::max_pool2d(ties_and_nans(t[0]), {.kernel_size = 2}); }}),
      about({OpId::max_pool2d},
            {"max_pool_stride2_ties_nans_indices", {{4, 3, 28, 30}},
             [](Inputs t) { return F::max_pool2d_with_indices(ties_and_nans(t[0]), {.kernel_size = 2}).second; }}),
      about({OpId::max_pool2d},
            {"max_pool_stride2_wide_window_indices", {{2, 3, 11, 150}}, [](Inputs t) {
               return F::max_pool2d_with_indices(ties_and_nans(t[0]), {.kernel_size = 3, .stride = 2}).second;
             }}),
      about({OpId::scatter_add}, {"max_pool_backward_overlap", {{3, 5, 13, 11}, {3 * 5 * 8 * 8}},
                                  max_pool_backward({.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true})}),
  };
}

}  // namespace nabla::testing
