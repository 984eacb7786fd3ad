#pragma once
// `nabla demo`: trains a small two-layer network on the two-spirals problem and prints its accuracy.
#include <cstdint>

namespace nabla::cli {

struct DemoOptions {
  int64_t points_per_class = 500;
  int64_t hidden = 64;
  int64_t steps = 2000;
  double learning_rate = 0.01;
  double noise = 0.02;
  uint64_t seed = 0;
};

// Returns the final training accuracy in [0, 1].
double run_spirals_demo(const DemoOptions& options);

}  // namespace nabla::cli
