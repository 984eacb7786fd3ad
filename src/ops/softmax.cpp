// logsumexp, softmax, log_softmax and cross_entropy. Every kernel subtracts the max before exp, so large
// logits (±1000) stay finite. Backward passes use differentiable ops, so higher-order gradients work.
#include <cmath>
#include <limits>

#include "core/element.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/kernel_rules.h"
#include "ops/reduce.h"

namespace nabla::ops {
namespace {

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

// −log softmax(logits[row]) at every class c is lse − logits[row, c]: the row's lse, and its logits.
double row_lse(const Tensor& logits, const LossLayout& layout, int64_t row) {
  ReductionPlan plan;
  plan.inner_shape = {layout.classes};
  plan.inner_strides = {layout.class_stride};
  plan.inner_count = layout.classes;
  return log_sum_exp(plan, logits, logits.offset() + row * layout.row_stride);
}
double logit(const Tensor& logits, const LossLayout& layout, int64_t row, int64_t c) {
  return load_double(logits.dtype(), logits.storage()->data(),
                     logits.offset() + row * layout.row_stride + c * layout.class_stride);
}

// The class weights as doubles (all 1 without a weight input).
std::vector<double> class_weights(const KernelCall& call, int64_t classes) {
  std::vector<double> weights(static_cast<size_t>(classes), 1.0);
  if (!std::get<LossAttrs>(call.attrs).has_weight) return weights;
  const Tensor& weight = call.inputs[2];
  for (int64_t c = 0; c < classes; ++c) {
    weights[static_cast<size_t>(c)] =
        load_double(weight.dtype(), weight.storage()->data(), weight.offset() + c * weight.strides()[0]);
  }
  return weights;
}

}  // namespace

// Target values are data, so the shape rule can't check them: the kernels do, before writing anything.
// (Also called by the fast kernel in src/backend/cpu/softmax.cpp.)
void check_cross_entropy_targets(const Tensor& logits, const Tensor& target, const LossAttrs& attrs) {
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

// cross_entropy: logits [N, C] (or [C]), target int [N] (or 0-dim)[, weight [C]] → loss [N] (none) or 0-dim.
//   With ε = label_smoothing, w the class weights (1 without), lse_n = lse(logits_n), as PyTorch:
//   loss_n = (1 − ε)·w[t_n]·(lse_n − logits_n[t_n]) + ε/C·Σ_c w_c·(lse_n − logits_n[c]), 0 where t_n is ignored;
//   mean divides the sum by Σ w[t_n] over the targets not ignored (NaN when all are, as PyTorch).
//   dlogits_n = ((1 − ε)·(w[t_n]·p_n − w ⊙ one_hot(t_n)) + ε/C·(Σw·p_n − w))·kept_n·dloss_n (· 1/Σ w[t] for mean)
std::vector<OutputSpec> shape_cross_entropy(const OpCall& call) {
  const Tensor& logits = call.inputs[0];
  const auto& attrs = std::get<LossAttrs>(call.attrs);
  NABLA_CHECK(call.inputs.size() == (attrs.has_weight ? 3u : 2u),
              "cross_entropy: expected inputs (logits, target{}), got {} tensors", attrs.has_weight ? ", weight" : "",
              call.inputs.size());
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
  if (attrs.has_weight) {
    const Tensor& weight = call.inputs[2];
    NABLA_CHECK(is_floating(weight.dtype()) && weight.shape() == Shape{logits.shape().back()},
                "cross_entropy: weight {} must be a floating tensor with one entry per class, [{}] (logits {})",
                weight.describe(), logits.shape().back(), logits.describe());
  }
  NABLA_CHECK(attrs.label_smoothing >= 0 && attrs.label_smoothing <= 1,
              "cross_entropy: label_smoothing must be between 0 and 1, got {}", attrs.label_smoothing);
  const bool none = attrs.reduction == Reduction::none;
  return {{none ? expected : Shape{}, logits.dtype()}};
}
void reference_cross_entropy(const KernelCall& call) {
  const Tensor& logits = call.inputs[0];
  const Tensor& target = call.inputs[1];
  const Tensor& out = call.outputs[0];
  const auto& attrs = std::get<LossAttrs>(call.attrs);
  check_cross_entropy_targets(logits, target, attrs);
  const LossLayout layout = loss_layout(logits);
  const std::vector<double> weights = class_weights(call, layout.classes);
  const double smoothing = attrs.label_smoothing;
  const int64_t stride = target.dim() ? target.strides()[0] : 0;
  double total = 0, denominator = 0;
  for (int64_t row = 0; row < layout.rows; ++row) {
    int64_t label = load_int(target.dtype(), target.storage()->data(), target.offset() + row * stride);
    double loss = 0;
    if (label != attrs.ignore_index) {
      const double lse = row_lse(logits, layout, row);
      const double weight = weights[static_cast<size_t>(label)];
      loss = (1 - smoothing) * weight * (lse - logit(logits, layout, row, label));
      if (smoothing > 0) {
        double smooth = 0;
        for (int64_t c = 0; c < layout.classes; ++c) smooth += weights[static_cast<size_t>(c)] * (lse - logit(logits, layout, row, c));
        loss += smoothing / static_cast<double>(layout.classes) * smooth;
      }
      denominator += weight;
    }
    if (attrs.reduction == Reduction::none) store_double(out.dtype(), out.raw_data(), row, loss);
    total += loss;
  }
  if (attrs.reduction == Reduction::sum) store_double(out.dtype(), out.raw_data(), 0, total);
  if (attrs.reduction == Reduction::mean) store_double(out.dtype(), out.raw_data(), 0, total / denominator);
}
std::vector<Tensor> backward_cross_entropy(const BackwardCall& call) {
  const auto& attrs = std::get<LossAttrs>(call.attrs);
  const Tensor& logits = call.inputs[0];
  const Tensor& grad = call.grads[0];
  const int64_t classes = logits.shape().back();
  const double smoothing = attrs.label_smoothing, spread = smoothing / static_cast<double>(classes);
  Tensor rows = logits.dim() == 2 ? logits : logits.unsqueeze(0);                  // [N, C]
  Tensor labels = call.inputs[1].reshape({-1, 1});                                  // [N, 1]
  Tensor one_hot = eq(labels, arange(static_cast<double>(classes)).reshape({1, classes})).to(rows.dtype());  // [N, C]
  Tensor kept = ne(labels, wrapped_scalar(attrs.ignore_index));                     // [N, 1]
  Tensor probabilities = softmax(rows, 1);
  Tensor dlogits, denominator;                                                      // [N, C], 0-dim
  if (attrs.has_weight) {
    Tensor weight = call.inputs[2].reshape({1, classes});                           // [1, C]
    Tensor picked = sum(one_hot * weight, {1}, true) * kept;                        // w[t_n], 0 if ignored
    dlogits = (1 - smoothing) * (picked * probabilities - one_hot * weight);
    if (smoothing > 0) dlogits = dlogits + spread * (sum(weight) * probabilities - weight);
    denominator = sum(picked);
  } else {
    dlogits = probabilities - one_hot * (1 - smoothing);
    if (smoothing > 0) dlogits = dlogits - spread;
    denominator = sum(kept).to(grad.dtype());
  }
  Tensor scale;                                                                     // [N, 1] or 0-dim
  switch (attrs.reduction) {
    case Reduction::none: scale = grad.reshape({-1, 1}); break;
    case Reduction::sum: scale = grad; break;
    case Reduction::mean: scale = grad / denominator; break;
  }
  dlogits = dlogits * (kept * scale);
  std::vector<Tensor> result{dlogits.reshape(logits.shape()), Tensor()};
  if (attrs.has_weight) result.emplace_back();  // class weights get no gradient (as PyTorch)
  return result;
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
