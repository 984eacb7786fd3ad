// Fast where and masked_fill: choosing, element by element, between two broadcast operands (an attention
// mask over scores, a condition over activations). The output is contiguous; each operand is read through
// its broadcast strides, as rows of the last dim (Offsets for the leading dims, one stride within a row),
// so a [T, T] mask over [B, H, T, T] scores costs no copy. A row whose operands are all contiguous runs a
// branch-free loop the compiler vectorises.
//   where        out = condition ? a : b      any dtype (a, b and out alike): bytes move
//   masked_fill  out = mask ? value : self    f32, f64
#include "backend/cpu/fast.h"
#include "backend/cpu/offsets.h"
#include "ops/iterate.h"

namespace nabla::cpu {
namespace {

// One operand seen as rows of the output's last dim.
struct Rows {
  const char* data;
  Offsets outer;
  int64_t step;  // its stride along the last dim: 0 (broadcast) or its own
};

Rows rows_of(const Tensor& operand, const Shape& shape) {
  const Shape strides = ops::broadcast_strides(operand, shape);
  const int64_t rank = static_cast<int64_t>(shape.size());
  return {static_cast<const char*>(operand.storage()->data()) + operand.offset() * static_cast<int64_t>(dtype_size(operand.dtype())),
          Offsets(shape, strides, 0, rank - 1), strides[static_cast<size_t>(rank - 1)]};
}

// Visits the output's rows in parallel; choose(row, out_row, width) writes one row.
template <typename Choose>
void for_each_row(const Tensor& out, Choose&& choose) {
  const int64_t width = out.shape().back(), rows = width == 0 ? 0 : out.numel() / width;
#pragma omp parallel for schedule(static) if (out.numel() >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) choose(row, width);
}

template <typename T>
void choose_where(const ops::KernelCall& call) {
  const Tensor& out = call.outputs[0];
  const Rows condition = rows_of(call.inputs[0], out.shape()), a = rows_of(call.inputs[1], out.shape()),
             b = rows_of(call.inputs[2], out.shape());
  T* y = static_cast<T*>(out.raw_data());
  for_each_row(out, [&](int64_t row, int64_t width) {
    const uint8_t* c = reinterpret_cast<const uint8_t*>(condition.data) + condition.outer[row];
    const T* x1 = reinterpret_cast<const T*>(a.data) + a.outer[row];
    const T* x2 = reinterpret_cast<const T*>(b.data) + b.outer[row];
    T* to = y + row * width;
    if (condition.step == 1 && a.step == 1 && b.step == 1) {
#pragma omp simd
      for (int64_t k = 0; k < width; ++k) to[k] = c[k] ? x1[k] : x2[k];
    } else {
      for (int64_t k = 0; k < width; ++k) to[k] = c[k * condition.step] ? x1[k * a.step] : x2[k * b.step];
    }
  });
}

template <typename T>
void fill_masked(const ops::KernelCall& call) {
  const Tensor& out = call.outputs[0];
  const Rows self = rows_of(call.inputs[0], out.shape()), mask = rows_of(call.inputs[1], out.shape());
  const T value = static_cast<T>(std::get<ops::ScalarAttrs>(call.attrs).value);
  T* y = static_cast<T*>(out.raw_data());
  for_each_row(out, [&](int64_t row, int64_t width) {
    const T* x = reinterpret_cast<const T*>(self.data) + self.outer[row];
    const uint8_t* m = reinterpret_cast<const uint8_t*>(mask.data) + mask.outer[row];
    T* to = y + row * width;
    if (self.step == 1 && mask.step == 1) {
#pragma omp simd
      for (int64_t k = 0; k < width; ++k) to[k] = m[k] ? value : x[k];
    } else {
      for (int64_t k = 0; k < width; ++k) to[k] = m[k * mask.step] ? value : x[k * self.step];
    }
  });
}

void run_where(const ops::KernelCall& call) {
  by_element_size(call.outputs[0].dtype(), [&]<typename T>() { choose_where<T>(call); });
}

}  // namespace

ops::Kernel where_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                       const ops::Attrs&) {
  const Tensor& out = outputs[0];
  // Differing dtypes promote (the reference kernel converts); 0-dim results are not worth a path.
  if (out.dim() == 0 || !out.is_contiguous() || dtype_size(out.dtype()) > 8) return nullptr;
  if (inputs[0].dtype() != DType::boolean || inputs[1].dtype() != out.dtype() || inputs[2].dtype() != out.dtype()) {
    return nullptr;
  }
  return &run_where;
}

ops::Kernel masked_fill_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const ops::Attrs&) {
  const Tensor& out = outputs[0];
  if (out.dim() == 0 || !out.is_contiguous() || inputs[1].dtype() != DType::boolean || inputs[0].dtype() != out.dtype()) {
    return nullptr;
  }
  if (out.dtype() == DType::f32) return &fill_masked<float>;
  if (out.dtype() == DType::f64) return &fill_masked<double>;
  return nullptr;
}

}  // namespace nabla::cpu
