// The backward engine: counts dependencies with an explicit stack, then runs nodes in topological order
// (latest-created first among the ready ones), accumulating each node's incoming gradients in a buffer.
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/graph.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::autograd {
namespace {

struct LaterFirst {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

struct Capture {
  Node* node;
  uint32_t output_nr;
  size_t result_index;
};

std::unordered_map<Node*, int> count_dependencies(const std::vector<Node*>& roots) {
  std::unordered_map<Node*, int> dependencies;
  std::unordered_set<Node*> seen(roots.begin(), roots.end());
  std::vector<Node*> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Edge& edge : node->next_edges) {
      if (!edge.node) continue;
      Node* child = edge.node.get();
      ++dependencies[child];
      if (seen.insert(child).second) stack.push_back(child);
    }
  }
  return dependencies;
}

// Nodes from which some capture target can be reached (post-order over an explicit stack).
std::unordered_set<Node*> nodes_leading_to(const std::vector<Node*>& roots, const std::vector<Capture>& captures) {
  std::unordered_set<Node*> targets;
  for (const Capture& capture : captures) targets.insert(capture.node);
  std::unordered_set<Node*> needed, visited;
  std::vector<std::pair<Node*, size_t>> stack;
  for (Node* root : roots) {
    if (!visited.insert(root).second) continue;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->next_edges.size()) {
        Node* child = node->next_edges[next++].node.get();
        if (child && visited.insert(child).second) stack.push_back({child, 0});
        continue;
      }
      bool leads = targets.count(node) > 0;
      for (const Edge& edge : node->next_edges) leads = leads || (edge.node && needed.count(edge.node.get()));
      if (leads) needed.insert(node);
      stack.pop_back();
    }
  }
  return needed;
}

void accumulate(Tensor& slot, Tensor&& incoming) {
  if (!incoming.defined()) return;
  if (!slot.defined()) {
    slot = std::move(incoming);
  } else {
    slot = slot + incoming;
  }
}

void check_gradient(const Node& producer, const Node& consumer, uint32_t input_nr, const Tensor& grad) {
  const Node::OutputMeta& expected = consumer.outputs[input_nr];
  NABLA_CHECK(grad.shape() == expected.shape,
              "autograd: {} returned a gradient of shape {} for an input of shape {} (a bug in its backward)",
              producer.name(), shape_string(grad.shape()), shape_string(expected.shape));
}

// Runs the graph below `roots`. With captures, only the nodes that lead to a capture run, leaves are not
// accumulated into, and the captured gradients are returned.
std::vector<Tensor> run(const std::vector<Edge>& roots, std::vector<Tensor> root_grads, bool keep_graph,
                        bool create_graph, const std::vector<Capture>& captures) {
  std::vector<Node*> root_nodes;
  for (const Edge& edge : roots) root_nodes.push_back(edge.node.get());
  std::unordered_map<Node*, int> dependencies = count_dependencies(root_nodes);
  const bool capturing = !captures.empty();
  std::unordered_set<Node*> needed;
  if (capturing) needed = nodes_leading_to(root_nodes, captures);
  std::unordered_multimap<Node*, const Capture*> capture_at;
  for (const Capture& capture : captures) capture_at.insert({capture.node, &capture});

  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  auto buffer_of = [&](Node* node) -> std::vector<Tensor>& {
    auto [it, inserted] = buffers.try_emplace(node);
    if (inserted) it->second.resize(node->outputs.size());
    return it->second;
  };
  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
  std::unordered_set<Node*> queued;
  for (size_t i = 0; i < roots.size(); ++i) {
    Node* node = roots[i].node.get();
    accumulate(buffer_of(node)[roots[i].input_nr], std::move(root_grads[i]));
    if (dependencies[node] == 0 && queued.insert(node).second) ready.push(node);
  }

  std::vector<Tensor> captured(captures.size());
  EnableGradGuard grad_mode(create_graph);
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Tensor> grads = std::move(buffer_of(node));
    buffers.erase(node);
    for (size_t output = 0; output < grads.size() && output < node->pre_hooks.size(); ++output) {
      if (!grads[output].defined()) continue;
      for (const TensorHook& hook : node->pre_hooks[output]) {
        if (std::optional<Tensor> replaced = hook(grads[output])) grads[output] = *replaced;
      }
    }
    auto [first, last] = capture_at.equal_range(node);
    for (auto it = first; it != last; ++it) captured[it->second->result_index] = grads[it->second->output_nr];

    bool any_grad = false;
    for (const Tensor& grad : grads) any_grad = any_grad || grad.defined();
    bool skip = !any_grad || (capturing && (!needed.count(node) || dynamic_cast<AccumulateGrad*>(node)));
    std::vector<Tensor> input_grads;
    if (!skip) {
      input_grads = node->apply(std::move(grads));
      if (!keep_graph) node->release_saved();
      NABLA_CHECK(input_grads.size() == node->next_edges.size() || input_grads.empty(),
                  "autograd: {} returned {} gradients for {} inputs", node->name(), input_grads.size(),
                  node->next_edges.size());
    }
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& edge = node->next_edges[i];
      if (!edge.node) continue;
      Node* child = edge.node.get();
      if (i < input_grads.size() && input_grads[i].defined()) {
        check_gradient(*node, *child, edge.input_nr, input_grads[i]);
        accumulate(buffer_of(child)[edge.input_nr], std::move(input_grads[i]));
      }
      if (--dependencies[child] == 0 && queued.insert(child).second) ready.push(child);
    }
  }
  return captured;
}

std::pair<std::vector<Edge>, std::vector<Tensor>> prepare_roots(const std::vector<Tensor>& outputs,
                                                                const std::vector<Tensor>& grad_outputs) {
  NABLA_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
              "backward: got {} gradients for {} outputs", grad_outputs.size(), outputs.size());
  std::vector<Edge> roots;
  std::vector<Tensor> grads;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& output = outputs[i];
    NABLA_CHECK(output.defined() && output.requires_grad(),
                "backward: output {} does not require grad and has no grad_fn; did you compute it under "
                "no_grad, or forget requires_grad_() on the inputs?", i);
    Tensor grad = i < grad_outputs.size() ? grad_outputs[i] : Tensor();
    if (!grad.defined()) {
      NABLA_CHECK(output.numel() == 1,
                  "backward: a gradient can be created implicitly only for a one-element output; output {} has "
                  "shape {}: pass a gradient of that shape", i, shape_string(output.shape()));
      grad = ones_like(output);
    }
    NABLA_CHECK(grad.shape() == output.shape(), "backward: gradient {} has shape {} but output has shape {}", i,
                shape_string(grad.shape()), shape_string(output.shape()));
    roots.push_back(gradient_edge(output));
    grads.push_back(grad);
  }
  return {roots, grads};
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph,
              bool create_graph) {
  auto [roots, grads] = prepare_roots(outputs, grad_outputs);
  run(roots, std::move(grads), retain_graph || create_graph, create_graph, {});
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph,
                         bool create_graph, bool allow_unused) {
  auto [roots, grads] = prepare_roots(outputs, grad_outputs);
  std::vector<Capture> captures;
  std::vector<Edge> keep_alive;
  for (size_t i = 0; i < inputs.size(); ++i) {
    NABLA_CHECK(inputs[i].defined() && inputs[i].requires_grad(), "grad: input {} does not require grad", i);
    Edge edge = gradient_edge(inputs[i]);
    captures.push_back({edge.node.get(), edge.input_nr, i});
    keep_alive.push_back(std::move(edge));
  }
  std::vector<Tensor> result = run(roots, std::move(grads), retain_graph.value_or(create_graph), create_graph,
                                   captures);
  for (size_t i = 0; i < result.size(); ++i) {
    NABLA_CHECK(result[i].defined() || allow_unused,
                "grad: input {} was not used to compute the outputs; pass allow_unused=true to get an "
                "undefined gradient for it", i);
  }
  return result;
}

}  // namespace nabla::autograd
