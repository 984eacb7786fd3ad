// Tensor::index and Tensor::index_put_ (nabla/indexing.h), composed from existing ops so that they are
// differentiable, profiled and observed like any op: integers, Slices, None and Ellipsis are the view ops
// select/slice/unsqueeze; a tensor index is index_select (int64) or masked_select / index_select of the
// true positions (bool). index_put_ writes through copy_ into the indexed view when it can, and otherwise
// (a tensor index, or autograd recording) scatters the value into a copy of self and copies that back.
#include <limits>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/indexing.h"
#include "nabla/ops.h"
#include "ops/checks.h"

namespace nabla {
using indexing::TensorIndex;
namespace {

bool is_mask(const Tensor& index) { return index.dtype() == DType::boolean; }

// The dims of self that `indices` address (None addresses none, a bool mask as many as it has).
int64_t addressed_dims(const std::vector<TensorIndex>& indices) {
  int64_t count = 0;
  for (const TensorIndex& index : indices) {
    if (index.is_integer() || index.is_slice()) ++count;
    if (index.is_tensor()) count += is_mask(index.tensor()) ? index.tensor().dim() : 1;
  }
  return count;
}

void check_indices(const Tensor& self, const std::vector<TensorIndex>& indices) {
  int64_t ellipses = 0, tensors = 0;
  for (const TensorIndex& index : indices) {
    ellipses += index.is_ellipsis();
    tensors += index.is_tensor();
  }
  NABLA_CHECK(ellipses <= 1, "index: an index may hold one Ellipsis, got {}", ellipses);
  NABLA_CHECK(tensors <= 1, "index: one tensor index at a time is supported, got {}; index in two steps", tensors);
  NABLA_CHECK(addressed_dims(indices) <= self.dim(), "index: {} indices for {}, which has {} dims",
              addressed_dims(indices), self.describe(), self.dim());
}

// x[..., index, ...] at `dim` for an int64 tensor of any shape: its shape replaces dim. Negative entries
// count from the end, as in Python.
Tensor select_positions(const Tensor& x, int64_t dim, const Tensor& index) {
  NABLA_CHECK(index.dtype() == DType::i64 || index.dtype() == DType::i32,
              "index: a tensor index must be int64, int32 or bool, got {}", index.describe());
  Tensor size = wrapped_scalar(x.shape()[dim]);
  Tensor wrapped = where(lt(index, wrapped_scalar(int64_t{0})), add(index, size), index).to(DType::i64);
  Tensor picked = index_select(x, dim, wrapped.reshape({-1}));
  Shape shape(x.shape().begin(), x.shape().begin() + dim);
  shape.insert(shape.end(), index.shape().begin(), index.shape().end());
  shape.insert(shape.end(), x.shape().begin() + dim + 1, x.shape().end());
  return picked.reshape(shape);
}

// x[..., mask, ...] at `dim`: the mask's dims collapse into one holding the positions where it is true.
Tensor select_mask(const Tensor& x, int64_t dim, const Tensor& mask) {
  NABLA_CHECK(mask.dim() > 0, "index: a 0-dim bool index is not supported (it would add a dim); use None");
  const Shape covered(x.shape().begin() + dim, x.shape().begin() + dim + mask.dim());
  NABLA_CHECK(covered == mask.shape(), "index: the bool index {} does not match the shape {} of the dims {}… of {}",
              mask.describe(), shape_string(covered), dim, x.describe());
  if (dim == 0 && mask.dim() == x.dim()) return masked_select(x, mask);
  Tensor positions = nonzero(mask.reshape({-1})).reshape({-1});
  return index_select(x.flatten(dim, dim + mask.dim() - 1), dim, positions);
}

Tensor index_with(const Tensor& self, const std::vector<TensorIndex>& indices) {
  check_indices(self, indices);
  Tensor result = self;
  int64_t dim = 0;  // the dim of `result` the next index addresses
  for (const TensorIndex& index : indices) {
    if (index.is_integer()) {
      result = result.select(dim, index.integer());
    } else if (index.is_slice()) {
      const indexing::Slice& slice = index.slice();
      result = result.slice(dim, slice.start.value_or(0), slice.stop.value_or(std::numeric_limits<int64_t>::max()),
                            slice.step);
      ++dim;
    } else if (index.is_none()) {
      result = result.unsqueeze(dim);
      ++dim;
    } else if (index.is_ellipsis()) {
      dim += self.dim() - addressed_dims(indices);
    } else if (is_mask(index.tensor())) {
      result = select_mask(result, dim, index.tensor());
      ++dim;
    } else {
      result = select_positions(result, dim, index.tensor());
      dim += index.tensor().dim();
    }
  }
  return result;
}

bool has_tensor_index(const std::vector<TensorIndex>& indices) {
  for (const TensorIndex& index : indices) if (index.is_tensor()) return true;
  return false;
}

void check_fits(const Tensor& value, const Shape& target_shape) {
  NABLA_CHECK(broadcast_shapes(value.shape(), target_shape, "index_put_") == target_shape,
              "index_put_: value {} does not broadcast to the indexed shape {}", value.describe(),
              shape_string(target_shape));
}

}  // namespace

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const { return index_with(*this, indices); }

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& value) {
  ops::check_writable("index_put_", *this);
  NABLA_CHECK(!(is_floating(value.dtype()) && !is_floating(dtype())),
              "index_put_: a {} value would be truncated into {}; convert it explicitly first", value.describe(),
              describe());
  const bool recording = autograd::grad_enabled() && (requires_grad() || value.requires_grad());
  if (!has_tensor_index(indices) && !recording) {
    Tensor target = index_with(*this, indices);  // a view of self
    check_fits(value, target.shape());
    nabla::copy_(target, value);
    return *this;
  }
  // Which elements of self are written, as flat positions in the indexed shape; then one scatter.
  Tensor written;
  {
    autograd::NoGradGuard no_grad;
    written = index_with(arange(static_cast<double>(numel())).reshape(shape()), indices);
  }
  const Shape target_shape = written.shape();
  check_fits(value, target_shape);
  Tensor source = value.to(dtype()).expand(target_shape).reshape({-1});
  // scatter keeps its input for backward, so it gets a clone: a view of self would be overwritten below.
  Tensor updated = nabla::scatter(clone().reshape({-1}), 0, written.reshape({-1}), source).reshape(shape());
  nabla::copy_(*this, updated);
  return *this;
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, double value) {
  ops::check_writable("index_put_", *this);
  NABLA_CHECK(holds_value(dtype(), value), "index_put_: value {} does not fit {} without truncation; convert self to a "
              "floating type first", value, describe());
  if (!has_tensor_index(indices) && !(autograd::grad_enabled() && requires_grad())) {
    Tensor target = index_with(*this, indices);
    nabla::fill_(target, value);
    return *this;
  }
  return index_put_(indices, scalar_tensor(value, dtype()));
}

}  // namespace nabla
