// Fast float32/float64 elementwise add/sub/mul/div/minimum/maximum (and add_/sub_/mul_/div_) for contiguous
// operands of the output's shape, a one-element operand (a wrapped C++ number), or a contiguous row
// vector [n] broadcast over a contiguous [.., n] tensor (a bias add); and mul by a bool mask of the other
// operand's layout. OpenMP above parallel_threshold.
// On AVX-512, outputs of streaming_bytes or more are written with streaming stores. Anything else takes
// the reference kernel.
#include <algorithm>
#include <cmath>
#include <optional>


#include "backend/cpu/fast.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/strided.h"

namespace nabla::cpu {
namespace {

enum class Operand { tensor, scalar, row };

// How `operand` feeds `out`, or nothing when no fast path covers it.
std::optional<Operand> classify(const Tensor& operand, const Tensor& out) {
  const bool same_dtype = operand.dtype() == out.dtype();
  if (same_dtype && operand.is_contiguous() && operand.shape() == out.shape()) return Operand::tensor;
  if (operand.numel() == 1 && (same_dtype || operand.impl()->wrapped_number)) return Operand::scalar;
  const int64_t columns = out.dim() ? out.shape().back() : 1;
  if (same_dtype && operand.is_contiguous() && out.dim() >= 2 && operand.dim() >= 1 &&
      operand.shape().back() == columns && operand.numel() == columns) {
    return Operand::row;  // broadcasting already checked that its other dims are 1
  }
  return std::nullopt;
}

#ifdef __AVX512F__
// One 64-byte vector of T, for the streaming loop.
template <typename T>
struct Simd;
template <>
struct Simd<float> {
  using Vector = __m512;
  static constexpr int64_t width = 16;
  static Vector load(const float* p) { return _mm512_loadu_ps(p); }
  static Vector splat(float v) { return _mm512_set1_ps(v); }
  static void stream(float* p, Vector v) { _mm512_stream_ps(p, v); }
  static Vector add(Vector a, Vector b) { return _mm512_add_ps(a, b); }
  static Vector sub(Vector a, Vector b) { return _mm512_sub_ps(a, b); }
  static Vector mul(Vector a, Vector b) { return _mm512_mul_ps(a, b); }
  static Vector div(Vector a, Vector b) { return _mm512_div_ps(a, b); }
  // a where a is `compare` b or a is NaN, else b (minimum/maximum with NaN propagating from either side).
  template <int compare>
  static Vector pick(Vector a, Vector b) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, compare) | _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), b, a);
  }
};
template <>
struct Simd<double> {
  using Vector = __m512d;
  static constexpr int64_t width = 8;
  static Vector load(const double* p) { return _mm512_loadu_pd(p); }
  static Vector splat(double v) { return _mm512_set1_pd(v); }
  static void stream(double* p, Vector v) { _mm512_stream_pd(p, v); }
  static Vector add(Vector a, Vector b) { return _mm512_add_pd(a, b); }
  static Vector sub(Vector a, Vector b) { return _mm512_sub_pd(a, b); }
  static Vector mul(Vector a, Vector b) { return _mm512_mul_pd(a, b); }
  static Vector div(Vector a, Vector b) { return _mm512_div_pd(a, b); }
  template <int compare>
  static Vector pick(Vector a, Vector b) {
    return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, b, compare) | _mm512_cmp_pd_mask(a, a, _CMP_UNORD_Q), b, a);
  }
};
#endif

// An operand seen element by element: an array, or one value repeated.
template <typename T>
struct Elements {
  const T* data;
  T operator[](int64_t i) const { return data[i]; }
#ifdef __AVX512F__
  auto vector(int64_t i) const { return Simd<T>::load(data + i); }
#endif
};
template <typename T>
struct Repeated {
  T value;
  T operator[](int64_t) const { return value; }
#ifdef __AVX512F__
  auto vector(int64_t) const { return Simd<T>::splat(value); }
#endif
};

// The operations, written once for float and double, element by element and (for the streaming loop) a
// vector at a time. minimum/maximum propagate NaN as the reference does.
struct Add {
  template <typename T> T operator()(T a, T b) const { return a + b; }
  template <typename S, typename V> V vector(V a, V b) const { return S::add(a, b); }
};
struct Sub {
  template <typename T> T operator()(T a, T b) const { return a - b; }
  template <typename S, typename V> V vector(V a, V b) const { return S::sub(a, b); }
};
struct Mul {
  template <typename T> T operator()(T a, T b) const { return a * b; }
  template <typename S, typename V> V vector(V a, V b) const { return S::mul(a, b); }
};
struct Div {
  template <typename T> T operator()(T a, T b) const { return a / b; }
  template <typename S, typename V> V vector(V a, V b) const { return S::div(a, b); }
};
#ifdef __AVX512F__
struct Minimum {
  template <typename T> T operator()(T a, T b) const { return a < b || a != a ? a : b; }
  template <typename S, typename V> V vector(V a, V b) const { return S::template pick<_CMP_LT_OQ>(a, b); }
};
struct Maximum {
  template <typename T> T operator()(T a, T b) const { return a > b || a != a ? a : b; }
  template <typename S, typename V> V vector(V a, V b) const { return S::template pick<_CMP_GT_OQ>(a, b); }
};
#else
struct Minimum { template <typename T> T operator()(T a, T b) const { return a < b || a != a ? a : b; } };
struct Maximum { template <typename T> T operator()(T a, T b) const { return a > b || a != a ? a : b; } };
#endif

// y[k] = op(a[begin + k], b[begin + k]) for k < count, in a loop the compiler vectorises for each
// combination of operand kinds.
template <typename T, typename A, typename B, typename Op>
void apply_range(T* y, A a, B b, int64_t begin, int64_t count, Op op) {
#pragma omp simd
  for (int64_t k = 0; k < count; ++k) y[k] = op(a[begin + k], b[begin + k]);
}

#ifdef __AVX512F__
// The same with streaming stores for the aligned whole vectors (the caller fences once per range).
template <typename T, typename A, typename B, typename Op>
void stream_range(T* y, A a, B b, int64_t begin, int64_t count, Op op) {
  using S = Simd<T>;
  int64_t k = 0;
  for (; k < count && reinterpret_cast<uintptr_t>(y + k) % 64 != 0; ++k) y[k] = op(a[begin + k], b[begin + k]);
  for (; k + S::width <= count; k += S::width) {
    S::stream(y + k, op.template vector<S>(a.vector(begin + k), b.vector(begin + k)));
  }
  for (; k < count; ++k) y[k] = op(a[begin + k], b[begin + k]);
}
#endif

// Writes y[0, count) from elements [begin, begin + count) of the operands.
template <typename T, typename A, typename B, typename Op>
void write(T* y, A a, B b, int64_t begin, int64_t count, Op op, bool streaming) {
#ifdef __AVX512F__
  if (streaming) {
    stream_range(y, a, b, begin, count, op);
    return;
  }
#endif
  apply_range(y, a, b, begin, count, op);
}

// The row operand repeats every `columns` elements: walk the range one row segment at a time.
template <typename T, typename Op>
void write_rows(T* y, const T* full, const T* row, bool row_first, int64_t columns, int64_t begin, int64_t count,
                Op op, bool streaming) {
  for (int64_t done = 0; done < count;) {
    const int64_t i = begin + done, column = i % columns;
    const int64_t length = std::min(columns - column, count - done);
    if (row_first) {
      write(y + done, Elements<T>{row + column}, Elements<T>{full + i}, 0, length, op, streaming);
    } else {
      write(y + done, Elements<T>{full + i}, Elements<T>{row + column}, 0, length, op, streaming);
    }
    done += length;
  }
}

template <typename T, typename Op>
void run_binary(const ops::KernelCall& call, Op op) {
  const Tensor& out = call.outputs[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const Operand kind_a = *classify(a, out), kind_b = *classify(b, out);  // the selector checked both
  T* y = static_cast<T*>(out.raw_data());
  auto pointer = [](const Tensor& t) { return static_cast<const T*>(t.raw_data()); };
  // One-element operands are read once, outside the parallel region.
  const T value_a = kind_a == Operand::scalar ? static_cast<T>(a.item()) : T{};
  const T value_b = kind_b == Operand::scalar ? static_cast<T>(b.item()) : T{};
  const int64_t columns = out.dim() ? out.shape().back() : 1;
  // In place (add_, mul_) the output lines were just read into the cache: streaming gains nothing there.
  const bool streaming = out.numel() * static_cast<int64_t>(sizeof(T)) >= streaming_bytes &&
                         out.storage() != a.storage() && out.storage() != b.storage();
  for_each_chunk(out.numel(), [&](int64_t begin, int64_t end) {
    T* destination = y + begin;
    const int64_t count = end - begin;
    if (kind_a == Operand::row || kind_b == Operand::row) {
      const bool row_first = kind_a == Operand::row;
      write_rows(destination, pointer(row_first ? b : a), pointer(row_first ? a : b), row_first, columns, begin, count,
                 op, streaming);
    } else if (kind_a == Operand::tensor && kind_b == Operand::tensor) {
      write(destination, Elements<T>{pointer(a)}, Elements<T>{pointer(b)}, begin, count, op, streaming);
    } else if (kind_a == Operand::tensor) {
      write(destination, Elements<T>{pointer(a)}, Repeated<T>{value_b}, begin, count, op, streaming);
    } else if (kind_b == Operand::tensor) {
      write(destination, Repeated<T>{value_a}, Elements<T>{pointer(b)}, begin, count, op, streaming);
    } else {
      write(destination, Repeated<T>{value_a}, Repeated<T>{value_b}, begin, count, op, streaming);
    }
#ifdef __AVX512F__
    if (streaming) _mm_sfence();  // streaming stores are weakly ordered: publish them before the region ends
#endif
  });
}

template <typename T>
ops::Kernel select(ops::OpId op) {
  switch (op) {
    case ops::OpId::add: case ops::OpId::add_: return [](const ops::KernelCall& call) { run_binary<T>(call, Add{}); };
    case ops::OpId::sub: case ops::OpId::sub_: return [](const ops::KernelCall& call) { run_binary<T>(call, Sub{}); };
    case ops::OpId::mul: case ops::OpId::mul_: return [](const ops::KernelCall& call) { run_binary<T>(call, Mul{}); };
    case ops::OpId::div: case ops::OpId::div_: return [](const ops::KernelCall& call) { run_binary<T>(call, Div{}); };
    case ops::OpId::minimum: return [](const ops::KernelCall& call) { run_binary<T>(call, Minimum{}); };
    case ops::OpId::maximum: return [](const ops::KernelCall& call) { run_binary<T>(call, Maximum{}); };
    default: return nullptr;
  }
}

// y = x · mask for a bool mask of x's layout (ReLU's and max-style backward passes multiply a gradient by
// a comparison). Written as a multiplication, not a select, so that NaN and ±inf in x give what the
// reference gives (inf · 0 = NaN).
template <typename T>
void run_masked_multiply(const ops::KernelCall& call) {
  const bool mask_first = call.inputs[0].dtype() == DType::boolean;
  const T* x = static_cast<const T*>(call.inputs[mask_first ? 1 : 0].raw_data());
  const auto* mask = static_cast<const uint8_t*>(call.inputs[mask_first ? 0 : 1].raw_data());
  T* y = static_cast<T*>(call.outputs[0].raw_data());
  for_each_chunk(call.outputs[0].numel(), [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) y[i] = x[i] * static_cast<T>(mask[i]);
  });
}

ops::Kernel masked_multiply_fast(const std::vector<Tensor>& inputs, const Tensor& out) {
  const int mask_index = inputs[0].dtype() == DType::boolean ? 0 : 1;
  const Tensor& mask = inputs[static_cast<size_t>(mask_index)];
  const Tensor& x = inputs[static_cast<size_t>(1 - mask_index)];
  auto same_layout = [&](const Tensor& t) { return t.is_contiguous() && t.shape() == out.shape(); };
  if (mask.dtype() != DType::boolean || x.dtype() != out.dtype() || !same_layout(mask) || !same_layout(x)) return nullptr;
  if (out.dtype() == DType::f32) return &run_masked_multiply<float>;
  if (out.dtype() == DType::f64) return &run_masked_multiply<double>;
  return nullptr;
}

}  // namespace

ops::Kernel binary_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs&) {
  const Tensor& out = outputs[0];
  const bool has_mask = inputs[0].dtype() == DType::boolean || inputs[1].dtype() == DType::boolean;
  ops::Kernel kernel = nullptr;
  if (out.is_contiguous() && op == ops::OpId::mul && has_mask) {
    kernel = masked_multiply_fast(inputs, out);
  } else if (out.is_contiguous() && classify(inputs[0], out) && classify(inputs[1], out)) {
    if (out.dtype() == DType::f32) kernel = select<float>(op);
    if (out.dtype() == DType::f64) kernel = select<double>(op);
  }
  // Any other broadcasting, strides or mix of dtypes: the general loop (strided_binary.cpp).
  return kernel ? kernel : strided_binary_fast(op, inputs, outputs);
}

}  // namespace nabla::cpu
