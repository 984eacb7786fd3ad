// Reductions over any dims with keepdim: sum, mean, prod, var, any/all, and the running sum cumsum; std and
// norm are composites of them. Also the reduction plumbing of reduce.h. (max/min/argmax/argmin are in
// extrema.cpp, logsumexp beside softmax in softmax.cpp.) Reference kernels compute floating results in
// double (integers in int64) and round once on store, visiting each output's inputs in a fixed order so
// the result does not depend on the thread count. Backward passes use differentiable ops only, so
// second-order gradients work.
#include "ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::ops {

std::vector<int64_t> normalize_dims(std::vector<int64_t> dims, int64_t rank, const char* op) {
  if (dims.empty()) {
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
    return dims;
  }
  for (int64_t& dim : dims) dim = wrap_dim(dim, rank, op);
  std::sort(dims.begin(), dims.end());
  NABLA_CHECK(std::adjacent_find(dims.begin(), dims.end()) == dims.end(), "{}: a dim appears twice in the dim list", op);
  if (rank == 0) dims.clear();
  return dims;
}

Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim) {
  Shape result;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (!reduced) result.push_back(shape[d]);
    else if (keepdim) result.push_back(1);
  }
  return result;
}

ReductionPlan plan_reduction(const Tensor& x, const std::vector<int64_t>& dims) {
  ReductionPlan plan;
  plan.offset = x.offset();
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    (reduced ? plan.inner_shape : plan.outer_shape).push_back(x.shape()[d]);
    (reduced ? plan.inner_strides : plan.outer_strides).push_back(x.strides()[d]);
  }
  plan.inner_count = numel(plan.inner_shape);
  return plan;
}

Tensor unsqueeze_reduced(const Tensor& reduced, const Shape& input_shape, const std::vector<int64_t>& dims, bool keepdim) {
  if (keepdim) return reduced;
  return reduced.reshape(reduced_shape(input_shape, dims, true));
}

// x with the reduced dims moved last and flattened into one: [.. kept .., K]. `order` receives the
// permutation applied, `unflattened` the shape before flattening (both optional).
Tensor reduced_dims_last(const Tensor& x, const std::vector<int64_t>& dims, Shape* order, Shape* unflattened) {
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

namespace {

std::vector<OutputSpec> reduce_shape(const OpCall& call, bool integers_to_int64) {
  const Tensor& x = call.inputs[0];
  auto& attrs = std::get<ReduceAttrs>(call.attrs);
  std::vector<int64_t> dims = normalize_dims(attrs.dims, x.dim(), op_name(call.op));
  DType dtype = x.dtype();
  if (integers_to_int64 && is_integral(dtype)) dtype = DType::i64;
  return {{reduced_shape(x.shape(), dims, attrs.keepdim), dtype}};
}

// Sums in double (floats) or int64 (integers).
void sum_kernel(const KernelCall& call, bool divide) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  auto& attrs = std::get<ReduceAttrs>(call.attrs);
  std::vector<int64_t> dims = normalize_dims(attrs.dims, x.dim(), "sum");
  ReductionPlan plan = plan_reduction(x, dims);
  const void* in = x.storage()->data();
  void* result = out.raw_data();
  if (is_floating(out.dtype())) {
    for_each_output(plan, [&](int64_t index, int64_t base) {
      double total = 0;
      for_each_reduced(plan, base, [&](int64_t offset, int64_t) { total += load_double(x.dtype(), in, offset); });
      store_double(out.dtype(), result, index, divide ? total / static_cast<double>(plan.inner_count) : total);
    });
  } else {
    for_each_output(plan, [&](int64_t index, int64_t base) {
      int64_t total = 0;
      for_each_reduced(plan, base, [&](int64_t offset, int64_t) { total += load_int(x.dtype(), in, offset); });
      store_int(out.dtype(), result, index, total);
    });
  }
}

}  // namespace

// sum: integers and bool sum to int64, as PyTorch
std::vector<OutputSpec> shape_sum(const OpCall& call) { return reduce_shape(call, true); }
void reference_sum(const KernelCall& call) { sum_kernel(call, false); }
std::vector<Tensor> backward_sum(const BackwardCall& call) {
  auto& attrs = std::get<ReduceAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  std::vector<int64_t> dims = normalize_dims(attrs.dims, static_cast<int64_t>(shape.size()), "sum");
  return {unsqueeze_reduced(call.grads[0], shape, dims, attrs.keepdim).expand(shape)};
}

// mean: floating inputs only (as PyTorch, which refuses to guess an output type for integers)
std::vector<OutputSpec> shape_mean(const OpCall& call) {
  NABLA_CHECK(is_floating(call.inputs[0].dtype()),
              "mean: input must be floating point, got {}; convert it first with .to(DType::f32)",
              call.inputs[0].describe());
  return reduce_shape(call, false);
}
void reference_mean(const KernelCall& call) { sum_kernel(call, true); }
std::vector<Tensor> backward_mean(const BackwardCall& call) {
  auto& attrs = std::get<ReduceAttrs>(call.attrs);
  const Shape& shape = call.input_meta[0].shape;
  std::vector<int64_t> dims = normalize_dims(attrs.dims, static_cast<int64_t>(shape.size()), "mean");
  int64_t count = 1;
  for (int64_t d : dims) count *= shape[static_cast<size_t>(d)];
  return {unsqueeze_reduced(call.grads[0], shape, dims, attrs.keepdim).expand(shape) / static_cast<double>(count)};
}

namespace {

// The reduced dims, wrapped and sorted (empty attribute: every dim), each checked against the input.
std::vector<int64_t> input_dims(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  for (int64_t dim : dims) wrap_input_dim(x, dim, op);
  return normalize_dims(dims, x.dim(), op);
}

std::vector<int64_t> meta_dims(const BackwardCall& call, const std::vector<int64_t>& dims, const char* op) {
  return normalize_dims(dims, static_cast<int64_t>(call.input_meta[0].shape.size()), op);
}

// One reduced dim for cumsum: empty for a 0-dim input (nothing is reduced).
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
  Tensor scan = nabla::pad(lanes.slice(-1, 0, n - 1), {1, 0}, PadMode::constant, 1.0);
  for (int64_t shift = 1; shift < n; shift *= 2) {
    scan = scan * nabla::pad(scan.slice(-1, 0, n - shift), {shift, 0}, PadMode::constant, 1.0);
  }
  return scan;
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
using ops::call1, ops::OpId;

Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::sum, {x}, ops::ReduceAttrs{std::move(dims), keepdim});
}
Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::mean, {x}, ops::ReduceAttrs{std::move(dims), keepdim});
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t leading = x.dim() - static_cast<int64_t>(shape.size());
  NABLA_CHECK(leading >= 0, "sum_to: can't reduce shape {} to the larger rank of {}", shape_string(x.shape()),
              shape_string(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < leading) {
      dims.push_back(d);
    } else {
      int64_t target = shape[static_cast<size_t>(d - leading)];
      NABLA_CHECK(target == 1 || target == x.shape()[d], "sum_to: shape {} does not broadcast to {}",
                  shape_string(shape), shape_string(x.shape()));
      if (target == 1 && x.shape()[d] != 1) dims.push_back(d);
    }
  }
  if (dims.empty()) return x.view(shape);
  return sum(x, dims, true).view(shape);
}

namespace {

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
    return ops::extreme_over(abs(x), std::move(dims), keepdim, p > 0);
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
