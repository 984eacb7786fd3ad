// Loss landscapes: endpoints equal the endpoints' losses, parameters come back bit for bit, filter
// normalisation gives each filter its weight's norm, and a plane through a quadratic matches its formula.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/analysis/landscape.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/linear.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"

namespace nabla::analysis {
namespace {

struct Problem {
  std::shared_ptr<nn::Sequential> model;
  Tensor inputs, targets;
  LossFunction loss;
};

Problem small_regression(uint64_t seed) {
  manual_seed(seed);
  Problem problem;
  problem.model = std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{
      std::make_shared<nn::Linear>(3, 6), std::make_shared<nn::Tanh>(), std::make_shared<nn::Linear>(6, 1)});
  problem.inputs = randn({10, 3});
  problem.targets = randn({10, 1});
  problem.loss = [model = problem.model, x = problem.inputs, y = problem.targets] {
    return functional::mse_loss((*model)(x), y);
  };
  return problem;
}

std::vector<std::vector<double>> values_of(const std::vector<Tensor>& tensors) {
  std::vector<std::vector<double>> values;
  for (const Tensor& tensor : tensors) values.push_back(tensor.to_vector());
  return values;
}

double loss_with(const std::vector<Tensor>& params, const ParameterVector& point, const LossFunction& loss) {
  ParameterSnapshot snapshot(params);
  parameter_assign(params, point);
  autograd::NoGradGuard no_grad;
  return loss().item();
}

TEST(Landscape, InterpolationEndpointsAreTheEndpointsLosses) {
  Problem problem = small_regression(1);
  std::vector<Tensor> params = problem.model->parameters();
  const auto before = values_of(params);
  Generator generator(4);
  ParameterVector from = parameter_clone(params);
  ParameterVector to = parameter_axpy(from, 1.0, parameter_randn(params, DType::f32, generator));
  // From the live parameters themselves, which interpolate overwrites as it goes.
  std::vector<double> losses = interpolate(params, params, to, grid(-0.5, 1.5, 9), problem.loss);
  ASSERT_EQ(losses.size(), 9u);
  EXPECT_EQ(losses[2], loss_with(params, from, problem.loss));  // α = 0
  EXPECT_EQ(losses[6], loss_with(params, to, problem.loss));    // α = 1
  EXPECT_NE(losses[2], losses[6]);
  EXPECT_EQ(values_of(params), before);
}

TEST(Landscape, LineThroughTheCurrentPointStartsAtTheCurrentLoss) {
  Problem problem = small_regression(2);
  std::vector<Tensor> params = problem.model->parameters();
  const auto before = values_of(params);
  Generator generator(5);
  ParameterVector direction = random_direction_filter_normalized(params, generator);
  std::vector<double> losses = line_1d(params, direction, {0.0, 0.25, 1.0}, problem.loss);
  autograd::NoGradGuard no_grad;
  EXPECT_EQ(losses[0], problem.loss().item());
  EXPECT_NE(losses[2], losses[0]);
  EXPECT_EQ(values_of(params), before);
}

TEST(Landscape, FilterNormalizedDirectionHasTheWeightsFilterNorms) {
  Generator generator(6);
  std::vector<Tensor> params = {randn({8, 4}, {}, &generator).requires_grad_(),     // a Linear weight
                                randn({8}, {}, &generator).requires_grad_(),        // its bias
                                randn({5, 3, 3, 3}, {}, &generator).requires_grad_()};  // a conv weight
  ParameterVector direction = random_direction_filter_normalized(params, generator);
  ASSERT_EQ(direction.size(), 3u);
  for (size_t i : {0u, 2u}) {
    std::vector<int64_t> within_filter;
    for (int64_t dim = 1; dim < params[i].dim(); ++dim) within_filter.push_back(dim);
    std::vector<double> expected = norm(params[i].detach(), 2, within_filter).to_vector();
    std::vector<double> got = norm(direction[i], 2, within_filter).to_vector();
    ASSERT_EQ(got.size(), static_cast<size_t>(params[i].size(0)));
    for (size_t f = 0; f < got.size(); ++f) EXPECT_NEAR(got[f], expected[f], 1e-5 * expected[f]);
    // A direction, not a copy of the weights.
    EXPECT_GT(norm(direction[i] - params[i].detach()).item(), 0.1);
  }
  for (double value : direction[1].to_vector()) EXPECT_EQ(value, 0.0);
  Generator same_seed(6);
  (void)randn({8, 4}, {}, &same_seed), (void)randn({8}, {}, &same_seed), (void)randn({5, 3, 3, 3}, {}, &same_seed);
  EXPECT_EQ(values_of(random_direction_filter_normalized(params, same_seed)), values_of(direction));
}

TEST(Landscape, SurfaceOfAQuadraticMatchesItsFormula) {
  // loss = |θ|², θ = c + α·d1 + β·d2 with orthogonal d1, d2: |c|² + 2α c·d1 + 2β c·d2 + α²|d1|² + β²|d2|².
  std::vector<Tensor> params = {tensor({1.0, -2.0, 0.5}, {.dtype = DType::f64}).requires_grad_()};
  LossFunction loss = [&] { return sum(params[0] * params[0]); };
  ParameterVector d1 = {tensor({1.0, 0.0, 0.0}, {.dtype = DType::f64})};
  ParameterVector d2 = {tensor({0.0, 2.0, 0.0}, {.dtype = DType::f64})};
  std::vector<double> alphas = grid(-1, 1, 5), betas = grid(-0.5, 0.5, 3);
  Tensor surface = surface_2d(params, d1, d2, alphas, betas, loss);
  ASSERT_EQ(surface.shape(), (Shape{5, 3}));
  std::vector<double> values = surface.to_vector();
  for (size_t i = 0; i < alphas.size(); ++i) {
    for (size_t j = 0; j < betas.size(); ++j) {
      const double a = alphas[i], b = betas[j];
      const double expected = 5.25 + 2 * a * 1.0 + 2 * b * (-4.0) + a * a + 4 * b * b;
      EXPECT_NEAR(values[i * 3 + j], expected, 1e-12) << "alpha " << a << " beta " << b;
    }
  }
  EXPECT_EQ(params[0].to_vector(), (std::vector<double>{1.0, -2.0, 0.5}));
}

TEST(Landscape, ParametersAreRestoredWhenTheLossThrows) {
  Problem problem = small_regression(3);
  std::vector<Tensor> params = problem.model->parameters();
  const auto before = values_of(params);
  int calls = 0;
  LossFunction failing = [&] {
    NABLA_CHECK(++calls < 3, "the loss failed on call {}", calls);
    return problem.loss();
  };
  Generator generator(8);
  ParameterVector direction = random_direction_filter_normalized(params, generator);
  EXPECT_THROW(line_1d(params, direction, grid(0.1, 1, 5), failing), Error);
  EXPECT_EQ(values_of(params), before);
}

TEST(Landscape, BadInputIsNamed) {
  Problem problem = small_regression(4);
  std::vector<Tensor> params = problem.model->parameters();
  ParameterVector short_direction(params.begin(), params.begin() + 2);
  testing::expect_error([&] { line_1d(params, short_direction, {0.0}, problem.loss); },
                        {"line_1d", "expected 4 tensors", "got 2"});
  ParameterVector wrong_shape = parameter_clone(params);
  wrong_shape[1] = zeros({7});
  testing::expect_error([&] { surface_2d(params, parameter_clone(params), wrong_shape, {0.0}, {0.0}, problem.loss); },
                        {"surface_2d (d2)", "tensor 1", "float32[7]"});
  testing::expect_error([&] { line_1d(params, parameter_clone(params), {0.0}, [] { return zeros({2}); }); },
                        {"loss landscape", "single value", "float32[2]"});
  testing::expect_error([] { grid(0, 1, 0); }, {"grid", "count"});
}

}  // namespace
}  // namespace nabla::analysis
