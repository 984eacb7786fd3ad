#pragma once
// Normalization layers: BatchNorm1d/2d (running statistics, momentum, eval mode), LayerNorm, GroupNorm, RMSNorm.
#include <optional>

#include "nabla/nn/module.h"

namespace nabla::nn {

struct BatchNormOptions {
  int64_t num_features = 0;
  double eps = 1e-5, momentum = 0.1;
  bool affine = true, track_running_stats = true;
};

// BatchNorm1d normalises [N, C] or [N, C, L] per channel; BatchNorm2d [N, C, H, W].
class BatchNorm : public Module {
 public:
  using Options = BatchNormOptions;
  BatchNorm(const char* name, int64_t rank, const BatchNormOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  BatchNormOptions options;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  int64_t rank_;  // 1 or 2 spatial-style ranks accepted, checked in forward
};

class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(const BatchNormOptions& options) : BatchNorm("BatchNorm1d", 1, options) {}
  explicit BatchNorm1d(int64_t num_features) : BatchNorm1d(BatchNormOptions{.num_features = num_features}) {}
};

class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(const BatchNormOptions& options) : BatchNorm("BatchNorm2d", 2, options) {}
  explicit BatchNorm2d(int64_t num_features) : BatchNorm2d(BatchNormOptions{.num_features = num_features}) {}
};

struct LayerNormOptions {
  Shape normalized_shape;
  double eps = 1e-5;
  bool elementwise_affine = true;
};

class LayerNorm : public Module {
 public:
  using Options = LayerNormOptions;
  explicit LayerNorm(const LayerNormOptions& options);
  explicit LayerNorm(int64_t normalized_size) : LayerNorm(LayerNormOptions{.normalized_shape = {normalized_size}}) {}
  Tensor forward(const Tensor& x) override;

  LayerNormOptions options;
  Tensor weight, bias;
};

struct GroupNormOptions {
  int64_t num_groups = 1, num_channels = 0;
  double eps = 1e-5;
  bool affine = true;
};

class GroupNorm : public Module {
 public:
  using Options = GroupNormOptions;
  explicit GroupNorm(const GroupNormOptions& options);
  Tensor forward(const Tensor& x) override;

  GroupNormOptions options;
  Tensor weight, bias;
};

struct RMSNormOptions {
  Shape normalized_shape;
  std::optional<double> eps;  // none: the machine epsilon of the input's dtype, as torch.nn.RMSNorm
  bool elementwise_affine = true;
};

// x / √(mean(x², normalized dims) + eps) · weight (Zhang & Sennrich 2019): LayerNorm without the centring
// and the bias. weight [normalized_shape] starts at ones.
class RMSNorm : public Module {
 public:
  using Options = RMSNormOptions;
  explicit RMSNorm(const RMSNormOptions& options);
  explicit RMSNorm(int64_t normalized_size) : RMSNorm(RMSNormOptions{.normalized_shape = {normalized_size}}) {}
  Tensor forward(const Tensor& x) override;
  RMSNormOptions options;
  Tensor weight;
};

}  // namespace nabla::nn
