// Views (view, permute, slice, expand) share their input's storage; cat and slice_backward copy.
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

// cat: joins along dim; every other dim must match; dtypes promote
std::vector<OutputSpec> shape_cat(const OpCall& call) {
  const Tensor& first = call.inputs[0];
  NABLA_CHECK(first.dim() > 0, "cat: zero-dimensional tensors can't be concatenated; unsqueeze them or use stack");
  int64_t dim = wrap_dim(std::get<DimAttrs>(call.attrs).dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[dim] = 0;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor& t = call.inputs[i];
    NABLA_CHECK(t.dim() == first.dim(), "cat: tensor {} has rank {} but tensor 0 has rank {}", i, t.dim(), first.dim());
    for (int64_t d = 0; d < t.dim(); ++d) {
      NABLA_CHECK(d == dim || t.shape()[d] == first.shape()[d],
                  "cat: tensor {} has shape {} but tensor 0 has {}: all dims but {} must match", i,
                  shape_string(t.shape()), shape_string(first.shape()), dim);
    }
    shape[dim] += t.shape()[dim];
  }
  return {{shape, result_type(call.inputs)}};
}
void reference_cat(const KernelCall& call) {
  const Tensor& out = call.outputs[0];
  int64_t dim = wrap_dim(std::get<DimAttrs>(call.attrs).dim, out.dim(), "cat");
  autograd::NoGradGuard no_grad;
  int64_t start = 0;
  for (const Tensor& t : call.inputs) {
    copy_elements(out.narrow(dim, start, t.shape()[dim]), t);
    start += t.shape()[dim];
  }
}
std::vector<Tensor> backward_cat(const BackwardCall& call) {
  int64_t dim = wrap_dim(std::get<DimAttrs>(call.attrs).dim, call.grads[0].dim(), "cat");
  std::vector<Tensor> grads;
  int64_t start = 0;
  for (const InputMeta& meta : call.input_meta) {
    grads.push_back(call.grads[0].narrow(dim, start, meta.shape[dim]));
    start += meta.shape[dim];
  }
  return grads;
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

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) { return call1(OpId::cat, tensors, ops::DimAttrs{dim}); }

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  NABLA_CHECK(!tensors.empty(), "stack: expected at least one tensor");
  int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (size_t i = 0; i < tensors.size(); ++i) {
    NABLA_CHECK(tensors[i].shape() == tensors[0].shape(), "stack: tensor {} has shape {} but tensor 0 has {}", i,
                shape_string(tensors[i].shape()), shape_string(tensors[0].shape()));
    expanded.push_back(tensors[i].unsqueeze(d));
  }
  return cat(expanded, d);
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
