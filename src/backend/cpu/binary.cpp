// Fast f32 elementwise add/sub/mul/div for contiguous operands of the same shape, or a tensor and a
// one-element operand; OpenMP above parallel_threshold. Anything else takes the reference kernel.
#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {

enum class Operand { tensor, scalar };

template <typename Op>
void run_binary(const ops::KernelCall& call, Op op) {
  const Tensor& out = call.outputs[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const int64_t n = out.numel();
  float* y = static_cast<float*>(out.raw_data());
  auto load_scalar = [](const Tensor& t) { return static_cast<float>(t.item()); };
  // fits() admitted a one-element operand of another shape or dtype (a wrapped C++ number): read it once.
  auto is_scalar = [&](const Tensor& t) { return t.dtype() != DType::f32 || t.shape() != out.shape(); };
  const bool a_scalar = is_scalar(a), b_scalar = is_scalar(b);
  const float* x0 = a_scalar ? nullptr : static_cast<const float*>(a.raw_data());
  const float* x1 = b_scalar ? nullptr : static_cast<const float*>(b.raw_data());
  const float s0 = a_scalar ? load_scalar(a) : 0.0f, s1 = b_scalar ? load_scalar(b) : 0.0f;
#pragma omp parallel for simd schedule(static) if (n >= parallel_threshold)
  for (int64_t i = 0; i < n; ++i) y[i] = op(a_scalar ? s0 : x0[i], b_scalar ? s1 : x1[i]);
}

bool fits(const Tensor& operand, const Tensor& out) {
  if (operand.numel() == 1 && (operand.dtype() == DType::f32 || operand.impl()->wrapped_number)) return true;
  return operand.dtype() == DType::f32 && operand.is_contiguous() && operand.shape() == out.shape();
}

}  // namespace

ops::Kernel binary_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  if (out.dtype() != DType::f32 || !out.is_contiguous() || !fits(inputs[0], out) || !fits(inputs[1], out)) return nullptr;
  switch (op) {
    case ops::OpId::add: case ops::OpId::add_:
      return [](const ops::KernelCall& call) { run_binary(call, [](float a, float b) { return a + b; }); };
    case ops::OpId::sub:
      return [](const ops::KernelCall& call) { run_binary(call, [](float a, float b) { return a - b; }); };
    case ops::OpId::mul: case ops::OpId::mul_:
      return [](const ops::KernelCall& call) { run_binary(call, [](float a, float b) { return a * b; }); };
    case ops::OpId::div:
      return [](const ops::KernelCall& call) { run_binary(call, [](float a, float b) { return a / b; }); };
    default:
      return nullptr;
  }
}

}  // namespace nabla::cpu
