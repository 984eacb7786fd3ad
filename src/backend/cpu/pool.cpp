// Fast f32 pooling on contiguous inputs.
//   max_pool2d: an OpenMP loop over planes. It writes values and the int64 index of each maximum in the
//     H·W plane with PyTorch's rules (first maximum on ties, a NaN wins); oneDNN's max pooling keeps its
//     indices as window offsets in its own workspace layout, which would need another pass to convert.
//     Outputs whose windows lie inside the input are done a run of a row at a time, tap by tap, so their
//     compare-and-select chains are independent (3× faster than one window at a time on LeNet's layer).
//   avg_pool2d, avg_pool2d_backward: oneDNN's average pooling (forward and backward) on the NCHW data
//     itself (pooling is memory-bound: converting layouts would double the traffic), with plans cached
//     per shape. Applies when oneDNN's divisor is PyTorch's: always without count_include_pad, and with it
//     only when no window reaches past the padded input (ceil_mode can make one do so).
//   adaptive_avg_pool2d and its backward: the same, when the windows tile the input evenly.
#include <omp.h>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "backend/cpu/fast.h"
#include "backend/cpu/onednn.h"

namespace nabla::cpu {
namespace {

namespace dnn = onednn;
using dnnl::memory;

// Planes (N·C) and the sizes of one pooling, from the input and the output the dispatcher allocated.
struct Planes {
  int64_t count, height, width, out_height, out_width;
};

Planes planes_of(const Tensor& x, const Tensor& out) {
  const int64_t rank = x.dim();
  return {x.numel() / (x.shape()[rank - 2] * x.shape()[rank - 1]), x.shape()[rank - 2], x.shape()[rank - 1],
          out.shape()[rank - 2], out.shape()[rank - 1]};
}

// ---- max pooling

// The first in-input position of a window along one dim and the number of taps inside the input.
struct Taps {
  int64_t first, count;
};

Taps taps(int64_t start, int64_t kernel, int64_t dilation, int64_t size) {
  int64_t first = start;
  int64_t skipped = 0;
  while (first < 0) {
    first += dilation;
    ++skipped;
  }
  int64_t count = 0;
  for (int64_t i = skipped; i < kernel && start + i * dilation < size; ++i) ++count;
  return {first, count};
}

// Whether `value` takes the place of `best`: larger, or a NaN (so the first maximum wins ties, and a NaN,
// once taken, stays unless another NaN comes, as PyTorch's kernel).
inline bool takes(float value, float best) { return (value > best) | std::isnan(value); }

// One output: its window's maximum and the maximum's index in the plane (the edges, with clipped windows).
inline void max_of_window(const float* source, int64_t width, const Taps& rows, const Taps& columns, int64_t dy,
                          int64_t dx, float& best_value, int64_t& best_index) {
  best_index = rows.first * width + columns.first;
  float best = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < rows.count; ++i) {
    const int64_t row = (rows.first + i * dy) * width;
    for (int64_t j = 0; j < columns.count; ++j) {
      const int64_t index = row + columns.first + j * dx;
      const bool take = takes(source[index], best);
      best = take ? source[index] : best;
      best_index = take ? index : best_index;
    }
  }
  best_value = source[best_index];
}

// Up to `chunk` neighbouring outputs of one row whose windows lie inside the input, tap by tap in window
// order: the outputs are independent, so the compare-and-select chains run side by side (and vectorise).
constexpr int64_t chunk = 64;

void max_of_interior(const float* source, int64_t width, const Taps& rows, int64_t first_column, int64_t count,
                     const ops::WindowAttrs& attrs, float* values, int64_t* indices) {
  float best[chunk];
  int64_t where[chunk];
  const int64_t stride = attrs.stride[1], dy = attrs.dilation[0], dx = attrs.dilation[1];
  for (int64_t k = 0; k < count; ++k) {
    best[k] = -std::numeric_limits<float>::infinity();
    where[k] = rows.first * width + first_column + k * stride;
  }
  for (int64_t i = 0; i < rows.count; ++i) {
    const int64_t row = (rows.first + i * dy) * width;
    for (int64_t j = 0; j < attrs.kernel[1]; ++j) {
      const int64_t start = row + first_column + j * dx;
      const float* line = source + start;
      for (int64_t k = 0; k < count; ++k) {
        const float value = line[k * stride];
        const bool take = takes(value, best[k]);
        best[k] = take ? value : best[k];
        where[k] = take ? start + k * stride : where[k];
      }
    }
  }
  for (int64_t k = 0; k < count; ++k) {
    values[k] = source[where[k]];
    indices[k] = where[k];
  }
}

void run_max_pool(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::WindowAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  const Planes p = planes_of(x, call.outputs[0]);
  const float* in = static_cast<const float*>(x.raw_data());
  float* values = static_cast<float*>(call.outputs[0].raw_data());
  auto* indices = static_cast<int64_t*>(call.outputs[1].raw_data());
  const int64_t outputs = p.out_height * p.out_width;
  const int64_t dy = attrs.dilation[0], dx = attrs.dilation[1];
  // Every output row has the same column windows, worked out once (before the parallel region); the
  // interior ones — whole windows inside the input — are a run [interior_begin, interior_end).
  std::vector<Taps> columns(static_cast<size_t>(p.out_width));
  int64_t interior_begin = p.out_width, interior_end = 0;
  for (int64_t ox = 0; ox < p.out_width; ++ox) {
    const int64_t start = ox * attrs.stride[1] - attrs.padding[1];
    columns[ox] = taps(start, attrs.kernel[1], dx, p.width);
    if (columns[ox].first == start && columns[ox].count == attrs.kernel[1]) {
      interior_begin = std::min(interior_begin, ox);
      interior_end = ox + 1;
    }
  }
  if (interior_begin >= interior_end) interior_begin = interior_end = 0;
#pragma omp parallel for schedule(static) if (x.numel() >= parallel_threshold)
  for (int64_t plane = 0; plane < p.count; ++plane) {
    const float* source = in + plane * p.height * p.width;
    for (int64_t oy = 0; oy < p.out_height; ++oy) {
      const Taps rows = taps(oy * attrs.stride[0] - attrs.padding[0], attrs.kernel[0], dy, p.height);
      const int64_t out = plane * outputs + oy * p.out_width;
      for (int64_t ox = 0; ox < p.out_width; ++ox) {
        if (ox == interior_begin && interior_end > interior_begin) {
          for (int64_t first = interior_begin; first < interior_end; first += chunk) {
            const int64_t count = std::min(chunk, interior_end - first);
            max_of_interior(source, p.width, rows, first * attrs.stride[1] - attrs.padding[1], count, attrs,
                            values + out + first, indices + out + first);
          }
          ox = interior_end - 1;
          continue;
        }
        max_of_window(source, p.width, rows, columns[ox], dy, dx, values[out + ox], indices[out + ox]);
      }
    }
  }
}

// ---- average pooling through oneDNN

enum class Direction : int64_t { forward, backward };

// All int64 (PlanCache compares keys bytewise).
struct PoolKey {
  int64_t direction, exclude_padding, batch, channels;
  int64_t input[2], output[2], kernel[2], stride[2], padding_left[2], padding_right[2];
};

struct AveragePlan {
  bool ok = false;
  dnnl::primitive primitive;
  memory::desc input, output, scratchpad;
};

PoolKey pool_key(Direction direction, const ops::WindowAttrs& attrs, const Shape& input, const Shape& output) {
  PoolKey key{};
  const size_t rank = input.size();
  key.direction = static_cast<int64_t>(direction);
  key.exclude_padding = attrs.count_include_pad ? 0 : 1;
  key.batch = rank == 4 ? input[0] : 1;
  key.channels = input[rank - 3];
  for (int axis = 0; axis < 2; ++axis) {
    key.input[axis] = input[rank - 2 + axis];
    key.output[axis] = output[rank - 2 + axis];
    key.kernel[axis] = attrs.kernel[axis];
    key.stride[axis] = attrs.stride[axis];
    key.padding_left[axis] = attrs.padding[axis];
    // As for convolutions: right = left unless ceil_mode added an output, then what that output needs.
    int64_t right = key.padding_left[axis];
    if ((key.input[axis] + 2 * right - key.kernel[axis]) / key.stride[axis] + 1 != key.output[axis]) {
      right = (key.output[axis] - 1) * key.stride[axis] + key.kernel[axis] - key.input[axis] - key.padding_left[axis];
    }
    key.padding_right[axis] = right;
  }
  return key;
}

// Whether oneDNN divides as PyTorch does (see the top of the file).
bool same_divisor(const PoolKey& key) {
  for (int axis = 0; axis < 2; ++axis) {
    if (key.padding_right[axis] < 0) return false;
    if (!key.exclude_padding && key.padding_right[axis] > key.padding_left[axis]) return false;
  }
  return true;
}

AveragePlan make_average_plan(const PoolKey& key) {
  AveragePlan plan;
  try {
    const memory::desc input({key.batch, key.channels, key.input[0], key.input[1]}, memory::data_type::f32,
                             memory::format_tag::nchw);
    const memory::desc output({key.batch, key.channels, key.output[0], key.output[1]}, memory::data_type::f32,
                              memory::format_tag::nchw);
    const auto algorithm = key.exclude_padding ? dnnl::algorithm::pooling_avg_exclude_padding
                                               : dnnl::algorithm::pooling_avg_include_padding;
    const memory::dims stride{key.stride[0], key.stride[1]}, kernel{key.kernel[0], key.kernel[1]};
    const memory::dims left{key.padding_left[0], key.padding_left[1]}, right{key.padding_right[0], key.padding_right[1]};
    dnnl::pooling_forward::desc forward(dnnl::prop_kind::forward_training, algorithm, input, output, stride, kernel,
                                        left, right);
    if (key.direction == static_cast<int64_t>(Direction::forward)) {
      dnnl::pooling_forward::primitive_desc descriptor(forward, dnn::user_scratchpad(), dnn::engine());
      plan.primitive = dnnl::pooling_forward(descriptor);
      plan.scratchpad = descriptor.scratchpad_desc();
    } else {
      dnnl::pooling_forward::primitive_desc hint(forward, dnn::engine());
      dnnl::pooling_backward::desc backward(algorithm, input, output, stride, kernel, left, right);
      dnnl::pooling_backward::primitive_desc descriptor(backward, dnn::user_scratchpad(), dnn::engine(), hint);
      plan.primitive = dnnl::pooling_backward(descriptor);
      plan.scratchpad = descriptor.scratchpad_desc();
    }
    plan.input = input;
    plan.output = output;
    plan.ok = true;
  } catch (const dnnl::error&) {
    plan.ok = false;
  }
  return plan;
}

std::shared_ptr<const AveragePlan> average_plan(const PoolKey& key) {
  static dnn::PlanCache<PoolKey, AveragePlan> cache(256);
  return cache.get(key, [&] { return make_average_plan(key); });
}

// Forward: (x → y); backward: (dy → dx). `key` names x's and y's shapes either way.
PoolKey call_key(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, const ops::Attrs& attrs,
                 Direction direction) {
  const Tensor& input = direction == Direction::forward ? inputs[0] : outputs[0];
  const Tensor& output = direction == Direction::forward ? outputs[0] : inputs[0];
  return pool_key(direction, std::get<ops::WindowAttrs>(attrs), input.shape(), output.shape());
}

void run_average(const ops::KernelCall& call, Direction direction) {
  auto plan = average_plan(call_key(call.inputs, call.outputs, call.attrs, direction));
  dnn::guarded(direction == Direction::forward ? "avg_pool2d" : "avg_pool2d_backward", [&] {
    dnn::Buffer scratch_buffer;
    memory scratch = dnn::scratchpad(plan->scratchpad, scratch_buffer);
    if (direction == Direction::forward) {
      plan->primitive.execute(dnn::stream(), {{DNNL_ARG_SRC, dnn::wrap(call.inputs[0], plan->input)},
                                              {DNNL_ARG_DST, dnn::wrap(call.outputs[0], plan->output)},
                                              {DNNL_ARG_SCRATCHPAD, scratch}});
    } else {
      plan->primitive.execute(dnn::stream(), {{DNNL_ARG_DIFF_DST, dnn::wrap(call.inputs[0], plan->output)},
                                              {DNNL_ARG_DIFF_SRC, dnn::wrap(call.outputs[0], plan->input)},
                                              {DNNL_ARG_SCRATCHPAD, scratch}});
    }
    dnn::stream().wait();
  });
}

void run_average_forward(const ops::KernelCall& call) { run_average(call, Direction::forward); }
void run_average_backward(const ops::KernelCall& call) { run_average(call, Direction::backward); }

bool contiguous_f32(const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous() && t.numel() > 0; }

// Adaptive average pooling whose windows tile the input evenly (H divisible by OH: ResNet's global
// pooling) is average pooling with kernel = stride = H / OH, no padding.
std::optional<ops::WindowAttrs> uniform_windows(const Shape& input, const ops::WindowAttrs& attrs) {
  const size_t rank = input.size();
  ops::WindowAttrs uniform;
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t size = input[rank - 2 + axis], count = attrs.output_size[axis];
    if (count <= 0 || size % count != 0) return std::nullopt;
    uniform.kernel[axis] = uniform.stride[axis] = size / count;
  }
  return uniform;
}

// Adaptive pooling's kernels run average pooling with the uniform windows in place of its attributes.
void run_adaptive(const ops::KernelCall& call, Direction direction) {
  const auto& attrs = std::get<ops::WindowAttrs>(call.attrs);
  const Shape& input = direction == Direction::forward ? call.inputs[0].shape() : attrs.input_shape;
  const ops::Attrs uniform = *uniform_windows(input, attrs);
  run_average(ops::KernelCall{call.inputs, call.outputs, uniform}, direction);
}
void run_adaptive_forward(const ops::KernelCall& call) { run_adaptive(call, Direction::forward); }
void run_adaptive_backward(const ops::KernelCall& call) { run_adaptive(call, Direction::backward); }

ops::Kernel average_fast(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, const ops::Attrs& attrs,
                         Direction direction) {
  const PoolKey key = call_key(inputs, outputs, attrs, direction);
  if (!same_divisor(key) || !average_plan(key)->ok) return nullptr;
  return direction == Direction::forward ? &run_average_forward : &run_average_backward;
}

}  // namespace

ops::Kernel pool_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                      const ops::Attrs& attrs) {
  if (!contiguous_f32(inputs[0]) || !contiguous_f32(outputs[0])) return nullptr;
  switch (op) {
    case ops::OpId::adaptive_avg_pool2d:
    case ops::OpId::adaptive_avg_pool2d_backward: {
      const Direction direction = op == ops::OpId::adaptive_avg_pool2d ? Direction::forward : Direction::backward;
      const Shape& input = direction == Direction::forward ? inputs[0].shape() : outputs[0].shape();
      std::optional<ops::WindowAttrs> uniform = uniform_windows(input, std::get<ops::WindowAttrs>(attrs));
      if (!uniform) return nullptr;
      const ops::Attrs average_attrs = *uniform;
      if (!average_fast(inputs, outputs, average_attrs, direction)) return nullptr;
      return direction == Direction::forward ? &run_adaptive_forward : &run_adaptive_backward;
    }
    case ops::OpId::max_pool2d:
      return &run_max_pool;
    case ops::OpId::avg_pool2d:
      return average_fast(inputs, outputs, attrs, Direction::forward);
    case ops::OpId::avg_pool2d_backward:
      return average_fast(inputs, outputs, attrs, Direction::backward);
    default:
      return nullptr;
  }
}

}  // namespace nabla::cpu
