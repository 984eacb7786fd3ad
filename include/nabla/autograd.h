#pragma once
// Define-by-run reverse-mode autograd: every result of a differentiable op holds a Node with edges to its
// inputs' nodes. backward() runs an iterative topological order; freeing a graph is iterative too.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::autograd {

struct Edge {
  std::shared_ptr<Node> node;  // null when that input needs no gradient
  uint32_t input_nr = 0;       // which of node's outputs this edge feeds
};

// A step of the backward pass: takes the gradients of its forward outputs, returns one per next edge.
class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node();  // hands its edges and saved tensors to an iterative release loop (no deep recursion)
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  virtual std::string name() const = 0;
  virtual void release_saved() {}  // frees saved tensors after a backward without retain_graph

  std::vector<Edge> next_edges;
  struct OutputMeta { Shape shape; DType dtype; };
  std::vector<OutputMeta> outputs;                 // to fill in zeros for outputs that got no gradient
  std::vector<std::vector<TensorHook>> pre_hooks;  // per output: run on its gradient before apply
  uint64_t sequence_nr;                            // creation order; later nodes run first

 protected:
  // Subclasses move their saved tensors here in their destructor so they are freed iteratively too.
  void defer_release(std::vector<Tensor>&& tensors);
};

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;           // null for leaves
  uint32_t output_nr = 0;                  // which output of grad_fn this tensor is
  std::weak_ptr<Node> grad_accumulator;    // leaves: the node that adds into .grad
  std::vector<TensorHook> hooks;           // leaves: run before accumulation
  bool retains_grad = false;
};

// ---- grad mode (thread-local)
bool grad_enabled();
bool inference_mode_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
 private:
  bool previous_;
};
class EnableGradGuard {
 public:
  explicit EnableGradGuard(bool enabled = true);
  ~EnableGradGuard();
 private:
  bool previous_;
};
// Inference mode: no autograd metadata is created at all, and outputs are marked so that using them
// later in a graph that needs gradients is refused.
class InferenceModeGuard {
 public:
  InferenceModeGuard();
  ~InferenceModeGuard();
 private:
  bool previous_grad_;
  bool previous_inference_;
};

// ---- running backward
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);
// Gradients of outputs with respect to inputs, without touching any .grad. retain_graph defaults to
// create_graph. An input that outputs do not depend on is an error unless allow_unused (then undefined).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = {},
                         bool create_graph = false, bool allow_unused = false);

// ---- user-defined functions
class FunctionContext {
 public:
  void save_for_backward(std::vector<Tensor> tensors);
  std::vector<Tensor> saved_tensors() const;  // checks that none was modified in place since
  std::vector<bool> needs_input_grad;
  std::vector<double> values;                 // non-tensor state for backward

 private:
  friend std::vector<Tensor> apply_function(const std::string&, const std::vector<Tensor>&,
                                            std::function<std::vector<Tensor>(FunctionContext&, const std::vector<Tensor>&)>,
                                            std::function<std::vector<Tensor>(FunctionContext&, const std::vector<Tensor>&)>);
  std::vector<Tensor> saved_;
  std::vector<uint32_t> saved_versions_;
};

using ForwardFunction = std::function<std::vector<Tensor>(FunctionContext&, const std::vector<Tensor>&)>;
using BackwardFunction = std::function<std::vector<Tensor>(FunctionContext&, const std::vector<Tensor>&)>;

// Runs forward without recording, then attaches one node whose backward is `backward_function`
// (it receives one gradient per output and returns one per input, undefined for "none").
std::vector<Tensor> apply_function(const std::string& name, const std::vector<Tensor>& inputs,
                                   ForwardFunction forward_function, BackwardFunction backward_function);

// CRTP-free convenience: F has static forward(ctx, inputs) and backward(ctx, grads).
template <typename F>
std::vector<Tensor> apply(const std::vector<Tensor>& inputs) {
  return apply_function(F::name, inputs, &F::forward, &F::backward);
}

}  // namespace nabla::autograd
