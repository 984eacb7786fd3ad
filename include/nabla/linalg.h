#pragma once
// Linear algebra through LAPACK, on float32/float64 matrices (batched over leading dims where noted).
#include <utility>

#include "nabla/tensor.h"

namespace nabla::linalg {

// A [m, n] → Q [m, k], R [k, n] with k = min(m, n) (reduced).
std::pair<Tensor, Tensor> qr(const Tensor& a);

struct SVD {
  Tensor U, S, Vh;  // A = U · diag(S) · Vh, reduced; S descending
};
SVD svd(const Tensor& a);

// Symmetric A (the lower triangle is read) → eigenvalues ascending, eigenvectors as columns.
std::pair<Tensor, Tensor> eigh(const Tensor& a);

// Solves A X = B for square A [n, n], B [n] or [n, k]; differentiable in A and B.
Tensor solve(const Tensor& a, const Tensor& b);

// Lower-triangular L with A = L Lᵀ for symmetric positive-definite A; differentiable.
Tensor cholesky(const Tensor& a);

}  // namespace nabla::linalg
