#pragma once
// The attribute structs of the ops (the last column of ops.def), held in one variant so that the
// dispatcher, the profiler and later tracing can carry any op's attributes without knowing its type.
#include <cstdint>
#include <variant>
#include <vector>

#include "nabla/dtype.h"
#include "nabla/ops.h"
#include "nabla/shape.h"

namespace nabla::ops {

struct NoAttrs {};
struct CastAttrs { DType dtype = DType::f32; };
struct ShapeAttrs { Shape shape; };  // view/expand: the new shape; permute: the dim order
struct SliceAttrs {
  int64_t dim = 0, start = 0, end = 0, step = 1;
  Shape input_shape;  // slice_backward: the shape of the tensor that was sliced
};
struct DimAttrs { int64_t dim = 0; bool keepdim = false; };
struct ReduceAttrs { std::vector<int64_t> dims; bool keepdim = false; };  // dims wrapped, sorted; empty = all
struct LossAttrs { Reduction reduction = Reduction::mean; int64_t ignore_index = -100; };

using Attrs = std::variant<NoAttrs, CastAttrs, ShapeAttrs, SliceAttrs, DimAttrs, ReduceAttrs, LossAttrs>;

}  // namespace nabla::ops
