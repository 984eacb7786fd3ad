// Fast-vs-reference cases for gelu_backward (src/backend/cpu/gelu_backward.cpp, both forms, inputs out to ±6 and
// beyond) and clamp_backward (src/backend/cpu/clamp_backward.cpp), the fused first-order backward of relu6, clamp
// and relu: dx = dy where min < x < max, else 0. Inputs are scaled and rounded to
// whole numbers, so that many sit exactly on the bounds 0 and 6, where the gradient must not pass (PyTorch's
// hardtanh and threshold rule); sizes: a prime length (vector tail), beyond L2 (the parallel path) and
// MobileNetV2-small's widest activation.
#include <cmath>

#include "tests/reference/cases.h"

namespace nabla::testing {
namespace F = functional;
using ops::OpId;

namespace {

using Inputs = std::vector<Tensor>;

// x = round(8·u) ∈ {−8 … 8}, a leaf; the activation's gradient for the upstream `upstream`.
template <typename Activation>
std::function<Tensor(Inputs)> gradient_of(Activation activation) {
  return [activation](Inputs t) {
    Tensor x = round(t[0] * 8.0).requires_grad_();
    activation(x).backward(t[1]);
    return x.grad();
  };
}

}  // namespace

NABLA_REFERENCE_CASES(activation_backward) {
  const auto relu6 = gradient_of([](const Tensor& x) { return F::relu6(x); });
  const auto relu_gradient = gradient_of([](const Tensor& x) { return relu(x); });
  const auto min_only = gradient_of([](const Tensor& x) { return clamp(x, -2.0, std::nullopt); });
  const auto max_only = gradient_of([](const Tensor& x) { return clamp(x, std::nullopt, 3.0); });
  const auto gelu_gradient = [](GeluApproximation approximation) {
    return [approximation](Inputs t) {
      Tensor x = (t[0] * 6.0).requires_grad_();  // beyond both tails of Φ and σ: ±6 and more
      gelu(x, approximation).backward(t[1]);
      return x.grad();
    };
  };
  return {
      {"gelu_backward_prime", {{7, 13}, {7, 13}}, gelu_gradient(GeluApproximation::none)},
      {"gelu_backward_tanh_prime", {{7, 13}, {7, 13}}, gelu_gradient(GeluApproximation::tanh)},
      {"gelu_backward_beyond_l2", {beyond_l2, beyond_l2}, gelu_gradient(GeluApproximation::none)},
      {"gelu_backward_tanh_gpt_hidden", {{4, 128, 512}, {4, 128, 512}}, gelu_gradient(GeluApproximation::tanh)},
      on_reference("no fast kernel for a strided upstream gradient",
                   {"gelu_backward_strided_gradient", {{13, 7}, {7, 13}}, [](Inputs t) {
                      Tensor x = t[0].t().requires_grad_();
                      gelu(x).backward(t[1].t().contiguous().t());
                      return x.grad();
                    }}),
      {"clamp_backward_relu6_prime", {{7, 13}, {7, 13}}, relu6},
      {"clamp_backward_relu6_beyond_l2", {beyond_l2, beyond_l2}, relu6},
      {"clamp_backward_relu6_mobilenet", {{16, 96, 28, 28}, {16, 96, 28, 28}}, relu6},
      {"clamp_backward_relu_prime", {{7, 13}, {7, 13}}, relu_gradient},
      {"clamp_backward_relu_beyond_l2", {beyond_l2, beyond_l2}, relu_gradient},
      {"clamp_backward_min_only", {{31, 37}, {31, 37}}, min_only},
      {"clamp_backward_max_only", {{31, 37}, {31, 37}}, max_only},
      // 0.1 has no exact float: the fast kernel's float comparison could differ from the reference's double one.
      on_reference("a bound float32 cannot hold exactly (0.1) compares in double",
                   {"clamp_backward_inexact_bound", {{7, 13}, {7, 13}},
                    gradient_of([](const Tensor& x) { return clamp(x * 0.05, 0.1, 0.3); })}),
      // An upstream gradient that is not contiguous (a transposed view) takes the reference kernel.
      on_reference("no fast kernel for a strided upstream gradient",
                   {"clamp_backward_strided_gradient", {{13, 7}, {7, 13}}, [](Inputs t) {
                      Tensor x = round(t[0] * 8.0).t().requires_grad_();
                      F::relu6(x).backward(t[1].t().contiguous().t());
                      return x.grad();
                    }}),
  };
}

}  // namespace nabla::testing
