// logsumexp, softmax, log_softmax and cross_entropy. Every kernel subtracts the max before exp, so large
// logits (±1000) stay finite. Backward passes use differentiable ops, so higher-order gradients work.
#include <cmath>
#include <limits>

#include "core/element.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/reduce.h"

namespace nabla::ops {
namespace {

// wrap_dim, with the input's dtype and shape added to the message.
int64_t wrap_input_dim(const Tensor& x, int64_t dim, const char* op) {
  try {
    return wrap_dim(dim, x.dim(), op);
  } catch (const Error& error) {
    throw Error(fmt::format("{}; input is {}", error.what(), x.describe()));
  }
}

// log Σ exp(x) over the elements that reduce into one output. The max is taken out first so exp never
// overflows; an infinite max is not taken out (inf − inf would be NaN), as in PyTorch. No elements: −inf.
double log_sum_exp(const ReductionPlan& plan, const Tensor& x, int64_t base) {
  const void* in = x.storage()->data();
  double largest = -std::numeric_limits<double>::infinity();
  for_each_reduced(plan, base, [&](int64_t offset, int64_t) { largest = std::max(largest, load_double(x.dtype(), in, offset)); });
  const double shift = std::isinf(largest) ? 0.0 : largest;
  double total = 0;
  for_each_reduced(plan, base, [&](int64_t offset, int64_t) { total += std::exp(load_double(x.dtype(), in, offset) - shift); });
  return std::log(total) + shift;
}

// softmax (y = e^(x − lse)) or log_softmax (y = x − lse) along one dim, lane by lane.
void normalize_kernel(const KernelCall& call, bool log_result) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  std::vector<int64_t> dims = normalize_dims({std::get<DimAttrs>(call.attrs).dim}, x.dim(), "softmax");
  ReductionPlan input = plan_reduction(x, dims), result = plan_reduction(out, dims);
  const int64_t out_stride = dims.empty() ? 0 : out.strides()[dims[0]];
  const void* in = x.storage()->data();
  void* out_data = out.storage()->data();
  for_each_offset<2>(input.outer_shape, {input.outer_strides, result.outer_strides}, {input.offset, result.offset},
                     [&](const std::array<int64_t, 2>& base) {
                       const double lse = log_sum_exp(input, x, base[0]);
                       for_each_reduced(input, base[0], [&](int64_t offset, int64_t position) {
                         double shifted = load_double(x.dtype(), in, offset) - lse;
                         store_double(out.dtype(), out_data, base[1] + position * out_stride,
                                      log_result ? shifted : std::exp(shifted));
                       });
                     });
}

std::vector<OutputSpec> normalize_shape(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const char* op = op_name(call.op);
  NABLA_CHECK(is_floating(x.dtype()), "{}: input must be floating point, got {}; convert it first with .to(DType::f32)",
              op, x.describe());
  wrap_input_dim(x, std::get<DimAttrs>(call.attrs).dim, op);
  return {{x.shape(), x.dtype()}};
}

// Classes and rows of cross_entropy's logits: [N, C], or [C] as one row.
struct LossLayout {
  int64_t rows, classes, row_stride, class_stride;
};
LossLayout loss_layout(const Tensor& logits) {
  const bool batched = logits.dim() == 2;
  return {batched ? logits.shape()[0] : 1, logits.shape().back(), batched ? logits.strides()[0] : 0,
          logits.strides().back()};
}

// Target values are data, so the shape rule can't check them: the kernel does, before writing anything.
void check_targets(const Tensor& logits, const Tensor& target, const LossAttrs& attrs) {
  const LossLayout layout = loss_layout(logits);
  const int64_t stride = target.dim() ? target.strides()[0] : 0;
  const void* labels = target.storage()->data();
  for (int64_t row = 0; row < layout.rows; ++row) {
    int64_t label = load_int(target.dtype(), labels, target.offset() + row * stride);
    NABLA_CHECK(label == attrs.ignore_index || (label >= 0 && label < layout.classes),
                "cross_entropy: target {} at position {} is out of range for logits {} with {} classes "
                "(expected 0 to {}, or ignore_index {})",
                label, row, logits.describe(), layout.classes, layout.classes - 1, attrs.ignore_index);
  }
}

// −log softmax(logits[row])[label] = lse(logits[row]) − logits[row, label]
double row_loss(const Tensor& logits, const LossLayout& layout, int64_t row, int64_t label) {
  ReductionPlan plan;
  plan.inner_shape = {layout.classes};
  plan.inner_strides = {layout.class_stride};
  plan.inner_count = layout.classes;
  const int64_t base = logits.offset() + row * layout.row_stride;
  const double picked = load_double(logits.dtype(), logits.storage()->data(), base + label * layout.class_stride);
  return log_sum_exp(plan, logits, base) - picked;
}

}  // namespace

// logsumexp: x [..] → [.. reduced ..]; y = log Σ e^x over dims (integers give float32, as PyTorch).
//   dx = dy_kept · e^(x − y_kept)
std::vector<OutputSpec> shape_logsumexp(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<ReduceAttrs>(call.attrs);
  for (int64_t dim : attrs.dims) wrap_input_dim(x, dim, "logsumexp");
  std::vector<int64_t> dims = normalize_dims(attrs.dims, x.dim(), "logsumexp");
  return {{reduced_shape(x.shape(), dims, attrs.keepdim), is_floating(x.dtype()) ? x.dtype() : DType::f32}};
}
void reference_logsumexp(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  ReductionPlan plan = plan_reduction(x, normalize_dims(std::get<ReduceAttrs>(call.attrs).dims, x.dim(), "logsumexp"));
  for_each_output(plan, [&](int64_t index, int64_t base) {
    store_double(out.dtype(), out.raw_data(), index, log_sum_exp(plan, x, base));
  });
}
std::vector<Tensor> backward_logsumexp(const BackwardCall& call) {
  const auto& attrs = std::get<ReduceAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  std::vector<int64_t> dims = normalize_dims(attrs.dims, static_cast<int64_t>(shape.size()), "logsumexp");
  Tensor grad_kept = unsqueeze_reduced(call.grads[0], shape, dims, attrs.keepdim);
  Tensor lse_kept = unsqueeze_reduced(call.outputs[0], shape, dims, attrs.keepdim);
  return {grad_kept * exp(call.inputs[0] - lse_kept)};
}

// softmax: x [..., n, ...] → y, same shape; y = e^(x − lse(x)) along dim.
//   dx = y · (dy − Σ_dim dy·y)
std::vector<OutputSpec> shape_softmax(const OpCall& call) { return normalize_shape(call); }
void reference_softmax(const KernelCall& call) { normalize_kernel(call, false); }
std::vector<Tensor> backward_softmax(const BackwardCall& call) {
  const Tensor& y = call.outputs[0];
  const Tensor& grad = call.grads[0];
  return {y * (grad - sum(grad * y, {std::get<DimAttrs>(call.attrs).dim}, true))};
}

// log_softmax: x [..., n, ...] → y, same shape; y = x − lse(x) along dim.
//   dx = dy − e^y · Σ_dim dy
std::vector<OutputSpec> shape_log_softmax(const OpCall& call) { return normalize_shape(call); }
void reference_log_softmax(const KernelCall& call) { normalize_kernel(call, true); }
std::vector<Tensor> backward_log_softmax(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  return {grad - exp(call.outputs[0]) * sum(grad, {std::get<DimAttrs>(call.attrs).dim}, true)};
}

// cross_entropy: logits [N, C] (or [C]), target int [N] (or 0-dim) → loss [N] (none) or 0-dim (mean, sum).
//   loss_n = lse(logits_n) − logits_n[target_n], 0 where target_n == ignore_index;
//   mean divides by the number of targets not ignored (NaN when all are, as PyTorch).
//   dlogits = (softmax(logits) − one_hot(target)) · kept · dloss_n  (· 1/count for mean)
std::vector<OutputSpec> shape_cross_entropy(const OpCall& call) {
  const Tensor& logits = call.inputs[0];
  const Tensor& target = call.inputs[1];
  NABLA_CHECK(is_floating(logits.dtype()), "cross_entropy: logits must be floating point, got {} (target {})",
              logits.describe(), target.describe());
  NABLA_CHECK(is_integral(target.dtype()) && target.dtype() != DType::boolean,
              "cross_entropy: target must hold class indices as integers (int64), got {} (logits {})",
              target.describe(), logits.describe());
  NABLA_CHECK(logits.dim() == 1 || logits.dim() == 2, "cross_entropy: logits must be [N, C] or [C], got {} (target {})",
              logits.describe(), target.describe());
  const Shape expected = logits.dim() == 2 ? Shape{logits.shape()[0]} : Shape{};
  NABLA_CHECK(target.shape() == expected, "cross_entropy: logits {} need a target of shape {}, got {}",
              logits.describe(), shape_string(expected), target.describe());
  const bool none = std::get<LossAttrs>(call.attrs).reduction == Reduction::none;
  return {{none ? expected : Shape{}, logits.dtype()}};
}
void reference_cross_entropy(const KernelCall& call) {
  const Tensor& logits = call.inputs[0];
  const Tensor& target = call.inputs[1];
  const Tensor& out = call.outputs[0];
  const auto& attrs = std::get<LossAttrs>(call.attrs);
  check_targets(logits, target, attrs);
  const LossLayout layout = loss_layout(logits);
  const int64_t stride = target.dim() ? target.strides()[0] : 0;
  double total = 0;
  int64_t count = 0;
  for (int64_t row = 0; row < layout.rows; ++row) {
    int64_t label = load_int(target.dtype(), target.storage()->data(), target.offset() + row * stride);
    const bool kept = label != attrs.ignore_index;
    const double loss = kept ? row_loss(logits, layout, row, label) : 0.0;
    if (attrs.reduction == Reduction::none) store_double(out.dtype(), out.raw_data(), row, loss);
    total += loss;
    count += kept ? 1 : 0;
  }
  if (attrs.reduction == Reduction::sum) store_double(out.dtype(), out.raw_data(), 0, total);
  if (attrs.reduction == Reduction::mean) store_double(out.dtype(), out.raw_data(), 0, total / static_cast<double>(count));
}
std::vector<Tensor> backward_cross_entropy(const BackwardCall& call) {
  const auto& attrs = std::get<LossAttrs>(call.attrs);
  const Tensor& logits = call.inputs[0];
  const Tensor& grad = call.grads[0];
  const int64_t classes = logits.shape().back();
  Tensor rows = logits.dim() == 2 ? logits : logits.unsqueeze(0);                  // [N, C]
  Tensor labels = call.inputs[1].reshape({-1, 1});                                  // [N, 1]
  Tensor one_hot = eq(labels, arange(static_cast<double>(classes)).reshape({1, classes}));  // [N, C]
  Tensor kept = ne(labels, wrapped_scalar(attrs.ignore_index));                     // [N, 1]
  Tensor scale;                                                                     // [N, 1] or 0-dim
  switch (attrs.reduction) {
    case Reduction::none: scale = grad.reshape({-1, 1}); break;
    case Reduction::sum: scale = grad; break;
    case Reduction::mean: scale = grad / sum(kept).to(grad.dtype()); break;
  }
  Tensor dlogits = (softmax(rows, 1) - one_hot) * (kept * scale);
  return {dlogits.reshape(logits.shape()), Tensor()};
}

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;

Tensor logsumexp(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::logsumexp, {x}, ops::ReduceAttrs{std::move(dims), keepdim});
}
Tensor softmax(const Tensor& x, int64_t dim) { return call1(OpId::softmax, {x}, ops::DimAttrs{dim}); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return call1(OpId::log_softmax, {x}, ops::DimAttrs{dim}); }
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction, int64_t ignore_index) {
  return call1(OpId::cross_entropy, {logits, target}, ops::LossAttrs{reduction, ignore_index});
}

}  // namespace nabla
