#pragma once
// Loss landscapes: the loss along a line between two points of parameter space (Goodfellow et al. 2015),
// along a direction, and over a plane spanned by two filter-normalised random directions (Li et al.
// 2018). Every function evaluates the loss under no_grad with the parameters moved in place, then puts
// the parameters back bit for bit (also when the loss throws).
//
//   auto params = model->parameters();
//   auto d1 = analysis::random_direction_filter_normalized(params, generator);
//   auto d2 = analysis::random_direction_filter_normalized(params, generator);
//   Tensor losses = analysis::surface_2d(params, d1, d2, analysis::grid(-1, 1, 21), analysis::grid(-1, 1, 21), loss);
#include <vector>

#include "nabla/analysis/parameter_vector.h"
#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::analysis {

// Loss at θ = (1 − α)·from + α·to for each α (α = 0 is `from`, 1 is `to`; outside [0, 1] extrapolates).
std::vector<double> interpolate(const std::vector<Tensor>& params, const ParameterVector& from,
                                const ParameterVector& to, const std::vector<double>& alphas,
                                const LossFunction& loss);

// Loss at θ = θ₀ + α·direction for each α, θ₀ the parameters' current values (e.g. along a Hessian
// eigenvector).
std::vector<double> line_1d(const std::vector<Tensor>& params, const ParameterVector& direction,
                            const std::vector<double>& alphas, const LossFunction& loss);

// A random Gaussian direction, rescaled filter by filter to the norm of the matching filter of the
// weights: for a parameter of 2 or more dimensions a filter is one slice along dim 0 (a Linear row, a conv
// output channel). Parameters of 0 or 1 dimension (biases, norm scales) get zeros, as in Li et al.
ParameterVector random_direction_filter_normalized(const std::vector<Tensor>& params, Generator& generator);

// [alphas.size(), betas.size()] float64: entry (i, j) is the loss at θ₀ + alphas[i]·d1 + betas[j]·d2.
Tensor surface_2d(const std::vector<Tensor>& params, const ParameterVector& d1, const ParameterVector& d2,
                  const std::vector<double>& alphas, const std::vector<double>& betas, const LossFunction& loss);

// `count` evenly spaced values from `start` to `end` inclusive: the usual α grid.
std::vector<double> grid(double start, double end, int64_t count);

}  // namespace nabla::analysis
