// The Tensor methods that belong to autograd: requires_grad, grad, backward, detach, hooks. They live
// here, above core, so that src/core includes neither autograd nor ops (docs/architecture.md's layers);
// the public header declares them on Tensor all the same. TensorImpl's constructor and destructor are
// here too: its std::unique_ptr<AutogradMeta> needs the complete type to be created and destroyed.
#include "autograd/graph.h"
#include "autograd/saved_tensor.h"
#include "core/print.h"
#include "nabla/autograd.h"
#include "nabla/ops.h"
#include "nabla/tensor.h"

namespace nabla {

TensorImpl::TensorImpl() = default;
TensorImpl::~TensorImpl() = default;

autograd::AutogradMeta& TensorImpl::autograd_meta() {
  if (!autograd) autograd = std::make_unique<autograd::AutogradMeta>();
  return *autograd;
}

bool Tensor::requires_grad() const {
  const TensorImpl& impl = checked();
  return impl.autograd && (impl.autograd->requires_grad || impl.autograd->grad_fn);
}

Tensor& Tensor::requires_grad_(bool enabled) {
  NABLA_CHECK(is_leaf() || enabled, "requires_grad_: only leaves can stop requiring grad; use detach() here");
  NABLA_CHECK(!enabled || is_floating(dtype()),
              "requires_grad_: only floating-point tensors can require gradients; this one is {}", describe());
  impl_->autograd_meta().requires_grad = enabled;
  return *this;
}

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  const TensorImpl& impl = checked();
  return impl.autograd ? impl.autograd->grad : undefined;
}

void Tensor::set_grad(const Tensor& grad) const {
  NABLA_CHECK(!grad.defined() || grad.shape() == shape(), "set_grad: gradient shape {} differs from tensor shape {}",
              shape_string(grad.shape()), shape_string(shape()));
  impl_->autograd_meta().grad = grad;
}

void Tensor::zero_grad() const {
  if (checked().autograd) impl_->autograd->grad = Tensor();
}

std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
  const TensorImpl& impl = checked();
  return impl.autograd ? impl.autograd->grad_fn : nullptr;
}

bool Tensor::is_leaf() const { return grad_fn() == nullptr; }

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

Tensor Tensor::detach() const {
  Tensor result = autograd::data_alias(*this);
  return result;
}

void Tensor::retain_grad() const {
  NABLA_CHECK(requires_grad(), "retain_grad: the tensor does not require grad");
  if (is_leaf()) return;  // leaves keep their .grad anyway
  autograd::AutogradMeta& meta = impl_->autograd_meta();
  if (meta.retains_grad) return;
  meta.retains_grad = true;
  std::weak_ptr<TensorImpl> weak = impl_;  // weak: the node must not own the tensor that owns it
  meta.grad_fn->pre_hooks[meta.output_nr].push_back([weak](const Tensor& grad) -> std::optional<Tensor> {
    if (auto impl = weak.lock()) {
      autograd::AutogradMeta& target = impl->autograd_meta();
      target.grad = target.grad.defined() ? target.grad + grad.detach() : grad.detach().clone();
    }
    return std::nullopt;
  });
}

void Tensor::register_hook(TensorHook hook) const {
  NABLA_CHECK(requires_grad(), "register_hook: the tensor does not require grad, so no gradient will reach the hook");
  autograd::AutogradMeta& meta = impl_->autograd_meta();
  if (meta.grad_fn) {
    meta.grad_fn->pre_hooks[meta.output_nr].push_back(std::move(hook));
  } else {
    meta.hooks.push_back(std::move(hook));
  }
}

// The values as core prints them, then what autograd knows about the tensor, as PyTorch prints it.
std::string Tensor::to_string() const {
  if (!defined()) return "tensor(undefined)";
  std::string out = format_tensor_values(*this);
  if (grad_fn()) {
    out += fmt::format(", grad_fn=<{}>", grad_fn()->name());
  } else if (requires_grad()) {
    out += ", requires_grad=True";
  }
  return out + ")";
}

}  // namespace nabla
