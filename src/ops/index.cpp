// Indexing ops: index_select and gather read the elements an index tensor names; index_add and scatter_add
// add into them, and are the backward passes of the first two (and the reverse); scatter writes into them;
// masked_fill, masked_select and nonzero go by a mask or by the non-zero elements. one_hot is a composite.
// (Tensor::index and index_put_ are in indexing.cpp; functional::embedding in src/nn/functional/embedding.cpp.)
//   index_select  x [.., s, ..], index [n]                     → out [.., n, ..]  out[.., i, ..] = x[.., index[i], ..]
//   gather        x [.., s, ..], index [.., n, ..] (x's rank)   → out = index's shape, out[p] = x[p, dim ↦ index[p]]
//   index_add     self [.., s, ..], index [n], source [.., n, ..] → self's shape: out = self;
//                 out[.., index[i], ..] += source[.., i, ..]
//   scatter_add   self, index, src (one rank)                     → self's shape: out = self; out[p, dim ↦ index[p]] += src[p]
//   scatter       self, index, src (one rank)                     → self's shape: out = self; out[p, dim ↦ index[p]] = src[p]
//   masked_fill   self, mask (bool, broadcast)                    → broadcast shape: value where mask, else self
//   masked_select x, mask (bool, broadcast)                       → [count of true], the selected elements in row-major order
//   nonzero       x [d0, …, dr-1]                                 → int64 [count, r], the index of each non-zero element
// Indices are int64 or int32 and must lie in [0, size of the indexed dim) (no negative indices, as PyTorch).
// Kernels check every index before they write anything, so a bad index leaves no half-written output and
// never throws from a parallel region.
// masked_select and nonzero read data on the host to size their outputs (marked `host` in ops.def).
// Duplicate indices in scatter: the elements are written in row-major order of the index, so the last
// write wins (PyTorch leaves this undefined; its CPU kernel happens to do the same).
#include <cstring>
#include <optional>

#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/elementwise.h"
#include "ops/iterate.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

int64_t attr_dim(const Attrs& attrs, int64_t rank, const char* op) {
  return wrap_dim(std::get<DimAttrs>(attrs).dim, rank, op);
}

void check_index_dtype(const char* op, const Tensor& index) {
  NABLA_CHECK(index.dtype() == DType::i64 || index.dtype() == DType::i32,
              "{}: index must be an int64 or int32 tensor, got {}", op, index.describe());
}

void check_same_dtype(const char* op, const Tensor& self, const Tensor& source, const char* source_name) {
  NABLA_CHECK(self.dtype() == source.dtype(), "{}: {} {} must have self's dtype ({}); convert it with .to()", op,
              source_name, source.describe(), self.describe());
}

// Every index value must address an element of `indexed` along `dim`; the first bad one is reported
// (`indexed_name`: how the message names the indexed tensor).
void check_index_values(const char* op, const Tensor& index, const Tensor& indexed, int64_t dim,
                        const char* indexed_name = "input") {
  const int64_t size = indexed.dim() == 0 ? 1 : indexed.shape()[dim];  // a 0-dim tensor has one element
  const void* data = index.storage()->data();
  std::optional<int64_t> bad;
  for_each_offset<1>(index.shape(), {index.strides()}, {index.offset()}, [&](const std::array<int64_t, 1>& offset) {
    int64_t value = load_int(index.dtype(), data, offset[0]);
    if (!bad && (value < 0 || value >= size)) bad = value;
  });
  NABLA_CHECK(!bad, "{}: index {} is out of range for dim {} of size {} ({} {})", op, bad.value_or(0), dim, size,
              indexed_name, indexed.describe());
}

// The i-th value of a 1-D (or 0-dim) index.
int64_t index_at(const Tensor& index, int64_t i) {
  int64_t stride = index.dim() == 0 ? 0 : index.strides()[0];
  return load_int(index.dtype(), index.storage()->data(), index.offset() + i * stride);
}

Shape without(Shape values, int64_t dim) {
  values.erase(values.begin() + dim);
  return values;
}

Shape with_zero(Shape values, int64_t dim) {
  values[static_cast<size_t>(dim)] = 0;
  return values;
}

// Copies one element exactly (any dtype: the bytes move, nothing is converted).
void copy_element(const Tensor& destination, int64_t destination_offset, const Tensor& source, int64_t source_offset) {
  const size_t size = dtype_size(source.dtype());
  std::memcpy(static_cast<char*>(destination.storage()->data()) + destination_offset * static_cast<int64_t>(size),
              static_cast<const char*>(source.storage()->data()) + source_offset * static_cast<int64_t>(size), size);
}

// destination += source for one element: in double for floating types (rounded once per addition, in the
// storage type, as PyTorch's CPU kernels do), in int64 for integers.
void add_element(const Tensor& destination, int64_t destination_offset, const Tensor& source, int64_t source_offset) {
  void* out = destination.storage()->data();
  const void* in = source.storage()->data();
  const DType dtype = destination.dtype();
  if (is_floating(dtype)) {
    store_double(dtype, out, destination_offset,
                 load_double(dtype, out, destination_offset) + load_double(source.dtype(), in, source_offset));
  } else {
    store_int(dtype, out, destination_offset,
              load_int(dtype, out, destination_offset) + load_int(source.dtype(), in, source_offset));
  }
}

// scatter and scatter_add: self, index, src of one rank; index no larger than src anywhere, nor than self
// outside dim. → self's shape and dtype.
std::vector<OutputSpec> scatter_shape(const OpCall& call) {
  const char* op = op_name(call.op);
  const Tensor& self = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& src = call.inputs[2];
  const int64_t dim = attr_dim(call.attrs, self.dim(), op);
  check_index_dtype(op, index);
  check_same_dtype(op, self, src, "src");
  NABLA_CHECK(index.dim() == self.dim() && src.dim() == self.dim(),
              "{}: self {}, index {} and src {} must have the same rank", op, self.describe(), index.describe(),
              src.describe());
  for (int64_t d = 0; d < self.dim(); ++d) {
    NABLA_CHECK(index.shape()[d] <= src.shape()[d] && (d == dim || index.shape()[d] <= self.shape()[d]),
                "{}: index {} is larger than src {} or self {} in dim {}; index may exceed only self's dim {}",
                op, index.describe(), src.describe(), self.describe(), d, dim);
  }
  return {{self.shape(), self.dtype()}};
}
// Zero-pads `grad` (of the index's shape) at the end of each dim up to `shape` (differentiable: pad's backward
// crops): scatter and scatter_add may read only a leading block of a larger src.
Tensor pad_to(const Tensor& grad, const Shape& shape) {
  std::vector<int64_t> pads;
  bool needed = false;
  for (int64_t d = grad.dim() - 1; d >= 0; --d) {
    pads.push_back(0);
    pads.push_back(shape[d] - grad.shape()[d]);
    needed = needed || shape[d] != grad.shape()[d];
  }
  return needed ? nabla::pad(grad, pads) : grad;
}

void check_mask(const char* op, const Tensor& mask, const Tensor& x) {
  NABLA_CHECK(mask.dtype() == DType::boolean, "{}: mask must be a bool tensor, got {} (input {}); compare first, e.g. "
              "ne(mask, 0)", op, mask.describe(), x.describe());
}

// The number of true elements of mask seen broadcast to `shape`.
int64_t count_true(const Tensor& mask, const Shape& shape) {
  int64_t count = 0;
  const auto* data = static_cast<const uint8_t*>(mask.storage()->data());
  for_each_offset<1>(shape, {broadcast_strides(mask, shape)}, {mask.offset()},
                     [&](const std::array<int64_t, 1>& offset) { count += data[offset[0]] ? 1 : 0; });
  return count;
}

// The number of non-zero elements of x (NaN counts as non-zero).
int64_t count_nonzero(const Tensor& x) {
  int64_t count = 0;
  const void* data = x.storage()->data();
  const bool floating = is_floating(x.dtype());
  for_each_offset<1>(x.shape(), {x.strides()}, {x.offset()}, [&](const std::array<int64_t, 1>& offset) {
    count += (floating ? load_double(x.dtype(), data, offset[0]) != 0 : load_int(x.dtype(), data, offset[0]) != 0) ? 1 : 0;
  });
  return count;
}

}  // namespace

// ---- index_select: x [.., s, ..], index [n] → [.., n, ..]; dx = index_add(zeros, index, dout)
std::vector<OutputSpec> shape_index_select(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& index = call.inputs[1];
  NABLA_CHECK(x.dim() >= 1, "index_select: input must have at least 1 dim, got {}", x.describe());
  const int64_t dim = attr_dim(call.attrs, x.dim(), "index_select");
  check_index_dtype("index_select", index);
  NABLA_CHECK(index.dim() <= 1, "index_select: index must be 1-D, got {} (input {})", index.describe(), x.describe());
  Shape shape = x.shape();
  shape[dim] = index.numel();
  return {{shape, x.dtype()}};
}
void reference_index_select(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& out = call.outputs[0];
  const int64_t dim = attr_dim(call.attrs, x.dim(), "index_select");
  check_index_values("index_select", index, x, dim);
  // One selected slice (the dim removed from both layouts) per index value.
  const Shape slice_shape = without(out.shape(), dim);
  const std::array<Shape, 2> strides{without(out.strides(), dim), without(x.strides(), dim)};
  for (int64_t i = 0; i < index.numel(); ++i) {
    std::array<int64_t, 2> start{out.offset() + i * out.strides()[dim], x.offset() + index_at(index, i) * x.strides()[dim]};
    for_each_offset<2>(slice_shape, strides, start, [&](const std::array<int64_t, 2>& offset) {
      copy_element(out, offset[0], x, offset[1]);
    });
  }
}
std::vector<Tensor> backward_index_select(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  Tensor base = zeros(call.input_meta[0].shape, {.dtype = grad.dtype()});
  return {call1(OpId::index_add, {base, call.inputs[1], grad}, call.attrs), Tensor()};
}

// ---- gather: x [.., s, ..], index (x's rank) → index's shape; dx = scatter_add(zeros, index, dout)
std::vector<OutputSpec> shape_gather(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const int64_t dim = attr_dim(call.attrs, x.dim(), "gather");
  check_index_dtype("gather", index);
  NABLA_CHECK(index.dim() == x.dim(), "gather: index {} must have the same rank as the input {}", index.describe(),
              x.describe());
  for (int64_t d = 0; d < x.dim(); ++d) {
    NABLA_CHECK(d == dim || index.shape()[d] <= x.shape()[d],
                "gather: index {} is larger than the input {} in dim {} ({} > {}); only dim {} may be larger",
                index.describe(), x.describe(), d, index.shape()[d], x.shape()[d], dim);
  }
  return {{index.shape(), x.dtype()}};
}
void reference_gather(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& out = call.outputs[0];
  const int64_t dim = attr_dim(call.attrs, x.dim(), "gather");
  check_index_values("gather", index, x, dim);
  const int64_t dim_stride = x.dim() > 0 ? x.strides()[dim] : 0;
  const void* index_data = index.storage()->data();
  // x's step along dim comes from the index value, not from the position in the index.
  const std::array<Shape, 3> strides{out.strides(), index.strides(), x.dim() > 0 ? with_zero(x.strides(), dim) : Shape{}};
  const std::array<int64_t, 3> start{out.offset(), index.offset(), x.offset()};
  for_each_offset<3>(index.shape(), strides, start, [&](const std::array<int64_t, 3>& offset) {
    int64_t position = load_int(index.dtype(), index_data, offset[1]);
    copy_element(out, offset[0], x, offset[2] + position * dim_stride);
  });
}
std::vector<Tensor> backward_gather(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  Tensor base = zeros(call.input_meta[0].shape, {.dtype = grad.dtype()});
  return {call1(OpId::scatter_add, {base, call.inputs[1], grad}, call.attrs), Tensor()};
}

// ---- index_add: out = self; out[.., index[i], ..] += source[.., i, ..]
//      dself = dout, dsource = index_select(dout, dim, index)
std::vector<OutputSpec> shape_index_add(const OpCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& source = call.inputs[2];
  NABLA_CHECK(self.dim() >= 1, "index_add: self must have at least 1 dim, got {}", self.describe());
  const int64_t dim = attr_dim(call.attrs, self.dim(), "index_add");
  check_index_dtype("index_add", index);
  NABLA_CHECK(index.dim() <= 1, "index_add: index must be 1-D, got {}", index.describe());
  check_same_dtype("index_add", self, source, "source");
  bool fits = source.dim() == self.dim() && source.shape()[dim] == index.numel();
  for (int64_t d = 0; fits && d < self.dim(); ++d) fits = d == dim || source.shape()[d] == self.shape()[d];
  NABLA_CHECK(fits,
              "index_add: source {} must have self {}'s shape with dim {} of size index.numel() = {} (index {})",
              source.describe(), self.describe(), dim, index.numel(), index.describe());
  return {{self.shape(), self.dtype()}};
}
void reference_index_add(const KernelCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& source = call.inputs[2];
  const Tensor& out = call.outputs[0];
  const int64_t dim = attr_dim(call.attrs, self.dim(), "index_add");
  check_index_values("index_add", index, self, dim);
  copy_elements(out, self);
  const Shape slice_shape = without(source.shape(), dim);
  const std::array<Shape, 2> strides{without(out.strides(), dim), without(source.strides(), dim)};
  for (int64_t i = 0; i < index.numel(); ++i) {
    std::array<int64_t, 2> start{out.offset() + index_at(index, i) * out.strides()[dim],
                                 source.offset() + i * source.strides()[dim]};
    for_each_offset<2>(slice_shape, strides, start, [&](const std::array<int64_t, 2>& offset) {
      add_element(out, offset[0], source, offset[1]);
    });
  }
}
std::vector<Tensor> backward_index_add(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const int64_t dim = std::get<DimAttrs>(call.attrs).dim;
  return {call.needs_grad[0] ? grad : Tensor(), Tensor(),
          call.needs_grad[2] ? index_select(grad, dim, call.inputs[1]) : Tensor()};
}

// ---- scatter_add: out = self; out[p, dim ↦ index[p]] += src[p] for p over index's shape
//      dself = dout, dsrc = gather(dout, dim, index), zero-padded where src is larger than index
std::vector<OutputSpec> shape_scatter_add(const OpCall& call) { return scatter_shape(call); }
void reference_scatter_add(const KernelCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& src = call.inputs[2];
  const Tensor& out = call.outputs[0];
  const int64_t dim = attr_dim(call.attrs, self.dim(), "scatter_add");
  check_index_values("scatter_add", index, self, dim);
  copy_elements(out, self);
  const int64_t dim_stride = out.dim() > 0 ? out.strides()[dim] : 0;
  const void* index_data = index.storage()->data();
  // out's step along dim comes from the index value, not from the position in the index.
  const std::array<Shape, 3> strides{out.dim() > 0 ? with_zero(out.strides(), dim) : Shape{}, index.strides(),
                                     src.strides()};
  const std::array<int64_t, 3> start{out.offset(), index.offset(), src.offset()};
  for_each_offset<3>(index.shape(), strides, start, [&](const std::array<int64_t, 3>& offset) {
    int64_t position = load_int(index.dtype(), index_data, offset[1]);
    add_element(out, offset[0] + position * dim_stride, src, offset[2]);
  });
}
std::vector<Tensor> backward_scatter_add(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const int64_t dim = std::get<DimAttrs>(call.attrs).dim;
  Tensor dsrc;
  if (call.needs_grad[2]) dsrc = pad_to(gather(grad, dim, call.inputs[1]), call.input_meta[2].shape);
  return {call.needs_grad[0] ? grad : Tensor(), Tensor(), dsrc};
}

// ---- scatter: out = self; out[p, dim ↦ index[p]] = src[p] for p over index's shape (last write wins)
//      dself = dout with the written positions zeroed, dsrc = gather(dout, dim, index) (zero-padded to src)
std::vector<OutputSpec> shape_scatter(const OpCall& call) { return scatter_shape(call); }
void reference_scatter(const KernelCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& src = call.inputs[2];
  const Tensor& out = call.outputs[0];
  const int64_t dim = wrap_dim(std::get<DimAttrs>(call.attrs).dim, self.dim(), "scatter");
  check_index_values("scatter", index, self, dim, "self");
  copy_elements(out, self);
  const int64_t dim_stride = out.dim() > 0 ? out.strides()[dim] : 0;
  Shape out_strides = out.strides();
  if (out.dim() > 0) out_strides[dim] = 0;  // out's step along dim comes from the index value
  const size_t size = dtype_size(out.dtype());
  auto* out_bytes = static_cast<char*>(out.storage()->data());
  const auto* src_bytes = static_cast<const char*>(src.storage()->data());
  const void* index_data = index.storage()->data();
  for_each_offset<3>(index.shape(), {out_strides, index.strides(), src.strides()},
                     {out.offset(), index.offset(), src.offset()}, [&](const std::array<int64_t, 3>& offset) {
                       int64_t target = offset[0] + load_int(index.dtype(), index_data, offset[1]) * dim_stride;
                       std::memcpy(out_bytes + target * static_cast<int64_t>(size),
                                   src_bytes + offset[2] * static_cast<int64_t>(size), size);
                     });
}
std::vector<Tensor> backward_scatter(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& index = call.inputs[1];
  const int64_t dim = std::get<DimAttrs>(call.attrs).dim;
  Tensor dself, dsrc;
  if (call.needs_grad[0]) {
    Tensor written = scatter(zeros(grad.shape(), {.dtype = DType::boolean}), dim, index,
                             ones(index.shape(), {.dtype = DType::boolean}));
    dself = masked_fill(grad, written, 0.0);
  }
  if (call.needs_grad[2]) dsrc = pad_to(gather(grad, dim, index), call.input_meta[2].shape);
  return {dself, Tensor(), dsrc};
}

// ---- masked_fill: self, mask → broadcast(self, mask) in self's dtype; an integer self takes integral values
//      only (nabla never truncates silently), bool takes value ≠ 0.  dself = sum_to(masked_fill(dout, mask, 0), self)
std::vector<OutputSpec> shape_masked_fill(const OpCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& mask = call.inputs[1];
  const char* name = op_name(call.op);  // masked_fill or masked_fill_
  check_mask(name, mask, self);
  const double value = std::get<ScalarAttrs>(call.attrs).value;
  NABLA_CHECK(holds_value(self.dtype(), value), "{}: value {} does not fit self {} without truncation; convert self "
              "to a floating type first", name, value, self.describe());
  return {{broadcast_shapes(self.shape(), mask.shape(), name), self.dtype()}};
}
void reference_masked_fill(const KernelCall& call) {
  const double value = std::get<ScalarAttrs>(call.attrs).value;
  // Integers hold the value exactly (the shape rule checked), bool takes value ≠ 0 (PyTorch's cast).
  const int64_t integer = call.outputs[0].dtype() == DType::boolean ? value != 0 : static_cast<int64_t>(value);
  // The mask arrives as 1.0 / 0.0 (double) or 1 / 0 (int64) through the elementwise loop.
  elementwise_kernel<2>(
      call, [value](double x, double mask) { return mask != 0 ? value : x; },
      [integer](int64_t x, int64_t mask) { return mask != 0 ? integer : x; });
}
std::vector<Tensor> backward_masked_fill(const BackwardCall& call) {
  return {sum_to(masked_fill(call.grads[0], call.inputs[1], 0.0), call.input_meta[0].shape), Tensor()};
}

// ---- masked_select: x, mask → [count] (x's dtype)
//      dx = sum_to(the gradient put back at the selected positions of zeros(broadcast shape), x's shape)
std::vector<OutputSpec> shape_masked_select(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& mask = call.inputs[1];
  check_mask("masked_select", mask, x);
  Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  return {{{count_true(mask, shape)}, x.dtype()}};
}
void reference_masked_select(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& mask = call.inputs[1];
  const Tensor& out = call.outputs[0];
  Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  const size_t size = dtype_size(x.dtype());
  const auto* mask_data = static_cast<const uint8_t*>(mask.storage()->data());
  const auto* in = static_cast<const char*>(x.storage()->data());
  auto* result = static_cast<char*>(out.raw_data());
  int64_t written = 0;
  for_each_offset<2>(shape, {broadcast_strides(x, shape), broadcast_strides(mask, shape)}, {x.offset(), mask.offset()},
                     [&](const std::array<int64_t, 2>& offset) {
                       if (!mask_data[offset[1]]) return;
                       std::memcpy(result + written * static_cast<int64_t>(size),
                                   in + offset[0] * static_cast<int64_t>(size), size);
                       ++written;
                     });
}
std::vector<Tensor> backward_masked_select(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& mask = call.inputs[1];
  Shape shape = broadcast_shapes(call.input_meta[0].shape, mask.shape(), "masked_select");
  // The flat positions of the selected elements: index_add is differentiable (its backward is index_select).
  Tensor positions = nonzero(mask.expand(shape).reshape({-1})).reshape({-1});
  Tensor flat = index_add(zeros({numel(shape)}, {.dtype = grad.dtype()}), 0, positions, grad);
  return {sum_to(flat.reshape(shape), call.input_meta[0].shape), Tensor()};
}

// ---- nonzero: x → int64 [count, rank], indices in row-major order
std::vector<OutputSpec> shape_nonzero(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  return {{{count_nonzero(x), x.dim()}, DType::i64}};
}
void reference_nonzero(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  auto* result = static_cast<int64_t*>(call.outputs[0].raw_data());
  const void* data = x.storage()->data();
  const bool floating = is_floating(x.dtype());
  const size_t rank = static_cast<size_t>(x.dim());
  std::vector<int64_t> position(rank, 0);
  int64_t row = 0;
  for_each_offset<1>(x.shape(), {x.strides()}, {x.offset()}, [&](const std::array<int64_t, 1>& offset) {
    bool nonzero = floating ? load_double(x.dtype(), data, offset[0]) != 0 : load_int(x.dtype(), data, offset[0]) != 0;
    if (nonzero) {
      for (size_t d = 0; d < rank; ++d) result[row * static_cast<int64_t>(rank) + static_cast<int64_t>(d)] = position[d];
      ++row;
    }
    // Advance the row-major position (for_each_offset visits elements in this order).
    for (size_t d = rank; d-- > 0;) {
      if (++position[d] < x.shape()[d]) break;
      position[d] = 0;
    }
  });
}
NABLA_NO_BACKWARD(nonzero)

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  return call1(OpId::index_select, {x, index}, ops::DimAttrs{dim});
}
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  return call1(OpId::gather, {x, index}, ops::DimAttrs{dim});
}
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  return call1(OpId::index_add, {self, index, source}, ops::DimAttrs{dim});
}
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  return call1(OpId::scatter_add, {self, index, source}, ops::DimAttrs{dim});
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  return call1(OpId::scatter, {self, index, source}, ops::DimAttrs{dim});
}
Tensor masked_fill(const Tensor& self, const Tensor& mask, double value) {
  return call1(OpId::masked_fill, {self, mask}, ops::ScalarAttrs{value});
}
Tensor masked_select(const Tensor& x, const Tensor& mask) { return call1(OpId::masked_select, {x, mask}); }
Tensor nonzero(const Tensor& x) { return call1(OpId::nonzero, {x}); }

// indices int64 [..] → int64 [.., num_classes]; num_classes = -1 reads the data: max(indices) + 1.
Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  NABLA_CHECK(indices.dtype() == DType::i64, "one_hot: indices must be an int64 tensor, got {}", indices.describe());
  NABLA_CHECK(num_classes >= -1, "one_hot: num_classes must be -1 (infer) or non-negative, got {}", num_classes);
  if (indices.numel() == 0) {
    NABLA_CHECK(num_classes >= 0, "one_hot: can't infer num_classes from the empty input {}; pass num_classes",
                indices.describe());
  } else {
    const auto smallest = static_cast<int64_t>(min(indices).item());
    const auto largest = static_cast<int64_t>(max(indices).item());
    NABLA_CHECK(smallest >= 0, "one_hot: class values must be non-negative, got {} (indices {})", smallest,
                indices.describe());
    if (num_classes == -1) num_classes = largest + 1;
    NABLA_CHECK(largest < num_classes, "one_hot: class value {} is out of range for num_classes = {} (indices {})",
                largest, num_classes, indices.describe());
  }
  return eq(indices.unsqueeze(-1), arange(static_cast<double>(num_classes))).to(DType::i64);
}

}  // namespace nabla
