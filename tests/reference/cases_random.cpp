// Fast-vs-reference cases for the random ops bernoulli and dropout (src/backend/cpu/random.cpp): each run draws
// from a fresh generator with the same seed, so the two kernels must produce the same elements from the same
// Philox numbers. Sizes of one, a prime, beyond L2 (split across threads), f64, and a strided input (declined).
#include "tests/reference/cases.h"

namespace nabla::testing {

namespace {

namespace F = functional;
using Inputs = std::vector<Tensor>;

// Probabilities in [0, 1] from U(−1, 1) inputs, with exact 0 and 1 at the ends (a draw never succeeds at 0).
Tensor probabilities(const Tensor& x) {
  Tensor p = (x + 1.0) * 0.5;
  p.view({-1}).data<float>()[0] = 0.0f;
  p.view({-1}).data<float>()[p.numel() - 1] = 1.0f;
  return p;
}

std::function<Tensor(Inputs)> bernoulli_case(DType dtype) {
  return [dtype](Inputs x) {
    Generator generator(23);
    return bernoulli(probabilities(x[0]).to(dtype), &generator);
  };
}

std::function<Tensor(Inputs)> dropout_case(double p, DType dtype, bool transposed = false) {
  return [=](Inputs x) {
    Generator generator(29);
    Tensor input = x[0].to(dtype);
    if (transposed) input = input.transpose(0, 1);
    return F::dropout(input, p, true, &generator);
  };
}

}  // namespace

NABLA_REFERENCE_CASES(random) {
  const std::string strided = "the fast kernel walks contiguous memory: a transposed input runs the reference";
  return {
      {"bernoulli_one", {{1}}, bernoulli_case(DType::f32)},
      {"bernoulli_prime", {{1009}}, bernoulli_case(DType::f32)},
      {"bernoulli_beyond_l2", {beyond_l2}, bernoulli_case(DType::f32)},
      {"bernoulli_f64", {{7, 13}}, bernoulli_case(DType::f64)},
      {"dropout_prime", {{1009}}, dropout_case(0.3, DType::f32)},
      {"dropout_beyond_l2", {beyond_l2}, dropout_case(0.2, DType::f32)},
      {"dropout_f64", {{7, 13}}, dropout_case(0.5, DType::f64)},
      {"dropout_nearly_all", {{64, 33}}, dropout_case(0.99, DType::f32)},
      on_reference(strided, {"dropout_transposed", {{33, 64}}, dropout_case(0.3, DType::f32, true)}),
  };
}

}  // namespace nabla::testing
