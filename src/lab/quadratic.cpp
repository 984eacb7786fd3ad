// Quadratic losses and optimizer paths on them, shared by the optimizer experiments (see quadratic.h).
#include "quadratic.h"

#include <cmath>

#include "nabla/nabla.h"

namespace nabla::lab {

Tensor Quadratic::loss(const Tensor& w) const {
  Tensor error = w - minimum;
  return 0.5 * matmul(error, matmul(A, error));
}

Tensor rotation_2d(double radians) {
  return tensor({{std::cos(radians), -std::sin(radians)}, {std::sin(radians), std::cos(radians)}}, {.dtype = DType::f64});
}

Quadratic rotated_quadratic(double smallest, double largest, double radians, const Tensor& minimum) {
  NABLA_CHECK(smallest > 0 && largest >= smallest, "rotated_quadratic: needs 0 < smallest ≤ largest, got {} and {}", smallest, largest);
  const Tensor rotation = rotation_2d(radians);
  const Tensor eigenvalues = tensor({smallest, largest}, {.dtype = DType::f64});
  return {matmul(rotation * eigenvalues.unsqueeze(0), rotation.t()), minimum};
}

Trajectory follow(const Quadratic& problem, const Tensor& start, const MakeOptimizer& make_optimizer, double tolerance,
                  int max_steps) {
  NABLA_CHECK(start.dim() == 1 && start.size(0) == 2, "follow: the start must be a point of the plane, got {}", start.describe());
  Trajectory path;
  Tensor w = start.clone().requires_grad_();
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer({w});
  const double initial = norm(start - problem.minimum).item();
  for (int step = 0; step <= max_steps; ++step) {
    const std::vector<double> point = w.to_vector();
    path.x.push_back(point[0]);
    path.y.push_back(point[1]);
    path.distance.push_back(norm(w.detach() - problem.minimum).item() / initial);
    if (path.distance.back() < tolerance) {
      path.steps_to_tolerance = step;
      break;
    }
    if (!std::isfinite(path.distance.back()) || path.distance.back() > 1e3) break;
    optimizer->zero_grad();
    problem.loss(w).backward();
    optimizer->step();
  }
  return path;
}

Grid quadratic_surface(const Quadratic& problem, double x_low, double x_high, double y_low, double y_high, int points) {
  NABLA_CHECK(points >= 2, "quadratic_surface: needs at least 2 points a side, got {}", points);
  Grid surface;
  surface.x_label = "w₁ (first weight)";
  surface.y_label = "w₂ (second weight)";
  surface.value_label = "loss f(w) = ½ (w − w*)ᵀA(w − w*)";
  for (int i = 0; i < points; ++i) surface.x.push_back(x_low + (x_high - x_low) * i / (points - 1));
  for (int i = 0; i < points; ++i) surface.y.push_back(y_low + (y_high - y_low) * i / (points - 1));
  for (double y : surface.y) {  // one row of the grid at a time: errors [points, 2] → ½ Σ (errors·A) ⊙ errors
    std::vector<double> flat;
    for (double x : surface.x) flat.insert(flat.end(), {x, y});
    Tensor errors = from_vector(flat, {points, 2}, {.dtype = DType::f64}) - problem.minimum;
    surface.values.push_back((0.5 * sum(matmul(errors, problem.A) * errors, {1})).to_vector());
  }
  return surface;
}

}  // namespace nabla::lab
