// bench_dist: data-parallel speed, run under mpirun by bench/dist.sh (quick: well under a minute).
//   allreduce      the process group's all-reduce (sum, f32) by message size, 4 B to 16 MiB: time per call,
//                  algorithm bandwidth (bytes / time) and bus bandwidth (× 2(n−1)/n, as osu_allreduce reports)
//   mpi_allreduce  the same loop on MPI_Allreduce called directly with the same MPI, then on MPI_Iallreduce +
//                  MPI_Wait (the nonblocking call the group makes): what the group adds
//   zero           ZeRO-1's saving: Adam's state bytes per rank, whole and sharded
//   train      LeNet at global batch 64 for a few steps: samples per second of the whole job
#include <chrono>
#include <map>
#include <string>
#include <vector>

#ifdef NABLA_BENCH_RAW_MPI
#include <mpi.h>
#endif

#include "nabla/dist/data_parallel.h"
#include "nabla/dist/sampler.h"
#include "nabla/dist/zero.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

using namespace nabla;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// An osu_allreduce-style loop: for each message size from 4 B to 16 MiB (×4), a warm-up, a barrier, then
// `repeats` back-to-back all-reduces (sum, f32) timed on rank 0: microseconds per call, algorithm bandwidth
// (bytes / time) and bus bandwidth (× 2(n − 1)/n: what each rank must send and receive in a ring, the figure
// such tools compare across world sizes). `reduce(data, floats)` and `barrier()` are the implementation under test.
template <typename Reduce, typename Barrier>
void bandwidth_table(const char* title, int rank, int world, Reduce reduce, Barrier barrier) {
  if (rank == 0) fmt::print("{}\n{:>10} {:>12} {:>14} {:>14}\n", title, "bytes", "us/call", "algo GB/s", "bus GB/s");
  for (int64_t bytes = 4; bytes <= (int64_t{16} << 20); bytes *= 4) {
    std::vector<float> data(static_cast<size_t>(bytes / 4), 1.0f);
    const int repeats = bytes <= (64 << 10) ? 1000 : bytes <= (1 << 20) ? 100 : 20;
    reduce(data.data(), static_cast<int64_t>(data.size()));  // warm-up
    barrier();
    Clock::time_point start = Clock::now();
    for (int i = 0; i < repeats; ++i) reduce(data.data(), static_cast<int64_t>(data.size()));
    const double per_call = seconds_since(start) / repeats;
    if (rank == 0) {
      fmt::print("{:>10} {:>12.2f} {:>14.4f} {:>14.4f}\n", bytes, per_call * 1e6, static_cast<double>(bytes) / per_call / 1e9,
                 static_cast<double>(bytes) / per_call / 1e9 * 2.0 * (world - 1) / world);
    }
  }
}

// The process group's all-reduce (its communication thread, its deadline polling, a tensor) on the same sizes.
void all_reduce_bandwidth(dist::ProcessGroup& group) {
  std::map<int64_t, Tensor> tensors;  // made once per size, outside the timed loop, as the raw loop's buffers
  bandwidth_table("ProcessGroup::all_reduce", group.rank(), group.world_size(), [&](float*, int64_t floats) {
    Tensor& tensor = tensors[floats];
    if (!tensor.defined()) tensor = ones({floats});
    group.all_reduce(tensor);
  }, [&] { group.barrier(); });
}

#ifdef NABLA_BENCH_RAW_MPI
// The same loop on MPI_Allreduce called directly (MPI_IN_PLACE, MPI_COMM_WORLD): the floor under the group.
void raw_mpi_bandwidth() {
  MPI_Init(nullptr, nullptr);
  int rank = 0, world = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  bandwidth_table("MPI_Allreduce", rank, world, [](float* data, int64_t floats) {
    MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(floats), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }, [] { MPI_Barrier(MPI_COMM_WORLD); });
  // The nonblocking form the process group issues (so that it can poll against a deadline and overlap):
  // OpenMPI serves it with other algorithms than the blocking call.
  bandwidth_table("MPI_Iallreduce + MPI_Wait", rank, world, [](float* data, int64_t floats) {
    MPI_Request request;
    MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(floats), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  }, [] { MPI_Barrier(MPI_COMM_WORLD); });
  MPI_Finalize();
}
#endif

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

// ZeRO-1's saving: Adam's state bytes on each rank, kept whole (every rank) and sharded, for an MLP
// 784 → 512 → 512 → 10 after one step (the state exists once the optimizer has stepped).
void zero_memory(const dist::ProcessGroupPtr& group) {
  manual_seed(1);
  nn::ModulePtr inner = models::registry().make("mlp", {.overrides = {{"hidden", {512, 512}}}});
  auto model = std::make_shared<dist::DistributedDataParallel>(inner, group);
  auto adam = [](std::vector<Tensor> parameters) { return std::make_shared<optim::Adam>(parameters, optim::AdamOptions{}); };
  std::shared_ptr<optim::Optimizer> whole = adam(inner->parameters());
  dist::ZeroRedundancyOptimizer sharded(inner->parameters(), group, adam);
  Tensor images = randn({16, 1, 28, 28});
  Tensor labels = randint(0, 10, {16});
  cross_entropy((*model)(images), labels).backward();
  whole->step();
  sharded.step();
  Tensor bytes = zeros({group->world_size()}, DType::f64);
  bytes.narrow(0, group->rank(), 1).fill_(static_cast<double>(sharded.state_bytes()));
  group->all_reduce(bytes);
  if (group->rank() == 0) {
    const double full = static_cast<double>(dist::optimizer_state_bytes(*whole));
    fmt::print("Adam state per rank, mlp 784-512-512-10 ({} parameters): whole {:.2f} MiB on every rank; ZeRO-1", 
               inner->parameter_count(), full / (1 << 20));
    for (double value : bytes.to_vector()) fmt::print(" {:.2f} MiB ({:.0f}%)", value / (1 << 20), 100 * value / full);
    fmt::print("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "mpi_allreduce") {
#ifdef NABLA_BENCH_RAW_MPI
      raw_mpi_bandwidth();
      return 0;
#else
      fmt::print(stderr, "bench_dist: built without MPI's headers; mpi_allreduce is not available\n");
      return 2;
#endif
    }
    dist::ProcessGroupPtr group = dist::init_process_group();
    if (mode == "allreduce") {
      all_reduce_bandwidth(*group);
    } else if (mode == "zero") {
      zero_memory(group);
    } else if (mode == "train") {
      training_speed(group, argc > 2 ? std::stoll(argv[2]) : 40);
    } else {
      fmt::print(stderr, "usage: bench_dist allreduce | mpi_allreduce | train [STEPS] | zero\n");
      return 2;
    }
    return 0;
  } catch (const std::exception& error) {
    fmt::print(stderr, "bench_dist: {}\n", error.what());
    std::_Exit(1);
  }
}
