// functional::linear, x·Wᵀ + b composed of matmul and add (so differentiable to any order for free):
//   x [.., in], weight [out, in] (or [in]), bias [out] → [.., out]
#include "nabla/nn/functional.h"
#include "nabla/ops.h"

namespace nabla {

Tensor functional::linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  NABLA_CHECK(weight.dim() == 1 || weight.dim() == 2, "linear: weight must be [out_features, in_features] (or 1-D), got {}",
              weight.describe());
  NABLA_CHECK(x.dim() >= 1 && x.shape().back() == weight.shape().back(),
              "linear: input {} has {} features but weight {} expects {} (weight is [out_features, in_features])",
              x.describe(), x.dim() ? x.shape().back() : 0, weight.describe(), weight.shape().back());
  if (bias.defined()) {
    NABLA_CHECK(bias.dim() <= 1 && bias.numel() == (weight.dim() == 2 ? weight.shape()[0] : 1),
                "linear: bias {} must have one value per output feature ({}) of weight {}", bias.describe(),
                weight.dim() == 2 ? weight.shape()[0] : 1, weight.describe());
  }
  // The bias goes into the product's fresh [rows, out] matrix in place (add_): the same sums as y + bias, and
  // the same gradients (add_'s backward passes the gradient through and row-sums it for the bias), without a
  // second output of the product's size to allocate, write and keep for the next layer. Out of place where
  // the dtypes differ (the sum then promotes) or the product is a view.
  auto add_bias = [&](Tensor product) {
    if (!bias.defined()) return product;
    if (product.dtype() != promote_types(product.dtype(), bias.dtype())) return product + bias;
    product.add_(bias);
    return product;
  };
  if (x.dim() > 2 && weight.dim() == 2 && x.is_contiguous() && x.numel() > 0) {
    // [.., in] as one [rows, in] matrix (a view): one GEMM, and a backward whose weight gradient is one GEMM
    // written in the weight's own layout — a batched product would give a batch of small GEMMs, a sum over
    // the batch, and a transposed (strided) gradient the fused optimizer step cannot take.
    Shape shape = x.shape();
    shape.back() = weight.shape()[0];
    return add_bias(matmul(x.reshape({-1, x.shape().back()}), weight.mT())).view(shape);
  }
  if (x.dim() == 2 && weight.dim() == 2) return add_bias(matmul(x, weight.mT()));
  const Tensor y = matmul(x, weight.dim() == 2 ? weight.mT() : weight);
  return bias.defined() ? y + bias : y;
}

}  // namespace nabla
