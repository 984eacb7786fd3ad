// Hessian-vector products by double backward, and Hessian eigenpairs by Lanczos or power iteration.
//
// The eigensolvers keep their vectors in float64 whatever the parameters' dtype: the recurrences subtract
// nearly equal numbers, and the products themselves are the only float32 step. Their memory is one float64
// copy of the parameters per Lanczos step.
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

// The solvers' vectors: every parameter element in one float64 array (see parameter_flatten). Their dot
// products and updates are plain loops: written as float64 tensor ops (per-tensor dots, a GEMV, or a
// broadcast multiply and sum) they cost 3–4 times as much as the Hessian-vector products themselves
// (20 Lanczos steps on a 235k-parameter MLP, measured).
using Flat = std::vector<double>;

double dot(const Flat& a, const Flat& b) {
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) total += a[i] * b[i];
  return total;
}

void add_scaled(Flat& target, double scale, const Flat& source) {  // target += scale·source
  for (size_t i = 0; i < target.size(); ++i) target[i] += scale * source[i];
}

void scale_to_unit(Flat& vector, double length) {
  for (double& value : vector) value /= length;
}

ParameterVector unflatten(const Flat& vector, const std::vector<Tensor>& params) {
  return parameter_unflatten(from_vector(vector, {static_cast<int64_t>(vector.size())}, {.dtype = DType::f64}), params);
}

Flat apply_flat(HessianOperator& hessian, const Flat& vector) {
  return parameter_flatten(hessian.apply(unflatten(vector, hessian.parameters()))).to_vector();
}

// Removes from `vector` its components along the orthonormal `basis`; twice, as one Gram-Schmidt pass
// leaves rounding-size components behind.
void orthogonalize(Flat& vector, const std::vector<Flat>& basis) {
  for (int pass = 0; pass < 2; ++pass) {
    for (const Flat& direction : basis) add_scaled(vector, -dot(vector, direction), direction);
  }
}

// A random unit vector orthogonal to `basis`.
Flat random_unit_vector(int64_t size, const std::vector<Flat>& basis, Generator& generator) {
  Flat vector = randn({size}, {.dtype = DType::f64}, &generator).to_vector();
  orthogonalize(vector, basis);
  scale_to_unit(vector, std::sqrt(dot(vector, vector)));
  return vector;
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
  const int64_t size = element_count(params);
  const int64_t steps = std::min(iterations, size);
  NABLA_CHECK(k <= steps, "hessian_eigenpairs_lanczos: {} iterations cannot give {} eigenvalues", steps, k);
  HessianOperator hessian(loss, params);

  // basis = q_0 … q_{m-1}, orthonormal, with Q H Qᵀ = T tridiagonal: alphas on the diagonal, betas beside it.
  std::vector<Flat> basis;
  std::vector<double> alphas, betas;
  Flat q = random_unit_vector(size, basis, generator);
  double scale = 0;  // the largest |entry| of T so far: what "the Krylov space closed" is relative to
  for (int64_t step = 0; step < steps; ++step) {
    basis.push_back(std::move(q));
    Flat w = apply_flat(hessian, basis.back());
    const double alpha = dot(w, basis.back());
    alphas.push_back(alpha);
    if (step + 1 == steps) break;
    // Full reorthogonalisation also removes the three-term recurrence's α·q_j and β·q_{j-1}.
    orthogonalize(w, basis);
    const double beta = std::sqrt(dot(w, w));
    scale = std::max({scale, std::abs(alpha), beta});
    if (beta <= 1e-10 * scale) {
      // H maps span(Q) into itself: its eigenvalues there are exact; go on in a fresh direction.
      betas.push_back(0);
      q = random_unit_vector(size, basis, generator);
    } else {
      betas.push_back(beta);
      scale_to_unit(w, beta);
      q = std::move(w);
    }
  }

  const int64_t order = static_cast<int64_t>(alphas.size());
  std::vector<double> tridiagonal(order * order, 0.0);
  for (int64_t i = 0; i < order; ++i) {
    tridiagonal[i * order + i] = alphas[i];
    if (i + 1 < order) tridiagonal[i * order + i + 1] = tridiagonal[(i + 1) * order + i] = betas[i];
  }
  auto [ritz_values, ritz_vectors] = linalg::eigh(from_vector(tridiagonal, {order, order}, {.dtype = DType::f64}));
  const std::vector<double> values = ritz_values.to_vector();
  const std::vector<double> coordinates = ritz_vectors.to_vector();  // [j, i]: q_j's weight in Ritz vector i

  HessianEigenpairs result;
  result.products = hessian.products();
  for (int64_t rank = 0; rank < k; ++rank) {
    const int64_t column = order - 1 - rank;  // eigh is ascending
    Flat vector(size, 0.0);
    for (int64_t j = 0; j < order; ++j) add_scaled(vector, coordinates[j * order + column], basis[j]);
    result.values.push_back(values[column]);
    result.vectors.push_back(unflatten(vector, params));
  }
  return result;
}

HessianEigenpairs hessian_eigenpairs_power(const LossFunction& loss, const std::vector<Tensor>& params, int64_t k,
                                           int64_t iterations, Generator& generator, double tolerance) {
  check_eigen_arguments(params, k, iterations, "hessian_eigenpairs_power");
  const int64_t size = element_count(params);
  HessianOperator hessian(loss, params);
  HessianEigenpairs result;
  std::vector<Flat> found;  // unit vectors
  for (int64_t index = 0; index < k; ++index) {
    Flat vector = random_unit_vector(size, {}, generator);
    double value = 0;
    for (int64_t iteration = 0; iteration < iterations; ++iteration) {
      // Deflation: (H − Σ λ_j u_j u_jᵀ) v, so the pairs already found no longer dominate.
      Flat product = apply_flat(hessian, vector);
      for (size_t j = 0; j < found.size(); ++j) add_scaled(product, -result.values[j] * dot(found[j], vector), found[j]);
      const double next_value = dot(vector, product);  // Rayleigh quotient of the unit vector
      const double length = std::sqrt(dot(product, product));
      const bool converged = iteration > 0 && std::abs(next_value - value) <= tolerance * std::abs(next_value);
      value = next_value;
      if (length == 0) break;  // the rest of the spectrum is zero
      scale_to_unit(product, length);
      vector = std::move(product);
      if (converged) break;
    }
    result.values.push_back(value);
    result.vectors.push_back(unflatten(vector, params));
    found.push_back(std::move(vector));
  }
  result.products = hessian.products();
  return result;
}

std::vector<double> top_hessian_eigenvalues(const LossFunction& loss, const std::vector<Tensor>& params, int64_t k,
                                            int64_t iterations, Generator& generator) {
  return hessian_eigenpairs_lanczos(loss, params, k, iterations, generator).values;
}

}  // namespace nabla::analysis
