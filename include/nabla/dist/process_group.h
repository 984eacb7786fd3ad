#pragma once
// ProcessGroup: collective operations on tensors among the processes of a job, the one interface the
// data-parallel code talks to. Every collective exists blocking (returns when done) and asynchronous
// (returns a Work handle at once; wait() returns when done or throws what went wrong). Collectives run in
// the order they were issued, which must be the same on every rank.
//
// Tensors are contiguous, f32/f64/i32/i64, and are written in place. A collective that does not finish
// within the group's timeout fails on that rank with an error naming the rank, the op and its tensor, and
// the peers known to have exited; after one failure the group is broken and every later collective fails
// at once, so no rank hangs on a partner that is gone.
#include <chrono>
#include <memory>
#include <string>

#include "nabla/tensor.h"

namespace nabla::dist {

enum class ReduceOp { sum, mean };

class Work {
 public:
  virtual ~Work() = default;
  virtual bool is_completed() const = 0;
  virtual void wait() = 0;  // rethrows the collective's error on this rank
};
using WorkPtr = std::shared_ptr<Work>;

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend() const = 0;

  // in place: every rank ends with the elementwise sum (or mean) of every rank's tensor
  virtual WorkPtr all_reduce_async(const Tensor& tensor, ReduceOp op = ReduceOp::sum) = 0;
  // in place: every rank ends with root's tensor
  virtual WorkPtr broadcast_async(const Tensor& tensor, int root = 0) = 0;
  // output [world_size · n] holds rank r's input [n] (flattened) at r·n
  virtual WorkPtr all_gather_async(const Tensor& output, const Tensor& input) = 0;
  // input [world_size · n] is reduced across ranks; rank r keeps part r, [n], in output
  virtual WorkPtr reduce_scatter_async(const Tensor& output, const Tensor& input, ReduceOp op = ReduceOp::sum) = 0;
  virtual WorkPtr barrier_async() = 0;

  void all_reduce(const Tensor& tensor, ReduceOp op = ReduceOp::sum) { all_reduce_async(tensor, op)->wait(); }
  void broadcast(const Tensor& tensor, int root = 0) { broadcast_async(tensor, root)->wait(); }
  void all_gather(const Tensor& output, const Tensor& input) { all_gather_async(output, input)->wait(); }
  void reduce_scatter(const Tensor& output, const Tensor& input, ReduceOp op = ReduceOp::sum) {
    reduce_scatter_async(output, input, op)->wait();
  }
  void barrier() { barrier_async()->wait(); }
};
using ProcessGroupPtr = std::shared_ptr<ProcessGroup>;

struct ProcessGroupOptions {
  std::string backend = "mpi";  // "mpi"; "nccl" (GPUs) in builds configured with -DNABLA_NCCL=ON, untested
  // How long one collective may wait for its partners before this rank gives up. 0: the environment's
  // NABLA_DIST_TIMEOUT (seconds), else 300 s.
  double timeout_seconds = 0;
};

// Whether this build of nabla has a backend (MPI found at configure time).
bool mpi_available();

// The process group of every rank of the job: created at the first call (MPI is initialised then) and the
// same object afterwards. Without MPI in the build this throws an error that says so.
ProcessGroupPtr init_process_group(const ProcessGroupOptions& options = {});
// The group init_process_group created, or null before.
ProcessGroupPtr default_process_group();

const char* reduce_op_name(ReduceOp op);

}  // namespace nabla::dist
