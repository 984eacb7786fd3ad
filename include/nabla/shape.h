#pragma once
// Shapes and strides (in elements), and the rules that only look at them.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nabla {

using Shape = std::vector<int64_t>;

int64_t numel(std::span<const int64_t> shape);
Shape contiguous_strides(std::span<const int64_t> shape);
std::string shape_string(std::span<const int64_t> shape);  // "[2, 3]"

// Wraps a possibly negative dimension into [0, rank); throws naming `op` when out of range.
int64_t wrap_dim(int64_t dim, int64_t rank, const char* op);

// PyTorch broadcasting: align trailing dims; sizes must match or be 1. Throws naming `op` and both shapes.
Shape broadcast_shapes(std::span<const int64_t> a, std::span<const int64_t> b, const char* op);

}  // namespace nabla
