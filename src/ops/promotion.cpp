#include "ops/promotion.h"

#include <optional>

namespace nabla::ops {
namespace {

// Combines the result of a higher-priority group with a lower one, as PyTorch's combine_categories.
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating(*higher)) return higher;
  if (*higher == DType::boolean || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}

void update(std::optional<DType>& group, DType dtype) { group = group ? promote_types(*group, dtype) : dtype; }

}  // namespace

DType result_type(const std::vector<Tensor>& operands) {
  std::optional<DType> dimensioned, zero_dim, wrapped;
  for (const Tensor& operand : operands) {
    DType dtype = operand.dtype();
    if (operand.impl()->wrapped_number) {
      // A C++ double counts as the default float type, an integer as int64.
      update(wrapped, is_floating(dtype) ? DType::f32 : dtype);
    } else if (operand.dim() == 0) {
      update(zero_dim, dtype);
    } else {
      update(dimensioned, dtype);
    }
  }
  return *combine(dimensioned, combine(zero_dim, wrapped));
}

}  // namespace nabla::ops
