// Comparisons and logical ops: bool results, not differentiable. Comparisons broadcast and promote for the
// comparison; logical ops take any dtypes (nonzero is true, NaN included).
#include "nabla/ops.h"
#include "ops/elementwise.h"

namespace nabla::ops {

#define NABLA_COMPARISON(name, expression)                                                                   \
  std::vector<OutputSpec> shape_##name(const OpCall& call) { return broadcast_shape(call, ResultKind::boolean); } \
  void reference_##name(const KernelCall& call) {                                                            \
    compare_kernel(call, [](auto a, auto b) { return expression; });                                         \
  }                                                                                                          \
  NABLA_NO_BACKWARD(name)

NABLA_COMPARISON(eq, a == b)
NABLA_COMPARISON(ne, a != b)
NABLA_COMPARISON(lt, a < b)
NABLA_COMPARISON(le, a <= b)
NABLA_COMPARISON(gt, a > b)
NABLA_COMPARISON(ge, a >= b)
#undef NABLA_COMPARISON

// logical_not: x == 0, as bool (NaN is true, so its negation is false)
std::vector<OutputSpec> shape_logical_not(const OpCall& call) { return unary_shape(call, ResultKind::boolean); }
void reference_logical_not(const KernelCall& call) { predicate_kernel(call, [](double x) { return x == 0; }); }
NABLA_NO_BACKWARD(logical_not)

// logical_and/or/xor: any dtypes (nonzero is true, NaN included) → bool. Not differentiable.
std::vector<OutputSpec> shape_logical_and(const OpCall& call) { return broadcast_shape(call, ResultKind::boolean); }
void reference_logical_and(const KernelCall& call) {
  compare_kernel(call, [](auto a, auto b) { return a != 0 && b != 0; });
}
NABLA_NO_BACKWARD(logical_and)

std::vector<OutputSpec> shape_logical_or(const OpCall& call) { return broadcast_shape(call, ResultKind::boolean); }
void reference_logical_or(const KernelCall& call) {
  compare_kernel(call, [](auto a, auto b) { return a != 0 || b != 0; });
}
NABLA_NO_BACKWARD(logical_or)

std::vector<OutputSpec> shape_logical_xor(const OpCall& call) { return broadcast_shape(call, ResultKind::boolean); }
void reference_logical_xor(const KernelCall& call) {
  compare_kernel(call, [](auto a, auto b) { return (a != 0) != (b != 0); });
}
NABLA_NO_BACKWARD(logical_xor)

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;
Tensor eq(const Tensor& a, const Tensor& b) { return call1(OpId::eq, {a, b}); }
Tensor ne(const Tensor& a, const Tensor& b) { return call1(OpId::ne, {a, b}); }
Tensor lt(const Tensor& a, const Tensor& b) { return call1(OpId::lt, {a, b}); }
Tensor le(const Tensor& a, const Tensor& b) { return call1(OpId::le, {a, b}); }
Tensor gt(const Tensor& a, const Tensor& b) { return call1(OpId::gt, {a, b}); }
Tensor ge(const Tensor& a, const Tensor& b) { return call1(OpId::ge, {a, b}); }
Tensor logical_not(const Tensor& x) { return call1(OpId::logical_not, {x}); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return call1(OpId::logical_and, {a, b}); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return call1(OpId::logical_or, {a, b}); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return call1(OpId::logical_xor, {a, b}); }
}  // namespace nabla
