// Fast comparisons (eq, ne, lt, le, gt, ge) of a contiguous float32/float64 tensor with a contiguous
// tensor of its own dtype and shape, or with a one-element operand (of its dtype, or a wrapped C++ number
// such as the 0 of ReLU's backward). The result is bool, as the reference kernel's. A scalar that the
// tensor's dtype does not hold exactly is compared in double, as the reference does (0.1 is not rounded
// to float first). Anything else takes the reference kernel.
#include "backend/cpu/fast.h"
#include "backend/cpu/comparisons.h"
#include "backend/cpu/strided.h"

namespace nabla::cpu {
namespace {

using namespace comparisons;

bool same_layout(const Tensor& operand, const Tensor& out) {
  return operand.is_contiguous() && operand.shape() == out.shape();
}

// y[i] = compare(a[i], b[i]) with a, b arrays or repeated values, compared as type C.
template <typename C, typename A, typename B, typename Compare>
void compare_range(uint8_t* y, A a, B b, int64_t begin, int64_t end, Compare compare) {
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) y[i] = compare(static_cast<C>(a(i)), static_cast<C>(b(i))) ? 1 : 0;
}

template <typename T, typename Compare>
void run_compare(const ops::KernelCall& call, Compare compare) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const Tensor& out = call.outputs[0];
  auto* y = static_cast<uint8_t*>(out.raw_data());
  const bool a_scalar = !same_layout(a, out), b_scalar = !same_layout(b, out);  // the selector checked the rest
  const double value = a_scalar ? a.item() : b_scalar ? b.item() : 0;
  const T* x_a = a_scalar ? nullptr : static_cast<const T*>(a.raw_data());
  const T* x_b = b_scalar ? nullptr : static_cast<const T*>(b.raw_data());
  auto array = [](const T* x) { return [x](int64_t i) { return x[i]; }; };
  // A scalar that T holds exactly (0 in ReLU's backward) compares the same in T as in double, and faster.
  const bool exact = static_cast<double>(static_cast<T>(value)) == value;
  auto repeated = [](auto v) { return [v](int64_t) { return v; }; };
  for_each_chunk(out.numel(), [&](int64_t begin, int64_t end) {
    if (!a_scalar && !b_scalar) {
      compare_range<T>(y, array(x_a), array(x_b), begin, end, compare);
    } else if (exact) {
      const T narrow = static_cast<T>(value);
      if (a_scalar) compare_range<T>(y, repeated(narrow), array(x_b), begin, end, compare);
      else compare_range<T>(y, array(x_a), repeated(narrow), begin, end, compare);
    } else {
      if (a_scalar) compare_range<double>(y, repeated(value), array(x_b), begin, end, compare);
      else compare_range<double>(y, array(x_a), repeated(value), begin, end, compare);
    }
  });
}

template <typename T>
ops::Kernel select(ops::OpId op) {
  switch (op) {
    case ops::OpId::eq: return [](const ops::KernelCall& call) { run_compare<T>(call, Equal{}); };
    case ops::OpId::ne: return [](const ops::KernelCall& call) { run_compare<T>(call, NotEqual{}); };
    case ops::OpId::lt: return [](const ops::KernelCall& call) { run_compare<T>(call, Less{}); };
    case ops::OpId::le: return [](const ops::KernelCall& call) { run_compare<T>(call, LessEqual{}); };
    case ops::OpId::gt: return [](const ops::KernelCall& call) { run_compare<T>(call, Greater{}); };
    case ops::OpId::ge: return [](const ops::KernelCall& call) { run_compare<T>(call, GreaterEqual{}); };
    default: return nullptr;
  }
}

}  // namespace

namespace {

ops::Kernel contiguous_compare_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  const Tensor& a = inputs[0];
  const Tensor& b = inputs[1];
  if (!out.is_contiguous() || out.dtype() != DType::boolean) return nullptr;
  // One operand is a tensor laid out as the result; the other is the same, or a wrapped number.
  const Tensor& full = same_layout(a, out) ? a : b;
  const Tensor& other = same_layout(a, out) ? b : a;
  if (!same_layout(full, out)) return nullptr;
  const bool other_fits = (same_layout(other, out) && other.dtype() == full.dtype()) ||
                          (other.numel() == 1 && (other.impl()->wrapped_number || other.dtype() == full.dtype()));
  if (!other_fits) return nullptr;
  if (full.dtype() == DType::f32) return select<float>(op);
  if (full.dtype() == DType::f64) return select<double>(op);
  return nullptr;
}

}  // namespace

ops::Kernel compare_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                         const ops::Attrs&) {
  // Broadcasting, strides, integers and bool: the general loop (strided_compare.cpp).
  const ops::Kernel kernel = contiguous_compare_fast(op, inputs, outputs);
  return kernel ? kernel : strided_compare_fast(op, inputs, outputs);
}

}  // namespace nabla::cpu
