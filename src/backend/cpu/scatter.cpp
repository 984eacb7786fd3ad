// Fast scatter_add along the last dim, for contiguous f32/f64 self and source and a contiguous int64 index
// whose leading dims are self's: max pooling's backward pass scatters each window's gradient to the
// position of its maximum this way. Rows are independent, so they are split across threads; within a row
// the additions happen in the reference kernel's order, each rounded to the storage type as there, so the
// results are the same. A bad index sends the call to the reference kernel, which names it.
#include <algorithm>
#include <cstring>

#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {

template <typename T>
void run_scatter_add(const ops::KernelCall& call) {
  const Tensor& self = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const Tensor& out = call.outputs[0];
  const int64_t width = self.shape().back(), count = index.shape().back(), rows = index.numel() / count;
  const auto* positions = static_cast<const int64_t*>(index.raw_data());
  // Checked before anything is written, and outside the parallel region (which must not throw).
  const int64_t total = index.numel();
  for (int64_t i = 0; i < total; ++i) {
    if (positions[i] < 0 || positions[i] >= width) {
      ops::reference_kernel(ops::OpId::scatter_add)(call);
      return;
    }
  }
  const T* self_data = static_cast<const T*>(self.raw_data());
  const T* source = static_cast<const T*>(call.inputs[2].raw_data());
  T* y = static_cast<T*>(out.raw_data());
#pragma omp parallel for schedule(static) if (out.numel() >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    T* out_row = y + row * width;
    std::memcpy(out_row, self_data + row * width, static_cast<size_t>(width) * sizeof(T));
    const int64_t* row_positions = positions + row * count;
    const T* row_source = source + row * count;
    for (int64_t j = 0; j < count; ++j) out_row[row_positions[j]] += row_source[j];
  }
}

}  // namespace

ops::Kernel scatter_add_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const ops::Attrs& attrs) {
  const Tensor& self = inputs[0];
  const Tensor& index = inputs[1];
  const Tensor& source = inputs[2];
  const int64_t rank = self.dim(), dim = std::get<ops::DimAttrs>(attrs).dim;
  if (rank == 0 || index.numel() == 0 || (dim < 0 ? dim + rank : dim) != rank - 1) return nullptr;
  if (index.dtype() != DType::i64 || source.dtype() != self.dtype() || source.shape() != index.shape()) return nullptr;
  if (!self.is_contiguous() || !index.is_contiguous() || !source.is_contiguous() || !outputs[0].is_contiguous()) {
    return nullptr;
  }
  if (index.dim() != rank || !std::equal(index.shape().begin(), index.shape().end() - 1, self.shape().begin())) return nullptr;
  if (self.dtype() == DType::f32) return &run_scatter_add<float>;
  if (self.dtype() == DType::f64) return &run_scatter_add<double>;
  return nullptr;
}

}  // namespace nabla::cpu
