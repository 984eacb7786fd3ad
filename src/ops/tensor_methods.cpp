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

// ---- elementwise, unary
Tensor Tensor::neg() const { return nabla::neg(*this); }
Tensor Tensor::abs() const { return nabla::abs(*this); }
Tensor Tensor::sign() const { return nabla::sign(*this); }
Tensor Tensor::exp() const { return nabla::exp(*this); }
Tensor Tensor::log() const { return nabla::log(*this); }
Tensor Tensor::log1p() const { return nabla::log1p(*this); }
Tensor Tensor::sqrt() const { return nabla::sqrt(*this); }
Tensor Tensor::rsqrt() const { return nabla::rsqrt(*this); }
Tensor Tensor::sin() const { return nabla::sin(*this); }
Tensor Tensor::cos() const { return nabla::cos(*this); }
Tensor Tensor::tanh() const { return nabla::tanh(*this); }
Tensor Tensor::sigmoid() const { return nabla::sigmoid(*this); }
Tensor Tensor::relu() const { return nabla::relu(*this); }
Tensor Tensor::floor() const { return nabla::floor(*this); }
Tensor Tensor::ceil() const { return nabla::ceil(*this); }
Tensor Tensor::round() const { return nabla::round(*this); }
Tensor Tensor::isfinite() const { return nabla::isfinite(*this); }
Tensor Tensor::isnan() const { return nabla::isnan(*this); }
Tensor Tensor::logical_not() const { return nabla::logical_not(*this); }
Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max) const { return nabla::clamp(*this, min, max); }
Tensor Tensor::clamp_min(double min) const { return nabla::clamp(*this, min, std::nullopt); }
Tensor Tensor::clamp_max(double max) const { return nabla::clamp(*this, std::nullopt, max); }

// ---- elementwise, several inputs
Tensor Tensor::add(const Tensor& other) const { return nabla::add(*this, other); }
Tensor Tensor::add(double other) const { return nabla::add(*this, wrapped_scalar(other)); }
Tensor Tensor::sub(const Tensor& other) const { return nabla::sub(*this, other); }
Tensor Tensor::sub(double other) const { return nabla::sub(*this, wrapped_scalar(other)); }
Tensor Tensor::mul(const Tensor& other) const { return nabla::mul(*this, other); }
Tensor Tensor::mul(double other) const { return nabla::mul(*this, wrapped_scalar(other)); }
Tensor Tensor::div(const Tensor& other) const { return nabla::div(*this, other); }
Tensor Tensor::div(double other) const { return nabla::div(*this, wrapped_scalar(other)); }
Tensor Tensor::pow(const Tensor& exponent) const { return nabla::pow(*this, exponent); }
Tensor Tensor::pow(double exponent) const { return nabla::pow(*this, exponent); }
Tensor Tensor::maximum(const Tensor& other) const { return nabla::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return nabla::minimum(*this, other); }
Tensor Tensor::eq(const Tensor& other) const { return nabla::eq(*this, other); }
Tensor Tensor::eq(double other) const { return nabla::eq(*this, wrapped_scalar(other)); }
Tensor Tensor::ne(const Tensor& other) const { return nabla::ne(*this, other); }
Tensor Tensor::ne(double other) const { return nabla::ne(*this, wrapped_scalar(other)); }
Tensor Tensor::lt(const Tensor& other) const { return nabla::lt(*this, other); }
Tensor Tensor::lt(double other) const { return nabla::lt(*this, wrapped_scalar(other)); }
Tensor Tensor::le(const Tensor& other) const { return nabla::le(*this, other); }
Tensor Tensor::le(double other) const { return nabla::le(*this, wrapped_scalar(other)); }
Tensor Tensor::gt(const Tensor& other) const { return nabla::gt(*this, other); }
Tensor Tensor::gt(double other) const { return nabla::gt(*this, wrapped_scalar(other)); }
Tensor Tensor::ge(const Tensor& other) const { return nabla::ge(*this, other); }
Tensor Tensor::ge(double other) const { return nabla::ge(*this, wrapped_scalar(other)); }
Tensor Tensor::where(const Tensor& condition, const Tensor& other) const { return nabla::where(condition, *this, other); }
Tensor Tensor::where(const Tensor& condition, double other) const {
  return nabla::where(condition, *this, wrapped_scalar(other));
}
Tensor Tensor::logical_and(const Tensor& other) const { return nabla::logical_and(*this, other); }
Tensor Tensor::logical_or(const Tensor& other) const { return nabla::logical_or(*this, other); }
Tensor Tensor::logical_xor(const Tensor& other) const { return nabla::logical_xor(*this, other); }
Tensor Tensor::lerp(const Tensor& end, const Tensor& weight) const { return nabla::lerp(*this, end, weight); }
Tensor Tensor::lerp(const Tensor& end, double weight) const { return nabla::lerp(*this, end, weight); }
Tensor Tensor::addcmul(const Tensor& tensor1, const Tensor& tensor2, double value) const {
  return nabla::addcmul(*this, tensor1, tensor2, value);
}
Tensor Tensor::addcdiv(const Tensor& tensor1, const Tensor& tensor2, double value) const {
  return nabla::addcdiv(*this, tensor1, tensor2, value);
}

// ---- in place
Tensor& Tensor::add_(const Tensor& other) { return nabla::add_(*this, other); }
Tensor& Tensor::add_(double other) { return nabla::add_(*this, wrapped_scalar(other)); }
Tensor& Tensor::sub_(const Tensor& other) { return nabla::sub_(*this, other); }
Tensor& Tensor::sub_(double other) { return nabla::sub_(*this, wrapped_scalar(other)); }
Tensor& Tensor::mul_(const Tensor& other) { return nabla::mul_(*this, other); }
Tensor& Tensor::mul_(double other) { return nabla::mul_(*this, wrapped_scalar(other)); }
Tensor& Tensor::div_(const Tensor& other) { return nabla::div_(*this, other); }
Tensor& Tensor::div_(double other) { return nabla::div_(*this, wrapped_scalar(other)); }
Tensor& Tensor::copy_(const Tensor& src) { return nabla::copy_(*this, src); }
Tensor& Tensor::fill_(double value) { return nabla::fill_(*this, value); }
Tensor& Tensor::zero_() { return nabla::zero_(*this); }
Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) { return nabla::clamp_(*this, min, max); }
Tensor& Tensor::relu_() { return nabla::relu_(*this); }
Tensor& Tensor::masked_fill_(const Tensor& mask, double value) { return nabla::masked_fill_(*this, mask, value); }

// ---- reductions
namespace {
ValuesIndices named(std::pair<Tensor, Tensor> pair) { return {std::move(pair.first), std::move(pair.second)}; }
}  // namespace

Tensor Tensor::sum(Dims dims, bool keepdim) const { return nabla::sum(*this, std::move(dims.values), keepdim); }
Tensor Tensor::mean(Dims dims, bool keepdim) const { return nabla::mean(*this, std::move(dims.values), keepdim); }
Tensor Tensor::prod(Dims dims, bool keepdim) const { return nabla::prod(*this, std::move(dims.values), keepdim); }
Tensor Tensor::max() const { return nabla::max(*this); }
ValuesIndices Tensor::max(int64_t dim, bool keepdim) const { return named(nabla::max(*this, dim, keepdim)); }
Tensor Tensor::min() const { return nabla::min(*this); }
ValuesIndices Tensor::min(int64_t dim, bool keepdim) const { return named(nabla::min(*this, dim, keepdim)); }
Tensor Tensor::argmax() const { return nabla::argmax(reshape({-1}), 0); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const { return nabla::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin() const { return nabla::argmin(reshape({-1}), 0); }
Tensor Tensor::argmin(int64_t dim, bool keepdim) const { return nabla::argmin(*this, dim, keepdim); }
Tensor Tensor::logsumexp(Dims dims, bool keepdim) const { return nabla::logsumexp(*this, std::move(dims.values), keepdim); }
Tensor Tensor::softmax(int64_t dim) const { return nabla::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return nabla::log_softmax(*this, dim); }
Tensor Tensor::var(Dims dims, double correction, bool keepdim) const {
  return nabla::var(*this, std::move(dims.values), correction, keepdim);
}
Tensor Tensor::std(Dims dims, double correction, bool keepdim) const {
  return nabla::std(*this, std::move(dims.values), correction, keepdim);
}
Tensor Tensor::norm(double p, Dims dims, bool keepdim) const { return nabla::norm(*this, p, std::move(dims.values), keepdim); }
Tensor Tensor::any(Dims dims, bool keepdim) const { return nabla::any(*this, std::move(dims.values), keepdim); }
Tensor Tensor::all(Dims dims, bool keepdim) const { return nabla::all(*this, std::move(dims.values), keepdim); }
Tensor Tensor::cumsum(int64_t dim) const { return nabla::cumsum(*this, dim); }
ValuesIndices Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return named(nabla::topk(*this, k, dim, largest, sorted));
}
ValuesIndices Tensor::sort(int64_t dim, bool descending) const { return named(nabla::sort(*this, dim, descending)); }
Tensor Tensor::argsort(int64_t dim, bool descending) const { return nabla::argsort(*this, dim, descending); }
Tensor Tensor::bincount(const Tensor& weights, int64_t minlength) const { return nabla::bincount(*this, weights, minlength); }

// ---- linear algebra, indexing and shape
Tensor Tensor::matmul(const Tensor& other) const { return nabla::matmul(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return nabla::bmm(*this, other); }
Tensor Tensor::outer(const Tensor& other) const { return nabla::outer(*this, other); }
Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return nabla::index_select(*this, dim, index); }
Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return nabla::gather(*this, dim, index); }
Tensor Tensor::index_add(int64_t dim, const Tensor& index, const Tensor& source) const {
  return nabla::index_add(*this, dim, index, source);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& source) const {
  return nabla::scatter(*this, dim, index, source);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& source) const {
  return nabla::scatter_add(*this, dim, index, source);
}
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return nabla::masked_fill(*this, mask, value); }
Tensor Tensor::masked_select(const Tensor& mask) const { return nabla::masked_select(*this, mask); }
Tensor Tensor::nonzero() const { return nabla::nonzero(*this); }
Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  return nabla::diagonal(*this, offset, dim1, dim2);
}
Tensor Tensor::repeat(const Shape& repeats) const { return nabla::repeat(*this, repeats); }
Tensor Tensor::flip(Dims dims) const { return nabla::flip(*this, dims.values); }
Tensor Tensor::roll(Dims shifts, Dims dims) const { return nabla::roll(*this, shifts.values, dims.values); }
Tensor Tensor::tril(int64_t diagonal) const { return nabla::tril(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return nabla::triu(*this, diagonal); }

// ---- random
Tensor Tensor::bernoulli(Generator* generator) const { return nabla::bernoulli(*this, generator); }
Tensor Tensor::multinomial(int64_t samples, bool replacement, Generator* generator) const {
  return nabla::multinomial(*this, samples, replacement, generator);
}

// ---- comparison operators
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, double b) { return eq(a, wrapped_scalar(b)); }
Tensor operator!=(const Tensor& a, double b) { return ne(a, wrapped_scalar(b)); }
Tensor operator<(const Tensor& a, double b) { return lt(a, wrapped_scalar(b)); }
Tensor operator<=(const Tensor& a, double b) { return le(a, wrapped_scalar(b)); }
Tensor operator>(const Tensor& a, double b) { return gt(a, wrapped_scalar(b)); }
Tensor operator>=(const Tensor& a, double b) { return ge(a, wrapped_scalar(b)); }
Tensor operator==(double a, const Tensor& b) { return eq(wrapped_scalar(a), b); }
Tensor operator!=(double a, const Tensor& b) { return ne(wrapped_scalar(a), b); }
Tensor operator<(double a, const Tensor& b) { return lt(wrapped_scalar(a), b); }
Tensor operator<=(double a, const Tensor& b) { return le(wrapped_scalar(a), b); }
Tensor operator>(double a, const Tensor& b) { return gt(wrapped_scalar(a), b); }
Tensor operator>=(double a, const Tensor& b) { return ge(wrapped_scalar(a), b); }

}  // namespace nabla
