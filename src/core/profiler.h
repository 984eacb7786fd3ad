#pragma once
// NABLA_PROFILE=1: per-op call count and kernel time, printed sorted when the process exits.
#include <chrono>

#include "ops/op.h"

namespace nabla::profiler {

bool enabled();
void record(ops::OpId op, double seconds);

class Scope {
 public:
  explicit Scope(ops::OpId op) : op_(op), active_(enabled()) {
    if (active_) start_ = std::chrono::steady_clock::now();
  }
  ~Scope() {
    if (active_) record(op_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

 private:
  ops::OpId op_;
  bool active_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace nabla::profiler
