#pragma once
// Shared pieces of the elementwise ops: shape rules (broadcasting + promotion) and reference-kernel
// loops. Floating results are computed in double and rounded once on store; integer results in int64.
#include "core/element.h"
#include "ops/iterate.h"
#include "ops/op.h"
#include "ops/promotion.h"

namespace nabla::ops {

enum class ResultKind {
  same,        // the promoted input type (add, mul, neg, relu …)
  floating,    // integers and bool become float32 (exp, div, sigmoid …)
  boolean,     // comparisons
};

DType result_dtype(DType computed, ResultKind kind);
std::vector<OutputSpec> unary_shape(const OpCall& call, ResultKind kind);
// Broadcasts every input; promotes the inputs from `first_promoted` on (where: its condition is not).
std::vector<OutputSpec> broadcast_shape(const OpCall& call, ResultKind kind, size_t first_promoted = 0);
// For in-place ops: `other` must broadcast to self's shape and the result type must cast back to self's.
std::vector<OutputSpec> inplace_shape(const OpCall& call);

// The integer function of elementwise_kernel for ops whose results are always floating: never called.
inline constexpr auto unsupported_int = [](auto...) -> int64_t { return 0; };

// The gradient of a broadcast input, summed back to that input's shape (sum_to).
Tensor reduce_to(const Tensor& grad, const BackwardCall& call, size_t input);

// Whether a first-order backward of clamp, relu6 or relu runs the fused clamp_backward op (one pass) instead
// of its composite of differentiable ops: when autograd is not recording (no create_graph) and the gradient
// has the input's shape (src/ops/activation.cpp).
bool fused_clamp_backward_applies(const Tensor& grad, const Tensor& x);

// clamp's first-order gradient: grad where min < v < max, else 0. `v` may be the input or the output: the
// two are inside the open bounds at the same places (src/ops/activation.cpp).
Tensor clamp_gradient(const Tensor& grad, const Tensor& input_or_output, const ClampAttrs& attrs);

// out[i] = f(inputs[0][i], …, inputs[N-1][i]) with broadcasting; `as_double` picks the compute type.
template <size_t N, typename FloatFunction, typename IntFunction>
void elementwise_kernel(const KernelCall& call, FloatFunction&& float_function, IntFunction&& int_function) {
  const Tensor& out = call.outputs[0];
  std::array<Shape, N + 1> strides;
  std::array<int64_t, N + 1> start;
  std::array<const void*, N> bases;
  std::array<DType, N> dtypes;
  strides[0] = out.strides();
  start[0] = out.offset();
  for (size_t k = 0; k < N; ++k) {
    const Tensor& input = call.inputs[call.inputs.size() - N + k];
    strides[k + 1] = broadcast_strides(input, out.shape());
    start[k + 1] = input.offset();
    bases[k] = input.storage()->data();
    dtypes[k] = input.dtype();
  }
  void* out_base = out.storage()->data();
  const DType out_dtype = out.dtype();
  if (is_floating(out_dtype)) {
    for_each_offset<N + 1>(out.shape(), strides, start, [&](const std::array<int64_t, N + 1>& offset) {
      std::array<double, N> values;
      for (size_t k = 0; k < N; ++k) values[k] = load_double(dtypes[k], bases[k], offset[k + 1]);
      store_double(out_dtype, out_base, offset[0], std::apply(float_function, values));
    });
  } else {
    for_each_offset<N + 1>(out.shape(), strides, start, [&](const std::array<int64_t, N + 1>& offset) {
      std::array<int64_t, N> values;
      for (size_t k = 0; k < N; ++k) values[k] = load_int(dtypes[k], bases[k], offset[k + 1]);
      store_int(out_dtype, out_base, offset[0], std::apply(int_function, values));
    });
  }
}

// Comparisons: computed in double unless both operands are integers (exact for int64).
template <typename Compare>
void compare_kernel(const KernelCall& call, Compare&& compare) {
  const Tensor& out = call.outputs[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  std::array<Shape, 3> strides{out.strides(), broadcast_strides(a, out.shape()), broadcast_strides(b, out.shape())};
  std::array<int64_t, 3> start{out.offset(), a.offset(), b.offset()};
  auto* out_data = static_cast<uint8_t*>(out.storage()->data());
  const void* a_base = a.storage()->data();
  const void* b_base = b.storage()->data();
  bool integers = is_integral(a.dtype()) && is_integral(b.dtype());
  for_each_offset<3>(out.shape(), strides, start, [&](const std::array<int64_t, 3>& offset) {
    bool result = integers ? compare(load_int(a.dtype(), a_base, offset[1]), load_int(b.dtype(), b_base, offset[2]))
                           : compare(load_double(a.dtype(), a_base, offset[1]), load_double(b.dtype(), b_base, offset[2]));
    out_data[offset[0]] = result ? 1 : 0;
  });
}

// out[i] = predicate(x[i]) as bool, for any input dtype (integers are exact enough as double here:
// only zero, NaN and infinity matter).
template <typename Predicate>
void predicate_kernel(const KernelCall& call, Predicate predicate) {
  const Tensor& out = call.outputs[0];
  const Tensor& x = call.inputs[0];
  std::array<Shape, 2> strides{out.strides(), broadcast_strides(x, out.shape())};
  std::array<int64_t, 2> start{out.offset(), x.offset()};
  auto* out_data = static_cast<uint8_t*>(out.storage()->data());
  const void* base = x.storage()->data();
  const DType dtype = x.dtype();
  for_each_offset<2>(out.shape(), strides, start, [&](const std::array<int64_t, 2>& offset) {
    out_data[offset[0]] = predicate(load_double(dtype, base, offset[1])) ? 1 : 0;
  });
}

// Copies `source` into `destination` element by element (any strides, any dtypes, broadcasting source).
void copy_elements(const Tensor& destination, const Tensor& source);

}  // namespace nabla::ops
