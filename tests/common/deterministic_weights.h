#pragma once
// Deterministic weights: every tensor of a state dict as a function of its name and shape alone, so the
// oracle tests can give nabla and a reference implementation (torchvision, …) the same weights without
// committing them. This is the C++ half of tests/common/deterministic_weights.py, whose docstring states
// the rule; the two must stay identical (tests/models/test_torchvision_models.cpp checks this half against
// values the Python half wrote).
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/factory.h"
#include "nabla/tensor.h"

namespace nabla::testing {

inline uint64_t fnv1a64(std::string_view name) {
  uint64_t hash = 0xCBF29CE484222325ull;
  for (unsigned char byte : name) {
    hash ^= byte;
    hash *= 0x100000001B3ull;
  }
  return hash;
}

inline uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The value of tensor `name` with `shape`: f32, or i64 zeros for a norm's num_batches_tracked.
inline Tensor deterministic_tensor(const std::string& name, const Shape& shape) {
  int64_t count = 1;
  for (int64_t size : shape) count *= size;
  if (ends_with(name, "num_batches_tracked")) return zeros(shape, DType::i64);
  int64_t fan_in = 1;
  for (size_t axis = 1; axis < shape.size(); ++axis) fan_in *= shape[axis];
  const uint64_t hash = fnv1a64(name);
  Tensor result = empty(shape, DType::f32);
  float* values = result.data<float>();
  for (int64_t i = 0; i < count; ++i) {
    const double u = static_cast<double>(splitmix64(hash + static_cast<uint64_t>(i)) >> 11) * 0x1p-53;
    const double r = 2 * u - 1;
    double value;
    if (name == "input") value = r;
    else if (ends_with(name, "running_var")) value = 1 + 0.5 * r;
    else if (ends_with(name, "running_mean")) value = 0.1 * r;
    else if (shape.size() == 1) value = ends_with(name, "weight") ? 1 + 0.1 * r : 0.1 * r;
    else value = r * std::sqrt(6.0 / static_cast<double>(fan_in));
    values[i] = static_cast<float>(value);
  }
  return result;
}

}  // namespace nabla::testing
