#include "ops/elementwise.h"

#include "nabla/ops.h"

namespace nabla::ops {

DType result_dtype(DType computed, ResultKind kind) {
  switch (kind) {
    case ResultKind::same: return computed;
    case ResultKind::floating: return is_floating(computed) ? computed : DType::f32;
    case ResultKind::boolean: return DType::boolean;
  }
  return computed;
}

Tensor reduce_to(const Tensor& grad, const BackwardCall& call, size_t input) {
  return sum_to(grad, call.input_meta[input].shape);
}

std::vector<OutputSpec> unary_shape(const OpCall& call, ResultKind kind) {
  const Tensor& x = call.inputs[0];
  return {{x.shape(), result_dtype(x.dtype(), kind)}};
}

std::vector<OutputSpec> broadcast_shape(const OpCall& call, ResultKind kind, size_t first_promoted) {
  const char* name = op_name(call.op);
  Shape shape = call.inputs[0].shape();
  for (size_t i = 1; i < call.inputs.size(); ++i) shape = broadcast_shapes(shape, call.inputs[i].shape(), name);
  std::vector<Tensor> promoted(call.inputs.begin() + static_cast<std::ptrdiff_t>(first_promoted), call.inputs.end());
  return {{shape, result_dtype(result_type(promoted), kind)}};
}

std::vector<OutputSpec> inplace_shape(const OpCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& other = call.inputs[1];
  const char* name = op_name(call.op);
  Shape shape = broadcast_shapes(self.shape(), other.shape(), name);
  NABLA_CHECK(shape == self.shape(), "{}: the result of shape {} does not fit in-place into self of shape {}", name,
              shape_string(shape), shape_string(self.shape()));
  DType computed = result_type({self, other});
  NABLA_CHECK(!(is_floating(computed) && !is_floating(self.dtype())),
              "{}: result type {} can't be cast to self's type {} in place", name, dtype_name(computed),
              dtype_name(self.dtype()));
  return {{self.shape(), self.dtype()}};
}

void copy_elements(const Tensor& destination, const Tensor& source) {
  std::array<Shape, 2> strides{destination.strides(), broadcast_strides(source, destination.shape())};
  std::array<int64_t, 2> start{destination.offset(), source.offset()};
  void* out = destination.storage()->data();
  const void* in = source.storage()->data();
  DType out_dtype = destination.dtype(), in_dtype = source.dtype();
  if (is_floating(out_dtype) || is_floating(in_dtype)) {
    for_each_offset<2>(destination.shape(), strides, start, [&](const std::array<int64_t, 2>& offset) {
      store_double(out_dtype, out, offset[0], load_double(in_dtype, in, offset[1]));
    });
  } else {
    for_each_offset<2>(destination.shape(), strides, start, [&](const std::array<int64_t, 2>& offset) {
      store_int(out_dtype, out, offset[0], load_int(in_dtype, in, offset[1]));
    });
  }
}

}  // namespace nabla::ops
