#pragma once
// Gradient checking: analytic gradients (autograd) against central finite differences, in float64.
// Points where the function has a kink (the one-sided differences disagree) are skipped, not failed — but
// a check that skipped more than max_kink_fraction of its elements fails, unless the function declares
// why it has that many kinks (allow_kinks): a check that skips most points proves little.
#include <functional>
#include <string>
#include <vector>

#include "nabla/tensor.h"

namespace nabla {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  uint64_t seed = 0;  // for the random projection of a non-scalar output
  double max_kink_fraction = 0.1;  // of the elements checked or skipped, per call
  std::string allow_kinks;         // why this function may have more kinks (empty: it may not)
};

struct GradcheckResult {
  bool ok = true;
  std::string message;   // the first mismatch: input, element, analytic vs numeric
  int64_t checked = 0;   // elements compared
  int64_t skipped = 0;   // elements at non-differentiable points
  double max_error = 0;  // largest |analytic − numeric|
};

using GradcheckFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks d(sum(function(inputs) · v))/d(input) for every input that requires grad (float64, contiguous,
// leaves), with v a fixed random tensor. With second_order, also checks the gradient of that gradient
// (the backward pass must itself be differentiable).
GradcheckResult gradcheck(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});
GradcheckResult gradgradcheck(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace nabla
