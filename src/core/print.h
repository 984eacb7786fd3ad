#pragma once
// The core half of Tensor::to_string: "tensor(" then the values, size= and dtype= as PyTorch prints them,
// without the closing parenthesis, so that the autograd layer can append grad_fn=<…> or requires_grad=True.
#include <string>

#include "nabla/tensor.h"

namespace nabla {

// `tensor` must be defined.
std::string format_tensor_values(const Tensor& tensor);

}  // namespace nabla
