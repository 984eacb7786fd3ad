// Fast cumsum, sort and topk (argsort is sort's indices) for f32/f64 inputs of any strides. Each works on
// lanes along dim — [outer, size, inner] — and lanes are independent, so they are split across threads.
//   cumsum  y[o, i, k] = Σ_{j ≤ i} x[o, j, k], accumulated in double and rounded once per element, as the
//           reference kernel does: the results are bitwise the reference's.
//   sort    a stable sort of each lane (NaN largest); topk the first k of that order. Ties break by
//           position, which makes the order total, so any sorting algorithm gives the reference's answer.
#include <algorithm>
#include <cmath>

#include "backend/cpu/fast.h"
#include "backend/cpu/offsets.h"

namespace nabla::cpu {
namespace {

// Inner positions summed side by side (a row of double accumulators on the stack).
constexpr int64_t scan_block = 256;

template <typename T>
void run_cumsum(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  const int64_t rank = x.dim();
  if (x.numel() == 0) return;
  const int64_t dim = rank == 0 ? 0 : wrap_dim(std::get<ops::DimAttrs>(call.attrs).dim, rank, "cumsum");
  const Offsets outer(x.shape(), x.strides(), 0, rank == 0 ? 0 : dim);
  const Offsets inner(x.shape(), x.strides(), rank == 0 ? 0 : dim + 1, rank);
  const int64_t size = rank == 0 ? 1 : x.shape()[dim], stride = rank == 0 ? 0 : x.strides()[dim];
  const int64_t inner_count = inner.count(), blocks = (inner_count + scan_block - 1) / scan_block;
  const T* from = static_cast<const T*>(x.storage()->data()) + x.offset();
  T* y = static_cast<T*>(out.raw_data());
  const int64_t tasks = outer.count() * blocks;
#pragma omp parallel for schedule(static) if (x.numel() >= parallel_threshold)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t o = task / blocks, first = (task % blocks) * scan_block;
    const int64_t width = std::min(scan_block, inner_count - first);
    double totals[scan_block] = {};
    const T* lane = from + outer[o];
    T* to = y + o * size * inner_count + first;
    for (int64_t i = 0; i < size; ++i, to += inner_count) {
      const T* row = lane + i * stride;
      if (inner.unit_stride()) {
#pragma omp simd
        for (int64_t k = 0; k < width; ++k) {
          totals[k] += static_cast<double>(row[first + k]);
          to[k] = static_cast<T>(totals[k]);
        }
      } else {
        for (int64_t k = 0; k < width; ++k) {
          totals[k] += static_cast<double>(row[inner[first + k]]);
          to[k] = static_cast<T>(totals[k]);
        }
      }
    }
  }
}

// Whether a comes strictly before b: ascending with NaN largest, or descending with NaN first.
template <typename T>
bool precedes(T a, T b, bool descending) {
  if (descending) return !std::isnan(b) && (std::isnan(a) || a > b);
  return !std::isnan(a) && (std::isnan(b) || a < b);
}

// Writes the first k of each lane's order: values (copied) and int64 positions, into contiguous outputs.
template <typename T>
void order_lanes(const Tensor& x, int64_t dim_attr, int64_t k, bool descending, const Tensor& values,
                 const Tensor& indices) {
  const int64_t rank = x.dim();
  if (values.numel() == 0) return;
  const int64_t dim = rank == 0 ? 0 : wrap_dim(dim_attr, rank, "sort");
  const Offsets outer(x.shape(), x.strides(), 0, rank == 0 ? 0 : dim);
  const Offsets inner(x.shape(), x.strides(), rank == 0 ? 0 : dim + 1, rank);
  const int64_t size = rank == 0 ? 1 : x.shape()[dim], stride = rank == 0 ? 0 : x.strides()[dim];
  const int64_t inner_count = inner.count(), lanes = outer.count() * inner_count;
  const T* from = static_cast<const T*>(x.storage()->data()) + x.offset();
  T* value_out = static_cast<T*>(values.raw_data());
  auto* index_out = static_cast<int64_t*>(indices.raw_data());
#pragma omp parallel if (x.numel() >= parallel_threshold && lanes > 1)
  {
    // One buffer per thread, reused for its lanes: (key, position) pairs side by side, which sort faster
    // than positions compared through the strided input.
    std::vector<std::pair<T, int64_t>> order(static_cast<size_t>(size));
#pragma omp for schedule(static)
    for (int64_t lane = 0; lane < lanes; ++lane) {
      const int64_t o = lane / inner_count, k_inner = lane % inner_count;
      const T* keys = from + outer[o] + inner[k_inner];
      for (int64_t i = 0; i < size; ++i) order[static_cast<size_t>(i)] = {keys[i * stride], i};
      auto before = [descending](const std::pair<T, int64_t>& a, const std::pair<T, int64_t>& b) {
        if (precedes(a.first, b.first, descending)) return true;
        if (precedes(b.first, a.first, descending)) return false;
        return a.second < b.second;
      };
      if (k < size) {
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      } else {
        std::sort(order.begin(), order.end(), before);
      }
      const int64_t base = o * k * inner_count + k_inner;
      for (int64_t i = 0; i < k; ++i) {
        const auto& [key, position] = order[static_cast<size_t>(i)];
        value_out[base + i * inner_count] = key;
        index_out[base + i * inner_count] = position;
      }
    }
  }
}

template <typename T>
void run_sort(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::SortAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  const int64_t size = x.dim() == 0 ? 1 : x.shape()[wrap_dim(attrs.dim, x.dim(), "sort")];
  order_lanes<T>(x, attrs.dim, size, attrs.descending, call.outputs[0], call.outputs[1]);
}

template <typename T>
void run_topk(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::TopkAttrs>(call.attrs);
  order_lanes<T>(call.inputs[0], attrs.dim, attrs.k, attrs.largest, call.outputs[0], call.outputs[1]);
}

bool contiguous_outputs(const std::vector<Tensor>& outputs) {
  for (const Tensor& output : outputs) if (!output.is_contiguous()) return false;
  return true;
}

}  // namespace

ops::Kernel cumsum_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs&) {
  const DType dtype = inputs[0].dtype();
  if (!outputs[0].is_contiguous() || outputs[0].dtype() != dtype) return nullptr;
  if (dtype == DType::f32) return &run_cumsum<float>;
  if (dtype == DType::f64) return &run_cumsum<double>;
  return nullptr;
}

ops::Kernel order_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                       const ops::Attrs&) {
  const DType dtype = inputs[0].dtype();
  if (!contiguous_outputs(outputs)) return nullptr;
  const bool sort = op == ops::OpId::sort;
  if (dtype == DType::f32) return sort ? &run_sort<float> : &run_topk<float>;
  if (dtype == DType::f64) return sort ? &run_sort<double> : &run_topk<double>;
  return nullptr;
}

}  // namespace nabla::cpu
