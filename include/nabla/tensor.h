#pragma once
// Tensor: a cheap handle to a TensorImpl (shape, strides, offset, dtype, storage, autograd metadata).
// Views share storage and its version counter with their base. Autograd metadata is allocated lazily,
// so a tensor that needs no gradient pays nothing for it.
#include <concepts>
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
class Generator;
struct ValuesIndices;
namespace indexing {
class TensorIndex;
}  // namespace indexing
using TensorHook = std::function<std::optional<Tensor>(const Tensor& grad)>;

Tensor wrapped_scalar(int64_t value);  // below, with scalar_tensor

// One dim or several, for the methods that take either: x.sum(1), x.sum({0, 2}), x.flip(0). Empty: all dims.
struct Dims {
  std::vector<int64_t> values;
  Dims() = default;
  Dims(int dim) : values{dim} {}
  Dims(int64_t dim) : values{dim} {}
  Dims(std::initializer_list<int64_t> dims) : values(dims) {}
  Dims(std::vector<int64_t> dims) : values(std::move(dims)) {}
};

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
  const Shape& sizes() const { return shape(); }  // LibTorch's name
  const Shape& strides() const { return checked().strides; }
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t ndimension() const { return dim(); }
  int64_t size(int64_t dim) const;
  int64_t numel() const { return nabla::numel(shape()); }
  int64_t offset() const { return checked().offset; }
  DType dtype() const { return checked().dtype; }
  bool is_floating_point() const { return is_floating(dtype()); }
  int64_t element_size() const { return static_cast<int64_t>(dtype_size(dtype())); }
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

  // ---- math: methods named as PyTorch's Tensor methods; the free functions of nabla/ops.h do the work
  // (src/ops/tensor_methods.cpp). Grouped as in ops.h.

  // elementwise, unary
  Tensor neg() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor floor() const;
  Tensor ceil() const;
  Tensor round() const;
  Tensor isfinite() const;
  Tensor isnan() const;
  Tensor logical_not() const;
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;
  Tensor clamp_min(double min) const;
  Tensor clamp_max(double max) const;

  // elementwise, several inputs (broadcasting, PyTorch promotion)
  Tensor add(const Tensor& other) const;
  Tensor add(double other) const;
  Tensor sub(const Tensor& other) const;
  Tensor sub(double other) const;
  Tensor mul(const Tensor& other) const;
  Tensor mul(double other) const;
  Tensor div(const Tensor& other) const;
  Tensor div(double other) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(double exponent) const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;
  Tensor eq(const Tensor& other) const;  // comparisons return bool tensors
  Tensor eq(double other) const;
  Tensor ne(const Tensor& other) const;
  Tensor ne(double other) const;
  Tensor lt(const Tensor& other) const;
  Tensor lt(double other) const;
  Tensor le(const Tensor& other) const;
  Tensor le(double other) const;
  Tensor gt(const Tensor& other) const;
  Tensor gt(double other) const;
  Tensor ge(const Tensor& other) const;
  Tensor ge(double other) const;
  Tensor where(const Tensor& condition, const Tensor& other) const;  // this where condition, else other
  Tensor where(const Tensor& condition, double other) const;
  Tensor logical_and(const Tensor& other) const;
  Tensor logical_or(const Tensor& other) const;
  Tensor logical_xor(const Tensor& other) const;
  Tensor lerp(const Tensor& end, const Tensor& weight) const;
  Tensor lerp(const Tensor& end, double weight) const;
  Tensor addcmul(const Tensor& tensor1, const Tensor& tensor2, double value = 1.0) const;
  Tensor addcdiv(const Tensor& tensor1, const Tensor& tensor2, double value = 1.0) const;

  // in place: write into this tensor and bump its version; refused on leaves that require grad
  Tensor& add_(const Tensor& other);
  Tensor& add_(double other);
  Tensor& sub_(const Tensor& other);
  Tensor& sub_(double other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double other);
  Tensor& copy_(const Tensor& src);
  Tensor& fill_(double value);
  Tensor& zero_();
  Tensor& clamp_(std::optional<double> min, std::optional<double> max);
  Tensor& relu_();
  Tensor& masked_fill_(const Tensor& mask, double value);
  // A C++ integer right-hand side keeps an integer tensor's dtype (x += 1), as a Python int does.
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator+=(double other) { return add_(other); }
  Tensor& operator+=(std::integral auto other) { return add_(wrapped_scalar(static_cast<int64_t>(other))); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator-=(double other) { return sub_(other); }
  Tensor& operator-=(std::integral auto other) { return sub_(wrapped_scalar(static_cast<int64_t>(other))); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator*=(double other) { return mul_(other); }
  Tensor& operator*=(std::integral auto other) { return mul_(wrapped_scalar(static_cast<int64_t>(other))); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator/=(double other) { return div_(other); }

  // reductions (no dims: all of them); x.sum(1), x.sum({0, 2}, true)
  Tensor sum(Dims dims = {}, bool keepdim = false) const;
  Tensor mean(Dims dims = {}, bool keepdim = false) const;
  Tensor prod(Dims dims = {}, bool keepdim = false) const;
  Tensor max() const;  // the largest element, 0-dim
  ValuesIndices max(int64_t dim, bool keepdim = false) const;  // auto [values, indices] = x.max(1)
  Tensor min() const;
  ValuesIndices min(int64_t dim, bool keepdim = false) const;
  Tensor argmax() const;  // of the flattened tensor
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  Tensor logsumexp(Dims dims, bool keepdim = false) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor var(Dims dims = {}, double correction = 1, bool keepdim = false) const;
  Tensor std(Dims dims = {}, double correction = 1, bool keepdim = false) const;
  Tensor norm(double p = 2, Dims dims = {}, bool keepdim = false) const;
  Tensor any(Dims dims = {}, bool keepdim = false) const;
  Tensor all(Dims dims = {}, bool keepdim = false) const;
  Tensor cumsum(int64_t dim) const;
  ValuesIndices topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
  ValuesIndices sort(int64_t dim = -1, bool descending = false) const;  // stable
  Tensor argsort(int64_t dim = -1, bool descending = false) const;
  Tensor bincount(const Tensor& weights = {}, int64_t minlength = 0) const;

  // linear algebra, indexing and shape
  Tensor matmul(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;
  Tensor outer(const Tensor& other) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor index_add(int64_t dim, const Tensor& index, const Tensor& source) const;  // out of place
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& source) const;    // out of place
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& source) const;
  Tensor masked_fill(const Tensor& mask, double value) const;
  Tensor masked_select(const Tensor& mask) const;
  Tensor nonzero() const;
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;  // a view
  Tensor repeat(const Shape& repeats) const;
  Tensor flip(Dims dims) const;
  Tensor roll(Dims shifts, Dims dims = {}) const;
  Tensor tril(int64_t diagonal = 0) const;
  Tensor triu(int64_t diagonal = 0) const;

  // indexing as LibTorch's (nabla/indexing.h): x.index({Slice(0, 3), 1, None, Ellipsis}) is a view when
  // every index is an integer, a Slice, None or Ellipsis; an int64 or bool tensor index copies.
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& value);
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, double value);

  // random: draw from `generator`, or the default generator
  Tensor bernoulli(Generator* generator = nullptr) const;
  Tensor multinomial(int64_t samples, bool replacement = false, Generator* generator = nullptr) const;

 private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

// What x.max(dim), x.min(dim), x.topk(k) and x.sort() return, as PyTorch's named tuples:
// `x.max(1).values`, or `auto [values, indices] = x.max(1)`.
struct ValuesIndices {
  Tensor values;
  Tensor indices;
};

// Comparisons are elementwise and return bool tensors, as PyTorch's (so == is not identity: compare
// tensors' impl() for that).
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, double b);
Tensor operator!=(const Tensor& a, double b);
Tensor operator<(const Tensor& a, double b);
Tensor operator<=(const Tensor& a, double b);
Tensor operator>(const Tensor& a, double b);
Tensor operator>=(const Tensor& a, double b);
Tensor operator==(double a, const Tensor& b);
Tensor operator!=(double a, const Tensor& b);
Tensor operator<(double a, const Tensor& b);
Tensor operator<=(double a, const Tensor& b);
Tensor operator>(double a, const Tensor& b);
Tensor operator>=(double a, const Tensor& b);

// A C++ scalar as a 0-dim tensor that takes part in type promotion as PyTorch's Python numbers do.
Tensor scalar_tensor(double value, DType dtype = DType::f32);
Tensor wrapped_scalar(double value);
Tensor wrapped_scalar(int64_t value);

}  // namespace nabla

#include "nabla/indexing.h"  // Slice, None, Ellipsis and TensorIndex for Tensor::index
