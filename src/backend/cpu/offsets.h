#pragma once
// Element offsets of a block of a tensor's dims, for fast kernels that accept any strides. The indexing,
// joining and ordering kernels see each operand as [outer, size, inner] around one dim; an Offsets maps a
// row-major position in the outer (or inner) block to its element offset. When the block's dims collapse
// to one stride (contiguous, or a plain slice) that is a multiplication; otherwise a table is built once,
// before the parallel region, so the kernels' loops never walk shapes.
#include <cstdint>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::cpu {

class Offsets {
 public:
  // Dims [first, last) of a tensor with these sizes and strides (a stride of 0 broadcasts).
  Offsets(const Shape& shape, const Shape& strides, int64_t first, int64_t last) {
    count_ = 1;
    for (int64_t d = first; d < last; ++d) count_ *= shape[d];
    // The dims collapse when each one's stride is the next one's stride times the next one's size
    // (size-1 dims never matter).
    int64_t expected = 0;
    bool collapses = true, found = false;
    for (int64_t d = last - 1; d >= first && collapses; --d) {
      if (shape[d] == 1) continue;
      if (!found) {
        stride_ = strides[d];
        expected = strides[d] * shape[d];
        found = true;
      } else {
        collapses = strides[d] == expected;
        expected *= shape[d];
      }
    }
    if (collapses || count_ == 0) return;
    table_.resize(static_cast<size_t>(count_));
    std::vector<int64_t> index(static_cast<size_t>(last - first), 0);
    int64_t offset = 0;
    for (int64_t position = 0; position < count_; ++position) {
      table_[static_cast<size_t>(position)] = offset;
      for (int64_t d = last - 1; d >= first; --d) {  // the odometer: carry into the outer dims
        auto& i = index[static_cast<size_t>(d - first)];
        offset += strides[d];
        if (++i < shape[d]) break;
        offset -= strides[d] * shape[d];
        i = 0;
      }
    }
  }

  int64_t operator[](int64_t position) const {
    return table_.empty() ? position * stride_ : table_[static_cast<size_t>(position)];
  }
  int64_t count() const { return count_; }
  // Whether consecutive positions are consecutive elements (memcpy-able, vectorisable).
  bool unit_stride() const { return table_.empty() && (stride_ == 1 || count_ <= 1); }

 private:
  int64_t count_ = 1;
  int64_t stride_ = 0;
  std::vector<int64_t> table_;
};

// The product of shape[first, last).
inline int64_t block_size(const Shape& shape, int64_t first, int64_t last) {
  int64_t count = 1;
  for (int64_t d = first; d < last; ++d) count *= shape[d];
  return count;
}

}  // namespace nabla::cpu
