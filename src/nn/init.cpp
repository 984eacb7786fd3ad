#include "nabla/nn/init.h"

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/linalg.h"
#include "nabla/ops.h"

namespace nabla::nn::init {
namespace {

// Writes `values` into `tensor` without recording: initialisation is not part of any graph.
Tensor& assign(Tensor& tensor, const Tensor& values) {
  autograd::NoGradGuard no_grad;
  copy_(tensor, values);
  return tensor;
}

int64_t fan(const Tensor& tensor, FanMode mode) {
  auto [fan_in, fan_out] = fans(tensor);
  return mode == FanMode::fan_in ? fan_in : fan_out;
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double parameter) {
  switch (nonlinearity) {
    case Nonlinearity::linear: case Nonlinearity::sigmoid: return 1.0;
    case Nonlinearity::tanh: return 5.0 / 3.0;
    case Nonlinearity::relu: return std::sqrt(2.0);
    case Nonlinearity::leaky_relu: return std::sqrt(2.0 / (1 + parameter * parameter));
    case Nonlinearity::selu: return 3.0 / 4.0;
  }
  return 1.0;
}

std::pair<int64_t, int64_t> fans(const Tensor& tensor) {
  NABLA_CHECK(tensor.dim() >= 2, "init: fan in and fan out need a tensor with at least 2 dims, got {}",
              tensor.describe());
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

Tensor& zeros_(Tensor& tensor) { return constant_(tensor, 0); }
Tensor& ones_(Tensor& tensor) { return constant_(tensor, 1); }
Tensor& constant_(Tensor& tensor, double value) { return assign(tensor, full(tensor.shape(), value, {.dtype = tensor.dtype()})); }

Tensor& uniform_(Tensor& tensor, double low, double high, Generator* generator) {
  NABLA_CHECK(low <= high, "uniform_: low {} is above high {}", low, high);
  Tensor values = rand(tensor.shape(), {.dtype = DType::f64}, generator) * (high - low) + low;
  return assign(tensor, values);
}

Tensor& normal_(Tensor& tensor, double mean, double std, Generator* generator) {
  NABLA_CHECK(std >= 0, "normal_: std must be non-negative, got {}", std);
  Tensor values = randn(tensor.shape(), {.dtype = DType::f64}, generator) * std + mean;
  return assign(tensor, values);
}

Tensor& xavier_uniform_(Tensor& tensor, double gain, Generator* generator) {
  auto [fan_in, fan_out] = fans(tensor);
  double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(tensor, -bound, bound, generator);
}

Tensor& xavier_normal_(Tensor& tensor, double gain, Generator* generator) {
  auto [fan_in, fan_out] = fans(tensor);
  return normal_(tensor, 0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), generator);
}

Tensor& kaiming_uniform_(Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity, Generator* generator) {
  double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(tensor, mode)));
  double bound = std::sqrt(3.0) * std;
  return uniform_(tensor, -bound, bound, generator);
}

Tensor& kaiming_normal_(Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity, Generator* generator) {
  double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(tensor, mode)));
  return normal_(tensor, 0, std, generator);
}

Tensor& orthogonal_(Tensor& tensor, double gain, Generator* generator) {
  NABLA_CHECK(tensor.dim() >= 2, "orthogonal_: needs at least 2 dims, got {}", tensor.describe());
  int64_t rows = tensor.size(0), columns = tensor.numel() / rows;
  Tensor flat = randn({rows, columns}, {.dtype = DType::f64}, generator);
  bool transposed = rows < columns;
  if (transposed) flat = flat.t().contiguous();
  auto [q, r] = linalg::qr(flat);
  // Sign fix (as PyTorch): multiply each column by the sign of R's diagonal, so Q is uniformly distributed.
  Tensor signs = sign(diagonal(r));
  q = q * signs.unsqueeze(0);
  if (transposed) q = q.t();
  return assign(tensor, (q * gain).reshape(tensor.shape()));
}

}  // namespace nabla::nn::init
