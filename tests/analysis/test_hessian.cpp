// Hessian-vector products against finite differences of gradients, and Hessian eigenvalues against eigh
// of known matrices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nabla/analysis/hessian.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/linalg.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"

namespace nabla::analysis {
namespace {

constexpr TensorOptions f64{.dtype = DType::f64};

// A random symmetric matrix with the given eigenvalues: Q·diag(values)·Qᵀ, Q orthogonal.
Tensor symmetric_with_eigenvalues(const std::vector<double>& values, Generator& generator) {
  const int64_t n = static_cast<int64_t>(values.size());
  Tensor q = linalg::qr(randn({n, n}, f64, &generator)).first;
  Tensor diagonal = from_vector(values, {n}, f64);
  return matmul(q * diagonal, q.t());
}

// ½ θᵀ A θ with θ split over two parameters, [2, 2] and [n − 4]: its Hessian is A.
struct Quadratic {
  Tensor matrix;
  std::vector<Tensor> params;
  LossFunction loss;
};
Quadratic quadratic(const Tensor& matrix, Generator& generator) {
  const int64_t n = matrix.size(0);
  Quadratic q{matrix, {randn({2, 2}, f64, &generator).requires_grad_(), randn({n - 4}, f64, &generator).requires_grad_()},
              {}};
  q.loss = [matrix, params = q.params] {
    Tensor theta = cat({params[0].flatten(), params[1]});
    return sum(theta * matmul(matrix, theta)) * 0.5;
  };
  return q;
}

std::vector<double> descending_eigenvalues(const Tensor& matrix) {
  std::vector<double> values = linalg::eigh(matrix).first.to_vector();
  std::sort(values.rbegin(), values.rend());
  return values;
}

// H·v against (g(θ + εv) − g(θ − εv)) / 2ε, for a random v; `unused` parameters must get zeros.
void expect_product_matches_finite_differences(const LossFunction& loss, const std::vector<Tensor>& params,
                                               size_t unused, Generator& generator) {
  ParameterVector direction = parameter_randn(params, DType::f64, generator);
  ParameterVector product = hessian_vector_product(loss, params, direction);
  const size_t used = params.size() - unused;
  const std::vector<Tensor> used_params(params.begin(), params.begin() + used);
  const double epsilon = 1e-5;
  auto gradient_at = [&](double step) {
    ParameterSnapshot snapshot(params);
    parameter_assign(params, parameter_axpy(snapshot.values(), step, direction));
    return autograd::grad({loss()}, used_params);
  };
  std::vector<Tensor> plus = gradient_at(epsilon), minus = gradient_at(-epsilon);
  for (size_t i = 0; i < used; ++i) {
    std::vector<double> expected = ((plus[i] - minus[i]) / (2 * epsilon)).to_vector(), got = product[i].to_vector();
    ASSERT_EQ(got.size(), expected.size());
    for (size_t e = 0; e < got.size(); ++e) EXPECT_NEAR(got[e], expected[e], 1e-7) << "parameter " << i;
  }
  for (size_t i = used; i < params.size(); ++i) {
    for (double value : product[i].to_vector()) EXPECT_EQ(value, 0.0);
  }
  EXPECT_GT(parameter_norm(product), 0.01);  // not trivially zero
}

TEST(ParameterVector, FlattenRoundTripKeepsShapesAndDtypes) {
  ParameterVector vector = {tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}), tensor({7.0, 8.0}, f64)};
  Tensor flat = parameter_flatten(vector);
  EXPECT_EQ(flat.dtype(), DType::f64);
  EXPECT_EQ(flat.to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
  ParameterVector back = parameter_unflatten(flat * 2.0, vector);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(back[0].dtype(), DType::f32);
  EXPECT_EQ(back[1].to_vector(), (std::vector<double>{14, 16}));
  EXPECT_DOUBLE_EQ(parameter_dot(vector, back), 2 * 204.0);
  testing::expect_error([&] { parameter_unflatten(zeros({7}), vector); }, {"parameter_unflatten", "8 elements"});
}

TEST(Hessian, VectorProductMatchesFiniteDifferencesOfGradients) {
  Generator generator(7);
  Tensor inputs = randn({5, 4}, f64, &generator), targets = randn({5, 2}, f64, &generator);
  std::vector<Tensor> params = {randn({3, 4}, f64, &generator).requires_grad_(),
                                randn({3}, f64, &generator).requires_grad_(),
                                randn({2, 3}, f64, &generator).requires_grad_(),
                                randn({4}, f64, &generator).requires_grad_()};  // unused by the loss
  LossFunction loss = [&] {
    Tensor hidden = tanh(matmul(inputs, params[0].t()) + params[1]);
    return mean(pow(matmul(hidden, params[2].t()) - targets, 2.0));
  };
  expect_product_matches_finite_differences(loss, params, 1, generator);
}

TEST(Hessian, VectorProductThroughReluAndCrossEntropy) {
  // The classifier case the lab measures: a ReLU network under cross-entropy.
  Generator generator(8);
  Tensor inputs = randn({6, 4}, f64, &generator), labels = tensor({0, 2, 1, 1, 0, 2}, {.dtype = DType::i64});
  std::vector<Tensor> params = {randn({5, 4}, f64, &generator).requires_grad_(),
                                randn({5}, f64, &generator).requires_grad_(),
                                randn({3, 5}, f64, &generator).requires_grad_()};
  LossFunction loss = [&] {
    return cross_entropy(matmul(relu(matmul(inputs, params[0].t()) + params[1]), params[2].t()), labels);
  };
  expect_product_matches_finite_differences(loss, params, 0, generator);
}

TEST(Hessian, LanczosFindsTheTopEigenvaluesOfAQuadraticForm) {
  Generator generator(1);
  Tensor matrix = randn({7, 7}, f64, &generator);
  matrix = matrix + matrix.t();
  Quadratic q = quadratic(matrix, generator);
  std::vector<double> expected = descending_eigenvalues(matrix);
  HessianEigenpairs pairs = hessian_eigenpairs_lanczos(q.loss, q.params, 3, 7, generator);
  ASSERT_EQ(pairs.values.size(), 3u);
  EXPECT_EQ(pairs.products, 7);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(pairs.values[i], expected[i], 1e-9);
    // H·u = λ·u, for a unit u.
    EXPECT_NEAR(parameter_norm(pairs.vectors[i]), 1.0, 1e-9);
    ParameterVector residual = parameter_axpy(hessian_vector_product(q.loss, q.params, pairs.vectors[i]),
                                              -pairs.values[i], pairs.vectors[i]);
    EXPECT_LT(parameter_norm(residual), 1e-8);
  }
  // Another random start, the same spectrum.
  EXPECT_NEAR(top_hessian_eigenvalues(q.loss, q.params, 1, 7, generator)[0], expected[0], 1e-9);
}

TEST(Hessian, LanczosAndPowerIterationAgreeWithTheDenseHessianOfANetwork) {
  // A tanh network's Hessian (not a quadratic), built column by column from products with unit vectors.
  Generator generator(12);
  Tensor inputs = randn({8, 3}, f64, &generator), targets = randn({8, 1}, f64, &generator);
  std::vector<Tensor> params = {randn({4, 3}, f64, &generator).requires_grad_(),
                                randn({1, 4}, f64, &generator).requires_grad_()};
  LossFunction loss = [&] { return mean(pow(matmul(tanh(matmul(inputs, params[0].t())), params[1].t()) - targets, 2.0)); };
  const int64_t size = 16;
  HessianOperator hessian(loss, params);
  std::vector<Tensor> columns;
  for (int64_t column = 0; column < size; ++column) {
    std::vector<double> unit_values(size, 0.0);
    unit_values[column] = 1.0;
    Tensor unit = from_vector(unit_values, {size}, f64);
    ParameterVector product = hessian.apply({unit.narrow(0, 0, 12).view({4, 3}), unit.narrow(0, 12, 4).view({1, 4})});
    columns.push_back(cat({product[0].flatten(), product[1].flatten()}));
  }
  std::vector<double> expected = descending_eigenvalues(stack(columns, 1));
  EXPECT_GT(expected[0] - expected[1], 1e-3);  // a simple top eigenvalue, so power iteration converges

  std::vector<double> lanczos = top_hessian_eigenvalues(loss, params, 3, size, generator);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(lanczos[i], expected[i], 1e-9 * std::abs(expected[0]));
  HessianEigenpairs power = hessian_eigenpairs_power(loss, params, 1, 2000, generator, 1e-13);
  const double largest_magnitude = std::max(std::abs(expected.front()), std::abs(expected.back()));
  EXPECT_NEAR(std::abs(power.values[0]), largest_magnitude, 1e-6 * largest_magnitude);
}

TEST(Hessian, SaddleOfXSquaredMinusYSquared) {
  std::vector<Tensor> params = {tensor({0.3}, f64).requires_grad_(), tensor({-1.2}, f64).requires_grad_()};
  LossFunction loss = [&] { return sum(params[0] * params[0] - params[1] * params[1]); };
  Generator generator(3);
  std::vector<double> values = top_hessian_eigenvalues(loss, params, 2, 10, generator);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_NEAR(values[0], 2.0, 1e-12);
  EXPECT_NEAR(values[1], -2.0, 1e-12);
}

TEST(Hessian, LanczosRestartsToFindRepeatedEigenvalues) {
  // Only two distinct eigenvalues: the first Krylov space closes after two steps.
  Generator generator(5);
  Tensor matrix = symmetric_with_eigenvalues({3, 3, 3, 1, 1, -2}, generator);
  Quadratic q = quadratic(matrix, generator);
  std::vector<double> values = top_hessian_eigenvalues(q.loss, q.params, 6, 6, generator);
  std::vector<double> expected = {3, 3, 3, 1, 1, -2};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(values[i], expected[i], 1e-9);
}

TEST(Hessian, PowerIterationWithDeflationFindsTheLargestMagnitudes) {
  Generator generator(11);
  Tensor matrix = symmetric_with_eigenvalues({5, -3, 1, 0.5, 0.25}, generator);
  Quadratic q = quadratic(matrix, generator);
  HessianEigenpairs pairs = hessian_eigenpairs_power(q.loss, q.params, 2, 500, generator, 1e-12);
  ASSERT_EQ(pairs.values.size(), 2u);
  EXPECT_NEAR(pairs.values[0], 5.0, 1e-8);
  EXPECT_NEAR(pairs.values[1], -3.0, 1e-8);
  EXPECT_LT(pairs.products, 1000);  // stopped by the tolerance, not the iteration cap
}

TEST(Hessian, Float32ParametersAgreeWithFloat64) {
  Generator generator(2);
  Tensor inputs = randn({16, 3}, f64, &generator), targets = randn({16, 1}, f64, &generator);
  Tensor weight = randn({4, 3}, f64, &generator), head = randn({1, 4}, f64, &generator);
  auto top_eigenvalue = [&](DType dtype) {
    std::vector<Tensor> params = {weight.to(dtype).requires_grad_(), head.to(dtype).requires_grad_()};
    Tensor x = inputs.to(dtype), y = targets.to(dtype);
    LossFunction loss = [&] { return mean(pow(matmul(tanh(matmul(x, params[0].t())), params[1].t()) - y, 2.0)); };
    Generator start(9);
    return top_hessian_eigenvalues(loss, params, 1, 16, start)[0];
  };
  const double exact = top_eigenvalue(DType::f64);
  EXPECT_GT(std::abs(exact), 1e-2);
  EXPECT_NEAR(top_eigenvalue(DType::f32), exact, 1e-4 * std::abs(exact));
}

TEST(Hessian, BadInputIsNamed) {
  Tensor frozen = tensor({1.0, 2.0}, f64);
  Tensor trained = tensor({1.0, 2.0}, f64).requires_grad_();
  Generator generator(0);
  testing::expect_error([&] { hessian_vector_product([&] { return sum(frozen * frozen); }, {frozen}, {frozen}); },
                        {"HessianOperator", "parameter 0 does not require grad"});
  testing::expect_error([&] { hessian_vector_product([&] { return trained * 2.0; }, {trained}, {trained}); },
                        {"HessianOperator", "single value"});
  testing::expect_error([&] { hessian_vector_product([&] { return sum(trained * trained); }, {trained},
                                                     {tensor({1.0}, f64)}); },
                        {"HessianOperator::apply", "tensor 0"});
  testing::expect_error([&] { top_hessian_eigenvalues([&] { return sum(trained * trained); }, {trained}, 3, 5,
                                                      generator); },
                        {"hessian_eigenpairs_lanczos", "3 eigenvalues", "2×2"});
}

}  // namespace
}  // namespace nabla::analysis
