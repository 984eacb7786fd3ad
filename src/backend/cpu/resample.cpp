// Fast f32 upsample2d (nearest, bilinear) and upsample2d_backward for contiguous [N, C, H, W] tensors.
// The taps of each output row and column come from the reference's rule (ops::axis_taps), computed once
// per call; then each plane (n, c) is resampled by one thread, so no two threads write the same element
// and results do not depend on the thread count. Values are weighted in double and rounded once (as the
// reference); the backward accumulates a plane's scattered gradients in a per-thread double buffer, in
// the reference's order, before rounding.
#include <algorithm>
#include <vector>

#include "backend/cpu/fast.h"
#include "ops/index_maps.h"

namespace nabla::cpu {
namespace {

struct Geometry {
  int64_t planes, height, width, out_height, out_width;
  bool bilinear;
  std::vector<ops::Taps> rows, columns;
};

Geometry geometry_of(const Shape& input_shape, const ops::UpsampleAttrs& attrs) {
  Geometry g;
  g.planes = input_shape[0] * input_shape[1];
  g.height = input_shape[2];
  g.width = input_shape[3];
  g.out_height = attrs.output_size[0];
  g.out_width = attrs.output_size[1];
  g.bilinear = attrs.mode == UpsampleMode::bilinear;
  g.rows = ops::axis_taps(g.height, g.out_height, attrs.scales[0], attrs);
  g.columns = ops::axis_taps(g.width, g.out_width, attrs.scales[1], attrs);
  return g;
}

bool parallel(const Geometry& g) { return g.planes * g.out_height * g.out_width >= parallel_threshold; }

void upsample_forward(const ops::KernelCall& call) {
  const Geometry g = geometry_of(call.inputs[0].shape(), std::get<ops::UpsampleAttrs>(call.attrs));
  const auto* x = static_cast<const float*>(call.inputs[0].raw_data());
  auto* y = static_cast<float*>(call.outputs[0].raw_data());
  const ops::Taps* columns = g.columns.data();
#pragma omp parallel for schedule(static) if (parallel(g))
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    const float* in = x + plane * g.height * g.width;
    float* out = y + plane * g.out_height * g.out_width;
    for (int64_t oy = 0; oy < g.out_height; ++oy) {
      const ops::Taps& row = g.rows[static_cast<size_t>(oy)];
      const float *first = in + row.first * g.width, *second = in + row.second * g.width;
      float* out_row = out + oy * g.out_width;
      if (!g.bilinear) {
        for (int64_t ox = 0; ox < g.out_width; ++ox) out_row[ox] = first[columns[ox].first];
        continue;
      }
      for (int64_t ox = 0; ox < g.out_width; ++ox) {
        const ops::Taps& column = columns[ox];
        const double top = column.first_weight * first[column.first] + column.second_weight * first[column.second];
        const double bottom = column.first_weight * second[column.first] + column.second_weight * second[column.second];
        out_row[ox] = static_cast<float>(row.first_weight * top + row.second_weight * bottom);
      }
    }
  }
}

void upsample_backward(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::UpsampleAttrs>(call.attrs);
  const Geometry g = geometry_of(attrs.input_shape, attrs);
  const auto* dy = static_cast<const float*>(call.inputs[0].raw_data());
  auto* dx = static_cast<float*>(call.outputs[0].raw_data());
  const int64_t plane_size = g.height * g.width;
#pragma omp parallel if (parallel(g))
  {
    std::vector<double> sums(static_cast<size_t>(plane_size));  // once per thread, reused for its planes
#pragma omp for schedule(static)
    for (int64_t plane = 0; plane < g.planes; ++plane) {
      std::fill(sums.begin(), sums.end(), 0.0);
      const float* grad = dy + plane * g.out_height * g.out_width;
      for (int64_t oy = 0; oy < g.out_height; ++oy) {
        const ops::Taps& row = g.rows[static_cast<size_t>(oy)];
        double *first = sums.data() + row.first * g.width, *second = sums.data() + row.second * g.width;
        const float* grad_row = grad + oy * g.out_width;
        for (int64_t ox = 0; ox < g.out_width; ++ox) {
          const ops::Taps& column = g.columns[static_cast<size_t>(ox)];
          const double value = grad_row[ox];
          if (!g.bilinear) {
            first[column.first] += value;
            continue;
          }
          first[column.first] += row.first_weight * column.first_weight * value;
          first[column.second] += row.first_weight * column.second_weight * value;
          second[column.first] += row.second_weight * column.first_weight * value;
          second[column.second] += row.second_weight * column.second_weight * value;
        }
      }
      float* out = dx + plane * plane_size;
#pragma omp simd
      for (int64_t i = 0; i < plane_size; ++i) out[i] = static_cast<float>(sums[static_cast<size_t>(i)]);
    }
  }
}

bool contiguous_f32(const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous(); }

}  // namespace

ops::Kernel upsample_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                          const ops::Attrs&) {
  if (!contiguous_f32(inputs[0]) || !contiguous_f32(outputs[0]) || outputs[0].numel() == 0) return nullptr;
  if (inputs[0].numel() == 0) return nullptr;
  return op == ops::OpId::upsample2d ? &upsample_forward : &upsample_backward;
}

}  // namespace nabla::cpu
