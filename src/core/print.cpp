// Printing tensors the way PyTorch does: tensor([[1.0000, 2.5000], …], dtype=float64, grad_fn=<…>).
// This file writes everything up to the autograd part; Tensor::to_string (src/autograd/tensor_autograd.cpp)
// adds grad_fn or requires_grad and the closing parenthesis.
#include "core/print.h"

#include <cmath>

namespace nabla {
namespace {

constexpr int64_t summarize_above = 1000;  // elements; beyond it each dim shows 3 at each end
constexpr int64_t edge_items = 3;

struct Style {
  enum Kind { integer, boolean, whole_float, fixed, scientific } kind;
  size_t width = 1;
};

std::string format_value(double value, Style::Kind kind) {
  if (kind == Style::boolean) return value != 0 ? "True" : "False";
  if (kind == Style::integer) return fmt::format("{}", static_cast<int64_t>(value));
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (kind == Style::whole_float) return fmt::format("{:.0f}.", value);
  if (kind == Style::scientific) return fmt::format("{:.4e}", value);
  return fmt::format("{:.4f}", value);
}

Style choose_style(const Tensor& tensor, const std::vector<double>& values) {
  if (tensor.dtype() == DType::boolean) return {Style::boolean};
  if (is_integral(tensor.dtype())) return {Style::integer};
  double largest = 0, smallest = INFINITY;
  bool all_whole = true;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    all_whole = all_whole && v == std::round(v);
    double magnitude = std::fabs(v);
    largest = std::max(largest, magnitude);
    if (magnitude > 0) smallest = std::min(smallest, magnitude);
  }
  if (all_whole) return {largest > 1e8 ? Style::scientific : Style::whole_float};
  if (largest / smallest > 1000 || largest > 1e8 || smallest < 1e-4) return {Style::scientific};
  return {Style::fixed};
}

void format_block(std::string& out, const Tensor& tensor, const std::vector<double>& values, const Style& style,
                  size_t dim, int64_t flat_offset, bool summarize) {
  const Shape& shape = tensor.shape();
  int64_t inner = 1;
  for (size_t d = dim + 1; d < shape.size(); ++d) inner *= shape[d];
  int64_t size = shape[dim];
  std::string indent(7 + dim + 1, ' ');
  out += '[';
  for (int64_t i = 0; i < size; ++i) {
    if (summarize && size > 2 * edge_items && i == edge_items) {
      // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string chains here.
      if (dim + 1 == shape.size()) {
        out += "..., ";
      } else {
        out += "...,";
        out.append(shape.size() - dim - 1, '\n');
        out += indent;
      }
      i = size - edge_items - 1;
      continue;
    }
    if (dim + 1 == shape.size()) {
      std::string text = format_value(values[static_cast<size_t>(flat_offset + i)], style.kind);
      out += std::string(style.width - std::min(style.width, text.size()), ' ') + text;
      if (i + 1 < size) out += ", ";
    } else {
      format_block(out, tensor, values, style, dim + 1, flat_offset + i * inner, summarize);
      if (i + 1 < size) {
        out += ',';
        out.append(shape.size() - dim - 1, '\n');
        out += indent;
      }
    }
  }
  out += ']';
}

}  // namespace

std::string format_tensor_values(const Tensor& tensor) {
  std::vector<double> values = tensor.to_vector();
  Style style = choose_style(tensor, values);
  bool summarize = tensor.numel() > summarize_above;
  for (double v : values) style.width = std::max(style.width, format_value(v, style.kind).size());
  std::string out = "tensor(";
  if (tensor.dim() == 0) {
    out += format_value(values[0], style.kind);
  } else if (tensor.numel() == 0) {
    out += "[]";
  } else {
    format_block(out, tensor, values, style, 0, 0, summarize);
  }
  if (tensor.numel() == 0 && tensor.dim() > 1) out += fmt::format(", size={}", shape_string(tensor.shape()));
  if (tensor.dtype() != DType::f32 && tensor.dtype() != DType::i64 && tensor.dtype() != DType::boolean) {
    out += fmt::format(", dtype={}", dtype_name(tensor.dtype()));
  }
  return out;
}

}  // namespace nabla
