#include "nabla/nn/stochastic_depth.h"

#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla {

namespace {
const char* mode_name(StochasticDepthMode mode) { return mode == StochasticDepthMode::row ? "row" : "batch"; }
}  // namespace

Tensor functional::stochastic_depth(const Tensor& x, double p, StochasticDepthMode mode, bool training,
                                    Generator* generator) {
  NABLA_CHECK(p >= 0 && p <= 1, "stochastic_depth: drop probability must be in [0, 1], got {} (input {})", p,
              x.describe());
  NABLA_CHECK(x.dim() >= 1, "stochastic_depth: input needs a batch dim, got {}", x.describe());
  if (!training || p == 0) return x;
  // One keep-or-drop per sample (row) or per batch, broadcast over the rest: [N, 1, …, 1] or [1, …, 1].
  Shape noise_shape(static_cast<size_t>(x.dim()), 1);
  if (mode == StochasticDepthMode::row) noise_shape[0] = x.shape()[0];
  const double survival = 1 - p;
  Tensor noise = bernoulli(full(noise_shape, survival, {.dtype = x.dtype()}), generator);
  if (survival > 0) noise = noise * (1 / survival);
  return x * noise;
}

namespace nn {

StochasticDepth::StochasticDepth(double p_, StochasticDepthMode mode_, Generator* generator)
    : Module("StochasticDepth"), p(p_), mode(mode_), generator_(generator) {
  NABLA_CHECK(p >= 0 && p <= 1, "StochasticDepth: p must be in [0, 1], got {}", p);
}

Tensor StochasticDepth::forward(const Tensor& x) {
  return functional::stochastic_depth(x, p, mode, is_training(), generator_);
}

std::string StochasticDepth::describe() const { return fmt::format("StochasticDepth(p={}, mode={})", p, mode_name(mode)); }

}  // namespace nn
}  // namespace nabla
