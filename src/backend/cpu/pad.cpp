// Fast f32 pad (constant, reflect, replicate; negative pads crop) from an input of any strides.
// The output is written row by row (a row: its last dim). The leading dims of a row map to one input row
// through the reference's tables (ops::pad_tables) and the input's strides, or to "outside" (a constant
// fill); within a row the unpadded middle is one memcpy (a strided loop when the input's last dim is not
// contiguous, e.g. ResNet's option-A shortcut pads x[:, :, ::2, ::2]) and the few padded elements at each
// end are looked up in the last dim's table. Rows are independent (a pure copy), so any split across
// threads gives the same result.
#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/cpu/fast.h"
#include "ops/index_maps.h"

namespace nabla::cpu {
namespace {

void pad_rows(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& y = call.outputs[0];
  const auto& attrs = std::get<ops::PadAttrs>(call.attrs);
  const std::vector<ops::IndexTable> tables = ops::pad_tables(x.shape(), attrs, y.shape());
  const auto rank = static_cast<size_t>(y.dim());
  const int64_t width = y.shape().back(), input_width = x.shape().back();
  const int64_t rows = y.numel() / width;
  // The last dim: output positions [middle_begin, middle_end) read input position o − left, one run.
  const int64_t left = attrs.pads.empty() ? 0 : attrs.pads[0];
  const int64_t middle_begin = std::clamp<int64_t>(left, 0, width);
  const int64_t middle_end = std::clamp<int64_t>(left + input_width, middle_begin, width);
  const ops::IndexTable& columns = tables.back();
  const auto* in = static_cast<const float*>(x.raw_data());
  auto* out = static_cast<float*>(y.raw_data());
  const auto fill = static_cast<float>(attrs.value);
  const Shape& input_strides = x.strides();
  const int64_t step = input_strides.back();  // between neighbours of an input row
#pragma omp parallel for schedule(static) if (y.numel() >= parallel_threshold)
  for (int64_t row = 0; row < rows; ++row) {
    // The input row this output row reads: its leading indices through their tables, last dim first.
    int64_t offset = 0, rest = row;
    bool inside = true;
    for (size_t d = rank - 1; d-- > 0;) {
      const int64_t size = y.shape()[d];
      const int64_t source = tables[d][static_cast<size_t>(rest % size)];
      rest /= size;
      if (source == ops::outside) inside = false;
      else offset += source * input_strides[d];
    }
    float* target = out + row * width;
    if (!inside) {
      std::fill(target, target + width, fill);
      continue;
    }
    const float* source = in + offset;
    for (int64_t o = 0; o < middle_begin; ++o) {
      const int64_t i = columns[static_cast<size_t>(o)];
      target[o] = i == ops::outside ? fill : source[i * step];
    }
    if (middle_end > middle_begin && step == 1) {
      std::memcpy(target + middle_begin, source + (middle_begin - left),
                  static_cast<size_t>(middle_end - middle_begin) * sizeof(float));
    } else {
      for (int64_t o = middle_begin; o < middle_end; ++o) target[o] = source[(o - left) * step];
    }
    for (int64_t o = middle_end; o < width; ++o) {
      const int64_t i = columns[static_cast<size_t>(o)];
      target[o] = i == ops::outside ? fill : source[i * step];
    }
  }
}

}  // namespace

ops::Kernel pad_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, const ops::Attrs&) {
  const Tensor& x = inputs[0];
  const Tensor& y = outputs[0];
  if (x.dtype() != DType::f32 || !y.is_contiguous()) return nullptr;
  if (x.dim() == 0 || x.numel() == 0 || y.numel() == 0) return nullptr;
  return &pad_rows;
}

}  // namespace nabla::cpu
