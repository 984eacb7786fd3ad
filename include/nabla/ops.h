#pragma once
// The public op functions. Every one of them goes through the single dispatch path (src/ops/dispatch.cpp).
// Names, argument orders, broadcasting and type promotion follow PyTorch.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/random.h"
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
// values, indices (first on ties); the method x.max(dim) returns them named: x.max(1).values
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
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

// ---- more elementwise, unary
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);  // gradient 0 everywhere, as PyTorch
Tensor log1p(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor floor(const Tensor& x);  // floor, ceil, round (half to even): not differentiable
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
Tensor isfinite(const Tensor& x);  // bool results
Tensor isnan(const Tensor& x);
Tensor logical_not(const Tensor& x);

// ---- activations
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
enum class GeluApproximation { none, tanh };
Tensor gelu(const Tensor& x, GeluApproximation approximation = GeluApproximation::none);
Tensor silu(const Tensor& x);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

// ---- more elementwise, several inputs
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
Tensor lerp(const Tensor& start, const Tensor& end, double weight);
Tensor addcmul(const Tensor& self, const Tensor& tensor1, const Tensor& tensor2, double value = 1.0);
Tensor addcdiv(const Tensor& self, const Tensor& tensor1, const Tensor& tensor2, double value = 1.0);

// ---- more in place: each writes into self without a temporary (copy_ casts and broadcasts src; fill_ and
//      zero_ are copy_ of a number; an integer self takes integral values only, never truncated)
Tensor& copy_(Tensor& self, const Tensor& src);
Tensor& fill_(Tensor& self, double value);
Tensor& zero_(Tensor& self);
Tensor& sub_(Tensor& self, const Tensor& other);
Tensor& div_(Tensor& self, const Tensor& other);
Tensor& clamp_(Tensor& self, std::optional<double> min, std::optional<double> max);
Tensor& relu_(Tensor& self);
Tensor& masked_fill_(Tensor& self, const Tensor& mask, double value);

// ---- more reductions (empty dims: all of them)
Tensor prod(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);  // values, indices (first on ties)
Tensor min(const Tensor& x);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor var(const Tensor& x, std::vector<int64_t> dims = {}, double correction = 1, bool keepdim = false);
Tensor std(const Tensor& x, std::vector<int64_t> dims = {}, double correction = 1, bool keepdim = false);
// p-norm over dims: p = 2, 1, any p > 0, or infinity (the largest |x|).
Tensor norm(const Tensor& x, double p = 2, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor any(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor all(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor cumsum(const Tensor& x, int64_t dim);
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);
std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false);  // stable
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
Tensor bincount(const Tensor& x, const Tensor& weights = {}, int64_t minlength = 0);

// ---- more indexing and shape
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);  // out of place
Tensor masked_fill(const Tensor& self, const Tensor& mask, double value);
Tensor masked_select(const Tensor& x, const Tensor& mask);  // 1-D; its size depends on the data
Tensor nonzero(const Tensor& x);                            // [count, rank] int64 indices
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);  // a view
Tensor repeat(const Tensor& x, const Shape& repeats);
Tensor flip(const Tensor& x, const std::vector<int64_t>& dims);
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {});
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);
// pads: (left, right) for the last dim, then for the one before, … (PyTorch's order); negative pads crop.
// Here rather than only in functional:: because the ops' own backward formulas pad and crop with it.
enum class PadMode { constant, reflect, replicate };
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode = PadMode::constant, double value = 0);
// How functional::interpolate (nabla/nn/functional.h) resamples; the upsample2d op carries it as an attribute.
enum class UpsampleMode { nearest, bilinear };
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);  // int64 result
// Two-operand (or one-operand) einsum: "ij,jk->ik", "bij,bjk->bik", "ii->i", "ij->ji", "i,j->ij", …
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);  // [B, n, k] @ [B, k, m], no broadcasting
Tensor cdist(const Tensor& a, const Tensor& b, double p = 2);  // [.., P, M] × [.., R, M] → [.., P, R]

// ---- random (draw from `generator`, or the default generator)
Tensor bernoulli(const Tensor& probabilities, Generator* generator = nullptr);
Tensor multinomial(const Tensor& probabilities, int64_t samples, bool replacement = false,
                   Generator* generator = nullptr);

}  // namespace nabla
