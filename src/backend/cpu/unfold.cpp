// Fast f32 im2col (unfold) and col2im (fold) for contiguous tensors.
//   im2col  x [N, C, H, W] → columns [N, C·kh·kw, L], L = OH·OW: row (c, i, j) holds, for every block
//           (by, bx), the image value at (by·stride − padding + i·dilation, …) or 0 in the padding
//   col2im  columns → image, summing the values that overlapping blocks put on the same pixel
// im2col: one thread per column row (plane, i, j), each a plain copy with a bounds test per block.
// col2im: one thread per image plane (n, c) — only that plane's kh·kw rows write to it — summing in a
// per-thread double buffer in the reference kernel's order, then rounding once. So results do not depend
// on the thread count.
#include <algorithm>
#include <vector>

#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {

struct Unfolding {
  int64_t planes, height, width, blocks_y, blocks_x;
  ops::WindowAttrs attrs;
  int64_t blocks() const { return blocks_y * blocks_x; }
  int64_t window() const { return attrs.kernel[0] * attrs.kernel[1]; }
};

// The number of blocks along an axis, as the shape rule computed it (the shape of `columns`).
Unfolding unfolding_of(int64_t planes, int64_t height, int64_t width, const ops::WindowAttrs& attrs) {
  Unfolding u{planes, height, width, 0, 0, attrs};
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t size = axis == 0 ? height : width;
    const int64_t span = attrs.dilation[axis] * (attrs.kernel[axis] - 1) + 1;
    (axis == 0 ? u.blocks_y : u.blocks_x) = (size + 2 * attrs.padding[axis] - span) / attrs.stride[axis] + 1;
  }
  return u;
}

// Writes one column row (kernel tap i, j of one plane) from the plane's image.
void gather_row(const Unfolding& u, const float* image, int64_t i, int64_t j, float* row) {
  const auto& a = u.attrs;
  for (int64_t by = 0; by < u.blocks_y; ++by) {
    const int64_t iy = by * a.stride[0] - a.padding[0] + i * a.dilation[0];
    float* out = row + by * u.blocks_x;
    if (iy < 0 || iy >= u.height) {
      std::fill(out, out + u.blocks_x, 0.0f);
      continue;
    }
    const float* line = image + iy * u.width;
    const int64_t first = j * a.dilation[1] - a.padding[1];
    for (int64_t bx = 0; bx < u.blocks_x; ++bx) {
      const int64_t ix = bx * a.stride[1] + first;
      out[bx] = ix >= 0 && ix < u.width ? line[ix] : 0.0f;
    }
  }
}

void im2col(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const int64_t rank = x.dim();
  const int64_t height = x.shape()[rank - 2], width = x.shape()[rank - 1];
  const Unfolding u = unfolding_of(x.numel() / (height * width), height, width, std::get<ops::WindowAttrs>(call.attrs));
  const auto* image = static_cast<const float*>(x.raw_data());
  auto* columns = static_cast<float*>(call.outputs[0].raw_data());
  const int64_t rows = u.planes * u.window();
#pragma omp parallel for schedule(static) if (rows * u.blocks() >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t plane = row / u.window(), tap = row % u.window();
    gather_row(u, image + plane * height * width, tap / u.attrs.kernel[1], tap % u.attrs.kernel[1],
               columns + row * u.blocks());
  }
}

void col2im(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::WindowAttrs>(call.attrs);
  const int64_t height = attrs.output_size[0], width = attrs.output_size[1];
  const Unfolding u = unfolding_of(call.outputs[0].numel() / (height * width), height, width, attrs);
  const auto* columns = static_cast<const float*>(call.inputs[0].raw_data());
  auto* image = static_cast<float*>(call.outputs[0].raw_data());
  const int64_t plane_size = height * width;
#pragma omp parallel if (u.planes * u.window() * u.blocks() >= parallel_threshold)
  {
    std::vector<double> sums(static_cast<size_t>(plane_size));  // once per thread, reused for its planes
#pragma omp for schedule(static)
    for (int64_t plane = 0; plane < u.planes; ++plane) {
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t tap = 0; tap < u.window(); ++tap) {
        const int64_t i = tap / attrs.kernel[1], j = tap % attrs.kernel[1];
        const float* row = columns + (plane * u.window() + tap) * u.blocks();
        for (int64_t by = 0; by < u.blocks_y; ++by) {
          const int64_t iy = by * attrs.stride[0] - attrs.padding[0] + i * attrs.dilation[0];
          if (iy < 0 || iy >= height) continue;
          double* line = sums.data() + iy * width;
          for (int64_t bx = 0; bx < u.blocks_x; ++bx) {
            const int64_t ix = bx * attrs.stride[1] - attrs.padding[1] + j * attrs.dilation[1];
            if (ix >= 0 && ix < width) line[ix] += row[by * u.blocks_x + bx];
          }
        }
      }
      float* out = image + plane * plane_size;
#pragma omp simd
      for (int64_t p = 0; p < plane_size; ++p) out[p] = static_cast<float>(sums[static_cast<size_t>(p)]);
    }
  }
}

bool contiguous_f32(const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous(); }

}  // namespace

ops::Kernel unfold_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs&) {
  if (!contiguous_f32(inputs[0]) || !contiguous_f32(outputs[0])) return nullptr;
  if (inputs[0].numel() == 0 || outputs[0].numel() == 0) return nullptr;
  return op == ops::OpId::im2col ? &im2col : &col2im;
}

}  // namespace nabla::cpu
