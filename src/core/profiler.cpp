#include "core/profiler.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>

namespace nabla::profiler {
namespace {

struct Totals {
  std::array<int64_t, ops::op_count> counts{};
  std::array<double, ops::op_count> seconds{};
  std::mutex mutex;
  ~Totals() { print(); }
  void print() {
    double total = 0;
    for (double s : seconds) total += s;
    if (total == 0) return;
    std::array<int, ops::op_count> order;
    for (int i = 0; i < ops::op_count; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return seconds[a] > seconds[b]; });
    std::fprintf(stderr, "\nnabla profile (kernel time per op)\n%-16s %10s %12s %12s %7s\n", "op", "calls",
                 "total ms", "mean us", "share");
    for (int i : order) {
      if (counts[i] == 0) continue;
      std::fprintf(stderr, "%-16s %10lld %12.3f %12.3f %6.1f%%\n", ops::op_name(static_cast<ops::OpId>(i)),
                   static_cast<long long>(counts[i]), seconds[i] * 1e3, seconds[i] * 1e6 / counts[i],
                   100.0 * seconds[i] / total);
    }
  }
};

Totals& totals() {
  static Totals instance;
  return instance;
}

}  // namespace

bool enabled() {
  static const bool on = [] {
    const char* value = std::getenv("NABLA_PROFILE");
    return value && std::string_view(value) != "0" && std::string_view(value) != "";
  }();
  return on;
}

void record(ops::OpId op, double seconds) {
  Totals& t = totals();
  std::lock_guard lock(t.mutex);
  ++t.counts[static_cast<int>(op)];
  t.seconds[static_cast<int>(op)] += seconds;
}

}  // namespace nabla::profiler
