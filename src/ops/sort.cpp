// Orderings and counting: sort (stable), topk, bincount; argsort is sort's indices.
//   sort      x [..., n, ...] → values, indices (int64) [..., n, ...], along dim
//   topk      x [..., n, ...] → values, indices [..., k, ...], the k largest (or smallest) along dim, sorted
//   bincount  x int [n] (, weights [n]) → [max(max(x) + 1, minlength)]  (reads x on the host for its size)
// NaN is larger than every number, as in PyTorch: it sorts last ascending and first descending, and topk
// takes NaNs first. Ties keep their input order (a stable sort), so topk also returns the first of tied
// elements (PyTorch's CPU topk leaves the order of ties unspecified).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/element.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/reduce.h"

namespace nabla::ops {
namespace {

// Whether a comes strictly before b: ascending with NaN largest, or descending with NaN first.
template <typename Key>
bool precedes(Key a, Key b, bool descending) {
  if constexpr (std::is_floating_point_v<Key>) {
    if (descending) return !std::isnan(b) && (std::isnan(a) || a > b);
    return !std::isnan(a) && (std::isnan(b) || a < b);
  } else {
    return descending ? a > b : a < b;
  }
}

// Orders one lane's (key, position) pairs; the position breaks ties, which makes the order stable and lets
// a partial sort (topk) give the same first k as a full sort.
template <typename Key>
void order_lane(std::vector<std::pair<Key, int64_t>>& lane, int64_t k, bool descending) {
  auto before = [descending](const std::pair<Key, int64_t>& a, const std::pair<Key, int64_t>& b) {
    if (precedes(a.first, b.first, descending)) return true;
    if (precedes(b.first, a.first, descending)) return false;
    return a.second < b.second;
  };
  if (k < static_cast<int64_t>(lane.size())) std::partial_sort(lane.begin(), lane.begin() + k, lane.end(), before);
  else std::sort(lane.begin(), lane.end(), before);
}

// Writes the first k of each ordered lane of x along dim: values (copied exactly) and their indices.
template <typename Key>
void ordered_lanes(const Tensor& x, int64_t dim, int64_t k, bool descending, const Tensor& values,
                   const Tensor& indices) {
  std::vector<int64_t> dims = normalize_dims({dim}, x.dim(), "sort");
  ReductionPlan input = plan_reduction(x, dims), value_plan = plan_reduction(values, dims),
                index_plan = plan_reduction(indices, dims);
  const int64_t in_stride = dims.empty() ? 0 : x.strides()[dims[0]];
  const int64_t value_stride = dims.empty() ? 0 : values.strides()[dims[0]];
  const int64_t index_stride = dims.empty() ? 0 : indices.strides()[dims[0]];
  const void* in = x.storage()->data();
  const size_t element_size = dtype_size(x.dtype());
  auto* value_bytes = static_cast<char*>(values.storage()->data());
  const auto* in_bytes = static_cast<const char*>(in);
  auto* index_data = static_cast<int64_t*>(indices.storage()->data());
  std::vector<std::pair<Key, int64_t>> lane(static_cast<size_t>(input.inner_count));
  for_each_offset<3>(input.outer_shape, {input.outer_strides, value_plan.outer_strides, index_plan.outer_strides},
                     {input.offset, value_plan.offset, index_plan.offset}, [&](const std::array<int64_t, 3>& base) {
                       for_each_reduced(input, base[0], [&](int64_t offset, int64_t position) {
                         if constexpr (std::is_floating_point_v<Key>) lane[position] = {load_double(x.dtype(), in, offset), position};
                         else lane[position] = {load_int(x.dtype(), in, offset), position};
                       });
                       order_lane(lane, k, descending);
                       for (int64_t i = 0; i < k; ++i) {
                         const int64_t source = base[0] + lane[i].second * in_stride;
                         std::memcpy(value_bytes + (base[1] + i * value_stride) * static_cast<int64_t>(element_size),
                                     in_bytes + source * static_cast<int64_t>(element_size), element_size);
                         index_data[base[2] + i * index_stride] = lane[i].second;
                       }
                     });
}

void order_kernel(const KernelCall& call, int64_t dim, int64_t k, bool descending) {
  const Tensor& x = call.inputs[0];
  if (is_floating(x.dtype())) ordered_lanes<double>(x, dim, k, descending, call.outputs[0], call.outputs[1]);
  else ordered_lanes<int64_t>(x, dim, k, descending, call.outputs[0], call.outputs[1]);
}

// The size of x along dim (1 for a 0-dim tensor).
int64_t lane_size(const Tensor& x, int64_t dim) { return x.dim() == 0 ? 1 : x.shape()[dim]; }

// dx = dvalues scattered back to where each value came from (each index appears once per lane).
std::vector<Tensor> scatter_back(const BackwardCall& call, int64_t dim) {
  const Tensor& grad = call.grads[0];
  if (!grad.defined()) return {Tensor()};
  Tensor base = zeros(call.input_meta[0].shape, {.dtype = grad.dtype()});
  return {scatter_add(base, dim, call.outputs[1], grad)};
}

// ---- bincount

void check_bincount_input(const Tensor& x) {
  NABLA_CHECK(is_integral(x.dtype()) && x.dtype() != DType::boolean && x.dim() == 1,
              "bincount: input must be a 1-D tensor of non-negative integers, got {}", x.describe());
}

// The bins x needs: max(x) + 1 (0 when empty). Reads the data: bincount is a host-synchronising op.
int64_t bins_needed(const Tensor& x) {
  const void* data = x.storage()->data();
  int64_t largest = -1;
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t value = load_int(x.dtype(), data, x.offset() + i * x.strides()[0]);
    NABLA_CHECK(value >= 0, "bincount: input must be non-negative, got {} at position {} (input {})", value, i,
                x.describe());
    largest = std::max(largest, value);
  }
  return largest + 1;
}

}  // namespace

// sort: x [..., n, ...] → values [..., n, ...] (x's dtype), indices (int64); stable along dim.
//   dx = scatter_add(zeros, dim, indices, dvalues)
std::vector<OutputSpec> shape_sort(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  wrap_input_dim(x, std::get<SortAttrs>(call.attrs).dim, "sort");
  return {{x.shape(), x.dtype()}, {x.shape(), DType::i64}};
}
void reference_sort(const KernelCall& call) {
  const auto& attrs = std::get<SortAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  const int64_t dim = wrap_dim(attrs.dim, x.dim(), "sort");
  order_kernel(call, attrs.dim, lane_size(x, dim), attrs.descending);
}
std::vector<Tensor> backward_sort(const BackwardCall& call) {
  return scatter_back(call, std::get<SortAttrs>(call.attrs).dim);
}

// topk: x [..., n, ...] → values, indices [..., k, ...]; always sorted (largest first, or smallest first).
//   dx = scatter_add(zeros, dim, indices, dvalues)
std::vector<OutputSpec> shape_topk(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<TopkAttrs>(call.attrs);
  const int64_t dim = wrap_input_dim(x, attrs.dim, "topk");
  const int64_t size = lane_size(x, dim);
  NABLA_CHECK(attrs.k >= 0 && attrs.k <= size, "topk: k = {} is out of range for dim {} of size {} (input {})",
              attrs.k, attrs.dim, size, x.describe());
  Shape shape = x.shape();
  if (x.dim() > 0) shape[dim] = attrs.k;
  return {{shape, x.dtype()}, {shape, DType::i64}};
}
void reference_topk(const KernelCall& call) {
  const auto& attrs = std::get<TopkAttrs>(call.attrs);
  order_kernel(call, attrs.dim, attrs.k, attrs.largest);
}
std::vector<Tensor> backward_topk(const BackwardCall& call) {
  return scatter_back(call, std::get<TopkAttrs>(call.attrs).dim);
}

// bincount: x [n] non-negative integers (, weights [n]) → counts int64, or sums of weights (float32
// weights give float32, any other weights float64, as PyTorch), of length max(max(x) + 1, minlength).
std::vector<OutputSpec> shape_bincount(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<BincountAttrs>(call.attrs);
  NABLA_CHECK(call.inputs.size() <= 2, "bincount: expected the input and optional weights, got {} tensors",
              call.inputs.size());
  check_bincount_input(x);
  NABLA_CHECK(attrs.minlength >= 0, "bincount: minlength must be non-negative, got {}", attrs.minlength);
  DType dtype = DType::i64;
  if (call.inputs.size() == 2) {
    const Tensor& weights = call.inputs[1];
    NABLA_CHECK(weights.dim() == 1 && weights.numel() == x.numel() && weights.dtype() != DType::boolean,
                "bincount: weights {} must be a 1-D numeric tensor as long as the input {}", weights.describe(),
                x.describe());
    dtype = weights.dtype() == DType::f32 ? DType::f32 : DType::f64;
  }
  return {{{std::max(bins_needed(x), attrs.minlength)}, dtype}};
}
void reference_bincount(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  const bool weighted = call.inputs.size() == 2;
  std::vector<double> totals(static_cast<size_t>(out.numel()), 0.0);
  const void* data = x.storage()->data();
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t bin = load_int(x.dtype(), data, x.offset() + i * x.strides()[0]);
    const Tensor* weights = weighted ? &call.inputs[1] : nullptr;
    totals[static_cast<size_t>(bin)] +=
        weights ? load_double(weights->dtype(), weights->storage()->data(), weights->offset() + i * weights->strides()[0])
                : 1.0;
  }
  for (int64_t bin = 0; bin < out.numel(); ++bin) store_double(out.dtype(), out.raw_data(), bin, totals[bin]);
}
NABLA_NO_BACKWARD(bincount)

}  // namespace nabla::ops

namespace nabla {
using ops::call, ops::call1, ops::OpId;

std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  std::vector<Tensor> outputs = call(OpId::topk, {x}, ops::TopkAttrs{k, dim, largest, sorted});
  return {std::move(outputs[0]), std::move(outputs[1])};
}

std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending) {
  std::vector<Tensor> outputs = call(OpId::sort, {x}, ops::SortAttrs{dim, descending});
  return {std::move(outputs[0]), std::move(outputs[1])};
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) { return sort(x, dim, descending).second; }

Tensor bincount(const Tensor& x, const Tensor& weights, int64_t minlength) {
  std::vector<Tensor> inputs{x};
  if (weights.defined()) inputs.push_back(weights);
  return call1(OpId::bincount, inputs, ops::BincountAttrs{minlength});
}

}  // namespace nabla
