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

// `classes` isotropic Gaussian blobs in `features` dimensions, centres drawn uniformly in [−spread, spread].
Labeled gaussian_blobs(int64_t per_class, int64_t classes, int64_t features, double spread, double std,
                       Generator& generator);

// 1-D regression: x uniform in [low, high], y = f(x) + N(0, noise²); inputs [N, 1], targets [N, 1] float32.
Labeled regression_1d(int64_t count, double low, double high, double (*function)(double), double noise,
                      Generator& generator);

}  // namespace nabla::data
