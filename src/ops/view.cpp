// Views (view, permute, slice, expand, diagonal) share their input's storage; slice_backward (slice's
// backward), clone and cast copy. split and chunk are slices; cat and stack are in shape.cpp.
#include <algorithm>
#include <optional>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/elementwise.h"
#include "ops/promotion.h"
#include "ops/view.h"

namespace nabla::ops {
namespace {

// Resolves one -1 in `shape` and checks the element count.
Shape infer_shape(Shape shape, int64_t count, const char* op, const Shape& input_shape) {
  int64_t known = 1;
  std::optional<size_t> unknown;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      NABLA_CHECK(!unknown, "{}: only one dimension can be -1, got {}", op, shape_string(shape));
      unknown = i;
    } else {
      NABLA_CHECK(shape[i] >= 0, "{}: invalid size {} in shape {}", op, shape[i], shape_string(shape));
      known *= shape[i];
    }
  }
  if (unknown) {
    NABLA_CHECK(known != 0 && count % known == 0, "{}: shape {} is invalid for input of shape {} ({} elements)", op,
                shape_string(shape), shape_string(input_shape), count);
    shape[*unknown] = count / known;
  }
  NABLA_CHECK(numel(shape) == count, "{}: shape {} is invalid for input of shape {} ({} elements)", op,
              shape_string(shape), shape_string(input_shape), count);
  return shape;
}


// diagonal's dims and length.
struct DiagonalLayout {
  int64_t dim1, dim2, length;
};

DiagonalLayout diagonal_layout(const Shape& shape, const DiagonalAttrs& attrs, const std::string& input) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  NABLA_CHECK(rank >= 2, "diagonal: input must have at least 2 dims, got {}", input);
  const int64_t dim1 = wrap_dim(attrs.dim1, rank, "diagonal"), dim2 = wrap_dim(attrs.dim2, rank, "diagonal");
  NABLA_CHECK(dim1 != dim2, "diagonal: dim1 and dim2 must be different dims, got {} and {} (input {})", attrs.dim1,
              attrs.dim2, input);
  const int64_t rows = shape[dim1], columns = shape[dim2];
  int64_t length = attrs.offset >= 0 ? std::min(rows, columns - attrs.offset) : std::min(rows + attrs.offset, columns);
  return {dim1, dim2, std::max<int64_t>(length, 0)};
}

}  // namespace

// Each run of old dims that is contiguous in memory may be split or merged freely (PyTorch's rule).
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& shape) {
  Shape strides(shape.size());
  if (numel(old_shape) == 0 || old_shape.empty()) return contiguous_strides(shape);
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}


// view: same elements, new shape, no copy (refused when the strides can't express it: use reshape)
std::vector<OutputSpec> shape_view(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  Shape shape = infer_shape(std::get<ShapeAttrs>(call.attrs).shape, x.numel(), "view", x.shape());
  std::optional<Shape> strides = view_strides(x.shape(), x.strides(), shape);
  NABLA_CHECK(strides, "view: shape {} is not compatible with the input's shape {} and strides {}; use reshape() "
              "(which copies when it must) or call contiguous() first", shape_string(shape), shape_string(x.shape()),
              shape_string(x.strides()));
  return {{shape, x.dtype(), *strides, x.offset()}};
}
void reference_view(const KernelCall&) {}
std::vector<Tensor> backward_view(const BackwardCall& call) { return {call.grads[0].reshape(call.input_meta[0].shape)}; }

// permute: reorders dims
std::vector<OutputSpec> shape_permute(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const Shape& order = std::get<ShapeAttrs>(call.attrs).shape;
  NABLA_CHECK(static_cast<int64_t>(order.size()) == x.dim(), "permute: got {} dims {} for a tensor of rank {}",
              order.size(), shape_string(order), x.dim());
  Shape shape, strides;
  std::vector<bool> seen(order.size(), false);
  for (int64_t dim : order) {
    int64_t d = wrap_dim(dim, x.dim(), "permute");
    NABLA_CHECK(!seen[d], "permute: dim {} appears twice in {}", d, shape_string(order));
    seen[d] = true;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  return {{shape, x.dtype(), strides, x.offset()}};
}
void reference_permute(const KernelCall&) {}
std::vector<Tensor> backward_permute(const BackwardCall& call) {
  const Shape& order = std::get<ShapeAttrs>(call.attrs).shape;
  Shape inverse(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    inverse[wrap_dim(order[i], static_cast<int64_t>(order.size()), "permute")] = static_cast<int64_t>(i);
  }
  return {call.grads[0].permute(inverse)};
}

// slice: x[start:end:step] along dim (start/end clamped as in Python; step > 0)
std::vector<OutputSpec> shape_slice(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<SliceAttrs>(call.attrs);
  NABLA_CHECK(x.dim() > 0, "slice: can't slice a 0-dim tensor");
  int64_t dim = wrap_dim(attrs.dim, x.dim(), "slice");
  NABLA_CHECK(attrs.step > 0, "slice: step must be positive, got {}", attrs.step);
  int64_t size = x.shape()[dim];
  auto clamp = [size](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + size : i, 0, size); };
  int64_t start = clamp(attrs.start), end = std::max(clamp(attrs.end), clamp(attrs.start));
  Shape shape = x.shape(), strides = x.strides();
  shape[dim] = (end - start + attrs.step - 1) / attrs.step;
  strides[dim] *= attrs.step;
  return {{shape, x.dtype(), strides, x.offset() + start * x.strides()[dim]}};
}
void reference_slice(const KernelCall&) {}
std::vector<Tensor> backward_slice(const BackwardCall& call) {
  SliceAttrs attrs = std::get<SliceAttrs>(call.attrs);
  attrs.input_shape = call.input_meta[0].shape;
  return {call1(OpId::slice_backward, {call.grads[0]}, attrs)};
}

// slice_backward: zeros of input_shape with the gradient written into the sliced positions
std::vector<OutputSpec> shape_slice_backward(const OpCall& call) {
  return {{std::get<SliceAttrs>(call.attrs).input_shape, call.inputs[0].dtype()}};
}
void reference_slice_backward(const KernelCall& call) {
  const Tensor& out = call.outputs[0];
  std::memset(out.raw_data(), 0, static_cast<size_t>(out.numel()) * dtype_size(out.dtype()));
  const auto& attrs = std::get<SliceAttrs>(call.attrs);
  autograd::NoGradGuard no_grad;
  copy_elements(out.slice(attrs.dim, attrs.start, attrs.end, attrs.step), call.inputs[0]);
}
std::vector<Tensor> backward_slice_backward(const BackwardCall& call) {
  const auto& attrs = std::get<SliceAttrs>(call.attrs);
  return {call.grads[0].slice(attrs.dim, attrs.start, attrs.end, attrs.step)};
}

// expand: size-1 dims repeat (stride 0), new leading dims are added; -1 keeps a size
std::vector<OutputSpec> shape_expand(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const Shape& target = std::get<ShapeAttrs>(call.attrs).shape;
  NABLA_CHECK(static_cast<int64_t>(target.size()) >= x.dim(), "expand: shape {} has fewer dims than the input {}",
              shape_string(target), shape_string(x.shape()));
  size_t leading = target.size() - static_cast<size_t>(x.dim());
  Shape shape(target.size()), strides(target.size(), 0);
  for (size_t d = 0; d < target.size(); ++d) {
    if (d < leading) {
      NABLA_CHECK(target[d] >= 0, "expand: a new leading dim can't be {}", target[d]);
      shape[d] = target[d];
      continue;
    }
    int64_t size = x.shape()[d - leading];
    int64_t wanted = target[d] == -1 ? size : target[d];
    NABLA_CHECK(size == wanted || size == 1, "expand: input of shape {} can't be expanded to {} (dim {}: {} vs {})",
                shape_string(x.shape()), shape_string(target), d, size, wanted);
    shape[d] = wanted;
    strides[d] = size == 1 && wanted != 1 ? 0 : x.strides()[d - leading];
  }
  return {{shape, x.dtype(), strides, x.offset()}};
}
void reference_expand(const KernelCall&) {}
std::vector<Tensor> backward_expand(const BackwardCall& call) { return {sum_to(call.grads[0], call.input_meta[0].shape)}; }

// diagonal: a view. Its elements are x[.., i + r0, .., i + c0, ..] for i < L, with (r0, c0) = (0, offset) or
// (−offset, 0): one stride of s1 + s2 from the first of them.
//   dx = zeros with the diagonal set to dy: (dy ⊗ eye(L)) padded to [.., n1, n2] and its dims put back
std::vector<OutputSpec> shape_diagonal(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<DiagonalAttrs>(call.attrs);
  const DiagonalLayout layout = diagonal_layout(x.shape(), attrs, x.describe());
  Shape shape, strides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d == layout.dim1 || d == layout.dim2) continue;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  shape.push_back(layout.length);
  strides.push_back(x.strides()[layout.dim1] + x.strides()[layout.dim2]);
  int64_t offset = x.offset();
  if (layout.length > 0) {
    offset += attrs.offset >= 0 ? attrs.offset * x.strides()[layout.dim2] : -attrs.offset * x.strides()[layout.dim1];
  }
  return {{shape, x.dtype(), strides, offset}};
}
void reference_diagonal(const KernelCall&) {}
std::vector<Tensor> backward_diagonal(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const auto& attrs = std::get<DiagonalAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  const DiagonalLayout layout = diagonal_layout(shape, attrs, shape_string(shape));
  const int64_t length = layout.length, rows = shape[layout.dim1], columns = shape[layout.dim2];
  // [.., L] → [.., L, L] with dy on the diagonal: multiplying by eye keeps it differentiable in dy.
  Tensor square = grad.unsqueeze(-1) * eye(length, {.dtype = grad.dtype()});
  const int64_t row_start = std::max<int64_t>(0, -attrs.offset), column_start = std::max<int64_t>(0, attrs.offset);
  Tensor placed = nabla::pad(square, {column_start, columns - length - column_start, row_start,
                                     rows - length - row_start});  // [.. others .., n1, n2]
  // Put dims back: input dim d is dim position[d] of `placed`.
  Shape position(static_cast<size_t>(rank));
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == layout.dim1) position[d] = rank - 2;
    else if (d == layout.dim2) position[d] = rank - 1;
    else position[d] = next++;
  }
  return {placed.permute(position)};
}

// clone: a contiguous copy
std::vector<OutputSpec> shape_clone(const OpCall& call) { return unary_shape(call, ResultKind::same); }
void reference_clone(const KernelCall& call) { copy_elements(call.outputs[0], call.inputs[0]); }
std::vector<Tensor> backward_clone(const BackwardCall& call) { return {call.grads[0]}; }

// cast: a contiguous copy in another dtype (the gradient is cast back by the node)
std::vector<OutputSpec> shape_cast(const OpCall& call) {
  return {{call.inputs[0].shape(), std::get<CastAttrs>(call.attrs).dtype}};
}
void reference_cast(const KernelCall& call) { copy_elements(call.outputs[0], call.inputs[0]); }
std::vector<Tensor> backward_cast(const BackwardCall& call) { return {call.grads[0]}; }

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  return call1(OpId::diagonal, {x}, ops::DiagonalAttrs{offset, dim1, dim2});
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  NABLA_CHECK(split_size > 0, "split: split_size must be positive, got {}", split_size);
  int64_t d = wrap_dim(dim, x.dim(), "split");
  std::vector<Tensor> parts;
  for (int64_t start = 0; start < x.shape()[d]; start += split_size) {
    parts.push_back(x.narrow(d, start, std::min(split_size, x.shape()[d] - start)));
  }
  return parts;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  NABLA_CHECK(chunks > 0, "chunk: chunks must be positive, got {}", chunks);
  int64_t size = x.shape()[wrap_dim(dim, x.dim(), "chunk")];
  return split(x, std::max<int64_t>((size + chunks - 1) / chunks, 1), dim);
}

}  // namespace nabla
