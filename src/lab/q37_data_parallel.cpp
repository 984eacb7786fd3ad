// Q37: training on two GPUs (here two CPU processes): data parallelism. Every process holds the whole model,
// computes the gradient of its shard of each global batch, and the gradients are averaged (all-reduce)
// before the step. The claim under test: with a mean-reduced loss and equal shards, N processes at local
// batch B / N train exactly the network that one process trains at batch B, to float rounding.
//
// The experiment runs in one process and starts 2 ranks with mpirun (`nabla lab run Q37 --set role=rank` is
// the ranks' program; each writes its own report into a temporary directory). Three nets on the same random
// images [N, 1, 12, 12], 10 classes, SGD with momentum:
//   mlp   flatten → 64 → ReLU → dropout 0.2 → 10: the dropout masks must be those of the global batch, so
//         each rank draws its rows at their places in the global batch's stream (nabla/nn/global_batch.h);
//   bn    conv 3×3 stride 2 (4) → BatchNorm → ReLU → flatten → 10, each rank normalising by its shard's
//         statistics;
//   sync  the same with SyncBatchNorm (statistics summed over the ranks).
// Each is trained three ways: 1 process at batch B (the reference); 2 processes (measured); and, as the
// independent prediction of the measurement, data parallelism simulated in this process — per step, each
// shard's forward and backward as its rank would run them (its rows, its dropout rows, its own batch
// statistics), the gradients averaged. The prediction says mlp and sync equal the reference and bn does not;
// the measurement must agree with the prediction in all three, to float tolerance.
// With --full: throughput of a larger MLP in 1 and 2 processes of one thread each (samples/s, speedup).
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

#include "nabla/autograd.h"
#include "nabla/data/loader.h"
#include "nabla/dist/data_parallel.h"
#include "nabla/dist/environment.h"
#include "nabla/dist/launcher.h"
#include "nabla/dist/process_group.h"
#include "nabla/dist/sync_batch_norm.h"
#include "nabla/io/file.h"
#include "nabla/io/safetensors.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/global_batch.h"

namespace nabla::lab {
namespace {

namespace fs = std::filesystem;

constexpr int64_t classes = 10;
constexpr int world = 2;
const std::vector<std::string> nets = {"mlp", "bn", "sync"};

struct Settings {
  int64_t steps = 0, batch = 0, examples = 0, side = 12;
  int64_t hidden = 64;
  double lr = 0.05;
  bool global_dropout = true;  // the negative test's knob: 0 lets each rank draw dropout for its own shard
  bool sync = true;            // 0 builds the "sync" net with plain BatchNorm
  uint64_t seed = 0;
};

struct Data {
  Tensor images, labels;
};

Data make_data(const Settings& settings) {
  Generator generator(settings.seed + 2);
  return {randn({settings.examples, 1, settings.side, settings.side}, {}, &generator),
          randint(0, classes, {settings.examples}, {.dtype = DType::i64}, &generator)};
}

// The same initial weights wherever it is built (the seed alone decides them).
nn::ModulePtr make_net(const std::string& net, const Settings& settings, const dist::ProcessGroupPtr& group) {
  manual_seed(settings.seed + 1);
  auto model = std::make_shared<nn::Sequential>();
  if (net == "mlp") {
    model->push_back(std::make_shared<nn::Flatten>());
    model->push_back(std::make_shared<nn::Linear>(settings.side * settings.side, settings.hidden));
    model->push_back(std::make_shared<nn::ReLU>());
    model->push_back(std::make_shared<nn::Dropout>(0.2));
    model->push_back(std::make_shared<nn::Linear>(settings.hidden, classes));
    return model;
  }
  model->push_back(std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = 1, .out_channels = 4, .kernel_size = 3,
                                                                  .stride = 2}));
  if (net == "sync" && settings.sync && group) {
    model->push_back(std::make_shared<dist::SyncBatchNorm>(nn::BatchNormOptions{.num_features = 4}, group));
  } else {
    model->push_back(std::make_shared<nn::BatchNorm2d>(4));
  }
  model->push_back(std::make_shared<nn::ReLU>());
  model->push_back(std::make_shared<nn::Flatten>());
  const int64_t side = (settings.side - 3) / 2 + 1;
  model->push_back(std::make_shared<nn::Linear>(4 * side * side, classes));
  return model;
}

// The rows of step `step`'s global batch that rank `rank` of `ranks` trains on: positions rank, rank + ranks, …
// of it (DistributedSampler's layout), the epoch's order being the seeded permutation.
Tensor shard_rows(const Settings& settings, int64_t step, int rank, int ranks) {
  const int64_t per_epoch = settings.examples / settings.batch;
  const std::vector<int64_t> order = data::RandomSampler().order(settings.examples, settings.seed + 3, step / per_epoch);
  const int64_t first = step % per_epoch * settings.batch;
  std::vector<double> rows;
  for (int64_t position = rank; position < settings.batch; position += ranks) {
    rows.push_back(static_cast<double>(order[static_cast<size_t>(first + position)]));
  }
  return from_vector(rows, {static_cast<int64_t>(rows.size())}, DType::i64);
}

struct Run {
  std::vector<Tensor> parameters;  // after training
  std::vector<double> losses;      // per step, the global batch's mean loss
  double seconds = 0;              // the training loop's
};

// Trains for settings.steps SGD steps. Each step this process handles the shards `shards` of the global batch
// split `ranks` ways and averages their gradients: {0} of 1 is one process at the global batch; {0, 1} of 2 is
// data parallelism simulated here, each shard drawn as its rank draws it (the generator where every rank
// starts the step; dropout at its rows of the global batch); {rank} of 2 with `model` a
// DistributedDataParallel is the real thing, whose backward averages over the processes.
Run train(nn::Module& model, const std::vector<Tensor>& parameters, const Data& data, const Settings& settings,
          const std::vector<int>& shards, int ranks) {
  manual_seed(settings.seed + 4);  // dropout's stream starts at the same place in every run
  optim::SGD optimizer(parameters, {.lr = settings.lr, .momentum = 0.9});
  const bool simulated = shards.size() > 1;
  Run run;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < settings.steps; ++step) {
    optimizer.zero_grad();
    const uint64_t offset = default_generator().offset();
    double loss_sum = 0;
    for (int shard : shards) {
      default_generator().set_state(default_generator().seed(), offset);
      std::optional<functional::GlobalBatchGuard> rows;
      if (simulated && settings.global_dropout) {
        rows.emplace(functional::GlobalBatch{.rank = shard, .world_size = ranks, .local_rows = settings.batch / ranks});
      }
      const Tensor indices = shard_rows(settings, step, shard, ranks);
      Tensor loss = cross_entropy(model(index_select(data.images, 0, indices)), index_select(data.labels, 0, indices));
      (simulated ? loss / static_cast<double>(ranks) : loss).backward();
      loss_sum += loss.item();
    }
    optimizer.step();
    run.losses.push_back(loss_sum / static_cast<double>(shards.size()));
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const Tensor& parameter : parameters) run.parameters.push_back(parameter.detach().clone());
  return run;
}

double max_relative_difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double scale = std::max(max(abs(b[i])).item(), 1e-12);
    worst = std::max(worst, max(abs(a[i] - b[i])).item() / scale);
  }
  return worst;
}

Settings read_settings(Context& ctx) {
  Settings settings;
  settings.seed = ctx.seed();
  settings.steps = static_cast<int64_t>(ctx.parameter("steps", ctx.quick() ? 40 : 200));
  settings.batch = static_cast<int64_t>(ctx.parameter("batch", 32));
  settings.examples = 4 * settings.batch;
  settings.global_dropout = ctx.parameter("global_dropout", 1) != 0;
  settings.sync = ctx.parameter("sync", 1) != 0;
  NABLA_KNOB_CHECK(settings.steps >= 1 && settings.steps <= 10000, "lab Q37: steps in [1, 10000]");
  NABLA_KNOB_CHECK(settings.batch >= 2 && settings.batch % world == 0 && settings.batch <= 1024,
                   "lab Q37: batch even, in [2, 1024]");
  return settings;
}

// ---- the ranks' program (role=rank): train each net data-parallel, rank 0 writes the parameters and losses
void run_rank(Context& ctx, const Settings& settings) {
  const std::string result = ctx.option("result", "");
  const std::string mode = ctx.option("mode", "equality");
  NABLA_KNOB_CHECK(!result.empty(), "lab Q37: role=rank needs result=FILE");
  dist::ProcessGroupPtr group = dist::init_process_group();
  const int rank = group->rank(), ranks = group->world_size();
  std::map<std::string, Tensor> written;
  double worst_replica_difference = 0;
  auto train_net = [&](const std::string& net, const Settings& net_settings) {
    const Data data = make_data(net_settings);
    nn::ModulePtr inner = make_net(net, net_settings, group);
    auto model = std::make_shared<dist::DistributedDataParallel>(
        inner, group, dist::DataParallelOptions{.global_batch_dropout = net_settings.global_dropout});
    Run run = train(*model, inner->parameters(), data, net_settings, {rank}, ranks);
    Tensor losses = from_vector(run.losses, {static_cast<int64_t>(run.losses.size())}, DType::f64);
    group->all_reduce(losses, dist::ReduceOp::mean);  // the global batch's loss: the mean of the shards' means
    for (size_t i = 0; i < run.parameters.size(); ++i) {
      // Replicas must agree: every rank compares its parameters with rank 0's.
      Tensor rank0 = run.parameters[i].clone();
      group->broadcast(rank0, 0);
      worst_replica_difference = std::max(worst_replica_difference, max(abs(rank0 - run.parameters[i])).item());
      written[fmt::format("{}.parameter{}", net, i)] = run.parameters[i];
    }
    written[net + ".losses"] = losses;
    written[net + ".seconds"] = full({}, run.seconds, DType::f64);
  };
  if (mode == "scaling") {
    Settings large = settings;
    large.side = 28, large.hidden = 512, large.batch = 256, large.examples = 1024;
    train_net("mlp", large);
  } else {
    for (const std::string& net : nets) train_net(net, settings);
  }
  Tensor difference = full({}, worst_replica_difference, DType::f64);
  group->all_reduce(difference);
  ctx.claim({"every rank holds the same parameters after training", "학습 후 모든 랭크의 파라미터가 같다"},
            difference.item() == 0,
            format_text({"largest difference from rank 0's parameters, summed over {} ranks: {:.3g}",
                         "랭크 {}개에 걸친 랭크 0 파라미터와의 최대 차이 합: {:.3g}"},
                        ranks, difference.item()));
  if (rank == 0) save_safetensors(result, written);
  group->barrier();
}

// ---- the experiment: launch 2 ranks, predict in this process, compare
std::map<std::string, Tensor> launch_ranks(Context& ctx, const Settings& settings, const fs::path& work,
                                           const std::string& mode, int ranks) {
  fs::create_directories(work);
  const std::string mpirun = dist::find_mpirun();
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const fs::path result = work / (mode + ".safetensors");
  std::string command = "NABLA_NUM_THREADS=1 NABLA_DIST_TIMEOUT=60 '" + mpirun + "'";
  for (int rank = 0; rank < ranks; ++rank) {
    // One application context per rank (MPMD), so that each writes its report into its own directory.
    command += fmt::format(
        "{} -n 1 '{}' lab run Q37 --{} --seed {} --lang en --out '{}' --set role=rank --set mode={} --set result='{}' "
        "--set steps={} --set batch={} --set global_dropout={} --set sync={}",
        rank == 0 ? "" : " :", self, ctx.quick() ? "quick" : "full", settings.seed, (work / fmt::format("rank{}", rank)).string(),
        mode, result.string(), settings.steps, settings.batch, settings.global_dropout ? 1 : 0, settings.sync ? 1 : 0);
  }
  const fs::path log = work / (mode + ".log");
  command += " > '" + log.string() + "' 2>&1";
  dist::allow_mpirun_as_root_and_oversubscribed();
  const int status = std::system(command.c_str());
  if (status != 0 || !fs::exists(result)) {
    const std::string output = fs::exists(log) ? io::read_file(log.string()) : std::string("(no log)");
    throw Error(fmt::format("lab Q37: the {} ranks failed (status {}); their output ends:\n{}", ranks, status,
                            output.substr(output.size() > 3000 ? output.size() - 3000 : 0)));
  }
  return load_safetensors(result.string());
}

std::vector<Tensor> parameters_of(const std::map<std::string, Tensor>& written, const std::string& net, size_t count) {
  std::vector<Tensor> parameters;
  for (size_t i = 0; i < count; ++i) parameters.push_back(written.at(fmt::format("{}.parameter{}", net, i)));
  return parameters;
}

struct Outcome {
  double to_reference = 0;   // measured (2 processes) vs 1 process at the global batch
  double to_prediction = 0;  // measured vs the in-process simulation
  double predicted_gap = 0;  // simulation vs 1 process: what the prediction says the gap is
  double moved = 0;          // 1 process: trained vs initial
};

void scaling(Context& ctx, const Settings& settings, const fs::path& work) {
  // Two processes need two idle cores: on a machine shared with other work the speedup says more about the
  // neighbours than about data parallelism, so the load is part of the evidence.
  std::istringstream loadavg(io::read_file("/proc/loadavg"));
  std::string one_minute, five_minutes, fifteen_minutes;
  loadavg >> one_minute >> five_minutes >> fifteen_minutes;
  ctx.note(fmt::format("load average before the throughput runs (1, 5, 15 min): {} {} {} on {} cores", one_minute,
                       five_minutes, fifteen_minutes, std::thread::hardware_concurrency()));
  std::vector<std::vector<std::string>> rows;
  double one = 0, two = 0;
  for (int ranks : {1, 2}) {
    const auto written = launch_ranks(ctx, settings, work / fmt::format("scaling{}", ranks), "scaling", ranks);
    const double seconds = written.at("mlp.seconds").item();
    const double samples = static_cast<double>(settings.steps * 256) / seconds;
    (ranks == 1 ? one : two) = samples;
    rows.push_back({std::to_string(ranks), fmt::format("{:.3f}", seconds), fmt::format("{:.0f}", samples),
                    fmt::format("{:.2f}", samples / one), fmt::format("{:.0f}%", 100 * samples / one / ranks)});
  }
  ctx.table("Throughput: MLP 784 → 512 → 512 → 10, global batch 256, one thread per process",
            {"processes", "training seconds", "samples/s", "speedup", "efficiency"}, rows);
  ctx.figure("speedup, 2 processes", two / one);
  ctx.claim({"2 processes of one thread train more samples per second than 1", "스레드 하나인 프로세스 2개가 1개보다 초당 더 많은 샘플을 학습한다"},
            two > one, format_text({"{:.0f} vs {:.0f} samples/s", "{:.0f} 대 {:.0f} 샘플/초"}, two, one));
}

void run(Context& ctx) {
  Settings settings = read_settings(ctx);
  if (ctx.option("role", "") == "rank") return run_rank(ctx, settings);
  if (!dist::mpi_available() || dist::find_mpirun().empty()) {
    ctx.note(dist::mpi_available() ? "skipped: no mpirun or mpiexec on PATH (install openmpi-bin)"
                                   : "skipped: this nabla was built without MPI (install libopenmpi-dev and configure again)");
    return;
  }
  const fs::path work = fs::temp_directory_path() / fmt::format("nabla-q37-{}", ::getpid());
  fs::create_directories(work);
  struct Cleanup {
    fs::path path;
    ~Cleanup() { std::error_code ignored; fs::remove_all(path, ignored); }
  } cleanup{work};

  const std::map<std::string, Tensor> measured = launch_ranks(ctx, settings, work / "equality", "equality", world);
  std::map<std::string, Outcome> outcomes;
  std::vector<std::vector<std::string>> rows;
  std::vector<plot::Series> curves;
  const Data data = make_data(settings);
  for (const std::string& net : nets) {
    nn::ModulePtr single_net = make_net(net, settings, nullptr);
    std::vector<Tensor> initial;
    for (const Tensor& parameter : single_net->parameters()) initial.push_back(parameter.detach().clone());
    const Run single = train(*single_net, single_net->parameters(), data, settings, {0}, 1);
    // The prediction. SyncBatchNorm normalises by the global batch's statistics, as one process does: its
    // prediction is one process at batch B (built without a group, "sync" is plain BatchNorm). Everything else
    // is simulated shard by shard (with sync=0 the "sync" net is per-rank BatchNorm, predicted as such).
    const bool global_statistics = net == "sync" && settings.sync;
    nn::ModulePtr simulated_net = make_net(net, settings, nullptr);
    const Run simulated = global_statistics
                              ? train(*simulated_net, simulated_net->parameters(), data, settings, {0}, 1)
                              : train(*simulated_net, simulated_net->parameters(), data, settings, {0, 1}, world);
    const std::vector<Tensor> parallel = parameters_of(measured, net, single.parameters.size());
    Outcome& outcome = outcomes[net];
    outcome.to_reference = max_relative_difference(parallel, single.parameters);
    outcome.to_prediction = max_relative_difference(parallel, simulated.parameters);
    outcome.predicted_gap = max_relative_difference(simulated.parameters, single.parameters);
    outcome.moved = max_relative_difference(initial, single.parameters);
    rows.push_back({net, fmt::format("{:.2e}", outcome.moved), fmt::format("{:.2e}", outcome.predicted_gap),
                    fmt::format("{:.2e}", outcome.to_reference), fmt::format("{:.2e}", outcome.to_prediction)});
    if (net != "mlp") {
      const std::vector<double> losses = measured.at(net + ".losses").to_vector();
      plot::Series one{net + ": 1 process"}, two{net + ": 2 processes"};
      for (size_t step = 0; step < losses.size(); ++step) {
        one.x.push_back(static_cast<double>(step + 1)), one.y.push_back(single.losses[step]);
        two.x.push_back(static_cast<double>(step + 1)), two.y.push_back(losses[step]);
      }
      curves.push_back(one), curves.push_back(two);
    }
  }
  ctx.table(fmt::format("Parameters after {} SGD steps at global batch {} (max relative difference)", settings.steps,
                        settings.batch),
            {"net", "moved by training", "predicted gap (simulation vs 1 process)", "2 processes vs 1 process",
             "2 processes vs the prediction"},
            rows);
  ctx.line_plot("loss_curves.png", {"Training loss per step: 1 process at batch B and 2 processes at B/2", "step",
                                    "cross-entropy", curves});
  for (const std::string& net : nets) ctx.figure(net + ": 2 processes vs 1 process", outcomes[net].to_reference);

  // Float tolerance: the same sums in another order (the mean of two half-batch means) differ in the last
  // bits of float32 (ε ≈ 6e-8) per step; over the run that stays far below 1e-5 of the weights.
  constexpr double tolerance = 1e-5, apart = 1e-3;
  const Outcome& mlp = outcomes["mlp"];
  ctx.claim({"2 processes at batch B/2 reproduce 1 process at batch B, dropout included",
             "배치 B/2의 프로세스 2개가 배치 B의 프로세스 1개를 재현한다 (드롭아웃 포함)"},
            mlp.moved > 10 * apart && mlp.to_reference <= tolerance && mlp.predicted_gap <= tolerance,
            format_text({"mlp: max relative difference {:.2e} (tolerance {:.0e}; prediction {:.2e}); training moved the "
                         "weights by {:.2e}",
                         "mlp: 최대 상대 차이 {:.2e} (허용 {:.0e}; 예측 {:.2e}); 학습으로 가중치가 {:.2e}만큼 움직였다"},
                        mlp.to_reference, tolerance, mlp.predicted_gap, mlp.moved));
  const Outcome& bn = outcomes["bn"];
  ctx.claim({"with per-rank BatchNorm they do not, as the per-shard statistics predict",
             "랭크별 BatchNorm이면 재현하지 못하며, 샤드별 통계로 한 예측과 같다"},
            bn.to_reference > apart && bn.predicted_gap > apart && bn.to_prediction <= tolerance,
            format_text({"bn: 2 processes vs 1: {:.2e} (> {:.0e}); predicted gap {:.2e}; measured vs predicted {:.2e}",
                         "bn: 프로세스 2개 대 1개: {:.2e} (> {:.0e}); 예측된 차이 {:.2e}; 측정 대 예측 {:.2e}"},
                        bn.to_reference, apart, bn.predicted_gap, bn.to_prediction));
  const Outcome& sync = outcomes["sync"];
  ctx.claim({"with SyncBatchNorm 2 processes reproduce 1 process with BatchNorm at batch B",
             "SyncBatchNorm이면 프로세스 2개가 배치 B에서 BatchNorm을 쓴 프로세스 1개를 재현한다"},
            sync.moved > 10 * apart && sync.to_reference <= tolerance,
            format_text({"sync: max relative difference {:.2e} (tolerance {:.0e})", "sync: 최대 상대 차이 {:.2e} (허용 {:.0e})"},
                        sync.to_reference, tolerance));
  if (ctx.full()) scaling(ctx, settings, work);
}

const bool registered = register_experiment({
    .id = "Q37",
    .title = "Training on two GPUs: data parallelism",
    .question = {"How would you train a model on two GPUs?", "GPU 두 개로 모델을 어떻게 학습하나요?"},
    .answer = {"Usually by data parallelism: each device holds the whole model and takes its share of every batch; "
               "after backward the gradients are averaged across devices with an all-reduce, so every replica takes the "
               "same step. With a mean-reduced loss and equal shards of a global batch B this is the same training as "
               "one device at batch B, to rounding — provided nothing in the model looks at the batch as a whole: batch "
               "norm must use the global batch's statistics (synchronised BN), and dropout must draw the global batch's "
               "masks. The all-reduce overlaps with the rest of backward, bucket by bucket. When the model does not fit "
               "one device, split the model instead (pipeline or tensor parallelism) or shard the optimizer state.",
               "보통 데이터 병렬화를 씁니다. 각 장치가 모델 전체를 갖고 배치마다 자기 몫을 처리하며, 역전파 뒤에 "
               "all-reduce로 기울기를 장치들 사이에서 평균하므로 모든 복제본이 같은 스텝을 밟습니다. 손실을 평균으로 "
               "줄이고 전역 배치 B를 똑같이 나누면 장치 하나로 배치 B를 학습하는 것과 반올림 오차까지 같습니다. 단, "
               "모델 안의 무엇도 배치 전체를 보지 않아야 합니다. 배치 정규화는 전역 배치의 통계를 써야 하고(동기화된 "
               "BN), 드롭아웃은 전역 배치의 마스크를 뽑아야 합니다. all-reduce는 버킷 단위로 역전파의 나머지와 겹쳐 "
               "실행됩니다. 모델이 장치 하나에 들어가지 않으면 모델을 나누거나(파이프라인, 텐서 병렬화) 옵티마이저 "
               "상태를 나눕니다."},
    .topic = "K",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
