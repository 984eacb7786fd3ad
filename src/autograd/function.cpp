// User-defined autograd functions: forward runs without recording; one node calls the user's backward.
#include "autograd/graph.h"
#include "autograd/saved_tensor.h"
#include "nabla/factory.h"

namespace nabla::autograd {
namespace {

class FunctionNode : public Node {
 public:
  FunctionNode(std::string name, BackwardFunction backward) : name_(std::move(name)), backward_(std::move(backward)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    NABLA_CHECK(!released_, "{}: trying to run backward through the graph a second time; pass retain_graph=true "
                "to the first backward", name());
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) grads[i] = zeros(outputs[i].shape, {.dtype = outputs[i].dtype});
    }
    std::vector<Tensor> result = backward_(context, grads);
    NABLA_CHECK(result.size() == next_edges.size(), "{}: backward returned {} gradients for {} inputs", name(),
                result.size(), next_edges.size());
    return result;
  }
  std::string name() const override { return name_ + "Backward"; }
  void release_saved() override {
    context = FunctionContext();
    released_ = true;
  }
  FunctionContext context;

 private:
  std::string name_;
  BackwardFunction backward_;
  bool released_ = false;
};

}  // namespace

void FunctionContext::save_for_backward(std::vector<Tensor> tensors) {
  saved_versions_.clear();
  for (const Tensor& tensor : tensors) saved_versions_.push_back(tensor.defined() ? tensor.version() : 0);
  saved_ = std::move(tensors);
}

std::vector<Tensor> FunctionContext::saved_tensors() const {
  for (size_t i = 0; i < saved_.size(); ++i) {
    NABLA_CHECK(!saved_[i].defined() || saved_[i].version() == saved_versions_[i],
                "autograd function: saved tensor {} was modified in place after save_for_backward", i);
  }
  return saved_;
}

std::vector<Tensor> apply_function(const std::string& name, const std::vector<Tensor>& inputs,
                                   ForwardFunction forward_function, BackwardFunction backward_function) {
  bool record = any_requires_grad(inputs);
  auto node = std::make_shared<FunctionNode>(name, std::move(backward_function));
  for (const Tensor& input : inputs) node->context.needs_input_grad.push_back(record && input.requires_grad());
  std::vector<Tensor> outputs;
  {
    NoGradGuard no_grad;
    outputs = forward_function(node->context, inputs);
  }
  if (!record) return outputs;
  // A saved output must not own the node that owns it: keep its data only.
  for (Tensor& saved : node->context.saved_) {
    for (const Tensor& output : outputs) {
      if (saved.defined() && saved.impl() == output.impl()) saved = data_alias(saved);
    }
  }
  for (const Tensor& input : inputs) node->next_edges.push_back(gradient_edge(input));
  for (size_t i = 0; i < outputs.size(); ++i) {
    // An output that is one of the inputs (returned as is) gets a fresh alias so its history is its own.
    for (const Tensor& input : inputs) {
      if (outputs[i].impl() == input.impl()) outputs[i] = data_alias(outputs[i]);
    }
    node->outputs.push_back({outputs[i].shape(), outputs[i].dtype()});
    node->pre_hooks.emplace_back();
    set_history(outputs[i], node, static_cast<uint32_t>(i));
  }
  return outputs;
}

}  // namespace nabla::autograd
