// max along a dim (values and the index of each maximum) and argmax: reference kernels, shape rules and
// max's backward, which routes the gradient to the index of each maximum with a one-hot mask built from
// comparisons (differentiable ops only, so second-order gradients work).
#include <cmath>

#include "core/element.h"
#include "nabla/factory.h"
#include "nabla/autograd.h"
#include "nabla/ops.h"
#include "ops/reduce.h"

namespace nabla::ops {
namespace {

// The single reduced dim as normalize_dims gives it: empty for a 0-dim input (nothing is reduced).
std::vector<int64_t> max_dims(const Tensor& x, int64_t dim, const char* op) {
  wrap_input_dim(x, dim, op);
  std::vector<int64_t> dims = normalize_dims({dim}, x.dim(), op);
  NABLA_CHECK(dims.empty() || x.shape()[dims[0]] > 0,
              "{}: can't reduce dim {} of size 0 of input {}: the maximum of no elements is undefined", op, dim,
              x.describe());
  return dims;
}

// The position (row-major in the reduced dim) of the first maximum of one output's elements.
// A NaN is larger than everything, as in PyTorch: the first NaN wins.
int64_t position_of_max(const ReductionPlan& plan, const Tensor& x, int64_t base) {
  const void* in = x.storage()->data();
  int64_t best_position = 0;
  if (is_floating(x.dtype())) {
    double best = 0;
    bool found_nan = false;
    for_each_reduced(plan, base, [&](int64_t offset, int64_t position) {
      if (found_nan) return;
      double value = load_double(x.dtype(), in, offset);
      if (position == 0 || std::isnan(value) || value > best) {
        best = value;
        best_position = position;
        found_nan = std::isnan(value);
      }
    });
  } else {
    int64_t best = 0;  // integers compare exactly in int64
    for_each_reduced(plan, base, [&](int64_t offset, int64_t position) {
      int64_t value = load_int(x.dtype(), in, offset);
      if (position == 0 || value > best) {
        best = value;
        best_position = position;
      }
    });
  }
  return best_position;
}

// Writes the index of each maximum into `indices` and, when given, its value into `values`.
void max_kernel(const Tensor& x, int64_t dim, const Tensor* values, const Tensor& indices) {
  std::vector<int64_t> dims = normalize_dims({dim}, x.dim(), "max");
  ReductionPlan plan = plan_reduction(x, dims);
  const int64_t stride = dims.empty() ? 0 : x.strides()[dims[0]];
  auto* index_data = static_cast<int64_t*>(indices.raw_data());
  const void* in = x.storage()->data();
  for_each_output(plan, [&](int64_t output, int64_t base) {
    int64_t position = position_of_max(plan, x, base);
    index_data[output] = position;
    if (!values) return;
    // Copy the element itself: exact for every dtype (no rounding through double for int64).
    int64_t offset = base + position * stride;
    if (is_floating(x.dtype())) store_double(values->dtype(), values->raw_data(), output, load_double(x.dtype(), in, offset));
    else store_int(values->dtype(), values->raw_data(), output, load_int(x.dtype(), in, offset));
  });
}

}  // namespace

// max: x [..., n, ...] → values [..., (1), ...] (x's dtype), indices [..., (1), ...] (int64), along dim.
//   dx = dy scattered to the index of each maximum: dy_kept · [indices_kept == arange(n)]
std::vector<OutputSpec> shape_max(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  Shape shape = reduced_shape(x.shape(), max_dims(x, attrs.dim, "max"), attrs.keepdim);
  return {{shape, x.dtype()}, {shape, DType::i64}};
}
void reference_max(const KernelCall& call) {
  max_kernel(call.inputs[0], std::get<DimAttrs>(call.attrs).dim, &call.outputs[0], call.outputs[1]);
}
std::vector<Tensor> backward_max(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  if (!grad.defined()) return {Tensor()};
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims = normalize_dims({attrs.dim}, rank, "max");
  Tensor grad_kept = unsqueeze_reduced(grad, shape, dims, attrs.keepdim);
  Tensor indices_kept = unsqueeze_reduced(call.outputs[1], shape, dims, attrs.keepdim);
  // positions: 0..n-1 laid along dim, size 1 elsewhere, so the comparison broadcasts to x's shape.
  Shape positions_shape(shape.size(), 1);
  int64_t count = 1;
  if (!dims.empty()) count = positions_shape[dims[0]] = shape[dims[0]];
  Tensor positions = arange(static_cast<double>(count)).reshape(positions_shape);
  return {grad_kept * eq(indices_kept, positions)};
}

// argmax: x [..., n, ...] → int64 [..., (1), ...], the index of the first maximum along dim.
std::vector<OutputSpec> shape_argmax(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  return {{reduced_shape(x.shape(), max_dims(x, attrs.dim, "argmax"), attrs.keepdim), DType::i64}};
}
void reference_argmax(const KernelCall& call) {
  max_kernel(call.inputs[0], std::get<DimAttrs>(call.attrs).dim, nullptr, call.outputs[0]);
}
NABLA_NO_BACKWARD(argmax)

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

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return call1(OpId::argmax, {x}, ops::DimAttrs{dim, keepdim});
}

}  // namespace nabla
