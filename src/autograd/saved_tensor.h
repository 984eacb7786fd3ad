#pragma once
// A tensor kept for a backward pass. It holds the data without autograd metadata (so a node never owns
// a tensor that owns the node: no reference cycles), the version at save time (to detect in-place
// writes), and enough to rebuild the tensor's history when a backward pass is itself differentiated.
#include <memory>

#include "nabla/autograd.h"

namespace nabla::autograd {

class SavedTensor {
 public:
  SavedTensor() = default;
  // is_output: `tensor` is an output of `owner` (kept by a weak pointer to avoid a cycle).
  SavedTensor(const Tensor& tensor, bool is_output);
  // The tensor as it was saved; throws naming `op` if it was modified in place since.
  Tensor unpack(const std::shared_ptr<Node>& owner, const char* op, const char* role, size_t index) const;
  void reset();  // frees the data
  bool defined() const { return data_.defined(); }
  Tensor take_data() { return std::move(data_); }

 private:
  Tensor data_;                            // shares storage, no autograd metadata
  std::shared_ptr<TensorImpl> leaf_;       // a leaf that requires grad, kept as itself
  std::shared_ptr<Node> grad_fn_;          // history of a saved input
  uint32_t output_nr_ = 0;
  uint32_t version_ = 0;
  bool requires_grad_ = false;
  bool is_output_ = false;
};

// Data-only alias: same storage, shape, strides and offset; no autograd metadata.
Tensor data_alias(const Tensor& tensor);

}  // namespace nabla::autograd
