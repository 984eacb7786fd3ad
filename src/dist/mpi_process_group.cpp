// ProcessGroup over MPI. One thread of the group's own makes every MPI call, from MPI_Init_thread to
// MPI_Finalize (so MPI_THREAD_FUNNELED suffices, and the callers' threads never block inside MPI): callers
// queue collectives, the thread starts each as a nonblocking MPI call and polls it against a deadline. That
// is what lets a collective time out with a message instead of hanging on a partner that died, and what
// lets gradient buckets be reduced while the caller's backward pass goes on.
#include "dist/mpi_process_group.h"

#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "nabla/dist/environment.h"
#include "nabla/error.h"

namespace nabla::dist {
namespace {

using Clock = std::chrono::steady_clock;

class MpiWork : public Work {
 public:
  // `waiters` counts the callers blocked in wait() on any of the group's collectives: while there are some,
  // the communication thread polls without sleeping (nothing else is running that it could slow down).
  explicit MpiWork(std::shared_ptr<std::atomic<int>> waiters = nullptr) : waiters_(std::move(waiters)) {}
  bool is_completed() const override {
    std::lock_guard lock(mutex_);
    return done_;
  }
  void wait() override {
    std::unique_lock lock(mutex_);
    if (!done_ && waiters_) {
      ++*waiters_;
      finished_.wait(lock, [&] { return done_; });
      --*waiters_;
    }
    finished_.wait(lock, [&] { return done_; });
    if (!error_.empty()) throw Error(error_);
  }
  void complete(std::string error = {}) {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
      error_ = std::move(error);
    }
    finished_.notify_all();
  }

 private:
  std::shared_ptr<std::atomic<int>> waiters_;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  bool done_ = false;
  std::string error_;
};

struct Task {
  std::shared_ptr<MpiWork> work;
  std::string description;                  // "all_reduce #3 (f32[1000], sum)", for error messages
  std::function<MPI_Request(MPI_Comm)> start;  // begins the nonblocking call
  std::function<void()> finish;             // after completion: scale a mean, bump versions
};

struct PeerInfo {
  int pid = 0;
  std::array<char, 64> host{};
};

MPI_Datatype mpi_type(const Tensor& tensor, const char* op) {
  switch (tensor.dtype()) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::i32: return MPI_INT32_T;
    case DType::i64: return MPI_INT64_T;
    default:
      throw Error(fmt::format("{}: dtype of {} is not supported (f32, f64, i32 or i64)", op, tensor.describe()));
  }
}

int element_count(const Tensor& tensor, const char* op) {
  NABLA_CHECK(tensor.defined(), "{}: the tensor is undefined", op);
  NABLA_CHECK(tensor.is_contiguous(), "{}: {} must be contiguous", op, tensor.describe());
  NABLA_CHECK(tensor.numel() <= INT_MAX, "{}: {} has more elements than one MPI call takes", op, tensor.describe());
  return static_cast<int>(tensor.numel());
}

void divide_in_place(const Tensor& tensor, int world_size) {
  if (tensor.dtype() == DType::f32) {
    float* data = tensor.data<float>();
    for (int64_t i = 0; i < tensor.numel(); ++i) data[i] /= static_cast<float>(world_size);
  } else {
    double* data = tensor.data<double>();
    for (int64_t i = 0; i < tensor.numel(); ++i) data[i] /= world_size;
  }
}

class MpiProcessGroup : public ProcessGroup {
 public:
  explicit MpiProcessGroup(double timeout_seconds) : timeout_(timeout_seconds) {
    std::promise<void> started;
    std::future<void> ready = started.get_future();
    thread_ = std::thread([this, promise = std::move(started)]() mutable { run(promise); });
    try {
      ready.get();
    } catch (...) {
      thread_.join();
      throw;
    }
  }

  ~MpiProcessGroup() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    queued_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend() const override { return "mpi"; }

  WorkPtr all_reduce_async(const Tensor& tensor, ReduceOp op) override {
    const char* name = "all_reduce";
    int count = element_count(tensor, name);
    MPI_Datatype type = mpi_type(tensor, name);
    NABLA_CHECK(op != ReduceOp::mean || tensor.is_floating_point(), "all_reduce: a mean of {} needs a floating dtype",
                tensor.describe());
    void* data = tensor.raw_data();
    return enqueue(name, fmt::format("{}, {}", tensor.describe(), reduce_op_name(op)),
                   [=](MPI_Comm comm) {
                     MPI_Request request;
                     MPI_Iallreduce(MPI_IN_PLACE, data, count, type, MPI_SUM, comm, &request);
                     return request;
                   },
                   [tensor, op, world = world_size_] {
                     if (op == ReduceOp::mean) divide_in_place(tensor, world);
                     tensor.storage()->bump_version();
                   });
  }

  WorkPtr broadcast_async(const Tensor& tensor, int root) override {
    const char* name = "broadcast";
    int count = element_count(tensor, name);
    MPI_Datatype type = mpi_type(tensor, name);
    NABLA_CHECK(root >= 0 && root < world_size_, "broadcast: root {} is not a rank of a world of {}", root,
                world_size_);
    void* data = tensor.raw_data();
    return enqueue(name, fmt::format("{}, root {}", tensor.describe(), root),
                   [=](MPI_Comm comm) {
                     MPI_Request request;
                     MPI_Ibcast(data, count, type, root, comm, &request);
                     return request;
                   },
                   [tensor] { tensor.storage()->bump_version(); });
  }

  WorkPtr all_gather_async(const Tensor& output, const Tensor& input) override {
    const char* name = "all_gather";
    int count = element_count(input, name);
    element_count(output, name);
    MPI_Datatype type = mpi_type(input, name);
    NABLA_CHECK(output.dtype() == input.dtype() && output.numel() == input.numel() * world_size_,
                "all_gather: output {} must hold world_size ({}) times input {} of the same dtype", output.describe(),
                world_size_, input.describe());
    const void* source = input.raw_data();
    void* destination = output.raw_data();
    return enqueue(name, fmt::format("{} into {}", input.describe(), output.describe()),
                   [=](MPI_Comm comm) {
                     MPI_Request request;
                     MPI_Iallgather(source, count, type, destination, count, type, comm, &request);
                     return request;
                   },
                   [input, output] { output.storage()->bump_version(); });
  }

  WorkPtr reduce_scatter_async(const Tensor& output, const Tensor& input, ReduceOp op) override {
    const char* name = "reduce_scatter";
    int count = element_count(output, name);
    element_count(input, name);
    MPI_Datatype type = mpi_type(input, name);
    NABLA_CHECK(output.dtype() == input.dtype() && input.numel() == output.numel() * world_size_,
                "reduce_scatter: input {} must hold world_size ({}) times output {} of the same dtype",
                input.describe(), world_size_, output.describe());
    NABLA_CHECK(op != ReduceOp::mean || input.is_floating_point(), "reduce_scatter: a mean of {} needs a floating "
                "dtype", input.describe());
    const void* source = input.raw_data();
    void* destination = output.raw_data();
    return enqueue(name, fmt::format("{} into {}, {}", input.describe(), output.describe(), reduce_op_name(op)),
                   [=](MPI_Comm comm) {
                     MPI_Request request;
                     MPI_Ireduce_scatter_block(source, destination, count, type, MPI_SUM, comm, &request);
                     return request;
                   },
                   [input, output, op, world = world_size_] {
                     if (op == ReduceOp::mean) divide_in_place(output, world);
                     output.storage()->bump_version();
                   });
  }

  WorkPtr barrier_async() override {
    return enqueue("barrier", "", [](MPI_Comm comm) {
      MPI_Request request;
      MPI_Ibarrier(comm, &request);
      return request;
    }, [] {});
  }

 private:
  WorkPtr enqueue(const char* op, const std::string& detail, std::function<MPI_Request(MPI_Comm)> start,
                  std::function<void()> finish) {
    auto work = std::make_shared<MpiWork>(waiters_);
    {
      std::lock_guard lock(mutex_);
      std::string description = fmt::format("{} #{}{}", op, ++issued_, detail.empty() ? "" : " (" + detail + ")");
      tasks_.push_back({work, std::move(description), std::move(start), std::move(finish)});
    }
    queued_.notify_one();
    return work;
  }

  // ---- the communication thread
  void run(std::promise<void>& started) {
    try {
      initialise();
    } catch (...) {
      started.set_exception(std::current_exception());
      return;
    }
    started.set_value();
    for (;;) {
      Task task;
      {
        std::unique_lock lock(mutex_);
        queued_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) break;  // stopping, with nothing left to do
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      execute(task);
    }
    shut_down();
  }

  void initialise() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      NABLA_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS,
                  "distributed: MPI_Init_thread failed");
      owns_mpi_ = true;
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    // Errors come back as codes (reported with the op's name) rather than aborting inside MPI.
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &world_size_);
    const Environment& launched = environment();
    NABLA_CHECK(!launched.launched() || (launched.rank == rank_ && launched.world_size == world_size_),
                "distributed: the launcher ({}) says rank {} of {}, MPI says rank {} of {}", launched.launcher,
                launched.rank, launched.world_size, rank_, world_size_);
    // Who is who, so that a timeout can say which partner has exited.
    PeerInfo self;
    self.pid = static_cast<int>(getpid());
    gethostname(self.host.data(), self.host.size() - 1);
    peers_.resize(static_cast<size_t>(world_size_));
    Task exchange{std::make_shared<MpiWork>(), "the start-up exchange of process ids",
                  [&](MPI_Comm comm) {
                    MPI_Request request;
                    MPI_Iallgather(&self, sizeof(PeerInfo), MPI_BYTE, peers_.data(), sizeof(PeerInfo), MPI_BYTE, comm,
                                   &request);
                    return request;
                  },
                  [] {}};
    execute(exchange);
    exchange.work->wait();
  }

  void execute(Task& task) {
    if (!broken_.empty()) {
      task.work->complete(fmt::format("distributed: rank {}: {} not started: the process group is broken since {}",
                                      rank_, task.description, broken_));
      return;
    }
    MPI_Request request = task.start(comm_);
    const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                          std::chrono::duration<double>(timeout_));
    int done = 0;
    int code = MPI_SUCCESS;
    // While a caller is blocked waiting, nothing is overlapped: poll flat out, as MPI_Allreduce itself does
    // (MPI moves a large message's pieces only while it is polled, and a yield on a shared core can hand it
    // away for a whole time slice). Otherwise spin briefly (small messages finish in microseconds), then poll
    // gently so this thread leaves the cores to the computation it overlaps with.
    for (int polls = 0;; ++polls) {
      code = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done || code != MPI_SUCCESS) break;
      if (Clock::now() > deadline) break;
      if (waiters_->load(std::memory_order_relaxed) > 0) continue;
      if (polls < 200) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
    if (code != MPI_SUCCESS) {
      char text[MPI_MAX_ERROR_STRING];
      int length = 0;
      MPI_Error_string(code, text, &length);
      broken_ = fmt::format("{} failed: {}", task.description, std::string(text, static_cast<size_t>(length)));
    } else if (!done) {
      broken_ = fmt::format("{} did not finish within {} s; {}", task.description, timeout_, exited_peers());
    }
    if (!broken_.empty()) {
      task.work->complete(fmt::format("distributed: rank {} of {}: {}", rank_, world_size_, broken_));
      return;
    }
    try {
      task.finish();
      task.work->complete();
    } catch (const std::exception& error) {
      task.work->complete(error.what());
    }
  }

  // Peers on this machine whose process is gone (a partner on another machine can't be checked from here).
  std::string exited_peers() const {
    std::array<char, 64> host{};
    gethostname(host.data(), host.size() - 1);
    std::string gone;
    for (int peer = 0; peer < world_size_; ++peer) {
      const PeerInfo& info = peers_[static_cast<size_t>(peer)];
      if (peer == rank_ || std::strcmp(info.host.data(), host.data()) != 0) continue;
      if (kill(info.pid, 0) != 0 && errno == ESRCH) {
        gone += fmt::format("{}rank {} (pid {})", gone.empty() ? "" : ", ", peer, info.pid);
      }
    }
    if (gone.empty()) {
      return "no partner is known to have exited (one may be stuck, have failed earlier, or run on another machine)";
    }
    return gone + " has exited";
  }

  void shut_down() {
    if (!owns_mpi_) return;
    // MPI_Finalize waits for every rank; only enter it when all are known to be here, else skip it (the
    // process is ending with an error anyway, and the launcher reports it).
    if (broken_.empty()) {
      Task meet{std::make_shared<MpiWork>(), "the barrier before MPI_Finalize", [](MPI_Comm comm) {
                  MPI_Request request;
                  MPI_Ibarrier(comm, &request);
                  return request;
                }, [] {}};
      execute(meet);
    }
    if (broken_.empty()) {
      MPI_Comm_free(&comm_);
      MPI_Finalize();
    }
  }

  double timeout_;
  int rank_ = 0, world_size_ = 1;
  MPI_Comm comm_ = MPI_COMM_NULL;
  bool owns_mpi_ = false;
  std::vector<PeerInfo> peers_;
  std::string broken_;  // what broke the group (only the communication thread touches it)
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  uint64_t issued_ = 0;
  std::shared_ptr<std::atomic<int>> waiters_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace

ProcessGroupPtr make_mpi_process_group(double timeout_seconds) {
  return std::make_shared<MpiProcessGroup>(timeout_seconds);
}

}  // namespace nabla::dist
