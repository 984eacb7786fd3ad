// Fast-vs-reference cases: the in-place ops that run the out-of-place fast kernels with output = self
// (sub_, div_ through the binary kernels; relu_, clamp_ through the unary map), contiguous, broadcast row,
// scalar and beyond L2; non-contiguous self takes the reference kernel in both runs.
#include "tests/reference/cases.h"

namespace nabla::testing {

NABLA_REFERENCE_CASES(inplace) {
  using Inputs = std::vector<Tensor>;
  ReferenceCaseList cases = {
      {"sub_inplace_prime", {{7, 13}, {7, 13}}, [](Inputs x) { return x[0].sub_(x[1]); }},
      {"sub_inplace_row", {{33, 17}, {17}}, [](Inputs x) { return x[0] -= x[1]; }},
      {"sub_inplace_scalar_beyond_l2", {beyond_l2}, [](Inputs x) { return x[0] -= 0.25; }},
      {"div_inplace_prime", {{101}, {101}}, [](Inputs x) { return x[0].div_(x[1]); }, true},
      {"div_inplace_beyond_l2", {beyond_l2, beyond_l2}, [](Inputs x) { return x[0] /= x[1]; }, true},
      {"div_inplace_scalar", {{4099}}, [](Inputs x) { return x[0] /= 3.0; }},
      {"relu_inplace_prime", {{97}}, [](Inputs x) { return x[0].relu_(); }},
      {"relu_inplace_beyond_l2", {beyond_l2}, [](Inputs x) { return x[0].relu_(); }},
      {"relu_inplace_transposed", {{31, 37}}, [](Inputs x) {
         Tensor view = x[0].t();
         return view.relu_();
       }},
      {"clamp_inplace_prime", {{4099}}, [](Inputs x) { return x[0].clamp_(-0.5, 0.25); }},
      {"clamp_inplace_min_beyond_l2", {beyond_l2}, [](Inputs x) { return x[0].clamp_(0.0, std::nullopt); }},
      {"masked_fill_inplace", {{33, 17}, {17}}, [](Inputs x) { return x[0].masked_fill_(x[1] > 0.0, -2.0); }},
  };
  // "sub_inplace_…" is about the in-place op sub_, and so on.
  for (ReferenceCase& test_case : cases) {
    const std::string op = test_case.name.substr(0, test_case.name.find("_inplace")) + "_";
    for (int id = 0; id < ops::op_count; ++id) {
      if (op == ops::op_name(static_cast<ops::OpId>(id))) test_case.ops = {static_cast<ops::OpId>(id)};
    }
    if (op == "masked_fill_") {
      test_case.expect = Expect::reference;
      test_case.reason = "masked_fill_ has no fast kernel yet (it writes in place on the reference kernel)";
    } else if (test_case.name.ends_with("_transposed")) {
      test_case.expect = Expect::reference;
      test_case.reason = "the fast unary kernels take contiguous operands only";
    }
  }
  return cases;
}

}  // namespace nabla::testing
