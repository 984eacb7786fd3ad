#pragma once
// Internal autograd plumbing shared by the dispatcher, user functions and the engine.
#include <memory>
#include <vector>

#include "nabla/autograd.h"

namespace nabla::autograd {

// The edge through which gradient flows into `tensor` (its grad_fn, or its leaf accumulator).
Edge gradient_edge(const Tensor& tensor);
// Makes `tensor` output `output_nr` of `node`.
void set_history(const Tensor& tensor, const std::shared_ptr<Node>& node, uint32_t output_nr);
// True when any input needs a gradient and grad mode is on.
bool any_requires_grad(const std::vector<Tensor>& tensors);
uint64_t next_sequence_nr();

// Adds the incoming gradient into a leaf's .grad (after the leaf's hooks).
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf);
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }
  const std::shared_ptr<TensorImpl>& leaf() const { return leaf_; }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

}  // namespace nabla::autograd
