#pragma once
// Gradcheck cases are data: each names the ops it covers, its inputs, and a function of them. The
// driver (test_gradcheck.cpp) runs every case in every layout: contiguous, transposed, sliced, broadcast.
// Add a file here with NABLA_GRADCHECK_CASES(family) { return {...}; } and its cases run.
#include <functional>
#include <string>
#include <vector>

#include "nabla/gradcheck.h"
#include "nabla/nabla.h"
#include "ops/op.h"

namespace nabla::testing {

struct InputSpec {
  Shape shape;
  enum Kind {
    uniform,   // U(-1, 1)
    positive,  // U(0.5, 2): log, sqrt, pow bases, divisors
    distinct,  // well-separated values (no ties): max, maximum, sort
    index,     // int64 in [0, index_high): not differentiable, never re-laid out
    mask,      // bool, about half true: not differentiable
  } kind = uniform;
  int64_t index_high = 0;
};

struct GradCase {
  std::string name;
  std::vector<ops::OpId> covers;
  std::vector<InputSpec> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> function;
  bool second_order = true;  // also check the gradient of the gradient (contiguous layout)
  GradcheckOptions options = {};
};

using CaseList = std::vector<GradCase>;
void register_cases(CaseList (*make)());
const CaseList& all_cases();

struct CaseRegistrar {
  explicit CaseRegistrar(CaseList (*make)()) { register_cases(make); }
};

#define NABLA_GRADCHECK_CASES(family)                                      \
  static ::nabla::testing::CaseList family##_gradcheck_cases();            \
  static ::nabla::testing::CaseRegistrar family##_registrar(&family##_gradcheck_cases); \
  static ::nabla::testing::CaseList family##_gradcheck_cases()

}  // namespace nabla::testing
