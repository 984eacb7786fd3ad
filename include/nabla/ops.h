#pragma once
// The public op functions. Every one of them goes through the single dispatch path (src/ops/dispatch.cpp).
// Names, argument orders, broadcasting and type promotion follow PyTorch.
#include <optional>
#include <utility>
#include <vector>

#include "nabla/tensor.h"

namespace nabla {

// ---- elementwise, unary
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);

// ---- elementwise, binary (broadcasting, PyTorch promotion)
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division: integers give float
Tensor pow(const Tensor& base, const Tensor& exponent);
Tensor pow(const Tensor& base, double exponent);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);  // comparisons return bool tensors
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

// ---- in place (bump the version counter; refused on leaves that require grad)
Tensor& add_(Tensor& self, const Tensor& other);
Tensor& mul_(Tensor& self, const Tensor& other);

// ---- reductions (empty dims: all of them)
Tensor sum(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);  // values, indices (first on ties)
Tensor max(const Tensor& x);  // the largest element, 0-dim
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor logsumexp(const Tensor& x, std::vector<int64_t> dims, bool keepdim = false);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// ---- linear algebra and indexing
Tensor matmul(const Tensor& a, const Tensor& b);  // 1-D and batched cases as torch.matmul
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// Out of place, as torch.index_add / torch.scatter_add: a copy of self with source added at index.
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);

// ---- losses
enum class Reduction { none, mean, sum };
// logits [N, C] (or [C]), target int64 [N] class indices; ignore_index entries count for nothing.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::mean,
                     int64_t ignore_index = -100);

// ---- joining and splitting
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);

// Sums a broadcast gradient back to `shape` (the inverse of expand); differentiable.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace nabla
