// The general fast path of the comparisons (eq, ne, lt, le, gt, ge), taken when compare.cpp's contiguous
// path declines: any broadcasting and strides, and float32, float64, int64 and bool operands (the one-hot
// eq(labels[n, 1], arange[1, c]) and the ignore_index mask ne(labels, -100) of cross_entropy's backward).
// Both operands are tensors of one dtype, or one of them is a single value of any dtype. The comparison
// type is the reference kernel's: int64 when both operands are integers or bool (exact), else double —
// except that a float tensor compares in its own type with a value that type holds exactly, which gives
// the same answers faster.
#include "backend/cpu/comparisons.h"
#include "backend/cpu/strided.h"
#include "core/element.h"

namespace nabla::cpu {
namespace {

using namespace comparisons;

bool covered(DType dtype) {
  return dtype == DType::f32 || dtype == DType::f64 || dtype == DType::i64 || dtype == DType::boolean;
}

// The operand read as one value (a wrapped number or a one-element tensor of another dtype).
bool is_value(const Tensor& operand, const Tensor& other) {
  return operand.numel() == 1 && (operand.dtype() != other.dtype() || other.numel() == 1);
}

// A one-element operand's value in type C: integers through int64, so that none is rounded on the way.
template <typename C>
C value_of(const Tensor& operand) {
  if (is_integral(operand.dtype())) return static_cast<C>(load_int(operand.dtype(), operand.raw_data(), 0));
  return static_cast<C>(operand.item());
}

// Compares a tensor of element type X with the other operand: a tensor of X, or one value in type C.
template <typename X, typename C, typename Compare>
void compare_with(const ops::KernelCall& call, const StridedLayout& layout, bool a_is_value, bool b_is_value,
                  Compare compare) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  auto* y = static_cast<uint8_t*>(call.outputs[0].raw_data());
  if (a_is_value) {
    const C value = value_of<C>(a);
    strided_apply<C>(layout, y, &value, static_cast<const X*>(b.raw_data()), compare);
  } else if (b_is_value) {
    const C value = value_of<C>(b);
    strided_apply<C>(layout, y, static_cast<const X*>(a.raw_data()), &value, compare);
  } else {
    strided_apply<C>(layout, y, static_cast<const X*>(a.raw_data()), static_cast<const X*>(b.raw_data()), compare);
  }
}

template <typename Compare>
void run_strided_compare(const ops::KernelCall& call, Compare compare) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const StridedLayout layout = collapse(call.outputs[0], a, b);
  const bool a_is_value = is_value(a, b), b_is_value = !a_is_value && is_value(b, a);
  const Tensor& tensor = a_is_value ? b : a;
  const Tensor& other = a_is_value ? a : b;
  const bool integers = is_integral(tensor.dtype()) && is_integral(other.dtype());
  switch (tensor.dtype()) {
    case DType::f64:
      compare_with<double, double>(call, layout, a_is_value, b_is_value, compare);
      break;
    case DType::f32: {
      // A float32 tensor with a value that float32 holds exactly compares in float32.
      const bool narrow =
          other.dtype() == DType::f32 || static_cast<double>(static_cast<float>(other.item())) == other.item();
      if (narrow) compare_with<float, float>(call, layout, a_is_value, b_is_value, compare);
      else compare_with<float, double>(call, layout, a_is_value, b_is_value, compare);
      break;
    }
    case DType::i64:
      if (integers) compare_with<int64_t, int64_t>(call, layout, a_is_value, b_is_value, compare);
      else compare_with<int64_t, double>(call, layout, a_is_value, b_is_value, compare);
      break;
    case DType::boolean:
      if (integers) compare_with<uint8_t, int64_t>(call, layout, a_is_value, b_is_value, compare);
      else compare_with<uint8_t, double>(call, layout, a_is_value, b_is_value, compare);
      break;
    default:
      break;  // the selector declined
  }
}

}  // namespace

ops::Kernel strided_compare_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  const Tensor& a = inputs[0];
  const Tensor& b = inputs[1];
  if (out.dtype() != DType::boolean || out.numel() == 0 || !strided_fits(out, a, b)) return nullptr;
  if (!covered(a.dtype()) || !covered(b.dtype())) return nullptr;
  // Tensors of one dtype, or a tensor and one value.
  if (a.dtype() != b.dtype() && a.numel() != 1 && b.numel() != 1) return nullptr;
  switch (op) {
    case ops::OpId::eq: return [](const ops::KernelCall& call) { run_strided_compare(call, Equal{}); };
    case ops::OpId::ne: return [](const ops::KernelCall& call) { run_strided_compare(call, NotEqual{}); };
    case ops::OpId::lt: return [](const ops::KernelCall& call) { run_strided_compare(call, Less{}); };
    case ops::OpId::le: return [](const ops::KernelCall& call) { run_strided_compare(call, LessEqual{}); };
    case ops::OpId::gt: return [](const ops::KernelCall& call) { run_strided_compare(call, Greater{}); };
    case ops::OpId::ge: return [](const ops::KernelCall& call) { run_strided_compare(call, GreaterEqual{}); };
    default: return nullptr;
  }
}

}  // namespace nabla::cpu
