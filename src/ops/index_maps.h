#pragma once
// How padding and resampling map output positions to input positions: shared by their reference kernels
// (src/ops/shape.cpp, src/ops/upsample.cpp) and their fast kernels (src/backend/cpu/pad.cpp,
// src/backend/cpu/resample.cpp), so both follow one rule.
#include <cstdint>
#include <limits>
#include <vector>

#include "ops/attrs.h"

namespace nabla::ops {

inline constexpr int64_t outside = std::numeric_limits<int64_t>::min();
using IndexTable = std::vector<int64_t>;  // output index along one dim → input index (or `outside`)

// pad: one table per dim of the output (identity where a dim is not padded).
std::vector<IndexTable> pad_tables(const Shape& input_shape, const PadAttrs& attrs, const Shape& output_shape);

// upsample2d: up to two source positions along one axis for one output position, with their weights.
struct Taps {
  int64_t first = 0, second = 0;
  double first_weight = 1, second_weight = 0;
};
// The taps of each of `output` positions reading an axis of `input` positions.
std::vector<Taps> axis_taps(int64_t input, int64_t output, double scale_factor, const UpsampleAttrs& attrs);

}  // namespace nabla::ops
