#pragma once
// Synthetic data sets for experiments and demos.
#include <cstdint>

#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::data {

struct Labeled {
  Tensor inputs;   // [N, features] float32
  Tensor targets;  // [N] int64 class indices
};

// Two interleaved spirals in the plane, `per_class` points each, with Gaussian noise of std `noise`.
// Not linearly separable: a network needs a non-linearity to fit it.
Labeled two_spirals(int64_t per_class, double noise, Generator& generator);

}  // namespace nabla::data
