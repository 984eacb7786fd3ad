#pragma once
// SyncBatchNorm: batch normalisation whose statistics are those of the global batch, summed over every
// rank of the process group, in forward (mean, variance) and in backward (the sums of the gradient the
// normalisation couples). Trained data-parallel, it equals BatchNorm run on the global batch in one process;
// plain BatchNorm in each rank normalises by its shard's statistics and does not. In eval mode, or in a
// world of one, it is BatchNorm.
#include "nabla/dist/process_group.h"
#include "nabla/nn/norm.h"

namespace nabla::dist {

class SyncBatchNorm : public nn::BatchNorm {
 public:
  // spatial_rank: 1 accepts [N, C] and [N, C, L] (as BatchNorm1d), 2 accepts [N, C, H, W] (as BatchNorm2d)
  SyncBatchNorm(const nn::BatchNormOptions& options, ProcessGroupPtr group, int64_t spatial_rank = 2);
  Tensor forward(const Tensor& x) override;

 private:
  ProcessGroupPtr group_;
};

}  // namespace nabla::dist
