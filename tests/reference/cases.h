#pragma once
// Fast kernels against reference kernels. Each case runs twice — with the CPU backend's fast paths, and
// forced onto the reference kernels — and the results must agree. Add a file here with
// NABLA_REFERENCE_CASES(family) { return {...}; } to cover a new fast kernel: shapes of size 1, primes,
// beyond L2 (> 2 MiB), scalars, non-contiguous and in-place inputs.
//
// A case names the ops it is about (`ops`; left empty, the op whose name begins the case's name: "add_prime"
// is about add). The first run is watched (ops::ObserveDispatch): it must run those ops on fast kernels,
// so a case never silently compares the reference kernel with itself. A case whose op has no fast kernel
// for its input says so — `.expect = Expect::reference` and the `reason` — and the first run must then take
// the reference kernel, so the mark is flipped when a fast kernel arrives.
#include <functional>
#include <string>
#include <vector>

#include "nabla/nabla.h"
#include "ops/op.h"

namespace nabla::testing {

// Which kernel the first (unforced) run selects for the case's ops.
enum class Expect : uint8_t {
  fast,       // a fast kernel: the case compares it with the reference kernel
  reference,  // the reference kernel (`reason` says why): both runs agree trivially, and the case says so
};

struct ReferenceCase {
  std::string name;
  std::vector<Shape> inputs;  // float32 U(-1, 1), or U(0.5, 2.5) with positive
  std::function<Tensor(std::vector<Tensor>)> function;
  bool positive = false;
  double tolerance = 1e-6;  // relative to max(1, |reference|)
  std::vector<ops::OpId> ops = {};  // the ops under test; empty: the op whose name begins `name`
  Expect expect = Expect::fast;
  std::string reason = {};  // why the reference kernel runs (Expect::reference)
};

// `test_case`, about `ops`, where the unforced run takes the reference kernel for `reason`.
inline ReferenceCase on_reference(std::string reason, ReferenceCase test_case, std::vector<ops::OpId> ops = {}) {
  test_case.expect = Expect::reference;
  test_case.reason = std::move(reason);
  if (!ops.empty()) test_case.ops = std::move(ops);
  return test_case;
}

// `test_case`, about `ops` (for a name that does not begin with the op's).
inline ReferenceCase about(std::vector<ops::OpId> ops, ReferenceCase test_case) {
  test_case.ops = std::move(ops);
  return test_case;
}

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
