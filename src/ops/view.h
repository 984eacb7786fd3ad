#pragma once
// Shape rules of the view ops that other code needs to ask about without dispatching.
#include <optional>

#include "nabla/shape.h"

namespace nabla::ops {

// Strides that let `shape` view memory laid out as (old_shape, old_strides), when such strides exist.
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& shape);

}  // namespace nabla::ops
