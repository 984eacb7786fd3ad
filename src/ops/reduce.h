#pragma once
// Reduction plumbing: normalising dims, the output shape, and loops that visit, for each output
// element, the input elements reduced into it.
#include <vector>

#include "ops/iterate.h"
#include "ops/op.h"

namespace nabla::ops {

// Wraps, sorts and de-duplicates dims; empty means every dim.
std::vector<int64_t> normalize_dims(std::vector<int64_t> dims, int64_t rank, const char* op);
Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim);

struct ReductionPlan {
  Shape outer_shape, outer_strides;  // kept dims
  Shape inner_shape, inner_strides;  // reduced dims
  int64_t offset = 0;
  int64_t inner_count = 1;
};
ReductionPlan plan_reduction(const Tensor& x, const std::vector<int64_t>& dims);

// body(output_index, first_input_offset) for each output element, in row-major order of the kept dims.
template <typename Body>
void for_each_output(const ReductionPlan& plan, Body&& body) {
  int64_t output_index = 0;
  for_each_offset<1>(plan.outer_shape, {plan.outer_strides}, {plan.offset},
                     [&](const std::array<int64_t, 1>& offset) { body(output_index++, offset[0]); });
}

// visit(input_offset, position) over the reduced elements of one output (position: row-major index).
template <typename Visit>
void for_each_reduced(const ReductionPlan& plan, int64_t base, Visit&& visit) {
  int64_t position = 0;
  for_each_offset<1>(plan.inner_shape, {plan.inner_strides}, {base},
                     [&](const std::array<int64_t, 1>& offset) { visit(offset[0], position++); });
}

// wrap_dim for an op's input, with the input's dtype and shape added to the error message.
inline int64_t wrap_input_dim(const Tensor& x, int64_t dim, const char* op) {
  try {
    return wrap_dim(dim, x.dim(), op);
  } catch (const Error& error) {
    throw Error(fmt::format("{}; input is {}", error.what(), x.describe()));
  }
}

// x with the reduced dims moved last and flattened into one: [.. kept .., K]. `order` receives the
// permutation applied, `unflattened` the shape before flattening (both optional).
Tensor reduced_dims_last(const Tensor& x, const std::vector<int64_t>& dims, Shape* order = nullptr,
                         Shape* unflattened = nullptr);

// The largest (largest = true) or smallest value over dims (empty: all), its gradient shared evenly among
// tied extremes (src/ops/extrema.cpp).
Tensor extreme_over(const Tensor& x, std::vector<int64_t> dims, bool keepdim, bool largest);

// Unsqueezes a reduced result (keepdim=false) back to the input's rank so it broadcasts against it.
Tensor unsqueeze_reduced(const Tensor& reduced, const Shape& input_shape, const std::vector<int64_t>& dims, bool keepdim);

}  // namespace nabla::ops
