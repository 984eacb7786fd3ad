// Hessian-vector products by double backward, and Hessian eigenpairs by Lanczos or power iteration.
//
// The eigensolvers keep their vectors in float64 whatever the parameters' dtype: the recurrences subtract
// nearly equal numbers, and the products themselves are the only float32 step.
#include "nabla/analysis/hessian.h"

#include <algorithm>
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/linalg.h"
#include "nabla/ops.h"

namespace nabla::analysis {
namespace {

int64_t element_count(const std::vector<Tensor>& params) {
  int64_t count = 0;
  for (const Tensor& param : params) count += param.numel();
  return count;
}

ParameterVector in_parameter_dtypes(const ParameterVector& vector, const std::vector<Tensor>& params) {
  autograd::NoGradGuard no_grad;
  ParameterVector result;
  for (size_t i = 0; i < params.size(); ++i) result.push_back(vector[i].detach().to(params[i].dtype()));
  return result;
}

// H·v in float64.
ParameterVector apply_f64(HessianOperator& hessian, const ParameterVector& vector) {
  return parameter_cast(hessian.apply(vector), DType::f64);
}

// Removes from `vector` its components along the (orthonormal) basis; twice, as one classical
// Gram-Schmidt pass leaves rounding-size components behind.
ParameterVector orthogonalize(ParameterVector vector, const std::vector<ParameterVector>& basis) {
  for (int pass = 0; pass < 2; ++pass) {
    for (const ParameterVector& direction : basis) {
      vector = parameter_axpy(vector, -parameter_dot(vector, direction), direction);
    }
  }
  return vector;
}

// A random float64 unit vector orthogonal to `basis`.
ParameterVector random_unit_vector(const std::vector<Tensor>& params, const std::vector<ParameterVector>& basis,
                                   Generator& generator) {
  ParameterVector vector = orthogonalize(parameter_randn(params, DType::f64, generator), basis);
  return parameter_scale(vector, 1.0 / parameter_norm(vector));
}

void check_eigen_arguments(const std::vector<Tensor>& params, int64_t k, int64_t iterations, const char* caller) {
  NABLA_CHECK(k >= 1, "{}: k must be at least 1, got {}", caller, k);
  NABLA_CHECK(iterations >= 1, "{}: iterations must be at least 1, got {}", caller, iterations);
  const int64_t dimension = element_count(params);
  NABLA_CHECK(k <= dimension, "{}: asked for {} eigenvalues of a {}×{} Hessian", caller, k, dimension, dimension);
}

}  // namespace

HessianOperator::HessianOperator(const LossFunction& loss, std::vector<Tensor> params) : params_(std::move(params)) {
  NABLA_CHECK(!params_.empty(), "HessianOperator: no parameters given");
  for (size_t i = 0; i < params_.size(); ++i) {
    NABLA_CHECK(params_[i].defined() && params_[i].requires_grad(),
                "HessianOperator: parameter {} does not require grad", i);
  }
  autograd::EnableGradGuard enable_grad;
  Tensor value = loss();
  NABLA_CHECK(value.defined() && value.numel() == 1, "HessianOperator: the loss must be a single value, got {}",
              value.defined() ? value.describe() : std::string("an undefined tensor"));
  NABLA_CHECK(value.requires_grad(), "HessianOperator: the loss does not depend on any of the parameters");
  loss_value_ = value.item();
  gradients_ = autograd::grad({value}, params_, {}, /*retain_graph=*/true, /*create_graph=*/true,
                              /*allow_unused=*/true);
}

ParameterVector HessianOperator::apply(const ParameterVector& vector) {
  check_same_shapes(params_, vector, "HessianOperator::apply");
  ++products_;
  autograd::EnableGradGuard enable_grad;
  // H·v is the gradient of the directional derivative gᵀv (v held constant).
  Tensor directional;
  for (size_t i = 0; i < params_.size(); ++i) {
    // A gradient without history is constant in the parameters: it adds nothing to H·v.
    if (!gradients_[i].defined() || !gradients_[i].requires_grad()) continue;
    Tensor term = sum(mul(gradients_[i], vector[i].detach().to(params_[i].dtype())));
    directional = directional.defined() ? add(directional, term) : term;
  }
  ParameterVector product;
  std::vector<Tensor> second;
  if (directional.defined()) {
    second = autograd::grad({directional}, params_, {}, /*retain_graph=*/true, /*create_graph=*/false,
                            /*allow_unused=*/true);
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    bool has_term = i < second.size() && second[i].defined();
    product.push_back(has_term ? second[i].detach() : zeros_like(params_[i]));
  }
  return product;
}

ParameterVector hessian_vector_product(const LossFunction& loss, const std::vector<Tensor>& params,
                                       const ParameterVector& vector) {
  HessianOperator hessian(loss, params);
  return hessian.apply(vector);
}

HessianEigenpairs hessian_eigenpairs_lanczos(const LossFunction& loss, const std::vector<Tensor>& params,
                                             int64_t k, int64_t iterations, Generator& generator) {
  check_eigen_arguments(params, k, iterations, "hessian_eigenpairs_lanczos");
  const int64_t steps = std::min(iterations, element_count(params));
  NABLA_CHECK(k <= steps, "hessian_eigenpairs_lanczos: {} iterations cannot give {} eigenvalues", steps, k);
  HessianOperator hessian(loss, params);

  // Q = [q_0 … q_{m-1}] orthonormal with Qᵀ H Q = T, tridiagonal: diagonal alphas, off-diagonal betas.
  std::vector<ParameterVector> basis;
  std::vector<double> alphas, betas;
  ParameterVector q = random_unit_vector(params, basis, generator);
  double scale = 0;  // the largest |entry| of T so far: what "the Krylov space closed" is relative to
  for (int64_t step = 0; step < steps; ++step) {
    basis.push_back(q);
    ParameterVector w = apply_f64(hessian, q);
    const double alpha = parameter_dot(w, q);
    alphas.push_back(alpha);
    if (step + 1 == steps) break;
    // Full reorthogonalisation also removes the three-term recurrence's α·q_j and β·q_{j-1}.
    w = orthogonalize(std::move(w), basis);
    const double beta = parameter_norm(w);
    scale = std::max({scale, std::abs(alpha), beta});
    if (beta <= 1e-10 * scale) {
      // H maps span(Q) into itself: its eigenvalues there are exact; go on in a fresh direction.
      betas.push_back(0);
      q = random_unit_vector(params, basis, generator);
    } else {
      betas.push_back(beta);
      q = parameter_scale(w, 1.0 / beta);
    }
  }

  const int64_t size = static_cast<int64_t>(alphas.size());
  std::vector<double> tridiagonal(size * size, 0.0);
  for (int64_t i = 0; i < size; ++i) {
    tridiagonal[i * size + i] = alphas[i];
    if (i + 1 < size) tridiagonal[i * size + i + 1] = tridiagonal[(i + 1) * size + i] = betas[i];
  }
  auto [ritz_values, ritz_vectors] = linalg::eigh(from_vector(tridiagonal, {size, size}, {.dtype = DType::f64}));
  const std::vector<double> values = ritz_values.to_vector();
  const std::vector<double> coefficients = ritz_vectors.to_vector();  // row j, column i: q_j's weight in vector i

  HessianEigenpairs result;
  result.products = hessian.products();
  for (int64_t rank = 0; rank < k; ++rank) {
    const int64_t column = size - 1 - rank;  // eigh is ascending
    ParameterVector vector = parameter_scale(basis[0], coefficients[column]);
    for (int64_t j = 1; j < size; ++j) vector = parameter_axpy(vector, coefficients[j * size + column], basis[j]);
    result.values.push_back(values[column]);
    result.vectors.push_back(in_parameter_dtypes(vector, params));
  }
  return result;
}

HessianEigenpairs hessian_eigenpairs_power(const LossFunction& loss, const std::vector<Tensor>& params, int64_t k,
                                           int64_t iterations, Generator& generator, double tolerance) {
  check_eigen_arguments(params, k, iterations, "hessian_eigenpairs_power");
  HessianOperator hessian(loss, params);
  std::vector<double> found_values;
  std::vector<ParameterVector> found_vectors;  // float64, unit norm
  for (int64_t index = 0; index < k; ++index) {
    ParameterVector vector = random_unit_vector(params, {}, generator);
    double value = 0;
    for (int64_t iteration = 0; iteration < iterations; ++iteration) {
      // Deflation: (H − Σ λ_j u_j u_jᵀ) v, so the pairs already found no longer dominate.
      ParameterVector product = apply_f64(hessian, vector);
      for (size_t j = 0; j < found_values.size(); ++j) {
        product = parameter_axpy(product, -found_values[j] * parameter_dot(found_vectors[j], vector),
                                 found_vectors[j]);
      }
      const double next_value = parameter_dot(vector, product);  // Rayleigh quotient of the unit vector
      const double length = parameter_norm(product);
      const bool converged = iteration > 0 && std::abs(next_value - value) <= tolerance * std::abs(next_value);
      value = next_value;
      if (length == 0) break;  // the rest of the spectrum is zero
      vector = parameter_scale(product, 1.0 / length);
      if (converged) break;
    }
    found_values.push_back(value);
    found_vectors.push_back(vector);
  }
  HessianEigenpairs result;
  result.values = found_values;
  for (const ParameterVector& vector : found_vectors) result.vectors.push_back(in_parameter_dtypes(vector, params));
  result.products = hessian.products();
  return result;
}

std::vector<double> top_hessian_eigenvalues(const LossFunction& loss, const std::vector<Tensor>& params, int64_t k,
                                            int64_t iterations, Generator& generator) {
  return hessian_eigenpairs_lanczos(loss, params, k, iterations, generator).values;
}

}  // namespace nabla::analysis
