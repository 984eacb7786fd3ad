// ProcessGroup over NCCL, for ranks that each own a GPU. Compiled only when CMake finds CUDA's runtime and
// NCCL (nccl.h, libnccl); never by CI otherwise. UNTESTED: no machine that built it had a GPU to run it on.
//
// nabla's tensors live in host memory, so each collective stages its tensor through a device buffer: copy
// in, the NCCL collective, copy out, all on the group's CUDA stream, which is then polled against the
// group's deadline (a partner that died makes the stream hang: the deadline aborts the communicator and the
// collective fails with the rank and the op, as the MPI group's do). Collectives are issued in order and
// complete before the call returns; the *_async forms return a completed Work. The ranks find each other
// through an MPI group (rank 0 makes NCCL's unique id and broadcasts it), so NCCL needs MPI in the build.
#include "dist/nccl_process_group.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "dist/mpi_process_group.h"
#include "nabla/dist/environment.h"
#include "nabla/error.h"
#include "nabla/factory.h"

namespace nabla::dist {
namespace {

using Clock = std::chrono::steady_clock;

class DoneWork : public Work {
 public:
  bool is_completed() const override { return true; }
  void wait() override {}
};

void check_cuda(cudaError_t status, const char* what) {
  NABLA_CHECK(status == cudaSuccess, "distributed (nccl): {} failed: {}", what, cudaGetErrorString(status));
}

ncclDataType_t nccl_type(const Tensor& tensor, const char* op) {
  switch (tensor.dtype()) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::i32: return ncclInt32;
    case DType::i64: return ncclInt64;
    default: throw Error(fmt::format("{} (nccl): {} is not f32, f64, i32 or i64", op, tensor.describe()));
  }
}

class NcclProcessGroup : public ProcessGroup {
 public:
  NcclProcessGroup(ProcessGroupPtr bootstrap, double timeout_seconds)
      : bootstrap_(std::move(bootstrap)), timeout_(timeout_seconds) {
    rank_ = bootstrap_->rank();
    world_size_ = bootstrap_->world_size();
    int devices = 0;
    check_cuda(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    NABLA_CHECK(devices > 0, "init_process_group: the nccl backend needs a GPU, and rank {} sees none", rank_);
    // One GPU per rank on each machine: the launcher's local rank picks it.
    check_cuda(cudaSetDevice(environment().local_rank % devices), "cudaSetDevice");
    check_cuda(cudaStreamCreate(&stream_), "cudaStreamCreate");
    ncclUniqueId id{};
    if (rank_ == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    Tensor bytes = zeros({static_cast<int64_t>(sizeof(id))}, DType::u8);
    std::memcpy(bytes.raw_data(), &id, sizeof(id));
    Tensor words = bytes.to(DType::i32);  // the MPI group broadcasts f32/f64/i32/i64
    bootstrap_->broadcast(words, 0);
    bytes = words.to(DType::u8);
    std::memcpy(&id, bytes.raw_data(), sizeof(id));
    check_nccl(ncclCommInitRank(&comm_, world_size_, id, rank_), "ncclCommInitRank");
  }

  ~NcclProcessGroup() override {
    if (comm_ && broken_.empty()) ncclCommDestroy(comm_);
    if (buffer_) cudaFree(buffer_);
    if (stream_) cudaStreamDestroy(stream_);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend() const override { return "nccl"; }

  WorkPtr all_reduce_async(const Tensor& tensor, ReduceOp op) override {
    const size_t bytes = checked_bytes(tensor, "all_reduce");
    void* device = stage_in(tensor, bytes);
    const ncclRedOp_t reduction = op == ReduceOp::sum ? ncclSum : ncclAvg;
    run("all_reduce", tensor, [&] {
      return ncclAllReduce(device, device, static_cast<size_t>(tensor.numel()), nccl_type(tensor, "all_reduce"),
                           reduction, comm_, stream_);
    });
    stage_out(tensor, device, bytes);
    return std::make_shared<DoneWork>();
  }

  WorkPtr broadcast_async(const Tensor& tensor, int root) override {
    NABLA_CHECK(root >= 0 && root < world_size_, "broadcast (nccl): root {} is not a rank of {}", root, world_size_);
    const size_t bytes = checked_bytes(tensor, "broadcast");
    void* device = stage_in(tensor, bytes);
    run("broadcast", tensor, [&] {
      return ncclBroadcast(device, device, static_cast<size_t>(tensor.numel()), nccl_type(tensor, "broadcast"), root,
                           comm_, stream_);
    });
    stage_out(tensor, device, bytes);
    return std::make_shared<DoneWork>();
  }

  WorkPtr all_gather_async(const Tensor& output, const Tensor& input) override {
    NABLA_CHECK(output.numel() == input.numel() * world_size_ && output.dtype() == input.dtype(),
                "all_gather (nccl): output {} must hold {} × input {}", output.describe(), world_size_, input.describe());
    const size_t in_bytes = checked_bytes(input, "all_gather"), out_bytes = checked_bytes(output, "all_gather");
    char* device = static_cast<char*>(device_buffer(out_bytes));
    char* slot = device + static_cast<size_t>(rank_) * in_bytes;  // in place: this rank's part of the output
    check_cuda(cudaMemcpyAsync(slot, input.raw_data(), in_bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync");
    run("all_gather", input, [&] {
      return ncclAllGather(slot, device, static_cast<size_t>(input.numel()), nccl_type(input, "all_gather"), comm_, stream_);
    });
    stage_out(output, device, out_bytes);
    return std::make_shared<DoneWork>();
  }

  WorkPtr reduce_scatter_async(const Tensor& output, const Tensor& input, ReduceOp op) override {
    NABLA_CHECK(input.numel() == output.numel() * world_size_ && output.dtype() == input.dtype(),
                "reduce_scatter (nccl): input {} must hold {} × output {}", input.describe(), world_size_,
                output.describe());
    const size_t in_bytes = checked_bytes(input, "reduce_scatter"), out_bytes = checked_bytes(output, "reduce_scatter");
    char* device = static_cast<char*>(stage_in(input, in_bytes));
    char* slot = device + static_cast<size_t>(rank_) * out_bytes;
    run("reduce_scatter", input, [&] {
      return ncclReduceScatter(device, slot, static_cast<size_t>(output.numel()), nccl_type(input, "reduce_scatter"),
                               op == ReduceOp::sum ? ncclSum : ncclAvg, comm_, stream_);
    });
    stage_out(output, slot, out_bytes);
    return std::make_shared<DoneWork>();
  }

  WorkPtr barrier_async() override {
    Tensor token = zeros({1});
    return all_reduce_async(token, ReduceOp::sum);
  }

 private:
  void check_nccl(ncclResult_t status, const char* what) {
    NABLA_CHECK(status == ncclSuccess, "distributed (nccl): rank {} of {}: {} failed: {}", rank_, world_size_, what,
                ncclGetErrorString(status));
  }

  size_t checked_bytes(const Tensor& tensor, const char* op) {
    NABLA_CHECK(broken_.empty(), "{} (nccl): the group is broken since {}", op, broken_);
    NABLA_CHECK(tensor.is_contiguous(), "{} (nccl): {} is not contiguous", op, tensor.describe());
    nccl_type(tensor, op);
    return static_cast<size_t>(tensor.numel()) * tensor.element_size();
  }

  void* device_buffer(size_t bytes) {
    if (bytes > capacity_) {
      if (buffer_) check_cuda(cudaFree(buffer_), "cudaFree");
      buffer_ = nullptr;
      check_cuda(cudaMalloc(&buffer_, bytes), "cudaMalloc");
      capacity_ = bytes;
    }
    return buffer_;
  }

  void* stage_in(const Tensor& tensor, size_t bytes) {
    void* device = device_buffer(bytes);
    check_cuda(cudaMemcpyAsync(device, tensor.raw_data(), bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync");
    return device;
  }

  void stage_out(const Tensor& tensor, const void* device, size_t bytes) {
    check_cuda(cudaMemcpyAsync(tensor.raw_data(), device, bytes, cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync");
    wait_for_stream("copy back", tensor);
  }

  // Issues the collective, then waits for the stream against the deadline.
  template <typename Issue>
  void run(const char* op, const Tensor& tensor, Issue issue) {
    ++issued_;
    check_nccl(issue(), op);
    wait_for_stream(op, tensor);
  }

  void wait_for_stream(const char* op, const Tensor& tensor) {
    const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                          std::chrono::duration<double>(timeout_));
    while (true) {
      const cudaError_t status = cudaStreamQuery(stream_);
      if (status == cudaSuccess) return;
      if (status != cudaErrorNotReady) check_cuda(status, op);
      ncclResult_t asynchronous = ncclSuccess;
      ncclCommGetAsyncError(comm_, &asynchronous);
      if (asynchronous != ncclSuccess || Clock::now() > deadline) {
        broken_ = fmt::format("{} #{} ({})", op, issued_, tensor.describe());
        ncclCommAbort(comm_);
        comm_ = nullptr;
        throw Error(fmt::format("distributed: rank {} of {}: {} did not finish within {} s{}", rank_, world_size_,
                                broken_, timeout_,
                                asynchronous != ncclSuccess ? fmt::format(" ({})", ncclGetErrorString(asynchronous)) : ""));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  ProcessGroupPtr bootstrap_;
  double timeout_;
  int rank_ = 0, world_size_ = 1;
  cudaStream_t stream_ = nullptr;
  ncclComm_t comm_ = nullptr;
  void* buffer_ = nullptr;
  size_t capacity_ = 0;
  uint64_t issued_ = 0;
  std::string broken_;
};

}  // namespace

ProcessGroupPtr make_nccl_process_group(double timeout_seconds) {
  return std::make_shared<NcclProcessGroup>(make_mpi_process_group(timeout_seconds), timeout_seconds);
}

}  // namespace nabla::dist
