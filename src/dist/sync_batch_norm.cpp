// SyncBatchNorm's forward and backward over the process group.
//   x [N, C, *]  →  y = (x − mean_c) · invstd_c · weight_c + bias_c, statistics over (N, *) of every rank
// Backward, with G the global element count per channel and the sums taken over every rank:
//   dx = weight · invstd · (dy − Σdy / G − x̂ · Σ(dy · x̂) / G),   dweight = Σ_local dy · x̂,   dbias = Σ_local dy
// (the parameter gradients stay local: DistributedDataParallel averages them with the rest).
#include "nabla/dist/sync_batch_norm.h"

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::dist {
namespace {

std::vector<int64_t> reduced_dims(const Tensor& x) {
  std::vector<int64_t> dims{0};
  for (int64_t dim = 2; dim < x.dim(); ++dim) dims.push_back(dim);
  return dims;
}

// [C] → [1, C, 1, …] to broadcast against x
Tensor per_channel(const Tensor& values, const Tensor& x) {
  Shape shape(static_cast<size_t>(x.dim()), 1);
  shape[1] = x.size(1);
  return values.reshape(shape);
}

// Σ over (N, *) of every rank, in f64.
Tensor global_sum(const Tensor& x, ProcessGroup& group) {
  Tensor sums = sum(x.to(DType::f64), reduced_dims(x)).contiguous();
  group.all_reduce(sums, ReduceOp::sum);
  return sums;
}

}  // namespace

SyncBatchNorm::SyncBatchNorm(const nn::BatchNormOptions& options, ProcessGroupPtr group, int64_t spatial_rank)
    : nn::BatchNorm("SyncBatchNorm", spatial_rank, options), group_(std::move(group)) {
  NABLA_CHECK(group_ != nullptr, "SyncBatchNorm: the process group is null (call init_process_group)");
}

Tensor SyncBatchNorm::forward(const Tensor& x) {
  if (!is_training() || group_->world_size() == 1) return nn::BatchNorm::forward(x);
  NABLA_CHECK(x.dim() >= 2 && x.size(1) == options.num_features, "SyncBatchNorm: expected {} channels (dim 1), got {}",
              options.num_features, x.describe());
  ProcessGroupPtr group = group_;
  const double eps = options.eps;
  const bool affine = options.affine;
  // The global statistics, computed once here (the running statistics need them too).
  Tensor count = from_vector({static_cast<double>(x.numel() / x.size(1))}, {1}, DType::f64);
  group->all_reduce(count, ReduceOp::sum);
  const double global_count = count.item();
  NABLA_CHECK(global_count > 1, "SyncBatchNorm: needs more than one value per channel across all ranks, got {}",
              x.describe());
  Tensor mean_c, var_c;
  {
    autograd::NoGradGuard no_grad;
    mean_c = global_sum(x, *group) / global_count;
    Tensor centred = x.to(DType::f64) - per_channel(mean_c, x);
    var_c = global_sum(centred * centred, *group) / global_count;  // biased, as normalisation uses
    if (options.track_running_stats) {
      double momentum = options.momentum;
      Tensor unbiased = var_c * (global_count / (global_count - 1));
      copy_(running_mean, (running_mean.to(DType::f64) * (1 - momentum) + mean_c * momentum).to(running_mean.dtype()));
      copy_(running_var, (running_var.to(DType::f64) * (1 - momentum) + unbiased * momentum).to(running_var.dtype()));
      num_batches_tracked.add_(ones_like(num_batches_tracked));
    }
  }
  std::vector<Tensor> inputs{x};
  if (affine) inputs.insert(inputs.end(), {weight, bias});
  auto forward_function = [=](autograd::FunctionContext& context, const std::vector<Tensor>& in) {
    const Tensor& input = in[0];
    Tensor invstd = rsqrt(var_c + eps);
    Tensor normalized = ((input.to(DType::f64) - per_channel(mean_c, input)) * per_channel(invstd, input)).to(input.dtype());
    Tensor output = normalized;
    if (affine) output = normalized * per_channel(in[1], input) + per_channel(in[2], input);
    context.save_for_backward({normalized, invstd.to(input.dtype()), affine ? in[1] : Tensor()});
    return std::vector<Tensor>{output};
  };
  auto backward_function = [group, global_count, affine](autograd::FunctionContext& context,
                                                         const std::vector<Tensor>& grads) {
    std::vector<Tensor> saved = context.saved_tensors();
    const Tensor& normalized = saved[0];
    const Tensor& invstd = saved[1];
    const Tensor& dy = grads[0];
    std::vector<int64_t> dims = reduced_dims(dy);
    Tensor sum_dy = sum(dy, dims);
    Tensor sum_dy_normalized = sum(dy * normalized, dims);
    // One all-reduce for both sums: [2, C].
    Tensor both = stack({sum_dy, sum_dy_normalized}).to(DType::f64).contiguous();
    group->all_reduce(both, ReduceOp::sum);
    Tensor global_dy = both.select(0, 0).to(dy.dtype()) / global_count;
    Tensor global_dy_normalized = both.select(0, 1).to(dy.dtype()) / global_count;
    Tensor scale = affine ? invstd * saved[2] : invstd;
    Tensor dx = (dy - per_channel(global_dy, dy) - normalized * per_channel(global_dy_normalized, dy)) *
                per_channel(scale, dy);
    std::vector<Tensor> result{dx};
    if (affine) result.insert(result.end(), {sum_dy_normalized, sum_dy});
    return result;
  };
  return autograd::apply_function("SyncBatchNorm", inputs, forward_function, backward_function)[0];
}

}  // namespace nabla::dist
