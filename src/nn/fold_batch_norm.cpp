#include "nn/fold_batch_norm.h"

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"

namespace nabla::nn {

bool ConvBatchNormFold::applies(const Conv2d& conv, const BatchNorm& bn) {
  if (bn.is_training() || !bn.options.track_running_stats || autograd::grad_enabled()) return false;
  if (conv.has_hooks() || bn.has_hooks()) return false;
  if (bn.options.num_features != conv.options.out_channels) return false;
  auto f32 = [](const Tensor& t) { return !t.defined() || (t.dtype() == DType::f32 && t.is_contiguous()); };
  return f32(conv.weight) && f32(conv.bias) && f32(bn.weight) && f32(bn.bias) && f32(bn.running_mean) &&
         f32(bn.running_var);
}

bool ConvBatchNormFold::current(const std::array<Tensor, sources>& tensors) const {
  if (!weight_.defined()) return false;
  for (size_t i = 0; i < sources; ++i) {
    const bool defined = tensors[i].defined();
    if (defined != (storages_[i] != nullptr)) return false;
    if (defined && (tensors[i].storage() != storages_[i] || tensors[i].version() != versions_[i])) return false;
  }
  return true;
}

Tensor ConvBatchNormFold::operator()(Conv2d& conv, BatchNorm& bn, const Tensor& x) {
  if (!applies(conv, bn)) return bn(conv(x));
  const std::array<Tensor, sources> tensors{conv.weight, conv.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var};
  if (!current(tensors)) {
    // In double, rounded once to f32: the folded convolution then differs from the two layers only by the
    // order of the f32 sums.
    const int64_t channels = conv.options.out_channels, per_channel = conv.weight.numel() / channels;
    Tensor weight = empty(conv.weight.shape()), bias = empty({channels});
    const float* w = conv.weight.data<float>();
    const float* mean = bn.running_mean.data<float>();
    const float* variance = bn.running_var.data<float>();
    float* folded_weight = weight.data<float>();
    float* folded_bias = bias.data<float>();
    for (int64_t c = 0; c < channels; ++c) {
      const double gamma = bn.weight.defined() ? bn.weight.data<float>()[c] : 1.0;
      const double beta = bn.bias.defined() ? bn.bias.data<float>()[c] : 0.0;
      const double conv_bias = conv.bias.defined() ? conv.bias.data<float>()[c] : 0.0;
      const double scale = gamma / std::sqrt(static_cast<double>(variance[c]) + bn.options.eps);
      for (int64_t i = 0; i < per_channel; ++i) {
        folded_weight[c * per_channel + i] = static_cast<float>(w[c * per_channel + i] * scale);
      }
      folded_bias[c] = static_cast<float>(beta + (conv_bias - mean[c]) * scale);
    }
    weight_ = weight;
    bias_ = bias;
    for (size_t i = 0; i < sources; ++i) {
      storages_[i] = tensors[i].defined() ? tensors[i].storage() : nullptr;
      versions_[i] = tensors[i].defined() ? tensors[i].version() : 0;
    }
  }
  return functional::conv2d(x, weight_, bias_, conv.options);
}

}  // namespace nabla::nn
