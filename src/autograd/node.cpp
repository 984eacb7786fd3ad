// Nodes, grad mode, leaf accumulation, and the iterative release that keeps a 10^6-node graph from
// recursing when it is freed.
#include <atomic>

#include "autograd/graph.h"
#include "autograd/saved_tensor.h"
#include "nabla/grad_hooks.h"
#include "nabla/ops.h"

namespace nabla::autograd {
namespace {

thread_local bool grad_mode = true;
thread_local bool inference_mode = false;

// Freeing a node drops its edges, which may free the next node, and so on: done naively that recursion
// is as deep as the graph. Instead each dying node parks what it owns here, and the outermost
// destructor drains the list in a loop.
struct ReleaseQueue {
  std::vector<std::shared_ptr<Node>> nodes;
  std::vector<Tensor> tensors;
  bool draining = false;
};
thread_local ReleaseQueue release_queue;

void drain_release_queue() {
  ReleaseQueue& queue = release_queue;
  if (queue.draining) return;
  queue.draining = true;
  while (!queue.nodes.empty() || !queue.tensors.empty()) {
    if (!queue.tensors.empty()) {
      Tensor tensor = std::move(queue.tensors.back());
      queue.tensors.pop_back();
      // `tensor` dies here; if it held the last reference to a node, that node parks its edges.
      continue;
    }
    std::shared_ptr<Node> node = std::move(queue.nodes.back());
    queue.nodes.pop_back();
  }
  queue.draining = false;
}

std::atomic<uint64_t> sequence_counter{0};

}  // namespace

uint64_t next_sequence_nr() { return sequence_counter.fetch_add(1, std::memory_order_relaxed); }

Node::Node() : sequence_nr(next_sequence_nr()) {}

Node::~Node() {
  for (Edge& edge : next_edges) {
    if (edge.node) release_queue.nodes.push_back(std::move(edge.node));
  }
  for (auto& hooks : pre_hooks) hooks.clear();
  drain_release_queue();
}

void Node::defer_release(std::vector<Tensor>&& tensors) {
  for (Tensor& tensor : tensors) {
    if (tensor.defined()) release_queue.tensors.push_back(std::move(tensor));
  }
}

// ---- grad mode
bool grad_enabled() { return grad_mode; }
bool inference_mode_enabled() { return inference_mode; }
NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }
EnableGradGuard::EnableGradGuard(bool enabled) : previous_(grad_mode) { grad_mode = enabled; }
EnableGradGuard::~EnableGradGuard() { grad_mode = previous_; }
InferenceModeGuard::InferenceModeGuard() : previous_grad_(grad_mode), previous_inference_(inference_mode) {
  grad_mode = false;
  inference_mode = true;
}
InferenceModeGuard::~InferenceModeGuard() {
  grad_mode = previous_grad_;
  inference_mode = previous_inference_;
}

// ---- edges and history
Edge gradient_edge(const Tensor& tensor) {
  if (!tensor.requires_grad()) return {};
  AutogradMeta& meta = tensor.impl()->autograd_meta();
  if (meta.grad_fn) return {meta.grad_fn, meta.output_nr};
  std::shared_ptr<Node> accumulator = meta.grad_accumulator.lock();
  if (!accumulator) {
    accumulator = std::make_shared<AccumulateGrad>(tensor.impl_ptr());
    meta.grad_accumulator = accumulator;
  }
  return {accumulator, 0};
}

void set_history(const Tensor& tensor, const std::shared_ptr<Node>& node, uint32_t output_nr) {
  AutogradMeta& meta = tensor.impl()->autograd_meta();
  meta.requires_grad = true;
  meta.grad_fn = node;
  meta.output_nr = output_nr;
}

bool any_requires_grad(const std::vector<Tensor>& tensors) {
  if (!grad_mode) return false;
  for (const Tensor& tensor : tensors) {
    if (tensor.defined() && tensor.requires_grad()) return true;
  }
  return false;
}

// ---- leaves
AccumulateGrad::AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {
  outputs.push_back({leaf_->shape, leaf_->dtype});
  pre_hooks.resize(1);
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads) {
  Tensor leaf(leaf_);
  Tensor incoming = std::move(grads[0]);
  for (const TensorHook& hook : leaf_->autograd_meta().hooks) {
    if (std::optional<Tensor> replaced = hook(incoming)) incoming = *replaced;
  }
  AutogradMeta& meta = leaf_->autograd_meta();
  if (!meta.grad.defined()) {
    // The first gradient is taken without a copy, unless it may alias something the user can see
    // being changed later (a graph built under create_graph keeps it as part of its history).
    meta.grad = grad_enabled() ? incoming : incoming.detach();
  } else if (grad_enabled()) {
    meta.grad = meta.grad + incoming;  // out of place: the old gradient may be part of a graph
  } else {
    Tensor& accumulated = meta.grad;
    if (accumulated.is_contiguous() && accumulated.grad_fn() == nullptr && !accumulated.is_view() &&
        accumulated.storage().use_count() == 1) {
      add_(accumulated, incoming);
    } else {
      accumulated = accumulated + incoming;
    }
  }
  run_post_accumulate_grad_hooks(leaf);
  return {};
}

// ---- saved tensors
Tensor data_alias(const Tensor& tensor) {
  auto impl = std::make_shared<TensorImpl>();
  const TensorImpl& source = *tensor.impl();
  impl->shape = source.shape;
  impl->strides = source.strides;
  impl->offset = source.offset;
  impl->dtype = source.dtype;
  impl->storage = source.storage;
  impl->view_base = source.view_base;
  return Tensor(std::move(impl));
}

SavedTensor::SavedTensor(const Tensor& tensor, bool is_output) {
  if (!tensor.defined()) return;
  version_ = tensor.version();
  requires_grad_ = tensor.requires_grad();
  is_output_ = is_output;
  if (requires_grad_ && tensor.is_leaf() && !is_output) {
    leaf_ = tensor.impl_ptr();
    data_ = data_alias(tensor);
    return;
  }
  data_ = data_alias(tensor);
  if (requires_grad_ && !is_output) {
    grad_fn_ = tensor.grad_fn();
    output_nr_ = tensor.impl()->autograd_meta().output_nr;
  }
  if (is_output) output_nr_ = tensor.impl()->autograd ? tensor.impl()->autograd->output_nr : 0;
}

Tensor SavedTensor::unpack(const std::shared_ptr<Node>& owner, const char* op, const char* role,
                           size_t index) const {
  if (!data_.defined()) return {};
  NABLA_CHECK(data_.version() == version_,
              "{}: {} {} needed for the gradient was modified by an in-place operation (version {} when "
              "saved, now {}); clone it before modifying it, or modify a copy",
              op, role, index, version_, data_.version());
  if (leaf_) return Tensor(leaf_);
  if (!requires_grad_) return data_;
  Tensor rebuilt = data_alias(data_);
  set_history(rebuilt, is_output_ ? owner : grad_fn_, output_nr_);
  return rebuilt;
}

void SavedTensor::reset() {
  data_ = Tensor();
  leaf_.reset();
  grad_fn_.reset();
}

}  // namespace nabla::autograd
