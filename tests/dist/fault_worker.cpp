// The program the fault test (fault.sh) runs under mpirun. Modes:
//   train OUT STEPS [CRASH_RANK CRASH_STEP]  data-parallel MLP training at global batch 16, checkpointing every
//       10 steps into OUT (rank 0, atomically) and resuming from OUT's checkpoint when there is one; with a
//       crash rank, that rank kills itself (SIGKILL) in the middle of step CRASH_STEP, after forward, while
//       its partners wait in backward's all-reduce. At the end rank 0 writes OUT/final.safetensors.
//   hang  rank 1 never joins an all-reduce: rank 0 must time out (NABLA_DIST_TIMEOUT) with a message.
//   compare A B TOLERANCE  (one process) exits 0 when the weights in A and B agree within TOLERANCE relative.
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "nabla/dist/checkpoint.h"
#include "nabla/dist/data_parallel.h"
#include "nabla/dist/sampler.h"
#include "nabla/io/safetensors.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

using namespace nabla;

namespace {

constexpr int64_t examples = 64, global_batch = 16, checkpoint_every = 10;

int train_run(const std::string& out, int64_t steps, int crash_rank, int64_t crash_step) {
  dist::ProcessGroupPtr group = dist::init_process_group();
  NABLA_CHECK(global_batch % group->world_size() == 0, "fault_worker: world size {} does not divide the global batch {}",
              group->world_size(), global_batch);
  manual_seed(3);
  Tensor images = randn({examples, 1, 28, 28});
  Tensor labels = randint(0, 10, {examples});
  nn::ModulePtr inner = models::registry().make("mlp", {.overrides = {{"hidden", {32}}}});
  if (group->rank() == 0) std::filesystem::create_directories(out);
  const std::string checkpoint = out + "/checkpoint.safetensors";
  int64_t first_step = 0;
  if (std::filesystem::exists(checkpoint)) {
    std::map<std::string, Tensor> state = load_safetensors(checkpoint);
    first_step = static_cast<int64_t>(state.at("step").item());
    state.erase("step");
    inner->load_state_dict(state);
    if (group->rank() == 0) fmt::print("resuming at step {} in a world of {}\n", first_step, group->world_size());
  }
  auto model = std::make_shared<dist::DistributedDataParallel>(inner, group);
  optim::SGD optimizer(inner->parameters(), {.lr = 0.1});
  dist::DistributedSampler sampler(group->rank(), group->world_size());
  const int64_t local_batch = global_batch / group->world_size();
  const int64_t batches_per_epoch = examples / global_batch;
  for (int64_t step = first_step; step < steps; ++step) {
    std::vector<int64_t> order = sampler.order(examples, 11, step / batches_per_epoch);
    int64_t first = step % batches_per_epoch * local_batch;
    Tensor indices = from_vector(std::vector<double>(order.begin() + first, order.begin() + first + local_batch),
                                 {local_batch}, DType::i64);
    Tensor loss = cross_entropy((*model)(index_select(images, 0, indices)), index_select(labels, 0, indices));
    if (group->rank() == crash_rank && step == crash_step) {
      // (worded without "rank N": the test looks for the launcher's or the partner's message naming it)
      fmt::print(stderr, "fault_worker: this process kills itself (SIGKILL) in step {}\n", step);
      std::fflush(stderr);
      std::raise(SIGKILL);
    }
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if ((step + 1) % checkpoint_every == 0) {
      std::map<std::string, Tensor> state = inner->state_dict();
      state["step"] = full({}, static_cast<double>(step + 1), DType::i64);
      dist::save_safetensors_from_rank0(*group, checkpoint, state);
    }
  }
  dist::save_safetensors_from_rank0(*group, out + "/final.safetensors", inner->state_dict());
  return 0;
}

int hang() {
  dist::ProcessGroupPtr group = dist::init_process_group();
  if (group->rank() == 1) {
    std::this_thread::sleep_for(std::chrono::seconds(120));  // stuck: never joins the all-reduce below
    return 0;
  }
  Tensor values = ones({10});
  group->all_reduce(values);
  return 0;
}

int compare(const std::string& a, const std::string& b, double tolerance) {
  std::map<std::string, Tensor> left = load_safetensors(a), right = load_safetensors(b);
  NABLA_CHECK(left.size() == right.size(), "compare: {} holds {} tensors, {} holds {}", a, left.size(), b, right.size());
  double worst = 0;
  for (const auto& [name, tensor] : left) {
    std::vector<double> x = tensor.to_vector(), y = right.at(name).to_vector();
    double scale = 1e-12;
    for (double value : y) scale = std::max(scale, std::abs(value));
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]) / scale);
  }
  fmt::print("max relative difference {:.3g} (tolerance {:.3g})\n", worst, tolerance);
  return worst <= tolerance ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() >= 3 && args[0] == "train") {
      int crash_rank = args.size() >= 5 ? std::stoi(args[3]) : -1;
      int64_t crash_step = args.size() >= 5 ? std::stoll(args[4]) : -1;
      return train_run(args[1], std::stoll(args[2]), crash_rank, crash_step);
    }
    if (args.size() == 1 && args[0] == "hang") return hang();
    if (args.size() == 4 && args[0] == "compare") return compare(args[1], args[2], std::stod(args[3]));
    fmt::print(stderr, "usage: fault_worker train OUT STEPS [CRASH_RANK CRASH_STEP] | hang | compare A B TOLERANCE\n");
    return 2;
  } catch (const std::exception& error) {
    fmt::print(stderr, "fault_worker: {}\n", error.what());
    std::fflush(stderr);
    // Leave at once: the partners may be stuck in a collective, and normal teardown would wait for them.
    std::_Exit(1);
  }
}
