#pragma once
// The op profiler: NABLA_PROFILE=1 (or enable(), which `nabla --profile` calls) times every kernel the
// dispatcher runs and, when the process exits, prints per op: calls, total and mean time, time per
// optimizer step, and share. "Share" is of the profiled region's wall-clock time (from the first profiled
// op to the report), so the kernels' shares and the "outside kernels" row (autograd bookkeeping, data
// loading, the dispatcher itself) add up to 100 %; in a training run that is the share of a step.
// It also counts, per op, the calls that ran on the reference kernel (plain loops: no fast kernel covered
// the call's dtype, layout or size); such rows are marked with a `*`, so a slow fallback cannot hide.
#include <chrono>

#include "ops/op.h"

namespace nabla::profiler {

bool enabled();
void enable();
void record(ops::OpId op, double seconds, bool reference_kernel);
void mark_step();  // one optimizer step (Optimizer::step calls it), for the per-step column

// Times one kernel. A kernel that dispatches further ops is timed as a whole: only the outermost scope
// records, so nested calls are not counted twice.
class Scope {
 public:
  Scope(ops::OpId op, bool reference_kernel) : op_(op), reference_(reference_kernel), on_(enabled()) {
    if (!on_) return;
    outermost_ = depth_++ == 0;
    if (outermost_) start_ = std::chrono::steady_clock::now();
  }
  ~Scope() {
    if (!on_) return;
    --depth_;
    if (outermost_) {
      record(op_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(), reference_);
    }
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  static thread_local int depth_;
  ops::OpId op_;
  bool reference_;
  bool on_, outermost_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace nabla::profiler
