// Fast f32 batch_norm and group_norm, forward and fused backward, for contiguous x [N, C, inner] (inner:
// the product of the spatial dims, 1 for [N, C]) with contiguous [C] parameters and statistics.
//   batch_norm: one statistic per channel, over N·inner values;  group_norm: one per (sample, group), over
//   C/G·inner values. Every sum is taken per plane (n, c) — a contiguous run of `inner` floats — in fixed
//   chunks of `chunk` values, each in double lanes; chunks are then added in chunk order, planes in plane
//   order. So results do not depend on the thread count, and match the reference kernels (double,
//   rounded once) to within a few float ulps.
// Forward: Σx, then Σ(x − mean)² (two passes, as the reference), then y = (x − mean)·(rstd·w) + b.
// Backward (see src/ops/norm_backward.cpp for the formulas): Σdy and Σdy·(x − mean) per plane in one pass,
// the per-statistic sums from them, then dx in one more pass. Loops are plain `omp simd` loops that the
// compiler vectorises; OpenMP over (plane, chunk) tasks above parallel_threshold elements.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {

constexpr int64_t chunk = 8192;

struct Planes {
  int64_t batch = 0, channels = 0, inner = 0;
  int64_t groups = 0;     // group_norm; 0 for batch_norm
  int64_t statistic(int64_t n, int64_t c) const { return groups ? n * groups + c / (channels / groups) : c; }
  int64_t statistics() const { return groups ? batch * groups : channels; }
  // How many values each statistic is taken over.
  double count() const { return static_cast<double>(groups ? channels / groups * inner : batch * inner); }
  int64_t planes() const { return batch * channels; }
};

Planes planes_of(const Tensor& x, int64_t groups) {
  Planes p;
  p.batch = x.shape()[0];
  p.channels = x.shape()[1];
  p.inner = x.numel() / (p.batch * p.channels);
  p.groups = groups;
  return p;
}

const float* floats(const Tensor& t) { return static_cast<const float*>(t.raw_data()); }
float* mutable_floats(const Tensor& t) { return static_cast<float*>(t.raw_data()); }

// Two sums per plane: `partial(plane, begin, end)` returns the pair for values [begin, end) of a plane (element
// offsets from the plane's start); chunks of a plane are added in order.
template <typename Partial>
std::vector<std::array<double, 2>> plane_sums(const Planes& p, Partial partial) {
  const int64_t chunks = std::max<int64_t>(1, (p.inner + chunk - 1) / chunk);
  const int64_t tasks = p.planes() * chunks;
  std::vector<std::array<double, 2>> partials(static_cast<size_t>(tasks));
#pragma omp parallel for schedule(static) if (p.planes() * p.inner >= parallel_threshold)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t plane = task / chunks, begin = task % chunks * chunk;
    partials[static_cast<size_t>(task)] = partial(plane, begin, std::min(p.inner, begin + chunk));
  }
  std::vector<std::array<double, 2>> sums(static_cast<size_t>(p.planes()), {0.0, 0.0});
  for (int64_t task = 0; task < tasks; ++task) {
    auto& sum = sums[static_cast<size_t>(task / chunks)];
    sum[0] += partials[static_cast<size_t>(task)][0];
    sum[1] += partials[static_cast<size_t>(task)][1];
  }
  return sums;
}

// Adds each plane's sums into its statistic, planes in order.
std::vector<std::array<double, 2>> statistic_sums(const Planes& p, const std::vector<std::array<double, 2>>& sums) {
  std::vector<std::array<double, 2>> totals(static_cast<size_t>(p.statistics()), {0.0, 0.0});
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t c = 0; c < p.channels; ++c) {
      auto& total = totals[static_cast<size_t>(p.statistic(n, c))];
      total[0] += sums[static_cast<size_t>(n * p.channels + c)][0];
      total[1] += sums[static_cast<size_t>(n * p.channels + c)][1];
    }
  }
  return totals;
}

// Runs body(plane) for every plane, in parallel above parallel_threshold elements.
template <typename Body>
void for_each_plane(const Planes& p, Body body) {
#pragma omp parallel for schedule(static) if (p.planes() * p.inner >= parallel_threshold)
  for (int64_t plane = 0; plane < p.planes(); ++plane) body(plane);
}

// mean and rstd of each statistic from x, two passes (Σx, then Σ(x − mean)²).
void batch_statistics(const Planes& p, const float* x, double eps, std::vector<double>& mean, std::vector<double>& rstd) {
  const auto totals = statistic_sums(p, plane_sums(p, [&](int64_t plane, int64_t begin, int64_t end) {
    const float* values = x + plane * p.inner;
    double total = 0;
#pragma omp simd reduction(+ : total)
    for (int64_t i = begin; i < end; ++i) total += values[i];
    return std::array<double, 2>{total, 0.0};
  }));
  mean.resize(totals.size());
  for (size_t s = 0; s < totals.size(); ++s) mean[s] = totals[s][0] / p.count();
  const auto squares = statistic_sums(p, plane_sums(p, [&](int64_t plane, int64_t begin, int64_t end) {
    const float* values = x + plane * p.inner;
    const double average = mean[static_cast<size_t>(p.statistic(plane / p.channels, plane % p.channels))];
    double total = 0;
#pragma omp simd reduction(+ : total)
    for (int64_t i = begin; i < end; ++i) {
      const double centered = static_cast<double>(values[i]) - average;
      total += centered * centered;
    }
    return std::array<double, 2>{total, 0.0};
  }));
  rstd.resize(squares.size());
  for (size_t s = 0; s < squares.size(); ++s) rstd[s] = 1.0 / std::sqrt(squares[s][0] / p.count() + eps);
}

// y = (x − mean)·(rstd·w) + b, then mean and rstd into outputs 1 and 2.
void normalize(const ops::KernelCall& call, const Planes& p, const std::vector<double>& mean,
               const std::vector<double>& rstd) {
  const float *x = floats(call.inputs[0]), *weight = floats(call.inputs[1]), *bias = floats(call.inputs[2]);
  float* y = mutable_floats(call.outputs[0]);
  for_each_plane(p, [&](int64_t plane) {
    const int64_t c = plane % p.channels;
    const auto s = static_cast<size_t>(p.statistic(plane / p.channels, c));
    const double average = mean[s], scale = rstd[s] * weight[c], shift = bias[c];
    const float* in = x + plane * p.inner;
    float* out = y + plane * p.inner;
#pragma omp simd
    for (int64_t i = 0; i < p.inner; ++i) out[i] = static_cast<float>((static_cast<double>(in[i]) - average) * scale + shift);
  });
  float *means = mutable_floats(call.outputs[1]), *rstds = mutable_floats(call.outputs[2]);
  for (size_t s = 0; s < mean.size(); ++s) {
    means[s] = static_cast<float>(mean[s]);
    rstds[s] = static_cast<float>(rstd[s]);
  }
}

void batch_norm_forward(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::NormAttrs>(call.attrs);
  const Planes p = planes_of(call.inputs[0], 0);
  std::vector<double> mean, rstd;
  if (attrs.training) {
    batch_statistics(p, floats(call.inputs[0]), attrs.eps, mean, rstd);
  } else {
    const float *running_mean = floats(call.inputs[3]), *running_var = floats(call.inputs[4]);
    for (int64_t c = 0; c < p.channels; ++c) {
      mean.push_back(running_mean[c]);
      rstd.push_back(1.0 / std::sqrt(static_cast<double>(running_var[c]) + attrs.eps));
    }
  }
  normalize(call, p, mean, rstd);
}

void group_norm_forward(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::NormAttrs>(call.attrs);
  const Planes p = planes_of(call.inputs[0], attrs.groups);
  std::vector<double> mean, rstd;
  batch_statistics(p, floats(call.inputs[0]), attrs.eps, mean, rstd);
  normalize(call, p, mean, rstd);
}

// (dy, x, weight, mean, rstd) → (dx, dweight, dbias); `fixed_statistics`: batch_norm in evaluation.
void norm_backward(const ops::KernelCall& call, const Planes& p, bool fixed_statistics) {
  const float *dy = floats(call.inputs[0]), *x = floats(call.inputs[1]), *weight = floats(call.inputs[2]),
              *mean = floats(call.inputs[3]), *rstd = floats(call.inputs[4]);
  auto statistic_of = [&](int64_t plane) { return p.statistic(plane / p.channels, plane % p.channels); };
  // Per plane: Σ dy and Σ dy·(x − mean).
  const auto sums = plane_sums(p, [&](int64_t plane, int64_t begin, int64_t end) {
    const float *grad = dy + plane * p.inner, *values = x + plane * p.inner;
    const double average = mean[statistic_of(plane)];
    double grad_sum = 0, product_sum = 0;
#pragma omp simd reduction(+ : grad_sum, product_sum)
    for (int64_t i = begin; i < end; ++i) {
      grad_sum += grad[i];
      product_sum += static_cast<double>(grad[i]) * (static_cast<double>(values[i]) - average);
    }
    return std::array<double, 2>{grad_sum, product_sum};
  });
  float *dweight = mutable_floats(call.outputs[1]), *dbias = mutable_floats(call.outputs[2]);
  std::vector<std::array<double, 2>> weighted(static_cast<size_t>(p.statistics()), {0.0, 0.0});
  for (int64_t c = 0; c < p.channels; ++c) {
    double weight_total = 0, bias_total = 0;
    for (int64_t n = 0; n < p.batch; ++n) {
      const auto& sum = sums[static_cast<size_t>(n * p.channels + c)];
      const int64_t s = p.statistic(n, c);
      weight_total += sum[1] * rstd[s];
      bias_total += sum[0];
    }
    dweight[c] = static_cast<float>(weight_total);
    dbias[c] = static_cast<float>(bias_total);
  }
  // Σ w·dy and Σ w·dy·(x − mean) per statistic, planes in order.
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t c = 0; c < p.channels; ++c) {
      auto& total = weighted[static_cast<size_t>(p.statistic(n, c))];
      total[0] += weight[c] * sums[static_cast<size_t>(n * p.channels + c)][0];
      total[1] += weight[c] * sums[static_cast<size_t>(n * p.channels + c)][1];
    }
  }
  float* dx = mutable_floats(call.outputs[0]);
  const double count = p.count();
  for_each_plane(p, [&](int64_t plane) {
    const int64_t c = plane % p.channels, s = statistic_of(plane);
    const double r = rstd[s], average = mean[s], scale = r * weight[c];
    // dx = scale·dy − offset − (x − mean)·slope
    const double offset = fixed_statistics ? 0.0 : r * weighted[static_cast<size_t>(s)][0] / count;
    const double slope = fixed_statistics ? 0.0 : r * r * r * weighted[static_cast<size_t>(s)][1] / count;
    const float *grad = dy + plane * p.inner, *values = x + plane * p.inner;
    float* out = dx + plane * p.inner;
#pragma omp simd
    for (int64_t i = 0; i < p.inner; ++i) {
      out[i] = static_cast<float>(scale * grad[i] - offset - (static_cast<double>(values[i]) - average) * slope);
    }
  });
}

// group_norm_backward with one group over x [rows, features] (inner 1): layer_norm's backward, which
// src/ops/norm.cpp sends here. A statistic per row, so the plane layout above (a plane per value) would spend
// more on bookkeeping than on arithmetic; instead one pass per row takes Σ w·dy and Σ w·dy·(x − mean) and
// adds the row's dy·x̂ and dy into its chunk's column sums, and a second writes dx. Column sums are kept per
// fixed chunk of rows and added in chunk order, in double, so they do not depend on the thread count.
void row_norm_backward(const ops::KernelCall& call) {
  const float *dy = floats(call.inputs[0]), *x = floats(call.inputs[1]), *weight = floats(call.inputs[2]),
              *mean = floats(call.inputs[3]), *rstd = floats(call.inputs[4]);
  const int64_t features = call.inputs[1].shape()[1], rows = call.inputs[1].shape()[0];
  constexpr int64_t rows_per_chunk = 64;
  const int64_t chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
  std::vector<double> column_sums(static_cast<size_t>(chunks * 2 * features), 0.0);  // per chunk: Σ dy·x̂, Σ dy
  float* dx = mutable_floats(call.outputs[0]);
  const double count = static_cast<double>(features);
#pragma omp parallel for schedule(static) if (rows * features >= parallel_threshold)
  for (int64_t chunk_index = 0; chunk_index < chunks; ++chunk_index) {
    double* product_column = column_sums.data() + chunk_index * 2 * features;
    double* grad_column = product_column + features;
    for (int64_t row = chunk_index * rows_per_chunk; row < std::min(rows, (chunk_index + 1) * rows_per_chunk); ++row) {
      const float *grad = dy + row * features, *values = x + row * features;
      const double average = mean[row], r = rstd[row];
      double weighted_grad = 0, weighted_product = 0;
#pragma omp simd reduction(+ : weighted_grad, weighted_product)
      for (int64_t c = 0; c < features; ++c) {
        const double g = grad[c], centered = static_cast<double>(values[c]) - average, weighted = weight[c] * g;
        weighted_grad += weighted;
        weighted_product += weighted * centered;
        product_column[c] += g * centered * r;
        grad_column[c] += g;
      }
      // dx = r·w·dy − offset − (x − mean)·slope, as norm_backward
      const double offset = r * weighted_grad / count, slope = r * r * r * weighted_product / count;
      float* out = dx + row * features;
#pragma omp simd
      for (int64_t c = 0; c < features; ++c) {
        out[c] = static_cast<float>(r * weight[c] * grad[c] - offset - (static_cast<double>(values[c]) - average) * slope);
      }
    }
  }
  float *dweight = mutable_floats(call.outputs[1]), *dbias = mutable_floats(call.outputs[2]);
  for (int64_t c = 0; c < features; ++c) {
    double product_total = 0, grad_total = 0;
    for (int64_t chunk_index = 0; chunk_index < chunks; ++chunk_index) {
      product_total += column_sums[static_cast<size_t>(chunk_index * 2 * features + c)];
      grad_total += column_sums[static_cast<size_t>((chunk_index * 2 + 1) * features + c)];
    }
    dweight[c] = static_cast<float>(product_total);
    dbias[c] = static_cast<float>(grad_total);
  }
}

void batch_norm_backward(const ops::KernelCall& call) {
  norm_backward(call, planes_of(call.inputs[1], 0), !std::get<ops::NormAttrs>(call.attrs).training);
}
void group_norm_backward(const ops::KernelCall& call) {
  norm_backward(call, planes_of(call.inputs[1], std::get<ops::NormAttrs>(call.attrs).groups), false);
}

bool contiguous_f32(const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous(); }

}  // namespace

ops::Kernel channel_norm_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                              const ops::Attrs& attrs) {
  for (const Tensor& input : inputs) if (!contiguous_f32(input)) return nullptr;
  for (const Tensor& output : outputs) if (!contiguous_f32(output)) return nullptr;
  const Tensor& x = op == ops::OpId::batch_norm || op == ops::OpId::group_norm ? inputs[0] : inputs[1];
  if (x.numel() == 0) return nullptr;
  switch (op) {
    case ops::OpId::batch_norm: return &batch_norm_forward;
    case ops::OpId::group_norm: return &group_norm_forward;
    case ops::OpId::batch_norm_backward: return &batch_norm_backward;
    case ops::OpId::group_norm_backward:
      if (x.dim() == 2 && std::get<ops::NormAttrs>(attrs).groups == 1) return &row_norm_backward;
      return &group_norm_backward;
    default: return nullptr;
  }
}

}  // namespace nabla::cpu
