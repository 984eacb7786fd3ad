// Fast-vs-reference cases: f32 softmax and log_softmax along the last dim, cross_entropy's fused forward
// and layer_norm's forward. Shapes of size 1, primes, beyond L2 (> 2 MiB), extreme and infinite logits,
// and non-contiguous or other-dim inputs (which the fast paths decline: both runs take the reference).
#include <limits>
#include <optional>

#include "tests/reference/cases.h"

namespace nabla::testing {

namespace {

namespace F = functional;
using Inputs = std::vector<Tensor>;

const double infinity = std::numeric_limits<double>::infinity();

// Class indices for `rows` rows of `classes` logits, drawn from a fixed generator; every 7th row gets
// `ignored` (when it is given).
Tensor targets(int64_t rows, int64_t classes, std::optional<int64_t> ignored = {}) {
  Generator generator(17);
  Tensor target = randint(0, classes, {rows}, {.dtype = DType::i64}, &generator);
  if (ignored) for (int64_t row = 0; row < rows; row += 7) target.data<int64_t>()[row] = *ignored;
  return target;
}

Tensor class_weights(int64_t classes) {
  Generator generator(19);
  return rand({classes}, {}, &generator) + 0.5;
}

// Cross entropy of logits x[0] [N, C] with fixed targets.
std::function<Tensor(Inputs)> cross_entropy_case(F::CrossEntropyOptions options, bool weighted = false,
                                                 std::optional<int64_t> ignored = {}) {
  return [=](Inputs x) {
    F::CrossEntropyOptions with = options;
    const int64_t classes = x[0].shape().back();
    if (weighted) with.weight = class_weights(classes);
    return F::cross_entropy(x[0], targets(x[0].numel() / classes, classes, ignored), with);
  };
}

// `x` with a NaN in its second row (that row's results are NaN on both paths).
Tensor with_nan(const Tensor& x) {
  Tensor y = x.clone();
  y.data<float>()[x.shape().back() + 2] = std::numeric_limits<float>::quiet_NaN();
  return y;
}

// Logits of `x` with about a quarter of them −∞ (attention-style masking).
Tensor masked(const Tensor& x) { return where(gt(x, wrapped_scalar(0.5)), full({}, -infinity), x); }

}  // namespace

NABLA_REFERENCE_CASES(neural) {
  auto softmax_last = [](Inputs x) { return softmax(x[0], -1); };
  auto log_softmax_last = [](Inputs x) { return log_softmax(x[0], -1); };
  auto layer_norm_last = [](Inputs x) { return F::layer_norm(x[0], x[1].shape(), x[1], x[2]); };
  const std::string strided = "the fast kernel takes contiguous rows: a strided input runs the reference";
  return {
      {"softmax_size1", {{1}}, softmax_last},
      {"softmax_prime", {{7, 13}}, softmax_last},
      {"softmax_wide_rows", {{3, 1009}}, softmax_last},
      {"softmax_beyond_l2", {{1024, 1024}}, softmax_last},
      {"softmax_large_logits", {{31, 67}}, [](Inputs x) { return softmax(x[0] * 100.0, 1); }},
      {"softmax_masked", {{37, 41}}, [](Inputs x) { return softmax(masked(x[0]), -1); }},
      {"softmax_infinite_rows", {{5, 9}},
       [](Inputs x) { return softmax(cat({x[0], full({1, 9}, -infinity), full({1, 9}, infinity)}, 0), 1); }},
      {"softmax_nan_row", {{4, 37}}, [](Inputs x) { return softmax(with_nan(x[0]), 1); }},
      {"softmax_3d", {{4, 5, 33}}, softmax_last},
      on_reference(strided, {"softmax_transposed", {{33, 17}}, [](Inputs x) { return softmax(x[0].t(), 1); }}),
      on_reference("the fast softmax runs along the last dim only",
                   {"softmax_first_dim", {{33, 17}}, [](Inputs x) { return softmax(x[0], 0); }}),
      {"log_softmax_size1", {{1, 1}}, log_softmax_last},
      {"log_softmax_prime", {{13, 7}}, log_softmax_last},
      {"log_softmax_beyond_l2", {{256, 4099}}, log_softmax_last},
      {"log_softmax_large_logits", {{31, 67}}, [](Inputs x) { return log_softmax(x[0] * 1000.0, 1); }},
      // −∞ results are clamped to −10³⁰: the driver's tolerance check can't compare −∞ with −∞.
      {"log_softmax_masked", {{37, 41}},
       [](Inputs x) { return maximum(log_softmax(masked(x[0]), -1), full({}, -1e30)); }},
      {"log_softmax_nan_row", {{4, 37}}, [](Inputs x) { return log_softmax(with_nan(x[0]), 1); }},
      on_reference(strided, {"log_softmax_sliced", {{17, 40}}, [](Inputs x) { return log_softmax(x[0].slice(1, 0, 40, 2), 1); }}),
      {"cross_entropy_size1", {{1, 1}}, cross_entropy_case({})},
      {"cross_entropy_prime_mean", {{13, 7}}, cross_entropy_case({})},
      {"cross_entropy_prime_none", {{13, 7}}, cross_entropy_case({.reduction = Reduction::none})},
      {"cross_entropy_sum_ignore", {{29, 11}}, cross_entropy_case({.ignore_index = 3, .reduction = Reduction::sum}, false, 3)},
      {"cross_entropy_beyond_l2", {{1024, 1031}}, cross_entropy_case({})},
      {"cross_entropy_weight_smoothing", {{61, 37}},
       cross_entropy_case({.reduction = Reduction::none, .label_smoothing = 0.2}, true, -100)},
      {"cross_entropy_weight_smoothing_mean", {{257, 19}}, cross_entropy_case({.label_smoothing = 0.1}, true, -100)},
      {"cross_entropy_large_logits", {{31, 23}},
       [](Inputs x) { return F::cross_entropy(x[0] * 1000.0, targets(31, 23), {.reduction = Reduction::none}); }},
      {"cross_entropy_nan_row", {{4, 37}},
       [](Inputs x) { return F::cross_entropy(with_nan(x[0]), targets(4, 37), {.reduction = Reduction::none}); }},
      on_reference(strided, {"cross_entropy_transposed", {{9, 15}},
                             [](Inputs x) { return F::cross_entropy(x[0].t(), targets(15, 9), {}); }}),
      {"layer_norm_size1", {{1, 1}, {1}, {1}}, layer_norm_last},
      {"layer_norm_prime", {{7, 13}, {13}, {13}}, layer_norm_last},
      {"layer_norm_offset_rows", {{9, 31}, {31}, {31}},
       [](Inputs x) { return F::layer_norm(x[0] * 5.0 + 20.0, {31}, x[1], x[2]); }},
      {"layer_norm_two_dims", {{3, 5, 7}, {5, 7}, {5, 7}}, layer_norm_last},
      {"layer_norm_beyond_l2", {{64, 16384}, {16384}, {16384}}, layer_norm_last},
      {"layer_norm_no_affine", {{5, 129}}, [](Inputs x) { return F::layer_norm(x[0], {129}); }},
      on_reference(strided, {"layer_norm_transposed", {{13, 7}, {13}, {13}},
                             [](Inputs x) { return F::layer_norm(x[0].t(), {13}, x[1], x[2]); }}),
  };
}

}  // namespace nabla::testing
