#pragma once
// Quadratic losses for the optimizer experiments (Q11, Q13, Q14): f(w) = ½ (w − w*)ᵀ A (w − w*), whose Hessian
// is A everywhere, so step sizes, rates and conditioning can be predicted from A's eigenvalues and checked.
#include <functional>
#include <memory>
#include <vector>

#include "nabla/lab/lab.h"
#include "nabla/optim/optimizer.h"
#include "nabla/tensor.h"

namespace nabla::lab {

struct Quadratic {
  Tensor A;        // [d, d], symmetric positive definite
  Tensor minimum;  // w* [d]
  Tensor loss(const Tensor& w) const;  // 0-dim, differentiable in w
};

// The 2-D rotation by `radians` (counter-clockwise), [2, 2] f64.
Tensor rotation_2d(double radians);
// A 2-D quadratic with eigenvalues `smallest` and `largest` whose eigenvectors are the axes turned by `radians`.
Quadratic rotated_quadratic(double smallest, double largest, double radians, const Tensor& minimum);

// The path of an optimizer on a 2-D quadratic from `start`, until ‖w − w*‖ < tolerance·‖w₀ − w*‖, `max_steps`
// steps, or divergence (the distance grows a thousandfold or stops being finite).
struct Trajectory {
  std::vector<double> x, y;         // iterates; step 0 is the start
  std::vector<double> distance;     // ‖w − w*‖ / ‖w₀ − w*‖ per iterate
  int steps_to_tolerance = -1;      // −1: not reached
};
using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor> params)>;
Trajectory follow(const Quadratic& problem, const Tensor& start, const MakeOptimizer& make_optimizer, double tolerance,
                  int max_steps);

// f sampled on a points × points grid over [x_low, x_high] × [y_low, y_high], for contour plots.
Grid quadratic_surface(const Quadratic& problem, double x_low, double x_high, double y_low, double y_high, int points = 61);

}  // namespace nabla::lab
