#pragma once
// A convolution followed by a batch norm in eval mode is one affine map per output channel after the
// convolution, so at inference it is one convolution with a folded weight and bias:
//   bn(conv(x)) = conv(x; W·s, β + (b − μ)·s)   per output channel, s = γ / √(σ² + ε)
// That drops the batch norm's pass over the activations and its per-op cost (dispatch, allocation, a
// parallel region), which at batch 1 is a large part of a small network's latency.
#include <array>
#include <memory>

#include "nabla/nn/conv.h"
#include "nabla/nn/norm.h"

namespace nabla::nn {

class ConvBatchNormFold {
 public:
  // bn(conv(x)): the folded convolution where it applies, else the two modules in turn.
  Tensor operator()(Conv2d& conv, BatchNorm& bn, const Tensor& x);

  // Whether a call folds: bn in eval mode with running statistics, no gradient recorded (the folded
  // tensors are not part of any graph), no hooks on either module (a hook expects its layer to run, as
  // nn::summary's per-layer counts do), and f32 parameters.
  static bool applies(const Conv2d& conv, const BatchNorm& bn);

 private:
  // The six tensors the fold is computed from, held so that a storage cannot be freed and its address
  // reused while the fold is cached, and their versions when it was computed.
  static constexpr size_t sources = 6;
  bool current(const std::array<Tensor, sources>& tensors) const;

  std::array<std::shared_ptr<Storage>, sources> storages_{};
  std::array<uint32_t, sources> versions_{};
  // Kept across calls, so that the convolution's reordered-weight cache (keyed by storage and version)
  // keeps its copy too.
  Tensor weight_, bias_;
};

}  // namespace nabla::nn
