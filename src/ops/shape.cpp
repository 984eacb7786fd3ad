// Shape ops that copy elements into a new layout: pad, repeat, flip, roll, tril/triu, and joining (cat, stack).
// Views (diagonal among them) are in view.cpp.
//   pad       x [.., s] → [.., left + s + right] for each padded dim (pads: last dim first, PyTorch's order)
//   repeat    x [s0, …] → [r0·s0, …] (repeats may add leading dims)
//   flip      x → same shape, reversed along dims
//   roll      x → same shape, shifted cyclically along dims (no dims: along the flattened tensor)
//   tril/triu x [.., m, n] → same shape, zero above/below the offset diagonal of the last two dims
//   cat       x_i [.., s_i, ..] → [.., Σ s_i, ..] along dim (the other dims match; dtypes promote)
// pad, repeat, flip and roll share one reference loop: each output index maps, dim by dim, to an input
// index through a table (or to "outside", which pad fills with its value).
#include <algorithm>
#include <cstring>
#include <limits>

#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/elementwise.h"
#include "ops/index_maps.h"
#include "ops/op.h"
#include "ops/promotion.h"

namespace nabla::ops {
namespace {

// Visits every element of `shape` in row-major order with its multi-index.
template <typename Body>
void for_each_position(const Shape& shape, Body&& body) {
  if (numel(shape) == 0) return;
  std::vector<int64_t> position(shape.size(), 0);
  const int64_t count = numel(shape);
  for (int64_t flat = 0; flat < count; ++flat) {
    body(position, flat);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++position[d] < shape[d]) break;
      position[d] = 0;
    }
  }
}

// out[o] = x[table_0[o_0], …] for the contiguous output; x's dims align with out's last dims (repeat adds
// leading ones). An `outside` entry writes `fill` (converted to out's dtype) instead.
void copy_by_tables(const Tensor& x, const Tensor& out, const std::vector<IndexTable>& tables, double fill) {
  const size_t rank = static_cast<size_t>(out.dim());
  const size_t leading = rank - static_cast<size_t>(x.dim());
  std::vector<std::vector<int64_t>> steps(rank);  // element offsets into x along each output dim
  for (size_t d = 0; d < rank; ++d) {
    const int64_t stride = d < leading ? 0 : x.strides()[d - leading];
    for (int64_t index : tables[d]) steps[d].push_back(index == outside ? outside : index * stride);
  }
  const size_t size = dtype_size(out.dtype());
  alignas(8) char fill_bytes[8];
  if (is_floating(out.dtype())) store_double(out.dtype(), fill_bytes, 0, fill);
  else store_int(out.dtype(), fill_bytes, 0, out.dtype() == DType::boolean ? fill != 0 : static_cast<int64_t>(fill));
  const auto* in = static_cast<const char*>(x.storage()->data());
  auto* result = static_cast<char*>(out.raw_data());
  for_each_position(out.shape(), [&](const std::vector<int64_t>& position, int64_t flat) {
    int64_t offset = x.offset();
    bool inside = true;
    for (size_t d = 0; d < rank && inside; ++d) {
      const int64_t step = steps[d][static_cast<size_t>(position[d])];
      inside = step != outside;
      offset += inside ? step : 0;
    }
    std::memcpy(result + flat * static_cast<int64_t>(size),
                inside ? in + offset * static_cast<int64_t>(size) : fill_bytes, size);
  });
}

IndexTable identity_table(int64_t size) {
  IndexTable table(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) table[i] = i;
  return table;
}

std::vector<IndexTable> identity_tables(const Shape& shape) {
  std::vector<IndexTable> tables;
  for (int64_t size : shape) tables.push_back(identity_table(size));
  return tables;
}

// ---- pad

// The input index that output index `o` of a dim reads, for a dim of `size` padded by `left`.
int64_t pad_source(int64_t o, int64_t left, int64_t size, PadMode mode) {
  int64_t i = o - left;
  switch (mode) {
    case PadMode::constant: return i >= 0 && i < size ? i : outside;
    case PadMode::reflect:  // the edge element is not repeated; pad < size guarantees one reflection suffices
      if (i < 0) i = -i;
      if (i >= size) i = 2 * (size - 1) - i;
      return i;
    case PadMode::replicate: return std::clamp<int64_t>(i, 0, size - 1);
  }
  return outside;
}

const char* mode_name(PadMode mode) {
  switch (mode) {
    case PadMode::constant: return "constant";
    case PadMode::reflect: return "reflect";
    case PadMode::replicate: return "replicate";
  }
  return "?";
}

// The dim that pads[2k], pads[2k+1] apply to: the last dim first.
int64_t padded_dim(int64_t rank, size_t pair) { return rank - 1 - static_cast<int64_t>(pair); }

}  // namespace

std::vector<IndexTable> pad_tables(const Shape& input_shape, const PadAttrs& attrs, const Shape& output_shape) {
  std::vector<IndexTable> tables = identity_tables(output_shape);
  const int64_t rank = static_cast<int64_t>(input_shape.size());
  for (size_t pair = 0; pair < attrs.pads.size() / 2; ++pair) {
    const int64_t d = padded_dim(rank, pair);
    for (int64_t o = 0; o < output_shape[d]; ++o) tables[d][o] = pad_source(o, attrs.pads[2 * pair], input_shape[d], attrs.mode);
  }
  return tables;
}

namespace {

// ---- roll

// Per-dim shifts, summed when a dim is named twice (as PyTorch applies each in turn).
std::vector<IndexTable> roll_tables(const Shape& shape, const RollAttrs& attrs) {
  std::vector<IndexTable> tables = identity_tables(shape);
  for (size_t i = 0; i < attrs.dims.size(); ++i) {
    const int64_t d = wrap_dim(attrs.dims[i], static_cast<int64_t>(shape.size()), "roll");
    const int64_t size = shape[d];
    if (size == 0) continue;
    for (int64_t& index : tables[d]) index = ((index - attrs.shifts[i]) % size + size) % size;
  }
  return tables;
}

// The flattened roll: output element j (row-major) reads flat element (j − shift) mod n of x.
void roll_flat(const Tensor& x, const Tensor& out, int64_t shift) {
  const int64_t count = x.numel();
  if (count == 0) return;
  std::vector<int64_t> offsets(static_cast<size_t>(count));  // flat index → element offset in x
  for_each_position(x.shape(), [&](const std::vector<int64_t>& position, int64_t flat) {
    int64_t offset = x.offset();
    for (size_t d = 0; d < position.size(); ++d) offset += position[d] * x.strides()[d];
    offsets[flat] = offset;
  });
  const size_t size = dtype_size(x.dtype());
  const auto* in = static_cast<const char*>(x.storage()->data());
  auto* result = static_cast<char*>(out.raw_data());
  for (int64_t j = 0; j < count; ++j) {
    const int64_t source = ((j - shift) % count + count) % count;
    std::memcpy(result + j * static_cast<int64_t>(size), in + offsets[source] * static_cast<int64_t>(size), size);
  }
}

// ---- tril / triu

std::vector<OutputSpec> triangle_shape(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  NABLA_CHECK(x.dim() >= 2, "{}: input must have at least 2 dims (a matrix or a batch of them), got {}",
              op_name(call.op), x.describe());
  return {{x.shape(), x.dtype()}};
}

// Keeps x[.., i, j] where j − i ≤ offset (lower) or j − i ≥ offset (upper), zero elsewhere.
void triangle_kernel(const KernelCall& call, bool lower) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  const int64_t offset = std::get<DiagonalAttrs>(call.attrs).offset;
  const size_t rank = static_cast<size_t>(x.dim());
  const size_t size = dtype_size(x.dtype());
  const auto* in = static_cast<const char*>(x.storage()->data());
  auto* result = static_cast<char*>(out.raw_data());
  for_each_position(x.shape(), [&](const std::vector<int64_t>& position, int64_t flat) {
    const int64_t distance = position[rank - 1] - position[rank - 2];
    const bool kept = lower ? distance <= offset : distance >= offset;
    char* target = result + flat * static_cast<int64_t>(size);
    if (!kept) {
      std::memset(target, 0, size);  // zero is all-zero bytes in every dtype
      return;
    }
    int64_t source = x.offset();
    for (size_t d = 0; d < rank; ++d) source += position[d] * x.strides()[d];
    std::memcpy(target, in + source * static_cast<int64_t>(size), size);
  });
}

}  // namespace

// pad: constant (value; any number of dims), reflect (mirror without the edge; pad < size) or replicate
// (repeat the edge), which as in PyTorch pad the last 1–3 dims of an input with 1 or 2 leading dims.
// Negative pads crop. dx: constant: pad(dy, −pads) (crops the padding, zero-fills what was cropped);
// reflect/replicate: the gradient of each output element is added to the input element it copies, one
// padded dim at a time with index_add (differentiable: its backward is index_select).
std::vector<OutputSpec> shape_pad(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<PadAttrs>(call.attrs);
  const char* mode = mode_name(attrs.mode);
  NABLA_CHECK(attrs.pads.size() % 2 == 0, "pad: pads must hold a (left, right) pair per dim, got {} values {} (input {})",
              attrs.pads.size(), shape_string(attrs.pads), x.describe());
  NABLA_CHECK(static_cast<int64_t>(attrs.pads.size() / 2) <= x.dim(),
              "pad: {} pads pad {} dims, but the input {} has only {}", attrs.pads.size(), attrs.pads.size() / 2,
              x.describe(), x.dim());
  const auto padded_dims = static_cast<int64_t>(attrs.pads.size() / 2);
  if (attrs.mode != PadMode::constant) {
    // As PyTorch: reflect/replicate pad the last 1 to 3 dims of an input with a batch and/or channel dim.
    NABLA_CHECK(padded_dims >= 1 && padded_dims <= 3 && (x.dim() == padded_dims + 1 || x.dim() == padded_dims + 2),
                "pad: {} padding of the last {} dims needs a {}-D or {}-D input (batch and/or channel dims first; "
                "1 to 3 padded dims), got {}", mode, padded_dims, padded_dims + 1, padded_dims + 2, x.describe());
  }
  Shape shape = x.shape();
  for (size_t pair = 0; pair < attrs.pads.size() / 2; ++pair) {
    const int64_t d = padded_dim(x.dim(), pair);
    const int64_t left = attrs.pads[2 * pair], right = attrs.pads[2 * pair + 1], size = x.shape()[d];
    shape[d] = left + size + right;
    NABLA_CHECK(shape[d] >= 0, "pad: pads ({}, {}) of dim {} (size {}) leave a negative size {} (input {})", left, right,
                d, size, shape[d], x.describe());
    if (attrs.mode == PadMode::reflect) {
      NABLA_CHECK(left < size && right < size,
                  "pad: reflect padding ({}, {}) must be smaller than the size {} of dim {} (input {})", left, right,
                  size, d, x.describe());
    }
    NABLA_CHECK(attrs.mode == PadMode::constant || size > 0 || shape[d] == 0,
                "pad: {} padding of dim {} needs a non-empty dim, but input {} has size 0 there", mode, d, x.describe());
  }
  return {{shape, x.dtype()}};
}
void reference_pad(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  const auto& attrs = std::get<PadAttrs>(call.attrs);
  copy_by_tables(x, out, pad_tables(x.shape(), attrs, out.shape()), attrs.value);
}
std::vector<Tensor> backward_pad(const BackwardCall& call) {
  const auto& attrs = std::get<PadAttrs>(call.attrs);
  Tensor grad = call.grads[0];
  if (attrs.mode == PadMode::constant) {
    std::vector<int64_t> crops;
    for (int64_t pad : attrs.pads) crops.push_back(-pad);
    return {nabla::pad(grad, crops)};
  }
  const Shape& shape = call.input_meta[0].shape;
  std::vector<IndexTable> tables = pad_tables(shape, attrs, grad.shape());
  for (size_t pair = 0; pair < attrs.pads.size() / 2; ++pair) {
    const int64_t d = padded_dim(static_cast<int64_t>(shape.size()), pair);
    const IndexTable& table = tables[d];
    Tensor index = from_vector(std::vector<double>(table.begin(), table.end()), {static_cast<int64_t>(table.size())},
                               {.dtype = DType::i64});
    Shape reduced = grad.shape();
    reduced[d] = shape[d];
    grad = index_add(zeros(reduced, {.dtype = grad.dtype()}), d, index, grad);
  }
  return {grad};
}

// repeat: out[o] = x[o mod s] per dim (x aligned with out's last dims).
//   dx = dy viewed as [r0, s0, r1, s1, …] summed over the r's
std::vector<OutputSpec> shape_repeat(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const Shape& repeats = std::get<ShapeAttrs>(call.attrs).shape;
  NABLA_CHECK(static_cast<int64_t>(repeats.size()) >= x.dim(),
              "repeat: {} repeats {} can't be fewer than the input's {} dims (input {})", repeats.size(),
              shape_string(repeats), x.dim(), x.describe());
  const size_t leading = repeats.size() - static_cast<size_t>(x.dim());
  Shape shape(repeats.size());
  for (size_t d = 0; d < repeats.size(); ++d) {
    NABLA_CHECK(repeats[d] >= 0, "repeat: repeats must be non-negative, got {} (input {})", shape_string(repeats),
                x.describe());
    shape[d] = repeats[d] * (d < leading ? 1 : x.shape()[d - leading]);
  }
  return {{shape, x.dtype()}};
}
void reference_repeat(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  const size_t leading = static_cast<size_t>(out.dim() - x.dim());
  std::vector<IndexTable> tables = identity_tables(out.shape());
  for (size_t d = 0; d < tables.size(); ++d) {
    const int64_t size = d < leading ? 1 : x.shape()[d - leading];
    for (int64_t& index : tables[d]) index %= size;  // out is empty when size is 0: no entries
  }
  copy_by_tables(x, out, tables, 0);
}
std::vector<Tensor> backward_repeat(const BackwardCall& call) {
  const Shape& repeats = std::get<ShapeAttrs>(call.attrs).shape;
  const Shape& shape = call.input_meta[0].shape;
  const size_t leading = repeats.size() - shape.size();
  Shape split;
  std::vector<int64_t> repeat_dims;
  for (size_t d = 0; d < repeats.size(); ++d) {
    repeat_dims.push_back(static_cast<int64_t>(split.size()));
    split.push_back(repeats[d]);
    split.push_back(d < leading ? 1 : shape[d - leading]);
  }
  return {sum(call.grads[0].reshape(split), repeat_dims).reshape(shape)};
}

// flip: out[.., o, ..] = x[.., s − 1 − o, ..] along each flipped dim.  dx = flip(dy, dims)
std::vector<OutputSpec> shape_flip(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const Shape& dims = std::get<ShapeAttrs>(call.attrs).shape;
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(x.dim(), 1)), false);
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, x.dim(), "flip");
    NABLA_CHECK(!seen[d], "flip: dim {} appears twice in dims {} (input {})", d, shape_string(dims), x.describe());
    seen[d] = true;
  }
  return {{x.shape(), x.dtype()}};
}
void reference_flip(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  std::vector<IndexTable> tables = identity_tables(x.shape());
  for (int64_t dim : std::get<ShapeAttrs>(call.attrs).shape) {
    if (x.dim() == 0) break;
    IndexTable& table = tables[wrap_dim(dim, x.dim(), "flip")];
    std::reverse(table.begin(), table.end());
  }
  copy_by_tables(x, call.outputs[0], tables, 0);
}
std::vector<Tensor> backward_flip(const BackwardCall& call) {
  return {flip(call.grads[0], std::get<ShapeAttrs>(call.attrs).shape)};
}

// roll: out[.., (o + shift) mod s, ..] = x[.., o, ..].  dx = roll(dy, −shifts, dims)
std::vector<OutputSpec> shape_roll(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<RollAttrs>(call.attrs);
  if (attrs.dims.empty()) {
    NABLA_CHECK(attrs.shifts.size() == 1, "roll: without dims, expected one shift (the flattened tensor is rolled), "
                "got shifts {} (input {})", shape_string(attrs.shifts), x.describe());
  } else {
    NABLA_CHECK(attrs.shifts.size() == attrs.dims.size(), "roll: shifts {} and dims {} must have the same length (input {})",
                shape_string(attrs.shifts), shape_string(attrs.dims), x.describe());
    for (int64_t dim : attrs.dims) wrap_dim(dim, x.dim(), "roll");
  }
  return {{x.shape(), x.dtype()}};
}
void reference_roll(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = std::get<RollAttrs>(call.attrs);
  if (attrs.dims.empty() || x.dim() == 0) return roll_flat(x, call.outputs[0], attrs.shifts[0]);
  copy_by_tables(x, call.outputs[0], roll_tables(x.shape(), attrs), 0);
}
std::vector<Tensor> backward_roll(const BackwardCall& call) {
  const auto& attrs = std::get<RollAttrs>(call.attrs);
  std::vector<int64_t> shifts;
  for (int64_t shift : attrs.shifts) shifts.push_back(-shift);
  return {roll(call.grads[0], shifts, attrs.dims)};
}

// tril / triu: dx = tril(dy) / triu(dy) with the same offset
std::vector<OutputSpec> shape_tril(const OpCall& call) { return triangle_shape(call); }
void reference_tril(const KernelCall& call) { triangle_kernel(call, true); }
std::vector<Tensor> backward_tril(const BackwardCall& call) {
  return {tril(call.grads[0], std::get<DiagonalAttrs>(call.attrs).offset)};
}
std::vector<OutputSpec> shape_triu(const OpCall& call) { return triangle_shape(call); }
void reference_triu(const KernelCall& call) { triangle_kernel(call, false); }
std::vector<Tensor> backward_triu(const BackwardCall& call) {
  return {triu(call.grads[0], std::get<DiagonalAttrs>(call.attrs).offset)};
}


// cat: joins along dim; every other dim must match; dtypes promote
std::vector<OutputSpec> shape_cat(const OpCall& call) {
  const Tensor& first = call.inputs[0];
  NABLA_CHECK(first.dim() > 0, "cat: zero-dimensional tensors can't be concatenated; unsqueeze them or use stack");
  int64_t dim = wrap_dim(std::get<DimAttrs>(call.attrs).dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[dim] = 0;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor& t = call.inputs[i];
    NABLA_CHECK(t.dim() == first.dim(), "cat: tensor {} has rank {} but tensor 0 has rank {}", i, t.dim(), first.dim());
    for (int64_t d = 0; d < t.dim(); ++d) {
      NABLA_CHECK(d == dim || t.shape()[d] == first.shape()[d],
                  "cat: tensor {} has shape {} but tensor 0 has {}: all dims but {} must match", i,
                  shape_string(t.shape()), shape_string(first.shape()), dim);
    }
    shape[dim] += t.shape()[dim];
  }
  return {{shape, result_type(call.inputs)}};
}
void reference_cat(const KernelCall& call) {
  const Tensor& out = call.outputs[0];
  int64_t dim = wrap_dim(std::get<DimAttrs>(call.attrs).dim, out.dim(), "cat");
  autograd::NoGradGuard no_grad;
  int64_t start = 0;
  for (const Tensor& t : call.inputs) {
    copy_elements(out.narrow(dim, start, t.shape()[dim]), t);
    start += t.shape()[dim];
  }
}
std::vector<Tensor> backward_cat(const BackwardCall& call) {
  int64_t dim = wrap_dim(std::get<DimAttrs>(call.attrs).dim, call.grads[0].dim(), "cat");
  std::vector<Tensor> grads;
  int64_t start = 0;
  for (const InputMeta& meta : call.input_meta) {
    grads.push_back(call.grads[0].narrow(dim, start, meta.shape[dim]));
    start += meta.shape[dim];
  }
  return grads;
}
}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) { return call1(OpId::cat, tensors, ops::DimAttrs{dim}); }

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  NABLA_CHECK(!tensors.empty(), "stack: expected at least one tensor");
  int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (size_t i = 0; i < tensors.size(); ++i) {
    NABLA_CHECK(tensors[i].shape() == tensors[0].shape(), "stack: tensor {} has shape {} but tensor 0 has {}", i,
                shape_string(tensors[i].shape()), shape_string(tensors[0].shape()));
    expanded.push_back(tensors[i].unsqueeze(d));
  }
  return cat(expanded, d);
}

Tensor repeat(const Tensor& x, const Shape& repeats) { return call1(OpId::repeat, {x}, ops::ShapeAttrs{repeats}); }
Tensor flip(const Tensor& x, const std::vector<int64_t>& dims) { return call1(OpId::flip, {x}, ops::ShapeAttrs{dims}); }
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  return call1(OpId::roll, {x}, ops::RollAttrs{shifts, dims});
}
Tensor tril(const Tensor& x, int64_t diagonal) { return call1(OpId::tril, {x}, ops::DiagonalAttrs{diagonal}); }
Tensor triu(const Tensor& x, int64_t diagonal) { return call1(OpId::triu, {x}, ops::DiagonalAttrs{diagonal}); }
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode, double value) {
  return call1(OpId::pad, {x}, ops::PadAttrs{pads, mode, value});
}

}  // namespace nabla
