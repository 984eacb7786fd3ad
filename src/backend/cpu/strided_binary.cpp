// The general fast path of add/sub/mul/div/minimum/maximum (and add_/sub_/mul_/div_) for float32/float64
// results, taken when binary.cpp's specialised paths decline: any broadcasting (a column [n, 1], a bias
// [c] of [b, t, c], an outer product), any strides (transposed views, an in-place output that is one), and
// mixed operand dtypes of two kinds: a bool tensor (a mask) and a one-element operand of any dtype (a
// wrapped C++ number or a 0-dim tensor, such as a learning rate in float64). Both are exact or rounded
// once in the result's type, as binary.cpp's scalar path does. int64 results of int64 (or bool) operands
// (batch norm's num_batches_tracked += 1, index arithmetic) are exact integer arithmetic, as the reference's integer
// path; division, which the reference does in double, is left to it. Other mixes (float32 × float64 tensors,
// other integers) take the reference kernel.
#include <cmath>

#include "backend/cpu/strided.h"

namespace nabla::cpu {
namespace {

// minimum/maximum propagate NaN from either side, as the reference does.
struct Add { template <typename T> T operator()(T a, T b) const { return a + b; } };
struct Sub { template <typename T> T operator()(T a, T b) const { return a - b; } };
struct Mul { template <typename T> T operator()(T a, T b) const { return a * b; } };
struct Div { template <typename T> T operator()(T a, T b) const { return a / b; } };
struct Minimum { template <typename T> T operator()(T a, T b) const { return a < b || a != a ? a : b; } };
struct Maximum { template <typename T> T operator()(T a, T b) const { return a > b || a != a ? a : b; } };

// What an operand is to the loop: a tensor of the result's type T, a bool tensor, or one value.
enum class Source { same, mask, value };

Source source_of(const Tensor& operand, DType result) {
  if (operand.numel() == 1 && operand.dtype() != result) return Source::value;
  return operand.dtype() == DType::boolean ? Source::mask : Source::same;
}

template <typename T, typename Op>
void run_strided(const ops::KernelCall& call, Op op) {
  const Tensor& out = call.outputs[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const StridedLayout layout = collapse(out, a, b);
  T* y = static_cast<T*>(out.raw_data());
  // One-element operands are read once, in the result's type.
  const Source source_a = source_of(a, out.dtype()), source_b = source_of(b, out.dtype());
  const T value_a = source_a == Source::value ? static_cast<T>(a.item()) : T{};
  const T value_b = source_b == Source::value ? static_cast<T>(b.item()) : T{};
  auto with_b = [&]<typename A>(const A* x_a) {
    if (source_b == Source::value) strided_apply<T>(layout, y, x_a, &value_b, op);
    else if (source_b == Source::mask) strided_apply<T>(layout, y, x_a, static_cast<const uint8_t*>(b.raw_data()), op);
    else strided_apply<T>(layout, y, x_a, static_cast<const T*>(b.raw_data()), op);
  };
  if (source_a == Source::value) with_b(&value_a);
  else if (source_a == Source::mask) with_b(static_cast<const uint8_t*>(a.raw_data()));
  else with_b(static_cast<const T*>(a.raw_data()));
}

template <typename T>
ops::Kernel select(ops::OpId op) {
  switch (op) {
    case ops::OpId::add: case ops::OpId::add_: return [](const ops::KernelCall& call) { run_strided<T>(call, Add{}); };
    case ops::OpId::sub: case ops::OpId::sub_: return [](const ops::KernelCall& call) { run_strided<T>(call, Sub{}); };
    case ops::OpId::mul: case ops::OpId::mul_: return [](const ops::KernelCall& call) { run_strided<T>(call, Mul{}); };
    case ops::OpId::div: case ops::OpId::div_: return [](const ops::KernelCall& call) { run_strided<T>(call, Div{}); };
    case ops::OpId::minimum: return [](const ops::KernelCall& call) { run_strided<T>(call, Minimum{}); };
    case ops::OpId::maximum: return [](const ops::KernelCall& call) { run_strided<T>(call, Maximum{}); };
    default: return nullptr;
  }
}

}  // namespace

ops::Kernel strided_binary_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  if (out.numel() == 0 || !strided_fits(out, inputs[0], inputs[1])) return nullptr;
  if (out.dtype() == DType::i64) {
    // A bool operand (a mask) is an integer 0 or 1; a float operand would round differently from the
    // reference, which adds in double and truncates once.
    auto integral = [](const Tensor& operand) { return operand.dtype() == DType::i64 || operand.dtype() == DType::boolean; };
    const bool integers = integral(inputs[0]) && integral(inputs[1]);
    const bool division = op == ops::OpId::div || op == ops::OpId::div_;
    return integers && !division ? select<int64_t>(op) : nullptr;
  }
  if (out.dtype() != DType::f32 && out.dtype() != DType::f64) return nullptr;
  // Each operand is a tensor of the result's type, a bool tensor, or one value; two values are a scalar
  // op that the specialised path already serves.
  for (const Tensor& operand : inputs) {
    const bool fits = operand.dtype() == out.dtype() || operand.dtype() == DType::boolean || operand.numel() == 1;
    if (!fits) return nullptr;
  }
  if (out.dtype() == DType::f32) return select<float>(op);
  return select<double>(op);
}

}  // namespace nabla::cpu
