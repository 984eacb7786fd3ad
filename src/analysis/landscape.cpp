// Loss landscapes: lines and planes through parameter space (see nabla/analysis/landscape.h).
#include "nabla/analysis/landscape.h"

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::analysis {
namespace {

// The loss at parameter values `point` (the caller restores the parameters).
double loss_at(const std::vector<Tensor>& params, const ParameterVector& point, const LossFunction& loss) {
  parameter_assign(params, point);
  autograd::NoGradGuard no_grad;
  Tensor value = loss();
  NABLA_CHECK(value.defined() && value.numel() == 1, "loss landscape: the loss must be a single value, got {}",
              value.defined() ? value.describe() : std::string("an undefined tensor"));
  return value.item();
}

}  // namespace

std::vector<double> interpolate(const std::vector<Tensor>& params, const ParameterVector& from,
                                const ParameterVector& to, const std::vector<double>& alphas,
                                const LossFunction& loss) {
  check_same_shapes(params, from, "interpolate (from)");
  check_same_shapes(params, to, "interpolate (to)");
  ParameterSnapshot snapshot(params);
  // Copies: `from` or `to` may be the live parameters themselves, which the loop overwrites.
  const ParameterVector start = parameter_clone(from), end = parameter_clone(to);
  const ParameterVector difference = parameter_axpy(end, -1.0, start);
  std::vector<double> losses;
  for (double alpha : alphas) {
    // The endpoints are written exactly (from + 1·(to − from) can differ from `to` in the last bit).
    const ParameterVector point = alpha == 0 ? start : alpha == 1 ? end : parameter_axpy(start, alpha, difference);
    losses.push_back(loss_at(params, point, loss));
  }
  return losses;
}

std::vector<double> line_1d(const std::vector<Tensor>& params, const ParameterVector& direction,
                            const std::vector<double>& alphas, const LossFunction& loss) {
  check_same_shapes(params, direction, "line_1d");
  ParameterSnapshot snapshot(params);
  std::vector<double> losses;
  for (double alpha : alphas) losses.push_back(loss_at(params, parameter_axpy(snapshot.values(), alpha, direction), loss));
  return losses;
}

ParameterVector random_direction_filter_normalized(const std::vector<Tensor>& params, Generator& generator) {
  autograd::NoGradGuard no_grad;
  ParameterVector direction;
  for (const Tensor& param : params) {
    if (param.dim() <= 1) {
      direction.push_back(zeros(param.shape(), {.dtype = param.dtype()}));
      continue;
    }
    Tensor random = randn(param.shape(), {.dtype = param.dtype()}, &generator);
    std::vector<int64_t> within_filter;
    for (int64_t dim = 1; dim < param.dim(); ++dim) within_filter.push_back(dim);
    Tensor weight_norms = norm(param.detach(), 2, within_filter, /*keepdim=*/true);
    Tensor random_norms = norm(random, 2, within_filter, /*keepdim=*/true);
    direction.push_back(random * (weight_norms / random_norms));
  }
  return direction;
}

Tensor surface_2d(const std::vector<Tensor>& params, const ParameterVector& d1, const ParameterVector& d2,
                  const std::vector<double>& alphas, const std::vector<double>& betas, const LossFunction& loss) {
  check_same_shapes(params, d1, "surface_2d (d1)");
  check_same_shapes(params, d2, "surface_2d (d2)");
  ParameterSnapshot snapshot(params);
  std::vector<double> losses;
  for (double alpha : alphas) {
    const ParameterVector row_start = parameter_axpy(snapshot.values(), alpha, d1);
    for (double beta : betas) losses.push_back(loss_at(params, parameter_axpy(row_start, beta, d2), loss));
  }
  return from_vector(losses, {static_cast<int64_t>(alphas.size()), static_cast<int64_t>(betas.size())},
                     {.dtype = DType::f64});
}

std::vector<double> grid(double start, double end, int64_t count) {
  NABLA_CHECK(count >= 1, "grid: count must be at least 1, got {}", count);
  if (count == 1) return {start};
  std::vector<double> values;
  for (int64_t i = 0; i < count; ++i) values.push_back(start + (end - start) * static_cast<double>(i) / (count - 1));
  return values;
}

}  // namespace nabla::analysis
