#include "nabla/dist/zero.h"

#include <algorithm>

#include "nabla/autograd.h"
#include "nabla/error.h"

namespace nabla::dist {

ZeroRedundancyOptimizer::ZeroRedundancyOptimizer(std::vector<Tensor> parameters, ProcessGroupPtr group,
                                                 const OptimizerFactory& make)
    : parameters_(std::move(parameters)), group_(std::move(group)) {
  NABLA_CHECK(group_ != nullptr, "ZeroRedundancyOptimizer: the process group is null (call init_process_group)");
  NABLA_CHECK(!parameters_.empty(), "ZeroRedundancyOptimizer: no parameters");
  // Largest first, each to the rank that owns the fewest elements so far (ties: the lower rank): the same
  // deal on every rank, and balanced to within one parameter.
  std::vector<size_t> by_size(parameters_.size());
  for (size_t i = 0; i < by_size.size(); ++i) by_size[i] = i;
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](size_t a, size_t b) { return parameters_[a].numel() > parameters_[b].numel(); });
  std::vector<int64_t> owned(static_cast<size_t>(group_->world_size()), 0);
  owners_.assign(parameters_.size(), 0);
  for (size_t index : by_size) {
    const auto least = static_cast<int>(std::min_element(owned.begin(), owned.end()) - owned.begin());
    owners_[index] = least;
    owned[static_cast<size_t>(least)] += parameters_[index].numel();
  }
  std::vector<Tensor> mine;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (owners_[i] == group_->rank()) mine.push_back(parameters_[i]);
  }
  // A rank that owns nothing (more ranks than parameters) still needs an optimizer for lr and schedulers.
  local_ = make(mine);
  NABLA_CHECK(local_ != nullptr, "ZeroRedundancyOptimizer: the factory returned no optimizer");
}

void ZeroRedundancyOptimizer::step() {
  local_->step();
  autograd::NoGradGuard no_grad;
  std::vector<WorkPtr> pending;
  pending.reserve(parameters_.size());
  for (size_t i = 0; i < parameters_.size(); ++i) pending.push_back(group_->broadcast_async(parameters_[i], owners_[i]));
  for (WorkPtr& work : pending) work->wait();
}

void ZeroRedundancyOptimizer::zero_grad() {
  for (const Tensor& parameter : parameters_) parameter.zero_grad();
}

int64_t optimizer_state_bytes(const optim::Optimizer& optimizer) {
  int64_t bytes = 0;
  for (const auto& [name, tensor] : optimizer.state_dict().tensors) bytes += tensor.numel() * tensor.element_size();
  return bytes;
}

int64_t ZeroRedundancyOptimizer::state_bytes() const { return optimizer_state_bytes(*local_); }

}  // namespace nabla::dist
