#include "autograd/op_node.h"

#include <cctype>

#include "autograd/graph.h"

namespace nabla::autograd {

OpNode::~OpNode() {
  std::vector<Tensor> parked;
  for (SavedTensor& saved : saved_inputs) parked.push_back(saved.take_data());
  for (SavedTensor& saved : saved_outputs) parked.push_back(saved.take_data());
  defer_release(std::move(parked));
}

std::string OpNode::name() const {
  // "log_softmax" -> "LogSoftmaxBackward", as PyTorch names its nodes.
  std::string result;
  bool upper = true;
  for (const char* c = ops::op_name(op_); *c; ++c) {
    if (*c == '_') { upper = true; continue; }
    result += upper ? static_cast<char>(std::toupper(*c)) : *c;
    upper = false;
  }
  return result + "Backward";
}

void OpNode::release_saved() {
  for (SavedTensor& saved : saved_inputs) saved.reset();
  for (SavedTensor& saved : saved_outputs) saved.reset();
  released_ = true;
}

std::vector<Tensor> OpNode::apply(std::vector<Tensor>&& grads) {
  const char* op = ops::op_name(op_);
  NABLA_CHECK(!released_,
              "{}: trying to run backward through the graph a second time; its saved tensors were freed. "
              "Pass retain_graph=true to the first backward if you need to run it twice", name());
  std::shared_ptr<Node> self = shared_from_this();
  std::vector<Tensor> inputs, outputs;
  for (size_t i = 0; i < saved_inputs.size(); ++i) inputs.push_back(saved_inputs[i].unpack(self, op, "input", i));
  for (size_t i = 0; i < saved_outputs.size(); ++i) outputs.push_back(saved_outputs[i].unpack(self, op, "output", i));
  std::vector<bool> needs_grad;
  for (const Edge& edge : next_edges) needs_grad.push_back(edge.node != nullptr);
  ops::BackwardCall call{attrs_, inputs, outputs, grads, input_meta, needs_grad};
  std::vector<Tensor> result = ops::backward_function(op_)(call);
  NABLA_CHECK(result.size() == next_edges.size(), "{}: backward returned {} gradients for {} inputs", name(),
              result.size(), next_edges.size());
  for (size_t i = 0; i < result.size(); ++i) {
    if (!needs_grad[i]) result[i] = Tensor();
    if (result[i].defined() && result[i].dtype() != input_meta[i].dtype) result[i] = result[i].to(input_meta[i].dtype);
  }
  return result;
}

void record_op(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
               const ops::Attrs& attrs, const Tensor& saved_self) {
  const ops::Schema& schema = ops::schema(op);
  auto node = std::make_shared<OpNode>(op, attrs);
  for (const Tensor& input : inputs) {
    node->next_edges.push_back(gradient_edge(input));
    node->input_meta.push_back({input.shape(), input.dtype()});
  }
  const bool save_outputs = schema.saves == ops::Saves::outputs || schema.saves == ops::Saves::inputs_outputs;
  if (ops::saves_inputs(schema.saves)) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& input = (i == 0 && saved_self.defined()) ? saved_self : inputs[i];
      node->saved_inputs.emplace_back(input, false);
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    node->outputs.push_back({outputs[i].shape(), outputs[i].dtype()});
    node->pre_hooks.emplace_back();
  }
  // Outputs get their history before they are saved, so a saved output can rebuild it.
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (schema.differentiable & (1u << i)) set_history(outputs[i], node, static_cast<uint32_t>(i));
  }
  if (save_outputs) {
    for (const Tensor& output : outputs) node->saved_outputs.emplace_back(output, true);
  } else if (schema.saves == ops::Saves::inputs_statistics) {
    // Output 0 stays unsaved (an empty slot, so the statistics keep their indices): the normalised
    // activation is freed as soon as the layer after it no longer needs it.
    node->saved_outputs.emplace_back();
    for (size_t i = 1; i < outputs.size(); ++i) node->saved_outputs.emplace_back(outputs[i], true);
  }
}

}  // namespace nabla::autograd
