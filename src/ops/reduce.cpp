// Reductions over any dims with keepdim: sum and mean here (max, argmax, logsumexp beside them).
#include "ops/reduce.h"

#include <algorithm>

#include "core/element.h"
#include "nabla/ops.h"

namespace nabla::ops {

std::vector<int64_t> normalize_dims(std::vector<int64_t> dims, int64_t rank, const char* op) {
  if (dims.empty()) {
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
    return dims;
  }
  for (int64_t& dim : dims) dim = wrap_dim(dim, rank, op);
  std::sort(dims.begin(), dims.end());
  NABLA_CHECK(std::adjacent_find(dims.begin(), dims.end()) == dims.end(), "{}: a dim appears twice in the dim list", op);
  if (rank == 0) dims.clear();
  return dims;
}

Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim) {
  Shape result;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (!reduced) result.push_back(shape[d]);
    else if (keepdim) result.push_back(1);
  }
  return result;
}

ReductionPlan plan_reduction(const Tensor& x, const std::vector<int64_t>& dims) {
  ReductionPlan plan;
  plan.offset = x.offset();
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    (reduced ? plan.inner_shape : plan.outer_shape).push_back(x.shape()[d]);
    (reduced ? plan.inner_strides : plan.outer_strides).push_back(x.strides()[d]);
  }
  plan.inner_count = numel(plan.inner_shape);
  return plan;
}

Tensor unsqueeze_reduced(const Tensor& reduced, const Shape& input_shape, const std::vector<int64_t>& dims, bool keepdim) {
  if (keepdim) return reduced;
  return reduced.reshape(reduced_shape(input_shape, dims, true));
}

namespace {

std::vector<OutputSpec> reduce_shape(const OpCall& call, bool integers_to_int64) {
  const Tensor& x = call.inputs[0];
  auto& attrs = std::get<ReduceAttrs>(call.attrs);
  std::vector<int64_t> dims = normalize_dims(attrs.dims, x.dim(), op_name(call.op));
  DType dtype = x.dtype();
  if (integers_to_int64 && is_integral(dtype)) dtype = DType::i64;
  return {{reduced_shape(x.shape(), dims, attrs.keepdim), dtype}};
}

// Sums in double (floats) or int64 (integers), visiting each output's inputs in a fixed order so the
// result does not depend on the thread count.
void sum_kernel(const KernelCall& call, bool divide) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  auto& attrs = std::get<ReduceAttrs>(call.attrs);
  std::vector<int64_t> dims = normalize_dims(attrs.dims, x.dim(), "sum");
  ReductionPlan plan = plan_reduction(x, dims);
  const void* in = x.storage()->data();
  void* result = out.raw_data();
  if (is_floating(out.dtype())) {
    for_each_output(plan, [&](int64_t index, int64_t base) {
      double total = 0;
      for_each_reduced(plan, base, [&](int64_t offset, int64_t) { total += load_double(x.dtype(), in, offset); });
      store_double(out.dtype(), result, index, divide ? total / static_cast<double>(plan.inner_count) : total);
    });
  } else {
    for_each_output(plan, [&](int64_t index, int64_t base) {
      int64_t total = 0;
      for_each_reduced(plan, base, [&](int64_t offset, int64_t) { total += load_int(x.dtype(), in, offset); });
      store_int(out.dtype(), result, index, total);
    });
  }
}

}  // namespace

// sum: integers and bool sum to int64, as PyTorch
std::vector<OutputSpec> shape_sum(const OpCall& call) { return reduce_shape(call, true); }
void reference_sum(const KernelCall& call) { sum_kernel(call, false); }
std::vector<Tensor> backward_sum(const BackwardCall& call) {
  auto& attrs = std::get<ReduceAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  std::vector<int64_t> dims = normalize_dims(attrs.dims, static_cast<int64_t>(shape.size()), "sum");
  return {unsqueeze_reduced(call.grads[0], shape, dims, attrs.keepdim).expand(shape)};
}

// mean: floating inputs only (as PyTorch, which refuses to guess an output type for integers)
std::vector<OutputSpec> shape_mean(const OpCall& call) {
  NABLA_CHECK(is_floating(call.inputs[0].dtype()),
              "mean: input must be floating point, got {}; convert it first with .to(DType::f32)",
              call.inputs[0].describe());
  return reduce_shape(call, false);
}
void reference_mean(const KernelCall& call) { sum_kernel(call, true); }
std::vector<Tensor> backward_mean(const BackwardCall& call) {
  auto& attrs = std::get<ReduceAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  std::vector<int64_t> dims = normalize_dims(attrs.dims, static_cast<int64_t>(shape.size()), "mean");
  int64_t count = 1;
  for (int64_t d : dims) count *= shape[static_cast<size_t>(d)];
  return {unsqueeze_reduced(call.grads[0], shape, dims, attrs.keepdim).expand(shape) / static_cast<double>(count)};
}

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;

Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::sum, {x}, ops::ReduceAttrs{std::move(dims), keepdim});
}
Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::mean, {x}, ops::ReduceAttrs{std::move(dims), keepdim});
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t leading = x.dim() - static_cast<int64_t>(shape.size());
  NABLA_CHECK(leading >= 0, "sum_to: can't reduce shape {} to the larger rank of {}", shape_string(x.shape()),
              shape_string(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < leading) {
      dims.push_back(d);
    } else {
      int64_t target = shape[static_cast<size_t>(d - leading)];
      NABLA_CHECK(target == 1 || target == x.shape()[d], "sum_to: shape {} does not broadcast to {}",
                  shape_string(shape), shape_string(x.shape()));
      if (target == 1 && x.shape()[d] != 1) dims.push_back(d);
    }
  }
  if (dims.empty()) return x.view(shape);
  return sum(x, dims, true).view(shape);
}

}  // namespace nabla
