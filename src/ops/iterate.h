#pragma once
// Strided iteration for reference kernels: visits every element of a shape in row-major order and
// hands the body each operand's element offset (strides may be 0 for broadcast dims, or negative).
#include <array>
#include <cstdint>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::ops {

// Strides of `tensor` seen as `shape` (broadcast from the right: missing or size-1 dims get stride 0).
inline Shape broadcast_strides(const Tensor& tensor, const Shape& shape) {
  Shape strides(shape.size(), 0);
  size_t shift = shape.size() - static_cast<size_t>(tensor.dim());
  for (size_t d = 0; d < static_cast<size_t>(tensor.dim()); ++d) {
    if (tensor.shape()[d] != 1) strides[d + shift] = tensor.strides()[d];
  }
  return strides;
}

template <size_t N, typename Body>
void for_each_offset(const Shape& shape, const std::array<Shape, N>& strides, const std::array<int64_t, N>& start,
                     Body&& body) {
  if (numel(shape) == 0) return;
  const size_t rank = shape.size();
  std::vector<int64_t> index(rank, 0);
  std::array<int64_t, N> offsets = start;
  const int64_t inner = rank ? shape[rank - 1] : 1;
  while (true) {
    // The innermost dim in a tight loop; the odometer below carries into the outer dims.
    std::array<int64_t, N> cursor = offsets;
    for (int64_t i = 0; i < inner; ++i) {
      body(cursor);
      if (rank) for (size_t k = 0; k < N; ++k) cursor[k] += strides[k][rank - 1];
    }
    if (rank <= 1) return;
    size_t d = rank - 1;
    while (true) {
      if (d == 0) return;
      --d;
      ++index[d];
      for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
      if (index[d] < shape[d]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * shape[d];
      index[d] = 0;
    }
  }
}

}  // namespace nabla::ops
