#include "nabla/nn/norm.h"

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"

namespace nabla::nn {

BatchNorm::BatchNorm(const char* name, int64_t rank, const BatchNormOptions& options_)
    : Module(name), options(options_), rank_(rank) {
  NABLA_CHECK(options.num_features > 0, "{}: num_features must be positive, got {}", name, options.num_features);
  if (options.affine) {
    weight = register_parameter("weight", ones({options.num_features}));
    bias = register_parameter("bias", zeros({options.num_features}));
  }
  if (options.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({options.num_features}));
    running_var = register_buffer("running_var", ones({options.num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, {.dtype = DType::i64}));
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  bool rank_ok = rank_ == 1 ? (x.dim() == 2 || x.dim() == 3) : x.dim() == 4;
  NABLA_CHECK(rank_ok, "{}: expected input of rank {}, got {}", name(), rank_ == 1 ? "2 or 3" : "4", x.describe());
  NABLA_CHECK(x.size(1) == options.num_features, "{}: expected {} channels (dim 1), got {}", name(),
              options.num_features, x.describe());
  // Without running statistics the batch statistics are used in eval mode too, as PyTorch.
  bool use_batch_statistics = is_training() || !options.track_running_stats;
  if (is_training() && options.track_running_stats) {
    autograd::NoGradGuard no_grad;
    num_batches_tracked.add_(ones_like(num_batches_tracked));  // int64: a float 1.0 may not be added in place
  }
  return functional::batch_norm(x, running_mean, running_var, weight, bias, use_batch_statistics, options.momentum,
                                options.eps);
}

std::string BatchNorm::describe() const {
  return fmt::format("{}(num_features={}, eps={}, momentum={}, affine={})", name(), options.num_features, options.eps,
                     options.momentum, options.affine);
}

LayerNorm::LayerNorm(const LayerNormOptions& options_) : Module("LayerNorm"), options(options_) {
  NABLA_CHECK(!options.normalized_shape.empty(), "LayerNorm: normalized_shape must not be empty");
  if (options.elementwise_affine) {
    weight = register_parameter("weight", ones(options.normalized_shape));
    bias = register_parameter("bias", zeros(options.normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  return functional::layer_norm(x, options.normalized_shape, weight, bias, options.eps);
}

GroupNorm::GroupNorm(const GroupNormOptions& options_) : Module("GroupNorm"), options(options_) {
  NABLA_CHECK(options.num_groups > 0 && options.num_channels > 0 && options.num_channels % options.num_groups == 0,
              "GroupNorm: num_channels ({}) must be a positive multiple of num_groups ({})", options.num_channels,
              options.num_groups);
  if (options.affine) {
    weight = register_parameter("weight", ones({options.num_channels}));
    bias = register_parameter("bias", zeros({options.num_channels}));
  }
}

Tensor GroupNorm::forward(const Tensor& x) { return functional::group_norm(x, options.num_groups, weight, bias, options.eps); }

RMSNorm::RMSNorm(const RMSNormOptions& options_) : Module("RMSNorm"), options(options_) {
  NABLA_CHECK(!options.normalized_shape.empty(), "RMSNorm: normalized_shape must not be empty");
  NABLA_CHECK(!options.eps || *options.eps >= 0, "RMSNorm: eps must be ≥ 0, got {}", options.eps.value_or(0));
  if (options.elementwise_affine) weight = register_parameter("weight", ones(options.normalized_shape));
}

Tensor RMSNorm::forward(const Tensor& x) {
  const auto rank = static_cast<int64_t>(options.normalized_shape.size());
  const bool fits = x.dim() >= rank && Shape(x.shape().end() - rank, x.shape().end()) == options.normalized_shape;
  NABLA_CHECK(fits, "RMSNorm: expected input ending in {}, got {}", shape_string(options.normalized_shape),
              x.describe());
  std::vector<int64_t> dims;
  for (int64_t d = x.dim() - rank; d < x.dim(); ++d) dims.push_back(d);
  const double eps = options.eps ? *options.eps : (x.dtype() == DType::f64 ? 2.220446049250313e-16 : 1.1920928955078125e-07);
  const Tensor normalized = x * rsqrt(mean(x * x, dims, true) + eps);
  return weight.defined() ? normalized * weight : normalized;
}

}  // namespace nabla::nn
