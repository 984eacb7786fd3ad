#include "backend/cpu/kernels.h"

#include <omp.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "backend/cpu/fast.h"
#include "nabla/threads.h"

namespace nabla::cpu {
namespace {
thread_local bool reference_only = false;

// Reads NABLA_NUM_THREADS once, before the first kernel runs. This runs before main, where nothing can
// report an error: a value that is not a whole number from 1 to max_threads is named on stderr and ignored.
const bool threads_configured = [] {
  const char* value = std::getenv("NABLA_NUM_THREADS");
  if (!value || !*value) return true;
  char* end = nullptr;
  errno = 0;
  long threads = std::strtol(value, &end, 10);
  if (errno == 0 && *end == '\0' && threads >= 1 && threads <= max_threads) {
    omp_set_num_threads(static_cast<int>(threads));
  } else {
    std::fprintf(stderr, "nabla: warning: ignoring NABLA_NUM_THREADS=%s (expected a whole number from 1 to %d)\n",
                 value, max_threads);
  }
  return true;
}();

// The fast-kernel table, indexed by OpId and built from fast_kernels.def at compile time. Listing an op
// twice stops the constant evaluation (the throw), so the build names the mistake.
constexpr std::array<Selector, ops::op_count> selectors = [] {
  std::array<Selector, ops::op_count> table{};
  auto list = [&table](ops::OpId op, Selector selector) {
    Selector& slot = table[static_cast<size_t>(op)];
    if (slot != nullptr) throw "fast_kernels.def lists this op twice";
    slot = selector;
  };
#define NABLA_FAST_KERNEL(op, selector) list(ops::OpId::op, &selector);
#include "backend/cpu/fast_kernels.def"
#undef NABLA_FAST_KERNEL
  return table;
}();

}  // namespace

ReferenceOnlyGuard::ReferenceOnlyGuard() : previous_(reference_only) { reference_only = true; }
ReferenceOnlyGuard::~ReferenceOnlyGuard() { reference_only = previous_; }
bool fast_kernels_enabled() { return !reference_only; }

void set_num_threads(int threads) {
  NABLA_CHECK(threads >= 1 && threads <= max_threads, "set_num_threads: expected a count from 1 to {}, got {}",
              max_threads, threads);
  omp_set_num_threads(threads);
}
int num_threads() { return omp_get_max_threads(); }

ops::Kernel fast_kernel(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs& attrs) {
  (void)threads_configured;
  if (reference_only) return nullptr;
  const Selector selector = selectors[static_cast<size_t>(op)];
  return selector ? selector(op, inputs, outputs, attrs) : nullptr;
}

bool has_fast_kernel(ops::OpId op) { return selectors[static_cast<size_t>(op)] != nullptr; }

}  // namespace nabla::cpu

namespace nabla {
void set_num_threads(int threads) { cpu::set_num_threads(threads); }
int num_threads() { return cpu::num_threads(); }
}  // namespace nabla
