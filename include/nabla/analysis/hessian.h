#pragma once
// Curvature of a loss in parameter space: Hessian-vector products by double backward (the gradient is
// built with create_graph, then differentiated along a vector), and the extreme Hessian eigenvalues by
// Lanczos or by power iteration with deflation. The Hessian itself is never formed.
//
// Vectors are ParameterVectors: one tensor per parameter, of its shape (see parameter_vector.h).
//
//   analysis::LossFunction loss = [&] { return cross_entropy((*model)(images), labels); };
//   Generator generator(seed);
//   double sharpness = analysis::top_hessian_eigenvalues(loss, model->parameters(), 1, 20, generator)[0];
#include <cstdint>
#include <vector>

#include "nabla/analysis/parameter_vector.h"
#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::analysis {

// H·v at the parameters' current values, one tensor per parameter (in the parameter's dtype). Every
// parameter must require grad; one the loss does not depend on gets zeros.
ParameterVector hessian_vector_product(const LossFunction& loss, const std::vector<Tensor>& params,
                                       const ParameterVector& vector);

// Computes the loss and its gradient graph once, then any number of products H·v from it (the
// iterative eigensolvers use this). Changing the parameters afterwards invalidates it.
class HessianOperator {
 public:
  HessianOperator(const LossFunction& loss, std::vector<Tensor> params);
  ParameterVector apply(const ParameterVector& vector);
  const std::vector<Tensor>& parameters() const { return params_; }
  double loss() const { return loss_value_; }
  int64_t products() const { return products_; }  // how many H·v were computed

 private:
  std::vector<Tensor> params_;
  std::vector<Tensor> gradients_;  // with history (create_graph), undefined where the loss ignores a parameter
  double loss_value_ = 0;
  int64_t products_ = 0;
};

struct HessianEigenpairs {
  std::vector<double> values;            // see each solver for the order
  std::vector<ParameterVector> vectors;  // unit norm, in the parameters' dtype, one per value
  int64_t products = 0;                  // Hessian-vector products spent
};

// Lanczos with full reorthogonalisation from a random start, `iterations` steps (at most the number of
// parameter elements), then eigh of the tridiagonal matrix: the k largest Ritz values, descending (the
// most positive curvature first). A Krylov space that closes early is restarted from a fresh random
// direction, so repeated eigenvalues are found too. Ritz values converge fastest at both ends of the
// spectrum; a few dozen steps give the top few eigenvalues of a network's Hessian.
HessianEigenpairs hessian_eigenpairs_lanczos(const LossFunction& loss, const std::vector<Tensor>& params,
                                             int64_t k, int64_t iterations, Generator& generator);

// Power iteration, one eigenpair after another, deflating the ones found: the k eigenvalues of largest
// magnitude (signed), in the order found. Each stops after `iterations` products or when the eigenvalue
// changes by less than tolerance·|eigenvalue|. Slower than Lanczos and stalls when two eigenvalues have the
// same magnitude; kept as the simple cross-check.
HessianEigenpairs hessian_eigenpairs_power(const LossFunction& loss, const std::vector<Tensor>& params, int64_t k,
                                           int64_t iterations, Generator& generator, double tolerance = 1e-6);

// The k largest Hessian eigenvalues, descending (Lanczos).
std::vector<double> top_hessian_eigenvalues(const LossFunction& loss, const std::vector<Tensor>& params, int64_t k,
                                            int64_t iterations, Generator& generator);

}  // namespace nabla::analysis
