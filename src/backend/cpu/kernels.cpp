#include "backend/cpu/kernels.h"

#include <omp.h>

#include <cstdlib>

#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {
thread_local bool reference_only = false;

// Reads NABLA_NUM_THREADS once, before the first kernel runs.
const bool threads_configured = [] {
  if (const char* value = std::getenv("NABLA_NUM_THREADS")) {
    int threads = std::atoi(value);
    if (threads > 0) omp_set_num_threads(threads);
  }
  return true;
}();
}  // namespace

ReferenceOnlyGuard::ReferenceOnlyGuard() : previous_(reference_only) { reference_only = true; }
ReferenceOnlyGuard::~ReferenceOnlyGuard() { reference_only = previous_; }

void set_num_threads(int threads) {
  NABLA_CHECK(threads > 0, "set_num_threads: expected a positive count, got {}", threads);
  omp_set_num_threads(threads);
}
int num_threads() { return omp_get_max_threads(); }

ops::Kernel fast_kernel(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs& attrs) {
  (void)threads_configured;
  if (reference_only) return nullptr;
  switch (op) {
    case ops::OpId::add: case ops::OpId::sub: case ops::OpId::mul: case ops::OpId::div:
    case ops::OpId::add_: case ops::OpId::mul_:
      return binary_fast(op, inputs, outputs);
    case ops::OpId::matmul:
      return matmul_fast(inputs, outputs);
    default:
      (void)attrs;
      return nullptr;
  }
}

}  // namespace nabla::cpu
