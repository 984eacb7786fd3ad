#include "nabla/nn/linear.h"

#include <cmath>

#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/init.h"

namespace nabla::nn {

Linear::Linear(const LinearOptions& options_, Generator* generator) : Module("Linear"), options(options_) {
  NABLA_CHECK(options.in_features > 0 && options.out_features > 0,
              "Linear: in_features and out_features must be positive, got in_features={} out_features={}",
              options.in_features, options.out_features);
  weight = register_parameter("weight", empty({options.out_features, options.in_features}));
  if (options.bias) bias = register_parameter("bias", empty({options.out_features}));
  reset_parameters(generator);
}

void Linear::reset_parameters(Generator* generator) {
  // kaiming_uniform with a = √5, as PyTorch: a bound of 1/√in_features for the weight, and the same for the bias.
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::fan_in, init::Nonlinearity::leaky_relu, generator);
  if (bias.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(options.in_features));
    init::uniform_(bias, -bound, bound, generator);
  }
}

Tensor Linear::forward(const Tensor& x) {
  NABLA_CHECK(x.dim() >= 1 && x.size(-1) == options.in_features, "Linear: expected input with last dim {}, got {}",
              options.in_features, x.describe());
  return functional::linear(x, weight, bias);
}

std::string Linear::describe() const {
  return fmt::format("Linear(in_features={}, out_features={}, bias={})", options.in_features, options.out_features,
                     options.bias);
}

}  // namespace nabla::nn
