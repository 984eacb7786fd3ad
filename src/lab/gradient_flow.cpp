// Gradient flow through a deep stack at initialisation (see gradient_flow.h).
#include "gradient_flow.h"

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/error.h"
#include "nabla/linalg.h"
#include "nabla/nabla.h"
#include "nabla/nn/linear.h"

namespace nabla::lab {

std::string activation_name(Activation activation) { return activation == Activation::relu ? "ReLU" : "sigmoid"; }
std::string initialisation_name(Initialisation initialisation) {
  return initialisation == Initialisation::he ? "He" : "Xavier";
}

Activation parse_activation(const std::string& knob, const std::string& text) {
  if (text == "relu") return Activation::relu;
  if (text == "sigmoid") return Activation::sigmoid;
  throw Error(fmt::format("--set {}={}: the activation must be relu or sigmoid", knob, text));
}

Initialisation parse_initialisation(const std::string& knob, const std::string& text) {
  if (text == "he") return Initialisation::he;
  if (text == "xavier") return Initialisation::xavier;
  throw Error(fmt::format("--set {}={}: the initialisation must be he or xavier", knob, text));
}

namespace {

Tensor activate(Activation activation, const Tensor& z) { return activation == Activation::relu ? relu(z) : sigmoid(z); }

// Xavier with gain 1 (the sigmoid's recommended gain), He for ReLU: Var(W) = 1/fan_in · gain².
void initialise(Tensor& weight, Initialisation initialisation, Generator& generator) {
  if (initialisation == Initialisation::he) {
    nn::init::kaiming_normal_(weight, 0, nn::init::FanMode::fan_in, nn::init::Nonlinearity::relu, &generator);
  } else {
    nn::init::xavier_normal_(weight, nn::init::calculate_gain(nn::init::Nonlinearity::sigmoid), &generator);
  }
}

double frobenius(const Tensor& tensor) { return norm(tensor).item(); }

// f'(z) elementwise, as autograd computes it: the gradient of Σ f(z) with respect to z.
Tensor derivative(Activation activation, const Tensor& z) {
  Tensor leaf = z.detach().requires_grad_();
  return autograd::grad({sum(activate(activation, leaf))}, {leaf})[0];
}

}  // namespace

double GradientFlow::predicted_gain_squared(size_t layer, bool residual) const {
  double branch = weight_scale[layer] * derivative_square_mean[layer];
  return residual ? 1 + branch / static_cast<double>(weight_scale.size()) : branch;
}

double GradientFlow::measured_log10_attenuation() const {
  return std::log10(input_gradient_norm.front() / output_gradient_norm);
}

double GradientFlow::predicted_log10_attenuation(bool residual) const {
  double total = 0;
  for (size_t layer = 0; layer < weight_scale.size(); ++layer) total += 0.5 * std::log10(predicted_gain_squared(layer, residual));
  return total;
}

GradientFlow measure_gradient_flow(const StackOptions& options, Generator& generator) {
  NABLA_CHECK(options.depth >= 1 && options.width >= 1 && options.batch >= 1 && options.classes >= 2,
              "gradient flow: depth, width and batch must be positive and classes at least 2");
  NABLA_CHECK(options.jacobian_samples <= options.batch, "gradient flow: {} Jacobian samples from a batch of {}",
              options.jacobian_samples, options.batch);
  std::vector<std::shared_ptr<nn::Linear>> layers;
  for (int64_t l = 0; l < options.depth; ++l) {
    auto layer = std::make_shared<nn::Linear>(nn::LinearOptions{options.width, options.width}, &generator);
    initialise(layer->weight, options.initialisation, generator);
    nn::init::constant_(layer->bias, options.bias);
    layers.push_back(layer);
  }
  nn::Linear output({options.width, options.classes}, &generator);
  const double branch_scale = options.residual ? 1 / std::sqrt(static_cast<double>(options.depth)) : 1.0;

  Tensor x = randn({options.batch, options.width}, {}, &generator).requires_grad_();
  Tensor labels = randint(0, options.classes, {options.batch}, {.dtype = DType::i64}, &generator);
  std::vector<Tensor> inputs = {x}, pre_activations;  // h₀…h_depth, z₁…z_depth
  for (const auto& layer : layers) {
    Tensor z = (*layer)(inputs.back());
    Tensor f = activate(options.activation, z);
    pre_activations.push_back(z);
    inputs.push_back(options.residual ? inputs.back() + f * branch_scale : f);
  }
  Tensor loss = cross_entropy(output(inputs.back()), labels);

  std::vector<Tensor> wanted = inputs;
  for (const auto& layer : layers) wanted.push_back(layer->weight);
  std::vector<Tensor> gradients = autograd::grad({loss}, wanted);

  GradientFlow flow;
  const auto depth = static_cast<size_t>(options.depth);
  flow.output_gradient_norm = frobenius(gradients[depth]);
  for (size_t l = 0; l < depth; ++l) {
    Tensor f = activate(options.activation, pre_activations[l].detach());
    Tensor slope = derivative(options.activation, pre_activations[l]);
    flow.weight_gradient_norm.push_back(frobenius(gradients[depth + 1 + l]));
    flow.input_gradient_norm.push_back(frobenius(gradients[l]));
    flow.derivative_square_mean.push_back(mean(slope * slope).item());
    flow.weight_scale.push_back(sum(layers[l]->weight.detach().pow(2)).item() / static_cast<double>(options.width));
    flow.zero_fraction.push_back(mean(eq(f, zeros_like(f)).to(DType::f32)).item());
    flow.dead_units.push_back(options.width - sum(any(ne(f, zeros_like(f)), {0})).item<int64_t>());
  }

  const Tensor identity = eye(options.width);
  for (int64_t s = 0; s < options.jacobian_samples; ++s) {
    std::vector<double> norms;
    for (size_t l = 0; l < depth; ++l) {
      // ∂f(z)/∂h_{l−1} = diag(f'(z)) W for one sample; with the skip connection, I + that/√depth.
      Tensor slope = derivative(options.activation, pre_activations[l].select(0, s)).unsqueeze(1);
      Tensor jacobian = slope * layers[l]->weight.detach() * branch_scale;
      if (options.residual) jacobian = jacobian + identity;
      norms.push_back(linalg::svd(jacobian).S.to_vector().front());
    }
    flow.jacobian_norm.push_back(norms);
    flow.sample_gradient_ratio.push_back(frobenius(gradients[0].select(0, s)) / frobenius(gradients[depth].select(0, s)));
  }
  return flow;
}

}  // namespace nabla::lab
