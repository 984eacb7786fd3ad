// Tensor handles: metadata and data access. The autograd accessors (and TensorImpl's constructor and
// destructor, which need AutogradMeta complete) are the autograd layer's: src/autograd/tensor_autograd.cpp.
#include "nabla/tensor.h"

#include "core/element.h"

namespace nabla {

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
