// Fast-vs-reference cases: the float32 unary ops and activations (src/backend/cpu/elementwise.cpp), the
// binary fast path's minimum/maximum, bias rows and float64 (src/backend/cpu/binary.cpp), and copy_.
// Inputs are U(−1, 1) (or U(0.5, 2.5) with positive); cases scale them to reach each op's interesting
// range. Tolerances: 1e-6 relative to max(1, |reference|), i.e. a few float32 ulps near 1.
#include "tests/reference/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_REFERENCE_CASES(elementwise) {
  using Inputs = std::vector<Tensor>;
  using Function = std::function<Tensor(Inputs)>;
  ReferenceCaseList cases;
  // Each unary op on: one element, a prime length (a vector tail), beyond L2 (the parallel path), and a
  // transposed input. The fast kernels take contiguous inputs: where the op itself gets the transposed
  // input (`transposed` = Expect::reference), both runs take the reference kernel — the case pins down that
  // the fast path declines it; where the case scales the input first, the op sees a contiguous tensor.
  auto unary = [&](const std::string& name, Function f, bool positive = false, Expect transposed = Expect::fast) {
    cases.push_back({name + "_size1", {{1}}, f, positive});
    cases.push_back({name + "_prime", {{7, 13}}, f, positive});
    cases.push_back({name + "_beyond_l2", {beyond_l2}, f, positive});
    ReferenceCase strided{name + "_transposed", {{31, 37}}, [f](Inputs x) { return f({x[0].t()}); }, positive};
    if (transposed == Expect::reference) strided = on_reference("no fast kernel for a strided input", strided);
    cases.push_back(strided);
  };
  unary("neg", [](Inputs x) { return -x[0]; }, false, Expect::reference);
  unary("abs", [](Inputs x) { return abs(x[0]); }, false, Expect::reference);
  unary("sign", [](Inputs x) { return sign(x[0]); }, false, Expect::reference);
  unary("relu", [](Inputs x) { return relu(x[0]); }, false, Expect::reference);
  unary("floor", [](Inputs x) { return floor(x[0] * 10.0); });
  unary("ceil", [](Inputs x) { return ceil(x[0] * 10.0); });
  unary("round", [](Inputs x) { return round(x[0] * 10.0); });
  unary("round_halves", [](Inputs x) { return round(round(x[0] * 20.0) * 0.5); });  // exact .5 ties
  unary("sqrt", [](Inputs x) { return sqrt(x[0]); }, true, Expect::reference);
  unary("rsqrt", [](Inputs x) { return rsqrt(x[0]); }, true, Expect::reference);
  unary("exp", [](Inputs x) { return exp(x[0] * 88.0); });  // up to 1.6e38 and down into denormals
  unary("exp_small", [](Inputs x) { return exp(x[0]); }, false, Expect::reference);
  unary("log", [](Inputs x) { return log(x[0]); }, true, Expect::reference);
  unary("log_wide", [](Inputs x) { return log(exp(x[0] * 80.0)); });
  // Negatives give NaN. The offset is a float off the inputs' grid: never exactly 0 (the driver would
  // compare −∞ with −∞ as a NaN difference), and subtracted exactly by both kernels.
  unary("log_edges", [](Inputs x) { return log(x[0] - (0.5 + 0x1p-24)); });
  unary("log1p", [](Inputs x) { return log1p(x[0]); }, false, Expect::reference);
  unary("log1p_tiny", [](Inputs x) { return log1p(x[0] * 1e-6); });
  unary("log1p_wide", [](Inputs x) { return log1p(exp(x[0] * 30.0)); });
  unary("tanh", [](Inputs x) { return tanh(x[0] * 4.0); });
  unary("tanh_small", [](Inputs x) { return tanh(x[0] * 0.7); });
  unary("sigmoid", [](Inputs x) { return sigmoid(x[0] * 20.0); });
  unary("silu", [](Inputs x) { return silu(x[0] * 20.0); });
  unary("sin", [](Inputs x) { return sin(x[0] * 100.0); });
  unary("cos", [](Inputs x) { return cos(x[0] * 100.0); });
  unary("sin_large", [](Inputs x) { return sin(x[0] * 3e6); });  // the per-lane fallback
  unary("leaky_relu", [](Inputs x) { return leaky_relu(x[0], 0.1); }, false, Expect::reference);
  unary("elu", [](Inputs x) { return elu(x[0] * 5.0, 1.3); });
  unary("gelu", [](Inputs x) { return gelu(x[0] * 8.0); });
  unary("gelu_tanh", [](Inputs x) { return gelu(x[0] * 8.0, GeluApproximation::tanh); });
  unary("softplus", [](Inputs x) { return softplus(x[0] * 30.0); });
  unary("softplus_beta", [](Inputs x) { return softplus(x[0] * 10.0, 0.7, 5.0); });
  unary("clamp", [](Inputs x) { return clamp(x[0], -0.3, 0.1); }, false, Expect::reference);
  unary("clamp_reversed", [](Inputs x) { return clamp(x[0], 0.5, -0.5); }, false, Expect::reference);
  unary("isfinite", [](Inputs x) { return isfinite(log(x[0])); });
  unary("isnan", [](Inputs x) { return isnan(log(x[0])); });
  unary("logical_not", [](Inputs x) { return logical_not(relu(x[0])); });

  const Shape beyond_streaming{(8 << 20) + 7};  // 32 MiB of float32, and 28 bytes
  auto add = [](Inputs x) { return x[0] + x[1]; };
  auto as_double = [](Function f) { return [f](Inputs x) { return f({x[0].to(DType::f64), x[1].to(DType::f64)}); }; };
  auto minimum_of = [](Inputs x) { return minimum(x[0], x[1]); };
  auto maximum_of = [](Inputs x) { return maximum(x[0], x[1]); };
  auto ties = [](Function f) { return [f](Inputs x) { return f({round(x[0] * 4.0), round(x[1] * 4.0)}); }; };
  ReferenceCaseList binary = {
      {"minimum_prime", {{97}, {97}}, minimum_of},
      {"minimum_beyond_l2", {beyond_l2, beyond_l2}, minimum_of},
      {"minimum_ties", {{1001}, {1001}}, ties(minimum_of)},
      {"minimum_scalar", {{1001}}, [](Inputs x) { return minimum(x[0], scalar_tensor(0.25)); }},
      {"minimum_nan", {{1001}, {1001}}, [](Inputs x) { return minimum(log(x[0] - (0.5 + 0x1p-24)), x[1]); }},
      {"maximum_prime", {{97}, {97}}, maximum_of},
      {"maximum_beyond_l2", {beyond_l2, beyond_l2}, maximum_of},
      {"maximum_nan", {{1001}, {1001}}, [](Inputs x) { return maximum(x[0], log(x[1] - (0.5 + 0x1p-24))); }},
      {"maximum_bias_row", {{33, 17}, {17}}, maximum_of},
      {"add_bias_beyond_l2", {{1024, 1024}, {1024}}, add},
      {"add_bias_first", {{1024}, {1024, 1024}}, add},
      {"add_bias_3d", {{5, 7, 129}, {1, 129}}, add},
      {"add_bias_narrow", {{100003, 3}, {3}}, add},
      {"sub_bias", {{257, 31}, {31}}, [](Inputs x) { return x[0] - x[1]; }},
      {"div_bias", {{257, 31}, {31}}, [](Inputs x) { return x[0] / x[1]; }, true},
      about({OpId::mul_}, {"mul_bias_inplace", {{257, 31}, {31}}, [](Inputs x) { return x[0].mul_(x[1]); }}),
      {"add_column", {{33, 17}, {33, 1}}, add},
      {"add_f64_beyond_l2", {beyond_l2, beyond_l2}, as_double(add)},
      {"mul_f64_scalar", {{4099}}, [](Inputs x) { return x[0].to(DType::f64) * 3.0; }},
      {"div_f64_bias", {{257, 31}, {31}}, as_double([](Inputs x) { return x[0] / x[1]; }), true},
      {"minimum_f64", {{1001}, {1001}}, as_double(minimum_of)},
      {"sub_f64_scalar_first", {{1001}}, [](Inputs x) { return 0.1 - x[0].to(DType::f64); }},
      about({OpId::add_}, {"add_f64_inplace_bias", {{64, 65}, {65}}, as_double([](Inputs x) { return x[0].add_(x[1]); })}),
      // Outputs of 32 MiB or more go out with streaming stores (fast.h: streaming_bytes); odd sizes and
      // rows of 1023 also exercise the unaligned heads and the tails.
      {"add_streaming", {beyond_streaming, beyond_streaming}, add},
      {"exp_streaming", {beyond_streaming}, [](Inputs x) { return exp(x[0] * 10.0); }},
      {"maximum_bias_streaming", {{8210, 1023}, {1023}}, maximum_of},
      {"sub_f64_scalar_streaming", {{(4 << 20) + 3}}, [](Inputs x) { return x[0].to(DType::f64) - 0.5; }},
      about({OpId::copy_}, {"copy_contiguous", {{1 << 20}, {1 << 20}}, [](Inputs x) { return copy_(x[0], x[1]); }}),
      about({OpId::copy_}, {"copy_fill", {{4099}}, [](Inputs x) { return fill_(x[0], 0.3); }}),
      on_reference("no fast kernel copies between dtypes", {"copy_cast", {{4099}}, [](Inputs x) {
                     Tensor doubles = x[0].to(DType::f64);
                     return copy_(doubles, x[0] * 3.0);
                   }}, {OpId::copy_}),
      on_reference("no fast kernel copies from a broadcast source",
                   {"copy_broadcast", {{64, 65}, {65}}, [](Inputs x) { return copy_(x[0], x[1]); }}, {OpId::copy_}),
  };
  cases.insert(cases.end(), binary.begin(), binary.end());
  return cases;
}

}  // namespace nabla::testing
