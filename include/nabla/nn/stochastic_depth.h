#pragma once
// Stochastic depth (Huang et al., 2016), as torchvision.ops.stochastic_depth: in training, a residual branch is
// dropped with probability p and the survivors are scaled by 1/(1 − p), so the expected output is the input
// and eval mode is the identity. "row" mode draws once per sample (each sample of the batch keeps or drops its
// whole branch); "batch" mode draws once for the whole batch.
#include "nabla/nn/module.h"

namespace nabla {

enum class StochasticDepthMode { row, batch };

namespace functional {
// x [N, ...] → x · noise, noise [N, 1, …, 1] (row) or [1, …, 1] (batch) ∈ {0, 1/(1 − p)}; x itself when
// !training or p = 0. p must be in [0, 1]; p = 1 zeroes everything (as torchvision, no division by 0).
Tensor stochastic_depth(const Tensor& x, double p, StochasticDepthMode mode, bool training = true,
                        Generator* generator = nullptr);
}  // namespace functional

namespace nn {

class StochasticDepth : public Module {
 public:
  explicit StochasticDepth(double p, StochasticDepthMode mode = StochasticDepthMode::row, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  double p;
  StochasticDepthMode mode;

 private:
  Generator* generator_;
};

}  // namespace nn
}  // namespace nabla
