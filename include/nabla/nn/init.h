#pragma once
// Parameter initialisation, as torch.nn.init. Each function fills `tensor` in place (without recording
// a gradient) and returns it; random ones draw from `generator`, or the default generator.
#include <string>

#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::nn::init {

enum class FanMode { fan_in, fan_out };
enum class Nonlinearity { linear, sigmoid, tanh, relu, leaky_relu, selu };

// The recommended gain for a nonlinearity (PyTorch's table); leaky_relu uses `parameter` as its slope.
double calculate_gain(Nonlinearity nonlinearity, double parameter = 0.01);
// fan_in = size(1)·receptive field, fan_out = size(0)·receptive field (needs at least 2 dims).
std::pair<int64_t, int64_t> fans(const Tensor& tensor);

Tensor& zeros_(Tensor& tensor);
Tensor& ones_(Tensor& tensor);
Tensor& constant_(Tensor& tensor, double value);
Tensor& uniform_(Tensor& tensor, double low = 0, double high = 1, Generator* generator = nullptr);
Tensor& normal_(Tensor& tensor, double mean = 0, double std = 1, Generator* generator = nullptr);
Tensor& xavier_uniform_(Tensor& tensor, double gain = 1, Generator* generator = nullptr);
Tensor& xavier_normal_(Tensor& tensor, double gain = 1, Generator* generator = nullptr);
Tensor& kaiming_uniform_(Tensor& tensor, double a = 0, FanMode mode = FanMode::fan_in,
                         Nonlinearity nonlinearity = Nonlinearity::leaky_relu, Generator* generator = nullptr);
Tensor& kaiming_normal_(Tensor& tensor, double a = 0, FanMode mode = FanMode::fan_in,
                        Nonlinearity nonlinearity = Nonlinearity::leaky_relu, Generator* generator = nullptr);
// Rows (or columns, whichever are fewer) orthonormal, times gain; through a QR decomposition.
Tensor& orthogonal_(Tensor& tensor, double gain = 1, Generator* generator = nullptr);

}  // namespace nabla::nn::init
