#include "nabla/gradcheck.h"

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla {
namespace {

// The scalar whose gradient is checked: the output projected on a fixed random direction, so every
// output element contributes with a different weight.
Tensor project(const Tensor& output, const Tensor& direction) {
  return sum(output.to(DType::f64) * direction);
}

GradcheckResult compare(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                        const std::vector<Tensor>& analytic, const Tensor& direction, const GradcheckOptions& options) {
  GradcheckResult result;
  auto evaluate = [&]() {
    autograd::NoGradGuard no_grad;
    return project(function(inputs), direction).item();
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.requires_grad()) continue;
    NABLA_CHECK(input.dtype() == DType::f64 && input.is_contiguous(),
                "gradcheck: input {} must be a contiguous float64 tensor, got {}", i, input.describe());
    double* data = input.data<double>();
    std::vector<double> grad = analytic[i].defined() ? analytic[i].to_vector() : std::vector<double>(input.numel(), 0.0);
    for (int64_t k = 0; k < input.numel(); ++k) {
      const double original = data[k];
      data[k] = original + options.eps;
      const double plus = evaluate();
      data[k] = original - options.eps;
      const double minus = evaluate();
      data[k] = original;
      const double center = evaluate();
      const double numeric = (plus - minus) / (2 * options.eps);
      const double forward = (plus - center) / options.eps, backward = (center - minus) / options.eps;
      // A kink: the one-sided slopes differ far more than curvature could explain.
      if (std::fabs(forward - backward) > 1e-2 * std::max(1.0, std::fabs(numeric))) {
        ++result.skipped;
        continue;
      }
      ++result.checked;
      const double error = std::fabs(grad[static_cast<size_t>(k)] - numeric);
      result.max_error = std::max(result.max_error, error);
      if (error > options.atol + options.rtol * std::fabs(numeric) && result.ok) {
        result.ok = false;
        result.message = fmt::format("input {} element {}: analytic {:.10g}, numeric {:.10g} (error {:.3g})", i, k,
                                     grad[static_cast<size_t>(k)], numeric, error);
      }
    }
  }
  const int64_t total = result.checked + result.skipped;
  if (result.ok && options.allow_kinks.empty() &&
      static_cast<double>(result.skipped) > options.max_kink_fraction * static_cast<double>(total)) {
    result.ok = false;
    result.message = fmt::format("skipped {} of {} elements as kinks (more than {:g} %): the check proves little; "
                                 "move the inputs off the kinks, or declare them in GradcheckOptions::allow_kinks "
                                 "with the reason",
                                 result.skipped, total, 100 * options.max_kink_fraction);
  }
  return result;
}

Tensor random_direction(const Tensor& output, uint64_t seed) {
  Generator generator(seed + 12345);
  return randn(output.shape(), {.dtype = DType::f64}, &generator);
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  std::vector<Tensor> differentiable;
  for (const Tensor& input : inputs) if (input.requires_grad()) differentiable.push_back(input);
  NABLA_CHECK(!differentiable.empty(), "gradcheck: no input requires grad");
  Tensor output = function(inputs);
  Tensor direction = random_direction(output, options.seed);
  Tensor projected = project(output, direction);
  // An output that does not depend on any input through the graph (a constant, e.g. the gradient of a
  // linear function) has zero gradient; the finite differences must then find zero too.
  std::vector<Tensor> grads = projected.requires_grad()
                                  ? autograd::grad({projected}, differentiable, {}, {}, false, true)
                                  : std::vector<Tensor>(differentiable.size());
  std::vector<Tensor> analytic;
  size_t next = 0;
  for (const Tensor& input : inputs) analytic.push_back(input.requires_grad() ? grads[next++] : Tensor());
  return compare(function, inputs, analytic, direction, options);
}

GradcheckResult gradgradcheck(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options) {
  // g(inputs) = d(sum(function · v))/d(inputs) · w, a scalar built with create_graph; check its gradient.
  Tensor probe = function(inputs);
  Tensor direction = random_direction(probe, options.seed);
  std::vector<Tensor> weights;
  for (const Tensor& input : inputs) {
    Generator generator(options.seed + 999 + weights.size());
    weights.push_back(input.requires_grad() ? randn(input.shape(), {.dtype = DType::f64}, &generator) : Tensor());
  }
  GradcheckFunction first_derivative = [&](const std::vector<Tensor>& x) {
    autograd::EnableGradGuard enable;
    std::vector<Tensor> differentiable;
    for (const Tensor& input : x) if (input.requires_grad()) differentiable.push_back(input);
    std::vector<Tensor> grads =
        autograd::grad({project(function(x), direction)}, differentiable, {}, true, true, true);
    Tensor total = zeros({}, {.dtype = DType::f64});
    size_t next = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!x[i].requires_grad()) continue;
      const Tensor& g = grads[next++];
      if (g.defined()) total = total + sum(g * weights[i]);
    }
    return total;
  };
  return gradcheck(first_derivative, inputs, options);
}

}  // namespace nabla
