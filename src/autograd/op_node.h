#pragma once
// The node that a built-in op leaves in the graph, and the dispatcher's entry point for recording it.
#include "autograd/saved_tensor.h"
#include "ops/op.h"

namespace nabla::autograd {

class OpNode : public Node {
 public:
  OpNode(ops::OpId op, ops::Attrs attrs) : op_(op), attrs_(std::move(attrs)) {}
  ~OpNode() override;
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  std::string name() const override;
  void release_saved() override;

  std::vector<SavedTensor> saved_inputs;
  std::vector<SavedTensor> saved_outputs;
  std::vector<ops::InputMeta> input_meta;

 private:
  ops::OpId op_;
  ops::Attrs attrs_;
  bool released_ = false;
};

// Called by the dispatcher after the kernel ran. `saved_self` replaces input 0 among the saved inputs
// for in-place ops (a copy taken before the kernel overwrote it).
void record_op(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
               const ops::Attrs& attrs, const Tensor& saved_self);

}  // namespace nabla::autograd
