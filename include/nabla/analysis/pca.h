#pragma once
// Principal component analysis through LAPACK's SVD of the centred data (nabla/linalg.h).
//
// Everything is computed and stored in float64; transform and inverse_transform return the input's dtype.
// Each component's sign is fixed (its entry of largest magnitude is positive) so results are reproducible.
#include <cstdint>

#include "nabla/tensor.h"

namespace nabla::analysis {

class PCA {
 public:
  // components = 0 keeps all of them, min(N, D).
  explicit PCA(int64_t components = 0);

  PCA& fit(const Tensor& data);  // data [N, D], float32 or float64, N ≥ 2
  Tensor transform(const Tensor& data) const;            // [M, D] → [M, k] scores
  Tensor inverse_transform(const Tensor& scores) const;  // [M, k] → [M, D]
  // Mean over samples of |x − inverse_transform(transform(x))|². On the data it was fitted on this is
  // (N − 1)/N times the sum of the variances of the dropped components.
  double reconstruction_error(const Tensor& data) const;

  const Tensor& components() const;                // [k, D], orthonormal rows, by decreasing variance
  const Tensor& explained_variance() const;        // [k], variance along each component (N − 1 divisor)
  const Tensor& explained_variance_ratio() const;  // [k], its share of the total variance
  const Tensor& mean() const;                      // [D]

 private:
  void check_fitted(const char* caller) const;
  // Fitted, and `input` a float matrix with as many columns as `sized_like` (mean_ or components_) has rows.
  void check_input(const Tensor& input, const Tensor& sized_like, const char* caller) const;
  int64_t requested_;
  Tensor components_, explained_variance_, explained_variance_ratio_, mean_;
};

}  // namespace nabla::analysis
