// max and min along a dim (values and the index of the first extreme) and argmax/argmin, from one set of
// templates: shape rule, reference kernel and backward are written once, for the largest or the smallest.
// The backward routes the gradient to the index of each extreme with a one-hot mask built from comparisons
// (differentiable ops only, so second-order gradients work). The full max()/min() and the infinity norm
// share the gradient evenly among tied extremes instead (extreme_over, as PyTorch's max(), amax, norm).
#include <cmath>

#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/reduce.h"

namespace nabla::ops {
namespace {

enum class Extreme { largest, smallest };

constexpr const char* extreme_word(Extreme which) { return which == Extreme::largest ? "maximum" : "minimum"; }

// Is `value` strictly better than `best`: larger for max, smaller for min.
template <Extreme which, typename Value>
bool better(Value value, Value best) {
  if constexpr (which == Extreme::largest) return value > best;
  else return value < best;
}

// The single reduced dim as normalize_dims gives it: empty for a 0-dim input (nothing is reduced).
template <Extreme which>
std::vector<int64_t> extreme_dims(const Tensor& x, int64_t dim, const char* op) {
  wrap_input_dim(x, dim, op);
  std::vector<int64_t> dims = normalize_dims({dim}, x.dim(), op);
  NABLA_CHECK(dims.empty() || x.shape()[dims[0]] > 0,
              "{}: can't reduce dim {} of size 0 of input {}: the {} of no elements is undefined", op, dim,
              x.describe(), extreme_word(which));
  return dims;
}

// The position (row-major in the reduced dim) of the first extreme of one output's elements. A NaN wins
// over everything, the first NaN first, as PyTorch's max and min propagate NaN.
template <Extreme which>
int64_t position_of_extreme(const ReductionPlan& plan, const Tensor& x, int64_t base) {
  const void* in = x.storage()->data();
  int64_t best_position = 0;
  if (is_floating(x.dtype())) {
    double best = 0;
    bool found_nan = false;
    for_each_reduced(plan, base, [&](int64_t offset, int64_t position) {
      if (found_nan) return;
      double value = load_double(x.dtype(), in, offset);
      if (position == 0 || std::isnan(value) || better<which>(value, best)) {
        best = value;
        best_position = position;
        found_nan = std::isnan(value);
      }
    });
  } else {
    int64_t best = 0;  // integers compare exactly in int64
    for_each_reduced(plan, base, [&](int64_t offset, int64_t position) {
      int64_t value = load_int(x.dtype(), in, offset);
      if (position == 0 || better<which>(value, best)) {
        best = value;
        best_position = position;
      }
    });
  }
  return best_position;
}

// Writes the index of each extreme into `indices` and, when given, its value into `values`.
template <Extreme which>
void extreme_kernel(const Tensor& x, int64_t dim, const Tensor* values, const Tensor& indices, const char* op) {
  std::vector<int64_t> dims = normalize_dims({dim}, x.dim(), op);
  ReductionPlan plan = plan_reduction(x, dims);
  const int64_t stride = dims.empty() ? 0 : x.strides()[dims[0]];
  auto* index_data = static_cast<int64_t*>(indices.raw_data());
  const void* in = x.storage()->data();
  for_each_output(plan, [&](int64_t output, int64_t base) {
    int64_t position = position_of_extreme<which>(plan, x, base);
    index_data[output] = position;
    if (!values) return;
    // Copy the element itself: exact for every dtype (no rounding through double for int64).
    int64_t offset = base + position * stride;
    if (is_floating(x.dtype())) store_double(values->dtype(), values->raw_data(), output, load_double(x.dtype(), in, offset));
    else store_int(values->dtype(), values->raw_data(), output, load_int(x.dtype(), in, offset));
  });
}

// max / min: x [..., n, ...] → values [..., (1), ...] (x's dtype), indices [..., (1), ...] (int64).
template <Extreme which>
std::vector<OutputSpec> values_and_indices_shape(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  Shape shape = reduced_shape(x.shape(), extreme_dims<which>(x, attrs.dim, op_name(call.op)), attrs.keepdim);
  return {{shape, x.dtype()}, {shape, DType::i64}};
}

// argmax / argmin: x [..., n, ...] → int64 [..., (1), ...].
template <Extreme which>
std::vector<OutputSpec> indices_shape(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  return {{reduced_shape(x.shape(), extreme_dims<which>(x, attrs.dim, op_name(call.op)), attrs.keepdim), DType::i64}};
}

// dx = dy scattered to the index of each extreme: dy_kept · [indices_kept == arange(n)]
std::vector<Tensor> backward_to_indices(const BackwardCall& call, const char* op) {
  const Tensor& grad = call.grads[0];
  if (!grad.defined()) return {Tensor()};
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims = normalize_dims({attrs.dim}, rank, op);
  Tensor grad_kept = unsqueeze_reduced(grad, shape, dims, attrs.keepdim);
  Tensor indices_kept = unsqueeze_reduced(call.outputs[1], shape, dims, attrs.keepdim);
  // positions: 0..n-1 laid along dim, size 1 elsewhere, so the comparison broadcasts to x's shape.
  Shape positions_shape(shape.size(), 1);
  int64_t count = 1;
  if (!dims.empty()) count = positions_shape[dims[0]] = shape[dims[0]];
  Tensor positions = arange(static_cast<double>(count)).reshape(positions_shape);
  return {grad_kept * eq(indices_kept, positions)};
}

}  // namespace

std::vector<OutputSpec> shape_max(const OpCall& call) { return values_and_indices_shape<Extreme::largest>(call); }
void reference_max(const KernelCall& call) {
  extreme_kernel<Extreme::largest>(call.inputs[0], std::get<DimAttrs>(call.attrs).dim, &call.outputs[0],
                                   call.outputs[1], "max");
}
std::vector<Tensor> backward_max(const BackwardCall& call) { return backward_to_indices(call, "max"); }

std::vector<OutputSpec> shape_min(const OpCall& call) { return values_and_indices_shape<Extreme::smallest>(call); }
void reference_min(const KernelCall& call) {
  extreme_kernel<Extreme::smallest>(call.inputs[0], std::get<DimAttrs>(call.attrs).dim, &call.outputs[0],
                                    call.outputs[1], "min");
}
std::vector<Tensor> backward_min(const BackwardCall& call) { return backward_to_indices(call, "min"); }

std::vector<OutputSpec> shape_argmax(const OpCall& call) { return indices_shape<Extreme::largest>(call); }
void reference_argmax(const KernelCall& call) {
  extreme_kernel<Extreme::largest>(call.inputs[0], std::get<DimAttrs>(call.attrs).dim, nullptr, call.outputs[0],
                                   "argmax");
}
NABLA_NO_BACKWARD(argmax)

std::vector<OutputSpec> shape_argmin(const OpCall& call) { return indices_shape<Extreme::smallest>(call); }
void reference_argmin(const KernelCall& call) {
  extreme_kernel<Extreme::smallest>(call.inputs[0], std::get<DimAttrs>(call.attrs).dim, nullptr, call.outputs[0],
                                    "argmin");
}
NABLA_NO_BACKWARD(argmin)

// The largest (or smallest) value over dims, its gradient shared evenly among tied extremes (as PyTorch's
// amax/amin and the infinity norm do). Forward is max/min along one flattened dim; backward is a mask.
Tensor extreme_over(const Tensor& x, std::vector<int64_t> dims, bool keepdim, bool largest) {
  dims = normalize_dims(std::move(dims), x.dim(), largest ? "amax" : "amin");
  const Shape input_shape = x.shape();
  return autograd::apply_function(
      largest ? "Amax" : "Amin", {x},
      [=](autograd::FunctionContext& context, const std::vector<Tensor>& inputs) {
        Tensor lanes = reduced_dims_last(inputs[0], dims);
        Tensor value = (largest ? max(lanes, -1) : min(lanes, -1)).first;
        Tensor value_kept = value.reshape(reduced_shape(input_shape, dims, true));
        context.save_for_backward({inputs[0], value_kept});
        return std::vector<Tensor>{keepdim ? value_kept : value.reshape(reduced_shape(input_shape, dims, false))};
      },
      [=](autograd::FunctionContext& context, const std::vector<Tensor>& grads) {
        std::vector<Tensor> saved = context.saved_tensors();
        Tensor ties = eq(saved[0], saved[1]).to(grads[0].dtype());
        Tensor grad_kept = unsqueeze_reduced(grads[0], input_shape, dims, keepdim);
        return std::vector<Tensor>{grad_kept * ties / sum(ties, dims, true)};
      })[0];
}

}  // namespace nabla::ops

namespace nabla {
using ops::call, ops::call1, ops::OpId;

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  std::vector<Tensor> outputs = call(OpId::max, {x}, ops::DimAttrs{dim, keepdim});
  return {std::move(outputs[0]), std::move(outputs[1])};
}

// The largest element as a 0-dim tensor: max along dim 0 of the flattened input.
Tensor max(const Tensor& x) {
  NABLA_CHECK(x.numel() > 0, "max: the input {} is empty; the maximum of no elements is undefined", x.describe());
  // Unlike max along a dim (whose gradient goes to the returned index), PyTorch's full max() shares the
  // gradient evenly among tied maxima: a small autograd function whose forward is the max op.
  return autograd::apply_function(
      "MaxAll", {x},
      [](autograd::FunctionContext& context, const std::vector<Tensor>& inputs) {
        Tensor value = max(inputs[0].reshape({-1}), 0).first;
        context.save_for_backward({inputs[0], value});
        return std::vector<Tensor>{value};
      },
      [](autograd::FunctionContext& context, const std::vector<Tensor>& grads) {
        std::vector<Tensor> saved = context.saved_tensors();
        Tensor ties = eq(saved[0], saved[1]).to(grads[0].dtype());
        return std::vector<Tensor>{grads[0] * ties / sum(ties)};
      })[0];
}

std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  std::vector<Tensor> outputs = call(OpId::min, {x}, ops::DimAttrs{dim, keepdim});
  return {std::move(outputs[0]), std::move(outputs[1])};
}

// The smallest element as a 0-dim tensor; the gradient is shared evenly among tied minima, as PyTorch's min().
Tensor min(const Tensor& x) {
  NABLA_CHECK(x.numel() > 0, "min: the input {} is empty; the minimum of no elements is undefined", x.describe());
  return ops::extreme_over(x, {}, false, false);
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return call1(OpId::argmax, {x}, ops::DimAttrs{dim, keepdim});
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return call1(OpId::argmin, {x}, ops::DimAttrs{dim, keepdim});
}

}  // namespace nabla
