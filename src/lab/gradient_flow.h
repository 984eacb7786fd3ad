#pragma once
// Gradient flow through a deep stack of equal-width layers at initialisation, for the vanishing-gradient
// experiments (Q06, Q08). One forward and one backward pass on a random batch; everything is measured.
//   x [N, width] ~ N(0, 1) = h₀
//   layer l = 1…depth:  z_l = h_{l−1} W_lᵀ + b_l [N, width],  h_l = f(z_l)   (plain)
//                                                             h_l = h_{l−1} + f(z_l)/√depth   (residual)
//   logits = h_depth W_outᵀ + b_out [N, classes],  L = cross-entropy against random labels
// The residual branch is scaled by 1/√depth so that the forward signal stays bounded (variance grows by
// at most (1 + c/depth) per layer) instead of doubling at every layer.
#include <cstdint>
#include <string>
#include <vector>

#include "nabla/nn/init.h"
#include "nabla/random.h"

namespace nabla::lab {

enum class Activation { relu, sigmoid };
enum class Initialisation { xavier, he };

std::string activation_name(Activation activation);
std::string initialisation_name(Initialisation initialisation);
// "relu" / "sigmoid", "xavier" / "he"; anything else is an error naming the knob.
Activation parse_activation(const std::string& knob, const std::string& text);
Initialisation parse_initialisation(const std::string& knob, const std::string& text);

struct StackOptions {
  int64_t depth = 20;  // hidden layers (each a Linear and an activation); the output layer comes on top
  int64_t width = 256;
  int64_t classes = 10;
  int64_t batch = 256;
  Activation activation = Activation::relu;
  Initialisation initialisation = Initialisation::he;
  bool residual = false;
  double bias = 0;              // every hidden bias starts at this value
  int64_t jacobian_samples = 0;  // samples whose per-layer Jacobians are decomposed (0: none)
};

// Per hidden layer l = 1…depth, index l − 1.
struct GradientFlow {
  std::vector<double> weight_gradient_norm;      // ‖dL/dW_l‖ (Frobenius)
  std::vector<double> input_gradient_norm;       // ‖dL/dh_{l−1}‖ over the batch: what reaches the layer's input
  double output_gradient_norm = 0;               // ‖dL/dh_depth‖: what the output layer sends back
  std::vector<double> derivative_square_mean;    // mean of f'(z_l)² over the batch and units (f' by autograd)
  std::vector<double> weight_scale;              // ‖W_l‖²_F / width = width·Var(W_l) for zero-mean weights
  std::vector<double> zero_fraction;             // share of f(z_l) that is exactly 0
  std::vector<int64_t> dead_units;               // units of f(z_l) that are 0 for every sample of the batch
  // Per sample s < jacobian_samples: the spectral norm of ∂h_l/∂h_{l−1} for that sample, per layer, and
  // ‖dL/dh₀‖ / ‖dL/dh_depth‖ for that sample (each sample's loss term depends only on its own row).
  std::vector<std::vector<double>> jacobian_norm;
  std::vector<double> sample_gradient_ratio;

  // The mean-field prediction of ‖dL/dh_{l−1}‖² / ‖dL/dh_l‖²: width·Var(W)·E[f'²] for a plain layer,
  // 1 + that/depth for a residual one (the cross term averages out over random weights).
  double predicted_gain_squared(size_t layer, bool residual) const;
  // log10 of ‖dL/dh₀‖ / ‖dL/dh_depth‖ measured, and as the product of predicted per-layer gains.
  double measured_log10_attenuation() const;
  double predicted_log10_attenuation(bool residual) const;
};

GradientFlow measure_gradient_flow(const StackOptions& options, Generator& generator);

}  // namespace nabla::lab
