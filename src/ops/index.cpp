// Indexing: index_select and gather read the elements an index tensor names; index_add and scatter_add
// add into them, and are the backward passes of the first two (and the reverse).
//   index_select  x [.., s, ..], index [n]                     → out [.., n, ..]  out[.., i, ..] = x[.., index[i], ..]
//   gather        x [.., s, ..], index [.., n, ..] (x's rank)   → out = index's shape, out[p] = x[p, dim ↦ index[p]]
//   index_add     self [.., s, ..], index [n], source [.., n, ..] → self's shape: out = self;
//                 out[.., index[i], ..] += source[.., i, ..]
//   scatter_add   self, index, src (one rank)                     → self's shape: out = self; out[p, dim ↦ index[p]] += src[p]
// Indices are int64 or int32 and must lie in [0, size of the indexed dim) (no negative indices, as PyTorch).
// Kernels check every index before they write anything, so a bad index leaves no half-written output and
// never throws from a parallel region.
#include <cstring>
#include <optional>

#include "core/element.h"
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

// Every index value must address an element of `indexed` along `dim`; the first bad one is reported.
void check_index_values(const char* op, const Tensor& index, const Tensor& indexed, int64_t dim) {
  const int64_t size = indexed.dim() == 0 ? 1 : indexed.shape()[dim];  // a 0-dim tensor has one element
  const void* data = index.storage()->data();
  std::optional<int64_t> bad;
  for_each_offset<1>(index.shape(), {index.strides()}, {index.offset()}, [&](const std::array<int64_t, 1>& offset) {
    int64_t value = load_int(index.dtype(), data, offset[0]);
    if (!bad && (value < 0 || value >= size)) bad = value;
  });
  NABLA_CHECK(!bad, "{}: index {} is out of range for dim {} of size {} (input {})", op, bad.value_or(0), dim, size,
              indexed.describe());
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

// Zero-pads `grad` (of the index's shape) up to `shape`, dim by dim, with the differentiable slice_backward:
// scatter_add may read only a leading block of a larger src.
Tensor pad_to(Tensor grad, const Shape& shape) {
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (grad.shape()[d] == shape[d]) continue;
    Shape padded = grad.shape();
    padded[d] = shape[d];
    grad = call1(OpId::slice_backward, {grad}, SliceAttrs{d, 0, grad.shape()[d], 1, padded});
  }
  return grad;
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
std::vector<OutputSpec> shape_scatter_add(const OpCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& src = call.inputs[2];
  const int64_t dim = attr_dim(call.attrs, self.dim(), "scatter_add");
  check_index_dtype("scatter_add", index);
  check_same_dtype("scatter_add", self, src, "src");
  NABLA_CHECK(index.dim() == self.dim() && src.dim() == self.dim(),
              "scatter_add: self {}, index {} and src {} must have the same rank", self.describe(), index.describe(),
              src.describe());
  for (int64_t d = 0; d < self.dim(); ++d) {
    NABLA_CHECK(index.shape()[d] <= src.shape()[d] && (d == dim || index.shape()[d] <= self.shape()[d]),
                "scatter_add: index {} is larger than src {} or self {} in dim {}; index may exceed only self's dim {}",
                index.describe(), src.describe(), self.describe(), d, dim);
  }
  return {{self.shape(), self.dtype()}};
}
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

}  // namespace nabla
