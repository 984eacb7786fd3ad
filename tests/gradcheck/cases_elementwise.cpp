// Gradcheck cases: elementwise unary and binary ops, where, and the in-place ops.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_GRADCHECK_CASES(elementwise) {
  using In = InputSpec;
  const Shape shape{3, 4};
  auto unary = [&](const char* name, OpId op, Tensor (*f)(const Tensor&), In::Kind kind = In::uniform) {
    return GradCase{name, {op}, {{shape, kind}}, [f](const std::vector<Tensor>& x) { return f(x[0]); }};
  };
  return {
      unary("neg", OpId::neg, &neg),
      unary("exp", OpId::exp, &exp),
      unary("log", OpId::log, &log, In::positive),
      unary("sqrt", OpId::sqrt, &sqrt, In::positive),
      unary("tanh", OpId::tanh, &tanh),
      unary("sigmoid", OpId::sigmoid, &sigmoid),
      unary("relu", OpId::relu, &relu),
      {"add", {OpId::add}, {{shape}, {shape}}, [](auto& x) { return x[0] + x[1]; }},
      {"add_broadcast", {OpId::add}, {{{2, 3, 4}}, {{4}}}, [](auto& x) { return x[0] + x[1]; }},
      {"sub", {OpId::sub}, {{shape}, {{3, 1}}}, [](auto& x) { return x[0] - x[1]; }},
      {"mul", {OpId::mul}, {{shape}, {shape}}, [](auto& x) { return x[0] * x[1]; }},
      {"mul_scalar", {OpId::mul}, {{shape}}, [](auto& x) { return x[0] * 2.5; }},
      {"div", {OpId::div}, {{shape}, {shape, In::positive}}, [](auto& x) { return x[0] / x[1]; }},
      {"pow", {OpId::pow}, {{shape, In::positive}, {shape}}, [](auto& x) { return pow(x[0], x[1]); }},
      {"pow_scalar", {OpId::pow}, {{shape, In::positive}}, [](auto& x) { return pow(x[0], 3.0); }},
      {"maximum", {OpId::maximum}, {{shape, In::distinct}, {shape, In::distinct}},
       [](auto& x) { return maximum(x[0], x[1]); }},
      {"where", {OpId::where}, {{shape, In::mask}, {shape}, {{4}}},
       [](auto& x) { return where(x[0], x[1], x[2]); }},
      {"add_inplace", {OpId::add_}, {{shape}, {shape}},
       [](auto& x) {
         Tensor y = x[0] * 1.0;  // a non-leaf copy that may be written in place
         y.add_(x[1] * x[1]);
         return y * x[0];
       }},
      {"mul_inplace", {OpId::mul_}, {{shape}, {{4}}},
       [](auto& x) {
         Tensor y = x[0] + 0.0;
         y.mul_(x[1]);
         return y * y;
       }},
  };
}

}  // namespace nabla::testing
