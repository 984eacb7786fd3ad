// Fast copies into a fresh contiguous output, from inputs of any strides: clone (what .contiguous() of a
// transposed or sliced tensor runs), cast between float32/float64 and from integers and bool, cat and
// slice_backward (the gradient of a slice or narrow). Same-dtype copies move bytes, so they serve every
// dtype; casts convert through double exactly as the reference kernel does (one rounding, in the store).
// Work is split into fixed chunks of the output, so no result depends on the thread count.
#include <algorithm>
#include <cstring>

#include "backend/cpu/fast.h"
#include "backend/cpu/offsets.h"

namespace nabla::cpu {
namespace {

// Elements per parallel task of a copy.
constexpr int64_t copy_chunk = 16384;

// destination[i] = To(source[i]) over the row-major positions of source (any strides), in fixed chunks.
template <typename From, typename To>
void convert_to_contiguous(const Tensor& source, To* destination) {
  const int64_t rank = source.dim(), count = source.numel();
  if (count == 0) return;
  const From* from = static_cast<const From*>(source.storage()->data()) + source.offset();
  // Rows of the last dim; when the whole tensor collapses to one stride it is a single row.
  const Offsets all_dims(source.shape(), source.strides(), 0, rank);
  const bool flat = all_dims.unit_stride();
  const Offsets outer(source.shape(), source.strides(), 0, flat ? 0 : rank - 1);
  const Offsets inner = flat ? all_dims : Offsets(source.shape(), source.strides(), rank - 1, rank);
  const int64_t inner_count = inner.count(), chunks = (count + copy_chunk - 1) / copy_chunk;
#pragma omp parallel for schedule(static) if (count >= parallel_threshold)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = c * copy_chunk, end = std::min(count, begin + copy_chunk);
    for (int64_t position = begin; position < end;) {
      const int64_t row = position / inner_count, k = position % inner_count;
      const int64_t stop = std::min(end - position, inner_count - k);
      const From* row_source = from + outer[row];
      To* to = destination + position;
      if constexpr (std::is_same_v<From, To>) {
        if (inner.unit_stride()) {
          std::memcpy(to, row_source + k, static_cast<size_t>(stop) * sizeof(To));
        } else {
          for (int64_t i = 0; i < stop; ++i) to[i] = row_source[inner[k + i]];
        }
      } else {
        for (int64_t i = 0; i < stop; ++i) to[i] = static_cast<To>(static_cast<double>(row_source[inner[k + i]]));
      }
      position += stop;
    }
  }
}

void run_clone(const ops::KernelCall& call) { copy_to_contiguous(call.inputs[0], call.outputs[0].raw_data()); }

template <typename From, typename To>
void run_cast(const ops::KernelCall& call) {
  convert_to_contiguous<From, To>(call.inputs[0], static_cast<To*>(call.outputs[0].raw_data()));
}

template <typename To>
ops::Kernel cast_from(DType from) {
  switch (from) {
    case DType::f32: return &run_cast<float, To>;
    case DType::f64: return &run_cast<double, To>;
    case DType::i64: return &run_cast<int64_t, To>;
    case DType::i32: return &run_cast<int32_t, To>;
    case DType::boolean: return &run_cast<uint8_t, To>;
    default: return nullptr;
  }
}

// ---- cat: out [outer, total, inner]; input t fills out[:, start_t : start_t + size_t, :]
template <typename T>
void join(const ops::KernelCall& call) {
  const Tensor& out = call.outputs[0];
  const int64_t rank = out.dim(), dim = wrap_dim(std::get<ops::DimAttrs>(call.attrs).dim, rank, "cat");
  const int64_t outer = block_size(out.shape(), 0, dim), inner = block_size(out.shape(), dim + 1, rank);
  const int64_t total = out.shape()[dim];
  // Per input: its block per outer position (size × inner elements) and where that goes in an output row.
  struct Piece {
    const T* data;
    Offsets outer, block;
    int64_t length, start, first_task;
  };
  std::vector<Piece> pieces;
  int64_t tasks_per_outer = 0, start = 0;
  for (const Tensor& t : call.inputs) {
    const int64_t length = t.shape()[dim] * inner;
    if (length > 0) {
      pieces.push_back({static_cast<const T*>(t.storage()->data()) + t.offset(), Offsets(t.shape(), t.strides(), 0, dim),
                        Offsets(t.shape(), t.strides(), dim, rank), length, start * inner, tasks_per_outer});
      tasks_per_outer += (length + copy_chunk - 1) / copy_chunk;
    }
    start += t.shape()[dim];
  }
  const int64_t tasks = outer * tasks_per_outer;
  T* y = static_cast<T*>(out.raw_data());
#pragma omp parallel for schedule(static) if (out.numel() >= parallel_threshold)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t o = task / tasks_per_outer, local = task % tasks_per_outer;
    // The piece this task belongs to: the last one whose first task is at or before it.
    auto piece = std::upper_bound(pieces.begin(), pieces.end(), local,
                                  [](int64_t value, const Piece& p) { return value < p.first_task; }) - 1;
    const int64_t begin = (local - piece->first_task) * copy_chunk, end = std::min(piece->length, begin + copy_chunk);
    const T* from = piece->data + piece->outer[o];
    T* to = y + o * total * inner + piece->start;
    if (piece->block.unit_stride()) {
      std::memcpy(to + begin, from + begin, static_cast<size_t>(end - begin) * sizeof(T));
    } else {
      for (int64_t i = begin; i < end; ++i) to[i] = from[piece->block[i]];
    }
  }
}

void run_cat(const ops::KernelCall& call) {
  by_element_size(call.outputs[0].dtype(), [&]<typename T>() { join<T>(call); });
}

// ---- slice_backward: out = zeros(input_shape); out[.., start : end : step, ..] = grad
template <typename T>
void unslice(const ops::KernelCall& call) {
  const Tensor& grad = call.inputs[0];
  const Tensor& out = call.outputs[0];
  const auto& attrs = std::get<ops::SliceAttrs>(call.attrs);
  const int64_t rank = out.dim(), dim = wrap_dim(attrs.dim, rank, "slice_backward");
  const int64_t size = out.shape()[dim], count = grad.shape()[dim];
  const int64_t first = std::clamp<int64_t>(attrs.start < 0 ? attrs.start + size : attrs.start, 0, size);
  const Offsets outer(grad.shape(), grad.strides(), 0, dim), inner(grad.shape(), grad.strides(), dim + 1, rank);
  const int64_t inner_count = inner.count(), rows = outer.count() * count, grad_stride = grad.strides()[dim];
  T* y = static_cast<T*>(out.raw_data());
  const T* from = static_cast<const T*>(grad.storage()->data()) + grad.offset();
  const int64_t elements = out.numel(), chunks = (elements + copy_chunk - 1) / copy_chunk;
#pragma omp parallel if (elements >= parallel_threshold)
  {
#pragma omp for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t begin = c * copy_chunk;
      std::memset(y + begin, 0, static_cast<size_t>(std::min(copy_chunk, elements - begin)) * sizeof(T));
    }
#pragma omp for schedule(static)
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t o = row / count, i = row % count;
      const T* source = from + outer[o] + i * grad_stride;
      T* to = y + (o * size + first + i * attrs.step) * inner_count;
      if (inner.unit_stride()) {
        std::memcpy(to, source, static_cast<size_t>(inner_count) * sizeof(T));
      } else {
        for (int64_t k = 0; k < inner_count; ++k) to[k] = source[inner[k]];
      }
    }
  }
}

void run_slice_backward(const ops::KernelCall& call) {
  by_element_size(call.outputs[0].dtype(), [&]<typename T>() { unslice<T>(call); });
}

bool movable(DType dtype) { return dtype_size(dtype) <= 8; }

}  // namespace

void copy_to_contiguous(const Tensor& source, void* destination) {
  by_element_size(source.dtype(), [&]<typename T>() { convert_to_contiguous<T, T>(source, static_cast<T*>(destination)); });
}

ops::Kernel clone_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                       const ops::Attrs&) {
  return outputs[0].is_contiguous() && movable(inputs[0].dtype()) ? &run_clone : nullptr;
}

ops::Kernel cast_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                      const ops::Attrs&) {
  const DType from = inputs[0].dtype(), to = outputs[0].dtype();
  if (!outputs[0].is_contiguous()) return nullptr;
  if (from == to) return movable(from) ? &run_clone : nullptr;
  switch (to) {
    case DType::f32: return cast_from<float>(from);
    case DType::f64: return cast_from<double>(from);
    case DType::i64:  // float to integer truncates, as the reference kernel's store does
      if (from == DType::boolean) return &run_cast<uint8_t, int64_t>;
      return from == DType::f32 ? &run_cast<float, int64_t> : from == DType::f64 ? &run_cast<double, int64_t> : nullptr;
    default: return nullptr;
  }
}

ops::Kernel cat_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                     const ops::Attrs&) {
  const Tensor& out = outputs[0];
  if (!out.is_contiguous() || !movable(out.dtype())) return nullptr;
  // Mixed dtypes promote: the reference kernel converts.
  for (const Tensor& t : inputs) if (t.dtype() != out.dtype()) return nullptr;
  return &run_cat;
}

ops::Kernel slice_backward_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                                const ops::Attrs& attrs) {
  const Tensor& out = outputs[0];
  if (!out.is_contiguous() || !movable(out.dtype()) || out.dim() == 0 || inputs[0].dtype() != out.dtype()) return nullptr;
  return std::get<ops::SliceAttrs>(attrs).step > 0 ? &run_slice_backward : nullptr;
}

}  // namespace nabla::cpu
