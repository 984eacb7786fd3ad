// Gradcheck cases: the elementwise ops, in two lists: the core unary and binary ops, where, add_ and mul_;
// then the other unary ops, the activations, the several-input ops (minimum, lerp, addcmul, addcdiv), copy_
// and the other in-place ops (sub_, div_, clamp_, relu_, masked_fill_, and fill_/zero_ built on copy_).
// Points at kinks (abs, clamp, sign's jump) are skipped by the harness. The lists register in this order,
// which keeps each case's index, and so its seed, as it was when they were two files.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_GRADCHECK_CASES(core_elementwise) {
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

NABLA_GRADCHECK_CASES(activations_several_inputs_inplace) {
  using In = InputSpec;
  const Shape shape{3, 4};
  using Function = std::function<Tensor(const Tensor&)>;
  auto unary = [&](const char* name, OpId op, Function f, In::Kind kind = In::uniform) {
    return GradCase{name, {op}, {{shape, kind}}, [f](const std::vector<Tensor>& x) { return f(x[0]); }};
  };
  // A non-leaf copy of x that may be written in place.
  auto writable = [](const Tensor& x) { return x * 1.0; };
  return {
      unary("abs", OpId::abs, [](const Tensor& x) { return abs(x); }),
      unary("sign", OpId::sign, [](const Tensor& x) { return sign(x) * x; }),
      unary("log1p", OpId::log1p, [](const Tensor& x) { return log1p(x); }, In::positive),
      unary("rsqrt", OpId::rsqrt, [](const Tensor& x) { return rsqrt(x); }, In::positive),
      unary("sin", OpId::sin, [](const Tensor& x) { return sin(x * 3.0); }),
      unary("cos", OpId::cos, [](const Tensor& x) { return cos(x * 3.0); }),
      unary("leaky_relu", OpId::leaky_relu, [](const Tensor& x) { return leaky_relu(x, 0.2); }),
      unary("elu", OpId::elu, [](const Tensor& x) { return elu(x * 2.0, 0.7); }),
      unary("elu_negative_alpha", OpId::elu, [](const Tensor& x) { return elu(x * 2.0, -0.5); }),
      // First order goes through the fused gelu_backward op; the second order through the composite.
      GradCase{"gelu", {OpId::gelu, OpId::gelu_backward}, {{shape, In::uniform}},
               [](const std::vector<Tensor>& x) { return gelu(x[0] * 3.0); }},
      GradCase{"gelu_tanh", {OpId::gelu, OpId::gelu_backward}, {{shape, In::uniform}},
               [](const std::vector<Tensor>& x) { return gelu(x[0] * 3.0, GeluApproximation::tanh); }},
      unary("silu", OpId::silu, [](const Tensor& x) { return silu(x * 3.0); }),
      unary("softplus", OpId::softplus, [](const Tensor& x) { return softplus(x * 3.0); }),
      // β = 2, threshold 1: the linear part above x = 0.5 is exercised too.
      unary("softplus_threshold", OpId::softplus, [](const Tensor& x) { return softplus(x, 2.0, 1.0); }),
      unary("clamp", OpId::clamp, [](const Tensor& x) { return clamp(x, -0.5, 0.5); }),
      unary("clamp_min", OpId::clamp, [](const Tensor& x) { return clamp(x, 0.1, std::nullopt); }),
      unary("clamp_max", OpId::clamp, [](const Tensor& x) { return clamp(x, std::nullopt, -0.2); }),
      {"minimum", {OpId::minimum}, {{shape, In::distinct}, {shape, In::distinct}},
       [](auto& x) { return minimum(x[0], x[1]); }},
      {"minimum_broadcast", {OpId::minimum}, {{shape}, {{4}}}, [](auto& x) { return minimum(x[0], x[1]); }},
      {"lerp", {OpId::lerp}, {{shape}, {shape}, {shape}}, [](auto& x) { return lerp(x[0], x[1], x[2]); }},
      {"lerp_broadcast", {OpId::lerp}, {{{2, 3, 4}}, {{4}}, {{3, 1}}}, [](auto& x) { return lerp(x[0], x[1], x[2]); }},
      {"lerp_scalar", {OpId::lerp}, {{shape}, {shape}}, [](auto& x) { return lerp(x[0], x[1], 0.7); }},
      {"addcmul", {OpId::addcmul}, {{shape}, {shape}, {{4}}}, [](auto& x) { return addcmul(x[0], x[1], x[2], 0.5); }},
      {"addcdiv", {OpId::addcdiv}, {{{4}}, {shape}, {shape, In::positive}},
       [](auto& x) { return addcdiv(x[0], x[1], x[2], -1.5); }},
      // copy_: self's old value gets a zero gradient, src the gradient summed over the broadcast rows.
      {"copy_", {OpId::copy_}, {{shape}, {{4}}},
       [writable](auto& x) {
         Tensor y = writable(x[0]);
         copy_(y, x[1]);
         return y * x[0];
       }},
      {"div_inplace", {OpId::div_}, {{shape}, {shape, In::positive}},
       [writable](auto& x) {
         Tensor y = writable(x[0]);
         div_(y, x[1]);
         return y * x[1];
       }},
      {"sub_inplace", {OpId::sub_}, {{shape}, {{4}}},
       [writable](auto& x) {
         Tensor y = writable(x[0]);
         sub_(y, x[1] * x[1]);
         return y * y;
       }},
      {"clamp_relu_inplace", {OpId::clamp_, OpId::relu_}, {{shape}},
       [writable](auto& x) {
         Tensor y = writable(x[0]);
         clamp_(y, -0.5, std::nullopt);
         relu_(y);
         return y * x[0];
       }},
      {"masked_fill_inplace", {OpId::masked_fill_}, {{shape}, {{4}, In::mask}},
       [writable](auto& x) {
         Tensor y = writable(x[0]);
         masked_fill_(y, x[1], 0.25);
         return y * x[0];
       }},
      // Operators on a non-leaf: the compound assignments are the in-place ops.
      {"compound_assignment", {OpId::add_, OpId::sub_, OpId::mul_, OpId::div_}, {{shape}, {shape, In::positive}},
       [writable](auto& x) {
         Tensor y = writable(x[0]);
         y += x[1];
         y *= x[0];
         y -= 0.5;
         y /= x[1];
         return y;
       }},
      {"fill_zero_inplace", {OpId::copy_}, {{shape}},
       [writable](auto& x) {
         Tensor y = writable(x[0]);
         Tensor z = writable(x[0]);
         fill_(y, 2.0);
         zero_(z);
         return y * x[0] + z;
       }},
  };
}

}  // namespace nabla::testing
