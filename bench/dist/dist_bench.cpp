// bench_dist: data-parallel speed, run under mpirun by bench/dist.sh (quick: well under a minute).
//   allreduce  the process group's all-reduce (sum, f32) by message size: time per call, algorithm bandwidth
//              (bytes / time) and bus bandwidth (× 2(n−1)/n, the figure osu_allreduce-style tools compare)
//   train      LeNet at global batch 64 for a few steps: samples per second of the whole job
#include <chrono>
#include <string>

#include "nabla/dist/data_parallel.h"
#include "nabla/dist/sampler.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

using namespace nabla;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void all_reduce_bandwidth(dist::ProcessGroup& group) {
  if (group.rank() == 0) fmt::print("{:>10} {:>12} {:>14} {:>14}\n", "bytes", "us/call", "algo GB/s", "bus GB/s");
  for (int64_t bytes = 1024; bytes <= (int64_t{16} << 20); bytes *= 4) {
    Tensor tensor = ones({bytes / 4});
    const int repeats = bytes <= (1 << 20) ? 200 : 20;
    group.all_reduce(tensor);  // warm-up
    group.barrier();
    Clock::time_point start = Clock::now();
    for (int i = 0; i < repeats; ++i) group.all_reduce(tensor);
    double per_call = seconds_since(start) / repeats;
    const int world = group.world_size();
    if (group.rank() == 0) {
      fmt::print("{:>10} {:>12.1f} {:>14.3f} {:>14.3f}\n", bytes, per_call * 1e6, bytes / per_call / 1e9,
                 bytes / per_call / 1e9 * 2.0 * (world - 1) / world);
    }
  }
}

void training_speed(const dist::ProcessGroupPtr& group, int64_t steps) {
  constexpr int64_t global_batch = 64, examples = 512;
  manual_seed(1);
  Tensor images = randn({examples, 1, 28, 28});
  Tensor labels = randint(0, 10, {examples});
  nn::ModulePtr inner = models::registry().make("lenet");
  auto model = std::make_shared<dist::DistributedDataParallel>(inner, group);
  optim::SGD optimizer(inner->parameters(), {.lr = 0.01, .momentum = 0.9});
  dist::DistributedSampler shard(group->rank(), group->world_size());
  const int64_t local_batch = global_batch / group->world_size();
  auto step = [&](int64_t index) {
    std::vector<int64_t> order = shard.order(examples, 0, 0);
    int64_t first = index * local_batch % static_cast<int64_t>(order.size());
    Tensor picked = from_vector(std::vector<double>(order.begin() + first, order.begin() + first + local_batch),
                                {local_batch}, DType::i64);
    optimizer.zero_grad();
    cross_entropy((*model)(index_select(images, 0, picked)), index_select(labels, 0, picked)).backward();
    optimizer.step();
  };
  step(0);  // warm-up
  group->barrier();
  Clock::time_point start = Clock::now();
  for (int64_t i = 1; i <= steps; ++i) step(i);
  group->barrier();
  double seconds = seconds_since(start);
  if (group->rank() == 0) {
    dist::ReductionStats stats = model->last_reduction();
    fmt::print("lenet, global batch {}, {} rank(s) x {} thread(s): {:.0f} samples/s ({} steps in {:.2f} s; "
               "{} buckets, {} started during backward)\n",
               global_batch, group->world_size(), num_threads(), steps * global_batch / seconds, steps, seconds,
               stats.buckets, stats.started_early);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    dist::ProcessGroupPtr group = dist::init_process_group();
    if (mode == "allreduce") {
      all_reduce_bandwidth(*group);
    } else if (mode == "train") {
      training_speed(group, argc > 2 ? std::stoll(argv[2]) : 40);
    } else {
      fmt::print(stderr, "usage: bench_dist allreduce | train [STEPS]\n");
      return 2;
    }
    return 0;
  } catch (const std::exception& error) {
    fmt::print(stderr, "bench_dist: {}\n", error.what());
    std::_Exit(1);
  }
}
