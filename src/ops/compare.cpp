// Comparisons: broadcast, promote for the comparison, return bool; not differentiable.
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

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;
Tensor eq(const Tensor& a, const Tensor& b) { return call1(OpId::eq, {a, b}); }
Tensor ne(const Tensor& a, const Tensor& b) { return call1(OpId::ne, {a, b}); }
Tensor lt(const Tensor& a, const Tensor& b) { return call1(OpId::lt, {a, b}); }
Tensor le(const Tensor& a, const Tensor& b) { return call1(OpId::le, {a, b}); }
Tensor gt(const Tensor& a, const Tensor& b) { return call1(OpId::gt, {a, b}); }
Tensor ge(const Tensor& a, const Tensor& b) { return call1(OpId::ge, {a, b}); }
}  // namespace nabla
