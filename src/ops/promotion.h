#pragma once
// PyTorch's result type for ops with several operands: dimensioned tensors decide within a category;
// 0-dim tensors and C++ scalars (wrapped numbers) only raise the category (bool < integer < float).
#include <vector>

#include "nabla/tensor.h"

namespace nabla::ops {

DType result_type(const std::vector<Tensor>& operands);

}  // namespace nabla::ops
