#include "ops/profiler.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace nabla::profiler {

thread_local int Scope::depth_ = 0;

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool>& switched_on() {
  static std::atomic<bool> on = [] {
    const char* value = std::getenv("NABLA_PROFILE");
    return value && std::string_view(value) != "0" && std::string_view(value) != "";
  }();
  return on;
}

struct Totals {
  std::array<int64_t, ops::op_count> counts{};
  std::array<int64_t, ops::op_count> reference_counts{};  // of counts, the calls on the reference kernel
  std::array<double, ops::op_count> seconds{};
  std::optional<Clock::time_point> first_op;  // the profiled region starts here
  int64_t steps = 0;
  std::mutex mutex;

  ~Totals() { print(); }

  void print() const {
    if (!first_op) return;
    const double wall = std::chrono::duration<double>(Clock::now() - *first_op).count();
    double in_kernels = 0;
    for (double s : seconds) in_kernels += s;
    std::array<int, ops::op_count> order;
    for (int i = 0; i < ops::op_count; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return seconds[a] > seconds[b]; });

    std::fprintf(stderr, "\nnabla profile: %.3f s profiled (first op to exit), %.1f%% in kernels", wall,
                 100.0 * in_kernels / wall);
    if (steps > 0) std::fprintf(stderr, ", %lld optimizer steps (%.3f ms each)", static_cast<long long>(steps),
                                wall * 1e3 / static_cast<double>(steps));
    std::fprintf(stderr, "\nshare = of the profiled wall-clock time; per step = total / optimizer steps\n");
    if (std::any_of(reference_counts.begin(), reference_counts.end(), [](int64_t n) { return n > 0; })) {
      std::fprintf(stderr, "* = some calls ran on the reference kernel (no fast kernel for their dtype, layout or "
                           "size); reference = how many\n");
    }
    std::fprintf(stderr, "%-18s %10s %10s %12s %12s %12s %7s\n", "op", "calls", "reference", "total ms", "mean us",
                 "per step ms", "share");
    auto line = [&](std::string name, int64_t calls, int64_t reference, double total) {
      if (reference > 0) name += '*';
      if (calls > 0) {
        std::fprintf(stderr, "%-18s %10lld %10lld %12.3f %12.3f ", name.c_str(), static_cast<long long>(calls),
                     static_cast<long long>(reference), total * 1e3, total * 1e6 / static_cast<double>(calls));
      } else {
        std::fprintf(stderr, "%-18s %10s %10s %12.3f %12s ", name.c_str(), "", "", total * 1e3, "");
      }
      if (steps > 0) std::fprintf(stderr, "%12.3f ", total * 1e3 / static_cast<double>(steps));
      else std::fprintf(stderr, "%12s ", "-");
      std::fprintf(stderr, "%6.1f%%\n", wall > 0 ? 100.0 * total / wall : 0.0);
    };
    for (int i : order) {
      if (counts[i] > 0) line(ops::op_name(static_cast<ops::OpId>(i)), counts[i], reference_counts[i], seconds[i]);
    }
    line("(outside kernels)", 0, 0, std::max(wall - in_kernels, 0.0));
  }
};

Totals& totals() {
  static Totals instance;
  return instance;
}

}  // namespace

bool enabled() { return switched_on().load(std::memory_order_relaxed); }

void enable() {
  switched_on().store(true, std::memory_order_relaxed);
}

void record(ops::OpId op, double seconds, bool reference_kernel) {
  Totals& t = totals();
  std::lock_guard lock(t.mutex);
  // The region starts when the first profiled kernel started.
  if (!t.first_op) t.first_op = Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  ++t.counts[static_cast<int>(op)];
  if (reference_kernel) ++t.reference_counts[static_cast<int>(op)];
  t.seconds[static_cast<int>(op)] += seconds;
}

void mark_step() {
  if (!enabled()) return;
  Totals& t = totals();
  std::lock_guard lock(t.mutex);
  ++t.steps;
}

}  // namespace nabla::profiler
