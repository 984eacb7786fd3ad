// Tensor handles: metadata, data access, and the autograd accessors.
#include "nabla/tensor.h"

#include "autograd/graph.h"
#include "autograd/saved_tensor.h"
#include "nabla/ops.h"
#include "core/element.h"
#include "nabla/autograd.h"

namespace nabla {

TensorImpl::TensorImpl() = default;
TensorImpl::~TensorImpl() = default;

autograd::AutogradMeta& TensorImpl::autograd_meta() {
  if (!autograd) autograd = std::make_unique<autograd::AutogradMeta>();
  return *autograd;
}

const TensorImpl& Tensor::checked() const {
  if (!impl_) throw Error("tensor: this tensor is undefined (default-constructed, or a gradient that was never computed)");
  return *impl_;
}

int64_t Tensor::size(int64_t dim) const { return shape()[wrap_dim(dim, this->dim(), "size")]; }

bool Tensor::is_contiguous() const {
  const TensorImpl& impl = checked();
  int64_t expected = 1;
  for (size_t i = impl.shape.size(); i-- > 0;) {
    if (impl.shape[i] == 1) continue;
    if (impl.strides[i] != expected) return false;
    expected *= impl.shape[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  const TensorImpl& impl = checked();
  return static_cast<char*>(impl.storage->data()) + impl.offset * static_cast<int64_t>(dtype_size(impl.dtype));
}

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  else if constexpr (std::is_same_v<T, double>) return DType::f64;
  else if constexpr (std::is_same_v<T, bfloat16>) return DType::bf16;
  else if constexpr (std::is_same_v<T, float16>) return DType::f16;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::i64;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::i32;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::u8;
  else if constexpr (std::is_same_v<T, bool>) return DType::boolean;
}

template <typename T>
T* Tensor::data() const {
  NABLA_CHECK(dtype() == dtype_of<T>() || (dtype() == DType::boolean && std::is_same_v<T, uint8_t>),
              "data<{}>(): the tensor holds {}", dtype_name(dtype_of<T>()), dtype_name(dtype()));
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template bfloat16* Tensor::data<bfloat16>() const;
template float16* Tensor::data<float16>() const;
template int64_t* Tensor::data<int64_t>() const;
template int32_t* Tensor::data<int32_t>() const;
template uint8_t* Tensor::data<uint8_t>() const;
template bool* Tensor::data<bool>() const;

double Tensor::item() const {
  NABLA_CHECK(numel() == 1, "item: only a one-element tensor converts to a number; this one has shape {}",
              shape_string(shape()));
  return load_double(dtype(), raw_data(), 0);
}

std::vector<double> Tensor::to_vector() const {
  const TensorImpl& impl = checked();
  std::vector<double> values(static_cast<size_t>(numel()));
  if (values.empty()) return values;
  Shape index(impl.shape.size(), 0);
  const void* base = impl.storage->data();
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t offset = impl.offset;
    for (size_t d = 0; d < index.size(); ++d) offset += index[d] * impl.strides[d];
    values[i] = load_double(impl.dtype, base, offset);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < impl.shape[d]) break;
      index[d] = 0;
    }
  }
  return values;
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined";
  return fmt::format("{}{}", dtype_name(dtype()), shape_string(shape()));
}

// ---- autograd accessors
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

Tensor scalar_tensor(double value, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(dtype_size(dtype), Device::cpu);
  store_double(dtype, impl->storage->data(), 0, value);
  return Tensor(std::move(impl));
}

Tensor wrapped_scalar(double value) {
  Tensor result = scalar_tensor(value, DType::f64);
  result.impl()->wrapped_number = true;
  return result;
}

Tensor wrapped_scalar(int64_t value) {
  auto impl = std::make_shared<TensorImpl>();
  impl->dtype = DType::i64;
  impl->storage = std::make_shared<Storage>(8, Device::cpu);
  *static_cast<int64_t*>(impl->storage->data()) = value;
  impl->wrapped_number = true;
  return Tensor(std::move(impl));
}

}  // namespace nabla
