// Gradcheck cases: solve and cholesky (qr, svd and eigh are not differentiable in nabla).
// Inputs are uniform in (-1, 1), so each case builds a well-conditioned matrix from them: A + 4·I keeps
// every eigenvalue of solve's matrix away from 0 in every layout (in the broadcast layout A's rows are
// equal, and 4·I + 1·rᵀ has eigenvalues 4 and 4 + Σr ∈ (1, 7)); cholesky factors X·Xᵀ + I, which is
// symmetric positive-definite. Symmetric inputs are also what cholesky's (symmetric) gradient is for.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

namespace {
Tensor shifted(const Tensor& a, double shift) { return a + eye(a.shape().back(), {.dtype = a.dtype()}) * shift; }
Tensor gram(const Tensor& x) { return shifted(matmul(x, x.mT()), 1.0); }
}  // namespace

NABLA_GRADCHECK_CASES(linalg) {
  auto solve = [](auto& x) { return linalg::solve(shifted(x[0], 4.0), x[1]); };
  auto cholesky = [](auto& x) { return linalg::cholesky(gram(x[0])); };
  return {
      {"solve_matrix", {OpId::solve}, {{{3, 3}}, {{3, 2}}}, solve},
      {"solve_vector", {OpId::solve}, {{{3, 3}}, {{3}}}, solve},
      // B [3, 2] broadcast over A's batch: dB is summed over it.
      {"solve_batched_broadcast", {OpId::solve}, {{{2, 3, 3}}, {{3, 2}}}, solve},
      // B [2, 3] is A's shape without the last dim: one right-hand-side vector per matrix.
      {"solve_batched_vector", {OpId::solve}, {{{2, 3, 3}}, {{2, 3}}}, solve},
      // A batch of one against a batch of two: dA is summed over the broadcast batch.
      {"solve_broadcast_matrix", {OpId::solve}, {{{1, 3, 3}}, {{2, 3, 2}}}, solve},
      {"cholesky", {OpId::cholesky}, {{{3, 3}}}, cholesky},
      {"cholesky_batched", {OpId::cholesky}, {{{2, 3, 3}}}, cholesky},
      // The factor used nonlinearly, and a solve with it, as in a Gaussian log-likelihood.
      {"cholesky_then_solve", {OpId::cholesky, OpId::solve}, {{{3, 3}}, {{3}}},
       [](auto& x) { return linalg::solve(linalg::cholesky(gram(x[0])), x[1]).pow(2.0); }},
  };
}

}  // namespace nabla::testing
