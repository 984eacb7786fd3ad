#pragma once
// Fast kernels against reference kernels. Each case runs twice — with the CPU backend's fast paths, and
// forced onto the reference kernels — and the results must agree. Add a file here with
// NABLA_REFERENCE_CASES(family) { return {...}; } to cover a new fast kernel: shapes of size 1, primes,
// beyond L2 (> 2 MiB), scalars, non-contiguous and in-place inputs.
#include <functional>
#include <string>
#include <vector>

#include "nabla/nabla.h"

namespace nabla::testing {

struct ReferenceCase {
  std::string name;
  std::vector<Shape> inputs;  // float32 U(-1, 1), or U(0.5, 2.5) with positive
  std::function<Tensor(std::vector<Tensor>)> function;
  bool positive = false;
  double tolerance = 1e-6;  // relative to max(1, |reference|)
};

using ReferenceCaseList = std::vector<ReferenceCase>;
void register_reference_cases(ReferenceCaseList (*make)());

struct ReferenceRegistrar {
  explicit ReferenceRegistrar(ReferenceCaseList (*make)()) { register_reference_cases(make); }
};

#define NABLA_REFERENCE_CASES(family)                                                        \
  static ::nabla::testing::ReferenceCaseList family##_reference_cases();                      \
  static ::nabla::testing::ReferenceRegistrar family##_reference_registrar(&family##_reference_cases); \
  static ::nabla::testing::ReferenceCaseList family##_reference_cases()

inline const Shape beyond_l2{1 << 20};  // 4 MiB of float32, twice the L2 cache

}  // namespace nabla::testing
