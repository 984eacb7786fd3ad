// Reductions beyond sum/mean/max, over any dims with keepdim: prod, min/argmin, var, any/all, and the
// running sum cumsum; std and norm are composites of them. Reference kernels compute floating results in
// double (integers in int64) and round once on store. Backward passes use differentiable ops only, so
// second-order gradients work.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/reduce.h"

namespace nabla::ops {
namespace {

// The reduced dims, wrapped and sorted (empty attribute: every dim), each checked against the input.
std::vector<int64_t> input_dims(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  for (int64_t dim : dims) wrap_input_dim(x, dim, op);
  return normalize_dims(dims, x.dim(), op);
}

std::vector<int64_t> meta_dims(const BackwardCall& call, const std::vector<int64_t>& dims, const char* op) {
  return normalize_dims(dims, static_cast<int64_t>(call.input_meta[0].shape.size()), op);
}

// One reduced dim for min/argmin/cumsum: empty for a 0-dim input (nothing is reduced).
std::vector<int64_t> single_dim(const Tensor& x, int64_t dim, const char* op) {
  wrap_input_dim(x, dim, op);
  return normalize_dims({dim}, x.dim(), op);
}

// ---- prod

void prod_kernel(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  ReductionPlan plan = plan_reduction(x, normalize_dims(std::get<ReduceAttrs>(call.attrs).dims, x.dim(), "prod"));
  const void* in = x.storage()->data();
  if (is_floating(out.dtype())) {
    for_each_output(plan, [&](int64_t index, int64_t base) {
      double product = 1;
      for_each_reduced(plan, base, [&](int64_t offset, int64_t) { product *= load_double(x.dtype(), in, offset); });
      store_double(out.dtype(), out.raw_data(), index, product);
    });
  } else {
    for_each_output(plan, [&](int64_t index, int64_t base) {
      uint64_t product = 1;  // unsigned: overflow wraps as PyTorch's int64 product does, without UB
      for_each_reduced(plan, base, [&](int64_t offset, int64_t) {
        product *= static_cast<uint64_t>(load_int(x.dtype(), in, offset));
      });
      store_int(out.dtype(), out.raw_data(), index, static_cast<int64_t>(product));
    });
  }
}

// The product of everything before each element along the last dim (1 for the first): a Hillis–Steele
// scan, log2(n) shifted multiplications, so it is differentiable without dividing by anything.
Tensor exclusive_products(const Tensor& lanes) {
  const int64_t n = lanes.shape().back();
  Tensor scan = functional::pad(lanes.slice(-1, 0, n - 1), {1, 0}, PadMode::constant, 1.0);
  for (int64_t shift = 1; shift < n; shift *= 2) {
    scan = scan * functional::pad(scan.slice(-1, 0, n - shift), {shift, 0}, PadMode::constant, 1.0);
  }
  return scan;
}

// x with the reduced dims moved last and flattened into one: [.. kept .., K]. `order` receives the
// permutation applied, `unflattened` the shape before flattening (both optional).
Tensor reduced_dims_last(const Tensor& x, const std::vector<int64_t>& dims, Shape* order = nullptr,
                         Shape* unflattened = nullptr) {
  Shape permutation, kept, split;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (std::binary_search(dims.begin(), dims.end(), d)) continue;
    permutation.push_back(d);
    kept.push_back(x.shape()[d]);
  }
  split = kept;
  for (int64_t d : dims) {
    permutation.push_back(d);
    split.push_back(x.shape()[d]);
  }
  kept.push_back(-1);
  if (order) *order = permutation;
  if (unflattened) *unflattened = split;
  return x.permute(permutation).reshape(kept);
}

// For each element of x, the product of the other elements of its slice over dims (x's shape).
Tensor product_of_others(const Tensor& x, const std::vector<int64_t>& dims) {
  Shape order, unflattened;
  Tensor lanes = reduced_dims_last(x, dims, &order, &unflattened);
  Tensor before = exclusive_products(lanes);
  Tensor after = flip(exclusive_products(flip(lanes, {-1})), {-1});
  Shape inverse(order.size());
  for (size_t i = 0; i < order.size(); ++i) inverse[order[i]] = static_cast<int64_t>(i);
  return (before * after).reshape(unflattened).permute(inverse);
}

// ---- min and argmin

// The position (row-major in the reduced dim) of the first minimum; a NaN is the minimum (the first
// NaN wins), as PyTorch's min propagates NaN.
int64_t position_of_min(const ReductionPlan& plan, const Tensor& x, int64_t base) {
  const void* in = x.storage()->data();
  int64_t best_position = 0;
  if (is_floating(x.dtype())) {
    double best = 0;
    bool found_nan = false;
    for_each_reduced(plan, base, [&](int64_t offset, int64_t position) {
      if (found_nan) return;
      double value = load_double(x.dtype(), in, offset);
      if (position == 0 || std::isnan(value) || value < best) {
        best = value;
        best_position = position;
        found_nan = std::isnan(value);
      }
    });
  } else {
    int64_t best = 0;  // integers compare exactly in int64
    for_each_reduced(plan, base, [&](int64_t offset, int64_t position) {
      int64_t value = load_int(x.dtype(), in, offset);
      if (position == 0 || value < best) {
        best = value;
        best_position = position;
      }
    });
  }
  return best_position;
}

// Writes the index of each minimum into `indices` and, when given, its value (copied exactly) into `values`.
void min_kernel(const Tensor& x, int64_t dim, const Tensor* values, const Tensor& indices) {
  std::vector<int64_t> dims = normalize_dims({dim}, x.dim(), "min");
  ReductionPlan plan = plan_reduction(x, dims);
  const int64_t stride = dims.empty() ? 0 : x.strides()[dims[0]];
  auto* index_data = static_cast<int64_t*>(indices.raw_data());
  const void* in = x.storage()->data();
  for_each_output(plan, [&](int64_t output, int64_t base) {
    int64_t position = position_of_min(plan, x, base);
    index_data[output] = position;
    if (!values) return;
    int64_t offset = base + position * stride;
    if (is_floating(x.dtype())) store_double(values->dtype(), values->raw_data(), output, load_double(x.dtype(), in, offset));
    else store_int(values->dtype(), values->raw_data(), output, load_int(x.dtype(), in, offset));
  });
}

std::vector<int64_t> min_dims(const Tensor& x, int64_t dim, const char* op) {
  std::vector<int64_t> dims = single_dim(x, dim, op);
  NABLA_CHECK(dims.empty() || x.shape()[dims[0]] > 0,
              "{}: can't reduce dim {} of size 0 of input {}: the minimum of no elements is undefined", op, dim,
              x.describe());
  return dims;
}

// ---- var

// Σ (x − mean)² / max(0, N − correction) per output, two passes in double. N − correction ≤ 0 divides by
// zero (inf, or NaN for a zero numerator), as PyTorch does.
void var_kernel(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  const auto& attrs = std::get<VarianceAttrs>(call.attrs);
  ReductionPlan plan = plan_reduction(x, normalize_dims(attrs.dims, x.dim(), "var"));
  const void* in = x.storage()->data();
  const double count = static_cast<double>(plan.inner_count);
  const double divisor = std::max(0.0, count - attrs.correction);
  for_each_output(plan, [&](int64_t index, int64_t base) {
    double total = 0;
    for_each_reduced(plan, base, [&](int64_t offset, int64_t) { total += load_double(x.dtype(), in, offset); });
    const double mean = total / count;
    double squares = 0;
    for_each_reduced(plan, base, [&](int64_t offset, int64_t) {
      double deviation = load_double(x.dtype(), in, offset) - mean;
      squares += deviation * deviation;
    });
    store_double(out.dtype(), out.raw_data(), index, squares / divisor);
  });
}

// ---- any and all

// any: is some element non-zero (NaN counts as non-zero); all: is every element non-zero.
void truth_kernel(const KernelCall& call, bool want_all) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  ReductionPlan plan = plan_reduction(x, normalize_dims(std::get<ReduceAttrs>(call.attrs).dims, x.dim(), "any"));
  const void* in = x.storage()->data();
  const bool floating = is_floating(x.dtype());
  auto* result = static_cast<uint8_t*>(out.raw_data());
  for_each_output(plan, [&](int64_t index, int64_t base) {
    bool answer = want_all;
    for_each_reduced(plan, base, [&](int64_t offset, int64_t) {
      bool nonzero = floating ? load_double(x.dtype(), in, offset) != 0 : load_int(x.dtype(), in, offset) != 0;
      answer = want_all ? (answer && nonzero) : (answer || nonzero);
    });
    result[index] = answer ? 1 : 0;
  });
}

std::vector<OutputSpec> truth_shape(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<ReduceAttrs>(call.attrs);
  std::vector<int64_t> dims = input_dims(x, attrs.dims, op_name(call.op));
  // uint8 inputs give uint8 results, as PyTorch keeps for backward compatibility; all others give bool.
  DType dtype = x.dtype() == DType::u8 ? DType::u8 : DType::boolean;
  return {{reduced_shape(x.shape(), dims, attrs.keepdim), dtype}};
}

}  // namespace

// prod: x [..] → [.. reduced ..]; integers and bool multiply in int64, as PyTorch.
//   dx = dy_kept · (the product of the other elements of the slice): prod/x when x has no zero, else
//   exclusive prefix × suffix products (exact with one zero or several, and differentiable, as PyTorch's
//   cumprod-based backward is, so second-order gradients stay right at zeros)
std::vector<OutputSpec> shape_prod(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<ReduceAttrs>(call.attrs);
  std::vector<int64_t> dims = input_dims(x, attrs.dims, "prod");
  DType dtype = is_integral(x.dtype()) ? DType::i64 : x.dtype();
  return {{reduced_shape(x.shape(), dims, attrs.keepdim), dtype}};
}
void reference_prod(const KernelCall& call) { prod_kernel(call); }
std::vector<Tensor> backward_prod(const BackwardCall& call) {
  const auto& attrs = std::get<ReduceAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  const Shape& shape = call.input_meta[0].shape;
  if (shape.empty()) return {call.grads[0]};
  std::vector<int64_t> dims = meta_dims(call, attrs.dims, "prod");
  Tensor grad_kept = unsqueeze_reduced(call.grads[0], shape, dims, attrs.keepdim);
  // Reading x here (as PyTorch's prod_backward does) picks the cheap formula whenever it is exact.
  if (any(eq(x, wrapped_scalar(0.0))).item() == 0) {
    return {grad_kept * unsqueeze_reduced(call.outputs[0], shape, dims, attrs.keepdim) / x};
  }
  return {grad_kept * product_of_others(x, dims)};
}

// min: x [..., n, ...] → values [..., (1), ...] (x's dtype), indices (int64), along dim; first on ties.
//   dx = dy scattered to the index of each minimum: dy_kept · [indices_kept == arange(n)]
std::vector<OutputSpec> shape_min(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  Shape shape = reduced_shape(x.shape(), min_dims(x, attrs.dim, "min"), attrs.keepdim);
  return {{shape, x.dtype()}, {shape, DType::i64}};
}
void reference_min(const KernelCall& call) {
  min_kernel(call.inputs[0], std::get<DimAttrs>(call.attrs).dim, &call.outputs[0], call.outputs[1]);
}
std::vector<Tensor> backward_min(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  if (!grad.defined()) return {Tensor()};
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  std::vector<int64_t> dims = meta_dims(call, {attrs.dim}, "min");
  Tensor grad_kept = unsqueeze_reduced(grad, shape, dims, attrs.keepdim);
  Tensor indices_kept = unsqueeze_reduced(call.outputs[1], shape, dims, attrs.keepdim);
  Shape positions_shape(shape.size(), 1);
  int64_t count = 1;
  if (!dims.empty()) count = positions_shape[dims[0]] = shape[dims[0]];
  Tensor positions = arange(static_cast<double>(count)).reshape(positions_shape);
  return {grad_kept * eq(indices_kept, positions)};
}

// argmin: x [..., n, ...] → int64 [..., (1), ...], the index of the first minimum along dim.
std::vector<OutputSpec> shape_argmin(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<DimAttrs>(call.attrs);
  return {{reduced_shape(x.shape(), min_dims(x, attrs.dim, "argmin"), attrs.keepdim), DType::i64}};
}
void reference_argmin(const KernelCall& call) {
  min_kernel(call.inputs[0], std::get<DimAttrs>(call.attrs).dim, nullptr, call.outputs[0]);
}
NABLA_NO_BACKWARD(argmin)

// var: x [..] → [.. reduced ..]; Σ (x − mean)² / max(0, N − correction), floating inputs only.
//   dx = dy_kept · 2 (x − mean_kept) / max(0, N − correction)
std::vector<OutputSpec> shape_var(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<VarianceAttrs>(call.attrs);
  NABLA_CHECK(is_floating(x.dtype()), "var: input must be floating point, got {}; convert it first with .to(DType::f32)",
              x.describe());
  std::vector<int64_t> dims = input_dims(x, attrs.dims, "var");
  return {{reduced_shape(x.shape(), dims, attrs.keepdim), x.dtype()}};
}
void reference_var(const KernelCall& call) { var_kernel(call); }
std::vector<Tensor> backward_var(const BackwardCall& call) {
  const auto& attrs = std::get<VarianceAttrs>(call.attrs);
  const Tensor& x = call.inputs[0];
  const Shape& shape = call.input_meta[0].shape;
  std::vector<int64_t> dims = meta_dims(call, attrs.dims, "var");
  int64_t count = 1;
  for (int64_t d : dims) count *= shape[static_cast<size_t>(d)];
  const double divisor = std::max(0.0, static_cast<double>(count) - attrs.correction);
  Tensor grad_kept = unsqueeze_reduced(call.grads[0], shape, dims, attrs.keepdim);
  return {grad_kept * (x - mean(x, dims, true)) * (2.0 / divisor)};
}

// any / all: x [..] (any dtype) → bool [.. reduced ..] (uint8 for uint8 inputs, as PyTorch)
std::vector<OutputSpec> shape_any(const OpCall& call) { return truth_shape(call); }
void reference_any(const KernelCall& call) { truth_kernel(call, false); }
NABLA_NO_BACKWARD(any)
std::vector<OutputSpec> shape_all(const OpCall& call) { return truth_shape(call); }
void reference_all(const KernelCall& call) { truth_kernel(call, true); }
NABLA_NO_BACKWARD(all)

// cumsum: x [..., n, ...] → same shape, y[.., i, ..] = Σ_{j ≤ i} x[.., j, ..] along dim; integers and bool
// sum in int64 (as PyTorch), floats keep their dtype (accumulated in double, rounded once per element).
//   dx = the reversed cumulative sum of dy: flip(cumsum(flip(dy)))
std::vector<OutputSpec> shape_cumsum(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  single_dim(x, std::get<DimAttrs>(call.attrs).dim, "cumsum");
  return {{x.shape(), is_integral(x.dtype()) ? DType::i64 : x.dtype()}};
}
void reference_cumsum(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  std::vector<int64_t> dims = normalize_dims({std::get<DimAttrs>(call.attrs).dim}, x.dim(), "cumsum");
  ReductionPlan input = plan_reduction(x, dims), result = plan_reduction(out, dims);
  const int64_t out_stride = dims.empty() ? 0 : out.strides()[dims[0]];
  const void* in = x.storage()->data();
  void* out_data = out.storage()->data();
  const bool floating = is_floating(out.dtype());
  for_each_offset<2>(input.outer_shape, {input.outer_strides, result.outer_strides}, {input.offset, result.offset},
                     [&](const std::array<int64_t, 2>& base) {
                       double total = 0;
                       int64_t integer_total = 0;
                       for_each_reduced(input, base[0], [&](int64_t offset, int64_t position) {
                         const int64_t target = base[1] + position * out_stride;
                         if (floating) {
                           total += load_double(x.dtype(), in, offset);
                           store_double(out.dtype(), out_data, target, total);
                         } else {
                           integer_total += load_int(x.dtype(), in, offset);
                           store_int(out.dtype(), out_data, target, integer_total);
                         }
                       });
                     });
}
std::vector<Tensor> backward_cumsum(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  if (grad.dim() == 0) return {grad};
  const int64_t dim = wrap_dim(std::get<DimAttrs>(call.attrs).dim, grad.dim(), "cumsum");
  return {flip(cumsum(flip(grad, {dim}), dim), {dim})};
}

}  // namespace nabla::ops

namespace nabla {
using ops::call, ops::call1, ops::OpId;

namespace {

// The largest (or smallest) value over dims, its gradient shared evenly among tied extremes (as PyTorch's
// max(), amax and the infinity norm do). Forward is max/min along one flattened dim; backward is a mask.
Tensor extreme(const Tensor& x, std::vector<int64_t> dims, bool keepdim, bool largest) {
  dims = ops::normalize_dims(std::move(dims), x.dim(), largest ? "amax" : "amin");
  const Shape input_shape = x.shape();
  return autograd::apply_function(
      largest ? "Amax" : "Amin", {x},
      [=](autograd::FunctionContext& context, const std::vector<Tensor>& inputs) {
        Tensor lanes = ops::reduced_dims_last(inputs[0], dims);
        Tensor value = (largest ? max(lanes, -1) : min(lanes, -1)).first;
        Tensor value_kept = value.reshape(ops::reduced_shape(input_shape, dims, true));
        context.save_for_backward({inputs[0], value_kept});
        return std::vector<Tensor>{keepdim ? value_kept : value.reshape(ops::reduced_shape(input_shape, dims, false))};
      },
      [=](autograd::FunctionContext& context, const std::vector<Tensor>& grads) {
        std::vector<Tensor> saved = context.saved_tensors();
        Tensor ties = eq(saved[0], saved[1]).to(grads[0].dtype());
        Tensor grad_kept = ops::unsqueeze_reduced(grads[0], input_shape, dims, keepdim);
        return std::vector<Tensor>{grad_kept * ties / sum(ties, dims, true)};
      })[0];
}

// √v with value 0 and gradient 0 where v = 0 (PyTorch masks the gradient of std and the 2-norm there).
Tensor safe_sqrt(const Tensor& v) {
  if (!v.requires_grad()) return sqrt(v);
  Tensor is_zero = eq(v, wrapped_scalar(0.0));
  return where(is_zero, wrapped_scalar(0.0), sqrt(where(is_zero, wrapped_scalar(1.0), v)));
}

// s^(1/p) with gradient 0 where s = 0 (as PyTorch's norm backward, which masks a zero norm).
Tensor safe_root(const Tensor& s, double p) {
  Tensor is_zero = eq(s, wrapped_scalar(0.0));
  return where(is_zero, wrapped_scalar(0.0), pow(where(is_zero, wrapped_scalar(1.0), s), 1.0 / p));
}

}  // namespace

Tensor prod(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::prod, {x}, ops::ReduceAttrs{std::move(dims), keepdim});
}

std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  std::vector<Tensor> outputs = call(OpId::min, {x}, ops::DimAttrs{dim, keepdim});
  return {std::move(outputs[0]), std::move(outputs[1])};
}

// The smallest element as a 0-dim tensor; the gradient is shared evenly among tied minima, as PyTorch's min().
Tensor min(const Tensor& x) {
  NABLA_CHECK(x.numel() > 0, "min: the input {} is empty; the minimum of no elements is undefined", x.describe());
  return extreme(x, {}, false, false);
}

Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return call1(OpId::argmin, {x}, ops::DimAttrs{dim, keepdim});
}

Tensor var(const Tensor& x, std::vector<int64_t> dims, double correction, bool keepdim) {
  return call1(OpId::var, {x}, ops::VarianceAttrs{std::move(dims), correction, keepdim});
}

Tensor std(const Tensor& x, std::vector<int64_t> dims, double correction, bool keepdim) {
  NABLA_CHECK(is_floating(x.dtype()), "std: input must be floating point, got {}; convert it first with .to(DType::f32)",
              x.describe());
  return safe_sqrt(var(x, std::move(dims), correction, keepdim));
}

// p = 2: √Σx²; p = 1: Σ|x|; p = ±∞: the largest/smallest |x|; p = 0: the count of non-zeros; other p > 0:
// (Σ|x|^p)^(1/p). Gradients at zeros are 0 where PyTorch's are (the masked cases of its norm backward).
Tensor norm(const Tensor& x, double p, std::vector<int64_t> dims, bool keepdim) {
  NABLA_CHECK(is_floating(x.dtype()), "norm: input must be floating point, got {}; convert it first with .to(DType::f32)",
              x.describe());
  NABLA_CHECK(p >= 0 || p == -std::numeric_limits<double>::infinity(),
              "norm: p must be non-negative or ±infinity, got {} (input {})", p, x.describe());
  for (int64_t dim : dims) wrap_dim(dim, x.dim(), "norm");
  if (std::isinf(p)) {
    NABLA_CHECK(x.numel() > 0, "norm: the infinity norm of the empty input {} is undefined", x.describe());
    return extreme(abs(x), std::move(dims), keepdim, p > 0);
  }
  if (p == 2) return safe_sqrt(sum(x * x, std::move(dims), keepdim));
  if (p == 1) return sum(abs(x), std::move(dims), keepdim);
  if (p == 0) {
    // The count of non-zeros, connected to x so that its (zero) gradient exists, as in PyTorch.
    return sum(where(ne(x, wrapped_scalar(0.0)), wrapped_scalar(1.0), x * 0.0), std::move(dims), keepdim);
  }
  Tensor magnitude = abs(x);
  if (p < 1) {
    // |x|^(p−1) is infinite at 0; PyTorch gives those elements a zero gradient.
    Tensor is_zero = eq(magnitude, wrapped_scalar(0.0));
    magnitude = where(is_zero, wrapped_scalar(0.0), pow(where(is_zero, wrapped_scalar(1.0), magnitude), p));
  } else {
    magnitude = pow(magnitude, p);
  }
  return safe_root(sum(magnitude, std::move(dims), keepdim), p);
}

Tensor any(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::any, {x}, ops::ReduceAttrs{std::move(dims), keepdim});
}
Tensor all(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::all, {x}, ops::ReduceAttrs{std::move(dims), keepdim});
}
Tensor cumsum(const Tensor& x, int64_t dim) { return call1(OpId::cumsum, {x}, ops::DimAttrs{dim}); }

}  // namespace nabla
