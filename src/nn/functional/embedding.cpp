// functional::embedding, composed of index_select (so its gradient is index_add) and, for padding_idx, a
// detach of the padding rows.
#include <optional>

#include "nabla/nn/functional.h"
#include "nabla/ops.h"

namespace nabla {

// indices int [..], weight [num_embeddings, dim] → [.., dim]: rows of weight; rows at padding_idx get no
// gradient (their forward value is still the row, as in PyTorch).
Tensor functional::embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx) {
  NABLA_CHECK(indices.dtype() == DType::i64 || indices.dtype() == DType::i32,
              "embedding: indices must be int64 or int32, got {} (weight {})", indices.describe(), weight.describe());
  NABLA_CHECK(weight.dim() == 2, "embedding: weight must be [num_embeddings, embedding_dim], got {}", weight.describe());
  const int64_t rows = weight.shape()[0];
  Tensor flat = indices.reshape({-1});
  Tensor selected;
  try {
    selected = index_select(weight, 0, flat);
  } catch (const Error& error) {
    throw Error(fmt::format("embedding: {}", error.what()));
  }
  if (padding_idx) {
    int64_t padding = *padding_idx;
    NABLA_CHECK(padding >= -rows && padding < rows, "embedding: padding_idx {} is out of range for weight {}", padding,
                weight.describe());
    if (padding < 0) padding += rows;
    if (selected.requires_grad()) {
      Tensor kept = ne(flat, wrapped_scalar(padding)).unsqueeze(1);
      selected = where(kept, selected, selected.detach());
    }
  }
  Shape shape = indices.shape();
  shape.push_back(weight.shape()[1]);
  return selected.reshape(shape);
}

}  // namespace nabla
