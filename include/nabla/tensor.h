#pragma once
// Tensor: a cheap handle to a TensorImpl (shape, strides, offset, dtype, storage, autograd metadata).
// Views share storage and its version counter with their base. Autograd metadata is allocated lazily,
// so a tensor that needs no gradient pays nothing for it.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nabla/dtype.h"
#include "nabla/error.h"
#include "nabla/shape.h"
#include "nabla/storage.h"

namespace nabla {

namespace autograd {
class Node;
struct AutogradMeta;
}  // namespace autograd

class Tensor;
using TensorHook = std::function<std::optional<Tensor>(const Tensor& grad)>;

struct TensorImpl {
  Shape shape;
  Shape strides;
  int64_t offset = 0;  // in elements
  DType dtype = DType::f32;
  std::shared_ptr<Storage> storage;
  std::unique_ptr<autograd::AutogradMeta> autograd;  // null until needed
  std::shared_ptr<TensorImpl> view_base;             // the tensor whose storage a view shares (never a view)
  bool wrapped_number = false;                       // a C++ scalar turned into a 0-dim tensor

  TensorImpl();
  ~TensorImpl();
  autograd::AutogradMeta& autograd_meta();  // creates it on first use
};

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // ---- metadata
  const Shape& shape() const { return checked().shape; }
  const Shape& strides() const { return checked().strides; }
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t dim) const;
  int64_t numel() const { return nabla::numel(shape()); }
  int64_t offset() const { return checked().offset; }
  DType dtype() const { return checked().dtype; }
  Device device() const { return checked().storage->device(); }
  bool is_contiguous() const;
  bool is_view() const { return checked().view_base != nullptr; }
  const std::shared_ptr<Storage>& storage() const { return checked().storage; }
  uint32_t version() const { return checked().storage->version(); }

  // ---- data
  void* raw_data() const;  // pointer to the first element (offset applied)
  template <typename T>
  T* data() const;  // checks that T matches dtype()
  double item() const;                  // a one-element tensor's value; names the op when it is not
  template <typename T>
  T item() const { return static_cast<T>(item()); }
  std::vector<double> to_vector() const;  // every element in row-major order, as double
  std::string to_string() const;          // printed like PyTorch
  std::string describe() const;           // "f32[2, 3]", for error messages

  // ---- autograd
  bool requires_grad() const;
  Tensor& requires_grad_(bool enabled = true);
  const Tensor& grad() const;  // undefined when no gradient has been accumulated
  void set_grad(const Tensor& grad) const;
  void zero_grad() const;  // sets the gradient to none, as PyTorch's set_to_none
  std::shared_ptr<autograd::Node> grad_fn() const;
  bool is_leaf() const;
  void backward(const Tensor& gradient = {}, bool retain_graph = false, bool create_graph = false) const;
  Tensor detach() const;  // shares storage and version counter, no history
  void retain_grad() const;
  void register_hook(TensorHook hook) const;

  // ---- conversions and copies
  Tensor to(DType dtype) const;
  Tensor clone() const;
  Tensor contiguous() const;

  // ---- views (share storage)
  Tensor view(Shape shape) const;
  Tensor reshape(Shape shape) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // transpose of a 2-D tensor
  Tensor mT() const;  // transpose of the last two dims
  Tensor permute(Shape dims) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor expand(Shape shape) const;
  Tensor expand_as(const Tensor& other) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, Shape sizes) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;

  // ---- math (free functions in nabla/ops.h do the work)
  Tensor sum(std::vector<int64_t> dims = {}, bool keepdim = false) const;
  Tensor mean(std::vector<int64_t> dims = {}, bool keepdim = false) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(double exponent) const;
  Tensor matmul(const Tensor& other) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor& add_(const Tensor& other);
  Tensor& mul_(const Tensor& other);
  Tensor& add_(double other);
  Tensor& mul_(double other);

 private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

// A C++ scalar as a 0-dim tensor that takes part in type promotion as PyTorch's Python numbers do.
Tensor scalar_tensor(double value, DType dtype = DType::f32);
Tensor wrapped_scalar(double value);
Tensor wrapped_scalar(int64_t value);

}  // namespace nabla
