// Tensor's methods: thin forwards to the op functions, plus the views composed from the view ops.
#include "nabla/ops.h"
#include "ops/op.h"
#include "ops/view.h"

namespace nabla {
using ops::call1, ops::OpId;

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  return call1(OpId::cast, {*this}, ops::CastAttrs{target});
}
Tensor Tensor::clone() const { return call1(OpId::clone, {*this}); }
Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::view(Shape new_shape) const { return call1(OpId::view, {*this}, ops::ShapeAttrs{std::move(new_shape)}); }

Tensor Tensor::reshape(Shape new_shape) const {
  // A view when the strides allow one, otherwise a copy (as PyTorch). -1 is resolved by view itself.
  Shape resolved = new_shape;
  int64_t known = 1;
  for (int64_t size : resolved) known *= size == -1 ? 1 : size;
  for (int64_t& size : resolved) if (size == -1 && known > 0) size = numel() / known;
  if (nabla::numel(resolved) != numel() || ops::view_strides(shape(), strides(), resolved)) return view(std::move(new_shape));
  return contiguous().view(std::move(new_shape));
}

Tensor Tensor::permute(Shape dims) const { return call1(OpId::permute, {*this}, ops::ShapeAttrs{std::move(dims)}); }

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  int64_t rank = dim();
  Shape order(static_cast<size_t>(rank));
  for (int64_t d = 0; d < rank; ++d) order[d] = d;
  if (rank == 0) {
    wrap_dim(dim0, rank, "transpose");
    wrap_dim(dim1, rank, "transpose");
    return *this;
  }
  std::swap(order[wrap_dim(dim0, rank, "transpose")], order[wrap_dim(dim1, rank, "transpose")]);
  return permute(order);
}

Tensor Tensor::t() const {
  NABLA_CHECK(dim() <= 2, "t: expects a tensor with at most 2 dims, got shape {}; use transpose or mT", shape_string(shape()));
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::mT() const {
  NABLA_CHECK(dim() >= 2, "mT: expects at least 2 dims, got shape {}", shape_string(shape()));
  return transpose(-2, -1);
}

Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  return call1(OpId::slice, {*this}, ops::SliceAttrs{dim, start, end, step, {}});
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  int64_t d = wrap_dim(dim, this->dim(), "narrow");
  int64_t size = shape()[d];
  if (start < 0) start += size;
  NABLA_CHECK(start >= 0 && length >= 0 && start + length <= size,
              "narrow: start {} and length {} are out of range for dim {} of size {}", start, length, d, size);
  return slice(d, start, start + length);
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  int64_t d = wrap_dim(dim, this->dim(), "select");
  int64_t size = shape()[d];
  NABLA_CHECK(index >= -size && index < size, "select: index {} is out of range for dim {} of size {}", index, d, size);
  if (index < 0) index += size;
  return slice(d, index, index + 1).squeeze(d);
}

Tensor Tensor::expand(Shape new_shape) const { return call1(OpId::expand, {*this}, ops::ShapeAttrs{std::move(new_shape)}); }
Tensor Tensor::expand_as(const Tensor& other) const { return expand(other.shape()); }

Tensor Tensor::squeeze() const {
  Shape squeezed;
  for (int64_t size : shape()) if (size != 1) squeezed.push_back(size);
  return view(squeezed);
}

Tensor Tensor::squeeze(int64_t dim) const {
  if (this->dim() == 0) return view({});
  int64_t d = wrap_dim(dim, this->dim(), "squeeze");
  if (shape()[d] != 1) return *this;
  Shape squeezed = shape();
  squeezed.erase(squeezed.begin() + d);
  return view(squeezed);
}

Tensor Tensor::unsqueeze(int64_t dim) const {
  int64_t d = wrap_dim(dim, this->dim() + 1, "unsqueeze");
  Shape expanded = shape();
  expanded.insert(expanded.begin() + d, 1);
  return view(expanded);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  int64_t start = wrap_dim(start_dim, dim(), "flatten"), end = wrap_dim(end_dim, dim(), "flatten");
  NABLA_CHECK(start <= end, "flatten: start_dim {} comes after end_dim {}", start, end);
  Shape flat(shape().begin(), shape().begin() + start);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d) merged *= shape()[d];
  flat.push_back(merged);
  flat.insert(flat.end(), shape().begin() + end + 1, shape().end());
  return reshape(flat);
}

Tensor Tensor::unflatten(int64_t dim, Shape sizes) const {
  int64_t d = wrap_dim(dim, this->dim(), "unflatten");
  Shape result(shape().begin(), shape().begin() + d);
  int64_t known = 1, unknown = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) unknown = static_cast<int64_t>(i);
    else known *= sizes[i];
  }
  if (unknown >= 0 && known > 0) sizes[unknown] = shape()[d] / known;
  NABLA_CHECK(nabla::numel(sizes) == shape()[d], "unflatten: sizes {} don't multiply to dim {}'s size {}", shape_string(sizes),
              d, shape()[d]);
  result.insert(result.end(), sizes.begin(), sizes.end());
  result.insert(result.end(), shape().begin() + d + 1, shape().end());
  return view(result);
}

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const { return nabla::split(*this, split_size, dim); }
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const { return nabla::chunk(*this, chunks, dim); }

Tensor Tensor::sum(std::vector<int64_t> dims, bool keepdim) const { return nabla::sum(*this, std::move(dims), keepdim); }
Tensor Tensor::mean(std::vector<int64_t> dims, bool keepdim) const { return nabla::mean(*this, std::move(dims), keepdim); }
Tensor Tensor::exp() const { return nabla::exp(*this); }
Tensor Tensor::log() const { return nabla::log(*this); }
Tensor Tensor::sqrt() const { return nabla::sqrt(*this); }
Tensor Tensor::tanh() const { return nabla::tanh(*this); }
Tensor Tensor::sigmoid() const { return nabla::sigmoid(*this); }
Tensor Tensor::relu() const { return nabla::relu(*this); }
Tensor Tensor::pow(const Tensor& exponent) const { return nabla::pow(*this, exponent); }
Tensor Tensor::pow(double exponent) const { return nabla::pow(*this, exponent); }
Tensor Tensor::matmul(const Tensor& other) const { return nabla::matmul(*this, other); }
Tensor Tensor::softmax(int64_t dim) const { return nabla::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return nabla::log_softmax(*this, dim); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const { return nabla::argmax(*this, dim, keepdim); }
Tensor& Tensor::add_(const Tensor& other) { return nabla::add_(*this, other); }
Tensor& Tensor::mul_(const Tensor& other) { return nabla::mul_(*this, other); }
Tensor& Tensor::add_(double other) { return nabla::add_(*this, wrapped_scalar(other)); }
Tensor& Tensor::mul_(double other) { return nabla::mul_(*this, wrapped_scalar(other)); }

}  // namespace nabla
