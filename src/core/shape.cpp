#include "nabla/shape.h"

#include "nabla/error.h"

namespace nabla {

int64_t numel(std::span<const int64_t> shape) {
  int64_t count = 1;
  for (int64_t size : shape) count *= size;
  return count;
}

Shape contiguous_strides(std::span<const int64_t> shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

std::string shape_string(std::span<const int64_t> shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

int64_t wrap_dim(int64_t dim, int64_t rank, const char* op) {
  int64_t extent = std::max<int64_t>(rank, 1);  // a 0-dim tensor accepts dim 0 and -1, as in PyTorch
  NABLA_CHECK(dim >= -extent && dim < extent, "{}: dim {} is out of range for a tensor of rank {} (expected {} to {})",
              op, dim, rank, -extent, extent - 1);
  return dim < 0 ? dim + extent : dim;
}

Shape broadcast_shapes(std::span<const int64_t> a, std::span<const int64_t> b, const char* op) {
  size_t rank = std::max(a.size(), b.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t size_a = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t size_b = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    NABLA_CHECK(size_a == size_b || size_a == 1 || size_b == 1,
                "{}: shapes {} and {} cannot be broadcast together (dim {}: {} vs {})", op, shape_string(a),
                shape_string(b), i, size_a, size_b);
    result[i] = size_a == 1 ? size_b : size_a;
  }
  return result;
}

}  // namespace nabla
