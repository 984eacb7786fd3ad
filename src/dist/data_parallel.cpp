// DistributedDataParallel and its reducer: the buckets of gradients and when each is all-reduced.
#include "nabla/dist/data_parallel.h"

#include <optional>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/grad_hooks.h"
#include "nabla/nn/global_batch.h"
#include "nabla/ops.h"

namespace nabla::dist {

struct Reducer {
  struct Bucket {
    std::vector<size_t> members;  // indices into parameters
    std::vector<int64_t> offsets;  // of each member in flat
    DType dtype = DType::f32;
    int64_t numel = 0;
    size_t ready = 0;
    Tensor flat;
    WorkPtr work;
  };

  ProcessGroupPtr group;
  std::vector<std::string> names;
  std::vector<Tensor> parameters;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;
  std::vector<size_t> position_in_bucket;
  std::vector<bool> ready;
  size_t ready_count = 0;
  size_t next_to_launch = 0;
  bool armed = false;  // a synchronised forward ran; its backward's gradients are to be reduced
  ReductionStats stats;

  void arm() {
    armed = true;
    ready.assign(parameters.size(), false);
    ready_count = 0;
    next_to_launch = 0;
    stats = {};
    for (Bucket& bucket : buckets) {
      bucket.ready = 0;
      bucket.work.reset();
      bucket.flat = Tensor();
    }
  }

  void on_gradient(size_t index) {
    if (!armed || ready[index]) return;
    ready[index] = true;
    ++ready_count;
    ++buckets[bucket_of[index]].ready;
    launch_full_buckets(ready_count < parameters.size());
    if (ready_count == parameters.size()) finish();
  }

  // Buckets go out in their fixed order, whatever order they fill in, so every rank issues the same
  // sequence of collectives.
  void launch_full_buckets(bool early) {
    while (next_to_launch < buckets.size() && buckets[next_to_launch].ready == buckets[next_to_launch].members.size()) {
      launch(buckets[next_to_launch++], early);
    }
  }

  void launch(Bucket& bucket, bool early) {
    autograd::NoGradGuard no_grad;
    bucket.flat = zeros({bucket.numel}, bucket.dtype);
    for (size_t k = 0; k < bucket.members.size(); ++k) {
      const Tensor& parameter = parameters[bucket.members[k]];
      const Tensor& grad = parameter.grad();
      if (!grad.defined()) continue;  // unused parameter: reduced as zeros
      Tensor slot = bucket.flat.narrow(0, bucket.offsets[k], parameter.numel());
      copy_(slot, grad.reshape({parameter.numel()}));
    }
    bucket.work = group->all_reduce_async(bucket.flat, ReduceOp::mean);
    ++stats.buckets;
    stats.started_early += early ? 1 : 0;
    stats.bytes += bucket.numel * static_cast<int64_t>(dtype_size(bucket.dtype));
  }

  void finish() {
    if (!armed) return;
    armed = false;
    for (Bucket& bucket : buckets) bucket.ready = bucket.members.size();
    launch_full_buckets(false);
    // The reduced gradients become views of the bucket: no copy back, and a fresh bucket next time, so
    // nothing the user holds is overwritten.
    for (Bucket& bucket : buckets) {
      bucket.work->wait();
      for (size_t k = 0; k < bucket.members.size(); ++k) {
        const Tensor& parameter = parameters[bucket.members[k]];
        parameter.set_grad(bucket.flat.narrow(0, bucket.offsets[k], parameter.numel()).view(parameter.shape()));
      }
      bucket.work.reset();
    }
  }

  std::string missing_gradients() const {
    std::string list;
    for (size_t i = 0; i < parameters.size(); ++i) {
      if (!ready[i]) list += (list.empty() ? "" : ", ") + names[i];
    }
    return list;
  }
};

namespace {

std::shared_ptr<Reducer> make_reducer(const nn::Module& module, ProcessGroupPtr group, int64_t bucket_bytes) {
  auto reducer = std::make_shared<Reducer>();
  reducer->group = std::move(group);
  nn::NamedTensors named = module.named_parameters();
  // Reverse registration order: the last layers' gradients arrive first in backward.
  for (auto it = named.rbegin(); it != named.rend(); ++it) {
    if (!it->second.requires_grad()) continue;  // frozen
    reducer->names.push_back(it->first);
    reducer->parameters.push_back(it->second);
  }
  reducer->bucket_of.resize(reducer->parameters.size());
  for (size_t i = 0; i < reducer->parameters.size(); ++i) {
    const Tensor& parameter = reducer->parameters[i];
    int64_t bytes = parameter.numel() * parameter.element_size();
    bool fits = !reducer->buckets.empty() && reducer->buckets.back().dtype == parameter.dtype() &&
                (reducer->buckets.back().numel * parameter.element_size() + bytes <= bucket_bytes);
    if (!fits) reducer->buckets.push_back({.dtype = parameter.dtype()});
    Reducer::Bucket& bucket = reducer->buckets.back();
    reducer->bucket_of[i] = reducer->buckets.size() - 1;
    bucket.members.push_back(i);
    bucket.offsets.push_back(bucket.numel);
    bucket.numel += parameter.numel();
  }
  reducer->ready.assign(reducer->parameters.size(), false);
  return reducer;
}

void broadcast_state(const nn::Module& module, ProcessGroup& group) {
  autograd::NoGradGuard no_grad;
  std::vector<WorkPtr> pending;
  for (auto& [name, parameter] : module.named_parameters()) pending.push_back(group.broadcast_async(parameter, 0));
  for (auto& [name, buffer] : module.named_buffers()) pending.push_back(group.broadcast_async(buffer, 0));
  for (WorkPtr& work : pending) work->wait();
}

}  // namespace

DistributedDataParallel::DistributedDataParallel(nn::ModulePtr module, ProcessGroupPtr group,
                                                 DataParallelOptions options)
    : Module("DistributedDataParallel"), module_(std::move(module)), group_(std::move(group)), options_(options) {
  NABLA_CHECK(module_ != nullptr, "DistributedDataParallel: the module is null");
  NABLA_CHECK(group_ != nullptr, "DistributedDataParallel: the process group is null (call init_process_group)");
  NABLA_CHECK(options_.bucket_bytes > 0, "DistributedDataParallel: bucket_bytes must be positive, got {}",
              options_.bucket_bytes);
  register_module("module", module_);
  broadcast_state(*module_, *group_);
  reducer_ = make_reducer(*module_, group_, options_.bucket_bytes);
  std::weak_ptr<Reducer> weak = reducer_;
  for (size_t i = 0; i < reducer_->parameters.size(); ++i) {
    autograd::register_post_accumulate_grad_hook(reducer_->parameters[i], [weak, i](const Tensor&) {
      if (std::shared_ptr<Reducer> reducer = weak.lock()) reducer->on_gradient(i);
    });
  }
}

DistributedDataParallel::~DistributedDataParallel() = default;

Tensor DistributedDataParallel::forward(const Tensor& input) {
  if (reducer_->armed && reducer_->ready_count > 0) {
    throw Error(fmt::format("DistributedDataParallel: the last backward gave no gradient to {}; call "
                            "finish_reduction() after backward when some parameters are unused",
                            reducer_->missing_gradients()));
  }
  if (is_training() && options_.broadcast_buffers && group_->world_size() > 1 && !module_->named_buffers().empty()) {
    autograd::NoGradGuard no_grad;
    std::vector<WorkPtr> pending;
    for (auto& [name, buffer] : module_->named_buffers()) pending.push_back(group_->broadcast_async(buffer, 0));
    for (WorkPtr& work : pending) work->wait();
  }
  if (autograd::grad_enabled() && sync_) {
    reducer_->arm();
  } else {
    reducer_->armed = false;
  }
  std::optional<functional::GlobalBatchGuard> global_rows;
  if (is_training() && options_.global_batch_dropout && group_->world_size() > 1 && input.dim() >= 1) {
    global_rows.emplace(functional::GlobalBatch{
        .rank = group_->rank(), .world_size = group_->world_size(), .local_rows = input.size(0)});
  }
  return (*module_)(input);
}

void DistributedDataParallel::finish_reduction() { reducer_->finish(); }
ReductionStats DistributedDataParallel::last_reduction() const { return reducer_->stats; }
int64_t DistributedDataParallel::bucket_count() const { return static_cast<int64_t>(reducer_->buckets.size()); }

DistributedDataParallel::NoSync::NoSync(DistributedDataParallel& owner) : owner_(owner), previous_(owner.sync_) {
  owner_.sync_ = false;
}
DistributedDataParallel::NoSync::~NoSync() { owner_.sync_ = previous_; }

}  // namespace nabla::dist
