// Fast index_select, gather and index_add: nn::Embedding's forward and backward, and the lookups of
// cross-entropy-like losses. Each operand is seen as [outer, size, inner] around dim, with any strides
// (Offsets); outputs are the dispatcher's fresh contiguous tensors.
//   index_select  out[o, i, k] = x[o, index[i], k]                      any dtype: bytes move
//   gather        out[o, j, k] = x[o, index[o, j, k], k]                any dtype: bytes move
//   index_add     out = self; out[o, index[i], k] += source[o, i, k]   f32, f64, i64
// Every index is read and checked before the parallel region (which must not throw); a bad one is the
// reference kernel's error. index_add partitions the work by destination row: each row is owned by one
// thread and adds its sources in index order, as the reference kernel does, so the result is bitwise the
// reference's and independent of the thread count.
#include <cstring>

#include "backend/cpu/fast.h"
#include "backend/cpu/offsets.h"

namespace nabla::cpu {
namespace {

// The values of a 1-D (or 0-dim) int64/int32 index, each checked against the size of the indexed dim.
std::vector<int64_t> read_index(const char* op, const Tensor& index, const Tensor& indexed, int64_t dim) {
  const int64_t size = indexed.shape()[dim], stride = index.dim() == 0 ? 0 : index.strides()[0];
  std::vector<int64_t> values(static_cast<size_t>(index.numel()));
  const char* base = static_cast<const char*>(index.storage()->data());
  for (int64_t i = 0; i < index.numel(); ++i) {
    const int64_t at = index.offset() + i * stride;
    const int64_t value = index.dtype() == DType::i64 ? reinterpret_cast<const int64_t*>(base)[at]
                                                      : reinterpret_cast<const int32_t*>(base)[at];
    NABLA_CHECK(value >= 0 && value < size, "{}: index {} is out of range for dim {} of size {} (input {})", op, value,
                dim, size, indexed.describe());
    values[static_cast<size_t>(i)] = value;
  }
  return values;
}

template <typename Index>
const Index* typed(const Tensor& tensor) {
  return static_cast<const Index*>(tensor.storage()->data());
}

int64_t attr_dim(const ops::Attrs& attrs, int64_t rank) { return wrap_dim(std::get<ops::DimAttrs>(attrs).dim, rank, "index"); }

// ---- index_select: out [outer, count, inner] ← x [outer, size, inner] rows chosen by index
template <typename T>
void select_rows(const Tensor& x, int64_t dim, const std::vector<int64_t>& positions, const Tensor& out) {
  const Offsets outer(x.shape(), x.strides(), 0, dim), inner(x.shape(), x.strides(), dim + 1, x.dim());
  const int64_t count = static_cast<int64_t>(positions.size()), inner_count = inner.count(), rows = outer.count() * count;
  const int64_t dim_stride = x.strides()[dim];
  const T* source = static_cast<const T*>(x.storage()->data()) + x.offset();
  T* y = static_cast<T*>(out.raw_data());
#pragma omp parallel for schedule(static) if (rows * inner_count >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    const T* from = source + outer[row / count] + positions[static_cast<size_t>(row % count)] * dim_stride;
    T* to = y + row * inner_count;
    if (inner.unit_stride()) {
      std::memcpy(to, from, static_cast<size_t>(inner_count) * sizeof(T));
    } else {
      for (int64_t k = 0; k < inner_count; ++k) to[k] = from[inner[k]];
    }
  }
}

void run_index_select(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const int64_t dim = attr_dim(call.attrs, x.dim());
  const std::vector<int64_t> positions = read_index("index_select", call.inputs[1], x, dim);
  by_element_size(x.dtype(), [&]<typename T>() { select_rows<T>(x, dim, positions, call.outputs[0]); });
}

// ---- gather: out [outer, count, inner] (index's shape) ← x[o, index[o, j, k], k]
template <typename T, typename Index>
void gather_elements(const Tensor& x, const Tensor& index, int64_t dim, const Tensor& out) {
  const Shape& shape = index.shape();
  const int64_t rank = index.dim();
  const Offsets x_outer(shape, x.strides(), 0, dim), x_inner(shape, x.strides(), dim + 1, rank);
  const Offsets index_outer(shape, index.strides(), 0, dim), index_inner(shape, index.strides(), dim + 1, rank);
  const int64_t count = shape[dim], inner_count = x_inner.count(), rows = x_outer.count() * count;
  const int64_t x_stride = x.strides()[dim], index_stride = index.strides()[dim];
  const T* source = static_cast<const T*>(x.storage()->data()) + x.offset();
  const Index* positions = typed<Index>(index) + index.offset();
  T* y = static_cast<T*>(out.raw_data());
#pragma omp parallel for schedule(static) if (rows * inner_count >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t o = row / count, j = row % count;
    const T* from = source + x_outer[o];
    const Index* row_positions = positions + index_outer[o] + j * index_stride;
    T* to = y + row * inner_count;
    for (int64_t k = 0; k < inner_count; ++k) {
      to[k] = from[static_cast<int64_t>(row_positions[index_inner[k]]) * x_stride + x_inner[k]];
    }
  }
}

// Every value of an index of any shape and strides lies in [0, size); checked before the parallel region.
template <typename Index>
void check_gather_index(const Tensor& index, const Tensor& x, int64_t dim) {
  const int64_t size = x.shape()[dim];
  const Offsets all(index.shape(), index.strides(), 0, index.dim());
  const Index* positions = typed<Index>(index) + index.offset();
  for (int64_t i = 0; i < all.count(); ++i) {
    const int64_t value = positions[all[i]];
    NABLA_CHECK(value >= 0 && value < size, "gather: index {} is out of range for dim {} of size {} (input {})", value,
                dim, size, x.describe());
  }
}

template <typename Index>
void gather_with(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const int64_t dim = attr_dim(call.attrs, x.dim());
  check_gather_index<Index>(index, x, dim);
  by_element_size(x.dtype(), [&]<typename T>() { gather_elements<T, Index>(x, index, dim, call.outputs[0]); });
}

// ---- index_add: out = self, then out[o, d, :] += source[o, i, :] for each i with index[i] = d, in order of i
template <typename T>
void add_rows(const ops::KernelCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& source = call.inputs[2];
  const Tensor& out = call.outputs[0];
  const int64_t dim = attr_dim(call.attrs, self.dim());
  const std::vector<int64_t> positions = read_index("index_add", call.inputs[1], self, dim);
  copy_to_contiguous(self, out.raw_data());
  // The sources of each destination, in index order: a counting sort of 0..count-1 by index value.
  const int64_t size = self.shape()[dim], count = static_cast<int64_t>(positions.size());
  std::vector<int64_t> starts(static_cast<size_t>(size) + 1, 0), sources(static_cast<size_t>(count));
  for (int64_t value : positions) ++starts[static_cast<size_t>(value) + 1];
  for (int64_t d = 0; d < size; ++d) starts[static_cast<size_t>(d) + 1] += starts[static_cast<size_t>(d)];
  {
    std::vector<int64_t> next(starts.begin(), starts.end() - 1);
    for (int64_t i = 0; i < count; ++i) sources[static_cast<size_t>(next[static_cast<size_t>(positions[static_cast<size_t>(i)])]++)] = i;
  }
  const Offsets outer(source.shape(), source.strides(), 0, dim), inner(source.shape(), source.strides(), dim + 1, source.dim());
  const int64_t inner_count = inner.count(), rows = outer.count() * size, source_stride = source.strides()[dim];
  const T* from = static_cast<const T*>(source.storage()->data()) + source.offset();
  T* y = static_cast<T*>(out.raw_data());
#pragma omp parallel for schedule(static) if (outer.count() * count * inner_count >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t o = row / size, d = row % size;
    T* to = y + row * inner_count;
    for (int64_t s = starts[static_cast<size_t>(d)]; s < starts[static_cast<size_t>(d) + 1]; ++s) {
      const T* source_row = from + outer[o] + sources[static_cast<size_t>(s)] * source_stride;
      if (inner.unit_stride()) {
#pragma omp simd
        for (int64_t k = 0; k < inner_count; ++k) to[k] += source_row[k];
      } else {
        for (int64_t k = 0; k < inner_count; ++k) to[k] += source_row[inner[k]];
      }
    }
  }
}

bool index_ok(const Tensor& index) { return index.dtype() == DType::i64 || index.dtype() == DType::i32; }

}  // namespace

ops::Kernel index_select_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                              const ops::Attrs&) {
  if (!index_ok(inputs[1]) || !outputs[0].is_contiguous() || inputs[0].dim() == 0) return nullptr;
  return dtype_size(inputs[0].dtype()) <= 8 ? &run_index_select : nullptr;
}

ops::Kernel gather_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs&) {
  const Tensor& x = inputs[0];
  const Tensor& index = inputs[1];
  // A 0-dim gather is a one-element copy: not worth a path.
  if (x.dim() == 0 || !outputs[0].is_contiguous() || dtype_size(x.dtype()) > 8) return nullptr;
  if (index.dtype() == DType::i64) return &gather_with<int64_t>;
  if (index.dtype() == DType::i32) return &gather_with<int32_t>;
  return nullptr;
}

ops::Kernel index_add_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                           const ops::Attrs&) {
  const Tensor& self = inputs[0];
  if (!index_ok(inputs[1]) || !outputs[0].is_contiguous() || self.dim() == 0) return nullptr;
  switch (self.dtype()) {
    case DType::f32: return &add_rows<float>;
    case DType::f64: return &add_rows<double>;
    case DType::i64: return &add_rows<int64_t>;
    default: return nullptr;
  }
}

}  // namespace nabla::cpu
