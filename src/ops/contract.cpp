// Contractions composed of other ops (so they are differentiable to any order for free): einsum, outer,
// bmm and cdist. (functional::linear is in src/nn/functional/linear.cpp.)
//   einsum  "ij,jk->ik" …: diagonals for repeated labels, sums for labels used once, then one matmul per
//           pair of operands over [batch, free, contracted] layouts, then a permute to the output order
//   outer   a [n], b [m] → [n, m]
//   bmm     a [B, n, k], b [B, k, m] → [B, n, m]
//   cdist   a [.., P, M], b [.., R, M] → [.., P, R] distances (p-norm of each pair of rows)
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <string>

#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla {
namespace {

// ---- einsum

// Labels: letters are 0–51 (uppercase first, as PyTorch sorts them), the dims an ellipsis covers get
// ellipsis_label + k (k counted from the right, so ellipses of different ranks broadcast).
using Label = int;
constexpr Label ellipsis_label = 1000;

struct Term {
  std::vector<Label> labels;  // one per dim of the operand (an ellipsis already expanded)
  Tensor tensor;
};

Label letter_label(char c, const std::string& equation) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  throw Error(fmt::format("einsum: invalid subscript '{}' in equation \"{}\"; use letters and '...'", c, equation));
}

// Parses one operand's (or the output's) subscripts; `ellipsis_dims` is how many dims "..." stands for.
std::vector<Label> parse_subscripts(const std::string& text, int64_t ellipsis_dims, const std::string& equation,
                                    bool* has_ellipsis) {
  std::vector<Label> labels;
  *has_ellipsis = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ') continue;
    if (text[i] == '.') {
      NABLA_CHECK(!*has_ellipsis && text.compare(i, 3, "...") == 0,
                  "einsum: malformed ellipsis in \"{}\" of equation \"{}\"", text, equation);
      *has_ellipsis = true;
      for (int64_t k = ellipsis_dims; k-- > 0;) labels.push_back(ellipsis_label + static_cast<Label>(k));
      i += 2;
      continue;
    }
    labels.push_back(letter_label(text[i], equation));
  }
  return labels;
}

int64_t letter_count(const std::string& text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

std::vector<std::string> split_operands(const std::string& inputs) {
  std::vector<std::string> parts(1);
  for (char c : inputs) {
    if (c == ',') parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

// Takes the diagonal of every repeated label ("ii" → "i"); diagonal() moves it to the last dim.
Term take_diagonals(Term term) {
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < term.labels.size() && !changed; ++i) {
      for (size_t j = i + 1; j < term.labels.size() && !changed; ++j) {
        if (term.labels[i] != term.labels[j]) continue;
        const Label label = term.labels[i];
        term.tensor = diagonal(term.tensor, 0, static_cast<int64_t>(i), static_cast<int64_t>(j));
        term.labels.erase(term.labels.begin() + static_cast<std::ptrdiff_t>(j));
        term.labels.erase(term.labels.begin() + static_cast<std::ptrdiff_t>(i));
        term.labels.push_back(label);
        changed = true;
      }
    }
  }
  return term;
}

std::string label_name(Label label) {
  if (label >= ellipsis_label) return "...";
  return std::string(1, label < 26 ? static_cast<char>('A' + label) : static_cast<char>('a' + label - 26));
}

bool contains(const std::vector<Label>& labels, Label label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

// Sums out the dims whose labels are not in `keep`.
Term sum_unneeded(Term term, const std::vector<Label>& keep) {
  std::vector<int64_t> dims;
  std::vector<Label> kept;
  for (size_t d = 0; d < term.labels.size(); ++d) {
    if (contains(keep, term.labels[d])) kept.push_back(term.labels[d]);
    else dims.push_back(static_cast<int64_t>(d));
  }
  if (!dims.empty()) term = {kept, sum(term.tensor, dims)};
  return term;
}

// Reorders a term's dims to `order` (every label of the term, each once).
Tensor arrange(const Term& term, const std::vector<Label>& order) {
  Shape permutation;
  for (Label label : order) {
    permutation.push_back(std::find(term.labels.begin(), term.labels.end(), label) - term.labels.begin());
  }
  return term.tensor.permute(permutation);
}

int64_t label_size(const Term& term, Label label) {
  auto it = std::find(term.labels.begin(), term.labels.end(), label);
  return term.tensor.shape()[static_cast<size_t>(it - term.labels.begin())];
}

// Contracts two terms into one holding the labels of `keep` that either has: shared kept labels are batch
// dims, shared others are summed by the matmul, the rest are free. Size-1 dims of shared labels broadcast.
Term contract_pair(const Term& left, const Term& right, const std::vector<Label>& keep,
                   const std::map<Label, int64_t>& sizes) {
  std::vector<Label> batch, left_free, right_free, summed;
  for (Label label : left.labels) {
    const bool shared = contains(right.labels, label);
    if (shared && contains(keep, label)) batch.push_back(label);
    else if (shared) summed.push_back(label);
    else left_free.push_back(label);
  }
  for (Label label : right.labels) {
    if (!contains(left.labels, label)) right_free.push_back(label);
  }
  // A term as [batch.., rows, columns]: its dims ordered batch, `middle`, `last`, the last two groups merged.
  auto as_matrices = [&](const Term& term, const std::vector<Label>& middle, const std::vector<Label>& last) {
    std::vector<Label> order = batch;
    order.insert(order.end(), middle.begin(), middle.end());
    order.insert(order.end(), last.begin(), last.end());
    Shape full, matrices;
    int64_t rows = 1, columns = 1;
    for (Label label : order) {
      const bool shared = contains(batch, label) || contains(summed, label);
      full.push_back(shared ? sizes.at(label) : label_size(term, label));
      if (contains(batch, label)) matrices.push_back(full.back());
      else if (contains(middle, label)) rows *= full.back();
      else columns *= full.back();
    }
    matrices.push_back(rows);
    matrices.push_back(columns);
    return arrange(term, order).expand(full).reshape(matrices);
  };
  Tensor product = matmul(as_matrices(left, left_free, summed), as_matrices(right, summed, right_free));
  Shape shape;
  std::vector<Label> labels = batch;
  for (Label label : batch) shape.push_back(sizes.at(label));
  for (Label label : left_free) {
    shape.push_back(label_size(left, label));
    labels.push_back(label);
  }
  for (Label label : right_free) {
    shape.push_back(label_size(right, label));
    labels.push_back(label);
  }
  return {labels, product.reshape(shape)};
}

}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  NABLA_CHECK(!operands.empty(), "einsum: expected at least one operand for equation \"{}\"", equation);
  for (char c : equation) {
    if (std::strchr(",.->", c) == nullptr && c != ' ') letter_label(c, equation);  // throws on anything but letters
  }
  const size_t arrow = equation.find("->");
  const std::string input_part = equation.substr(0, arrow);
  std::vector<std::string> inputs = split_operands(input_part);
  NABLA_CHECK(inputs.size() == operands.size(), "einsum: equation \"{}\" names {} operands but {} were given", equation,
              inputs.size(), operands.size());
  // Parse each operand and find each label's size (1 broadcasts against any size).
  std::vector<Term> terms;
  std::map<Label, int64_t> sizes, counts;
  int64_t ellipsis_dims = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& operand = operands[i];
    const int64_t letters = letter_count(inputs[i]);
    const bool has_dots = inputs[i].find('.') != std::string::npos;
    const int64_t covered = operand.dim() - letters;
    NABLA_CHECK(has_dots ? covered >= 0 : covered == 0,
                "einsum: operand {} has {} dims but \"{}\" gives {} subscripts in equation \"{}\"", i, operand.dim(),
                inputs[i], letters, equation);
    bool has_ellipsis = false;
    Term term{parse_subscripts(inputs[i], covered, equation, &has_ellipsis), operand};
    if (has_ellipsis) ellipsis_dims = std::max(ellipsis_dims, covered);
    for (size_t d = 0; d < term.labels.size(); ++d) {
      const Label label = term.labels[d];
      const int64_t size = operand.shape()[d];
      auto [it, inserted] = sizes.emplace(label, size);
      NABLA_CHECK(inserted || it->second == size || it->second == 1 || size == 1,
                  "einsum: subscript {} has size {} in operand {} but {} elsewhere in equation \"{}\"",
                  label_name(label), size, i, it->second, equation);
      if (it->second == 1) it->second = size;
      ++counts[label];
    }
    terms.push_back(std::move(term));
  }
  // The output: as written, or (implicit) the ellipsis then the labels used once, sorted.
  std::vector<Label> output;
  if (arrow != std::string::npos) {
    bool has_ellipsis = false;
    output = parse_subscripts(equation.substr(arrow + 2), ellipsis_dims, equation, &has_ellipsis);
    for (size_t i = 0; i < output.size(); ++i) {
      NABLA_CHECK(sizes.count(output[i]), "einsum: output subscript {} of equation \"{}\" appears in no operand",
                  label_name(output[i]), equation);
      NABLA_CHECK(std::count(output.begin(), output.end(), output[i]) == 1,
                  "einsum: output subscripts \"{}\" repeat a subscript in equation \"{}\"; repeated output "
                  "subscripts are not supported", equation.substr(arrow + 2), equation);
    }
  } else {
    for (int64_t k = ellipsis_dims; k-- > 0;) output.push_back(ellipsis_label + static_cast<Label>(k));
    for (const auto& [label, count] : counts) {
      if (label < ellipsis_label && count == 1) output.push_back(label);
    }
  }
  // Left to right: each step keeps the labels that the output or a later operand still needs.
  auto needed_after = [&](size_t operand) {
    std::vector<Label> keep = output;
    for (size_t j = operand + 1; j < terms.size(); ++j) keep.insert(keep.end(), terms[j].labels.begin(), terms[j].labels.end());
    return keep;
  };
  Term result = sum_unneeded(take_diagonals(terms[0]), needed_after(0));
  for (size_t i = 1; i < terms.size(); ++i) {
    std::vector<Label> keep = needed_after(i);
    std::vector<Label> with_left = keep;
    with_left.insert(with_left.end(), result.labels.begin(), result.labels.end());
    Term right = sum_unneeded(take_diagonals(terms[i]), with_left);
    result = contract_pair(result, right, keep, sizes);
  }
  // Size-1 dims of a single operand may still need broadcasting to the output's sizes.
  Tensor arranged = arrange(result, output);
  Shape shape;
  for (Label label : output) shape.push_back(sizes.at(label));
  return arranged.shape() == shape ? arranged : arranged.expand(shape);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.dim() == 1 && b.dim() == 1, "outer: expected two 1-D tensors, got {} and {}", a.describe(), b.describe());
  return a.unsqueeze(1) * b.unsqueeze(0);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.dim() == 3 && b.dim() == 3, "bmm: expected two 3-D tensors [B, n, k] and [B, k, m], got {} and {}",
              a.describe(), b.describe());
  NABLA_CHECK(a.dtype() == b.dtype(), "bmm: both operands must have the same dtype, got {} and {}", a.describe(),
              b.describe());
  NABLA_CHECK(b.shape()[0] == a.shape()[0] && b.shape()[1] == a.shape()[2],
              "bmm: expected the second operand of size [{}, {}, m] to match {}, got {}", a.shape()[0], a.shape()[2],
              a.describe(), b.describe());
  return matmul(a, b);
}

namespace {

// The p = 2 distances from squared norms, |a|² − 2a·b + |b|², as one matmul of [−2a, |a|², 1] and
// [b, 1, |b|²] (PyTorch's matrix-multiply path for many rows, so the rounding matches), clamped at 0
// before the root; like PyTorch's backward, a zero distance gets a zero gradient.
Tensor euclidean_by_matmul(const Tensor& a, const Tensor& b) {
  Tensor a_squared = sum(a * a, {-1}, true);  // [.., P, 1]
  Tensor b_squared = sum(b * b, {-1}, true);  // [.., R, 1]
  Tensor left = cat({a * -2.0, a_squared, ones(a_squared.shape(), {.dtype = a.dtype()})}, -1);
  Tensor right = cat({b, ones(b_squared.shape(), {.dtype = b.dtype()}), b_squared}, -1);
  Tensor squared = matmul(left, right.mT());
  Tensor positive = gt(squared, wrapped_scalar(0.0));
  return where(positive, sqrt(where(positive, squared, wrapped_scalar(1.0))), wrapped_scalar(0.0));
}

}  // namespace

Tensor cdist(const Tensor& a, const Tensor& b, double p) {
  NABLA_CHECK(a.dim() >= 2 && b.dim() >= 2, "cdist: expected inputs of at least 2 dims [.., P, M] and [.., R, M], got {} "
              "and {}", a.describe(), b.describe());
  NABLA_CHECK(is_floating(a.dtype()) && a.dtype() == b.dtype(),
              "cdist: expected two floating-point inputs of the same dtype, got {} and {}", a.describe(), b.describe());
  NABLA_CHECK(a.shape().back() == b.shape().back(), "cdist: inputs must have the same number of columns, got {} and {}",
              a.describe(), b.describe());
  NABLA_CHECK(p >= 0, "cdist: p must be non-negative, got {} (inputs {} and {})", p, a.describe(), b.describe());
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
  try {
    broadcast_shapes(a_batch, b_batch, "cdist");
  } catch (const Error&) {
    throw Error(fmt::format("cdist: the batch dims of {} and {} don't broadcast", a.describe(), b.describe()));
  }
  // PyTorch's default compute mode uses the matrix-multiply form for p = 2 when P or R exceeds 25.
  const int64_t rows = a.shape()[a.dim() - 2], columns = b.shape()[b.dim() - 2];
  if (p == 2 && (rows > 25 || columns > 25)) return euclidean_by_matmul(a, b);
  // Otherwise the p-norm of every difference of rows, [.., P, 1, M] − [.., 1, R, M]; norm's gradient is 0 at
  // zero distances and zero elements, as PyTorch's cdist backward. (Ties of the ∞-norm share the gradient,
  // as in norm; PyTorch's cdist gives each tie all of it.)
  return norm(a.unsqueeze(-2) - b.unsqueeze(-3), p, {-1});
}

}  // namespace nabla
