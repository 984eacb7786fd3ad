// scaled_dot_product_attention as a fused op, and its backward op attention_backward.
//   q [..., L, E], k [..., S, E], v [..., S, Ev], mask broadcastable to [..., L, S] (batch dims broadcast)
//   s = q·kᵀ·scale (+ mask, or −∞ where a bool mask is false or above the causal diagonal)
//   lse_i = log Σ_j e^(s_ij),  P = e^(s − lse),  out = (P ⊙ D)·v   (D: dropout's keep/(1 − p), else 1)
// A row whose scores are all masked gives zeros and no gradient (as PyTorch 2.x), with lse = −∞.
// Backward (attention_backward), with Δ_i = Σ_e dout_ie·out_ie:
//   dv = (P ⊙ D)ᵀ·dout,  dS = P ⊙ (D ⊙ (dout·vᵀ) − Δ),  dq = dS·k·scale,  dk = dSᵀ·q·scale
// attention_backward is not differentiable (ops.def), so create_graph through attention is refused.
// The reference kernels gather each batch's operands (any strides and dtypes) into contiguous double
// matrices, then run plain loops over them; scores live one query row at a time (O(S) scratch).
#include <cmath>
#include <limits>
#include <vector>

#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/ops.h"
#include "ops/iterate.h"
#include "ops/kernel_rules.h"
#include "ops/op.h"

namespace nabla::ops {

// Dropout's factor D for score (b, i, j): 0 or 1/(1 − p), from Philox(seed, offset) at its flat index.
// Also called by the fast kernels (src/backend/cpu/attention.cpp), so both drop the same scores.
double attention_keep_factor(const AttentionAttrs& attrs, int64_t queries, int64_t keys, int64_t b, int64_t i,
                             int64_t j) {
  if (attrs.dropout_p == 0) return 1.0;
  const auto index = static_cast<uint64_t>((b * queries + i) * keys + j);
  const std::array<uint32_t, 4> block = philox(attrs.seed, attrs.offset + index / 2);
  const int lane = static_cast<int>(index % 2) * 2;
  const bool kept = uniform_double(block[lane], block[lane + 1]) >= attrs.dropout_p;
  return kept && attrs.dropout_p < 1 ? 1.0 / (1.0 - attrs.dropout_p) : 0.0;
}

namespace {

constexpr double negative_infinity = -std::numeric_limits<double>::infinity();

Shape batch_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

Shape with_matrix(Shape batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

// A strided operand of the kernels: a tensor's data, seen as batch + [rows, cols] (broadcast strides).
struct Operand {
  const Tensor* tensor = nullptr;
  Shape batch_strides;
  int64_t row_stride = 0, col_stride = 0;

  Operand() = default;
  Operand(const Tensor& t, const Shape& batch, int64_t rows, int64_t cols) : tensor(&t) {
    Shape strides = broadcast_strides(t, with_matrix(batch, rows, cols));
    row_stride = strides[strides.size() - 2];
    col_stride = strides.back();
    strides.resize(batch.size());
    batch_strides = std::move(strides);
  }
  // A [..., rows] tensor (logsumexp) as batch + [rows, 1].
  static Operand column(const Tensor& t, const Shape& batch, int64_t rows) {
    Operand result;
    result.tensor = &t;
    Shape full = batch;
    full.push_back(rows);
    result.batch_strides = broadcast_strides(t, full);
    result.row_stride = result.batch_strides.back();
    result.batch_strides.pop_back();
    return result;
  }
  double at(int64_t base, int64_t row, int64_t col) const {
    return load_double(tensor->dtype(), tensor->storage()->data(), base + row * row_stride + col * col_stride);
  }
};

struct Problem {
  Shape batch;
  int64_t queries = 0, keys = 0, head = 0, value_head = 0;
  double scale = 1;
};

Problem problem_of(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionAttrs& attrs) {
  Problem problem;
  try {
    problem.batch = broadcast_shapes(batch_of(q), broadcast_shapes(batch_of(k), batch_of(v), ""), "");
  } catch (const Error&) {
    throw Error(fmt::format("scaled_dot_product_attention: the batch dims of query {}, key {} and value {} do not "
                            "broadcast together", q.describe(), k.describe(), v.describe()));
  }
  problem.queries = q.shape()[q.dim() - 2];
  problem.keys = k.shape()[k.dim() - 2];
  problem.head = q.shape().back();
  problem.value_head = v.shape().back();
  problem.scale = attrs.scale ? *attrs.scale : 1.0 / std::sqrt(static_cast<double>(problem.head));
  return problem;
}

// The operands of one call, each with its own strides, and the row-major batch walk over them.
struct Operands {
  std::vector<Operand> list;
  template <typename Body>
  void for_each_batch(const Problem& problem, Body&& body) const {
    const size_t n = list.size();
    std::vector<int64_t> offsets(n);
    for (size_t k = 0; k < n; ++k) offsets[k] = list[k].tensor->offset();
    // Walked with an odometer (operand counts differ between the kernels, so for_each_offset's fixed N won't do).
    const int64_t count = numel(problem.batch);
    std::vector<int64_t> index(problem.batch.size(), 0);
    for (int64_t b = 0; b < count; ++b) {
      body(b, offsets);
      for (size_t d = problem.batch.size(); d-- > 0;) {
        ++index[d];
        for (size_t k = 0; k < n; ++k) offsets[k] += list[k].batch_strides[d];
        if (index[d] < problem.batch[d]) break;
        for (size_t k = 0; k < n; ++k) offsets[k] -= list[k].batch_strides[d] * problem.batch[d];
        index[d] = 0;
      }
    }
  }
};

double keep_factor(const AttentionAttrs& attrs, const Problem& problem, int64_t b, int64_t i, int64_t j) {
  return attention_keep_factor(attrs, problem.queries, problem.keys, b, i, j);
}

// One batch of an operand as a contiguous row-major double matrix, so the loops below run on plain arrays.
using Matrix = std::vector<double>;
void gather(const Operand& operand, int64_t base, int64_t rows, int64_t cols, Matrix& out) {
  out.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(r * cols + c)] = operand.at(base, r, c);
  }
}

double dot(const double* a, const double* b, int64_t n) {
  double total = 0;
  for (int64_t e = 0; e < n; ++e) total += a[e] * b[e];
  return total;
}

// The scores of query row i: scale·q_i·k_j plus the mask (−∞ where masked out).
void row_scores(const AttentionAttrs& attrs, const Problem& problem, const Matrix& q, const Matrix& k,
                const Matrix* mask, bool boolean_mask, int64_t i, std::vector<double>& scores) {
  const int64_t S = problem.keys, E = problem.head;
  for (int64_t j = 0; j < S; ++j) {
    double score = attrs.causal && j > i ? negative_infinity : dot(&q[i * E], &k[j * E], E) * problem.scale;
    if (mask) {
      const double value = (*mask)[i * S + j];
      score = boolean_mask ? (value != 0 ? score : negative_infinity) : score + value;
    }
    scores[j] = score;
  }
}

double log_sum_exp(const std::vector<double>& scores) {
  double largest = negative_infinity;
  for (double s : scores) largest = std::max(largest, s);
  if (largest == negative_infinity) return negative_infinity;
  double total = 0;
  for (double s : scores) total += std::exp(s - largest);
  return largest + std::log(total);
}

void check_qkv(const OpCall& call, size_t first) {
  const Tensor& q = call.inputs[first];
  const Tensor& k = call.inputs[first + 1];
  const Tensor& v = call.inputs[first + 2];
  const char* op = "scaled_dot_product_attention";
  NABLA_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2,
              "{}: query, key and value need at least 2 dims ([..., L, E]), got {}, {}, {}", op, q.describe(),
              k.describe(), v.describe());
  NABLA_CHECK(is_floating(q.dtype()) && q.dtype() == k.dtype() && q.dtype() == v.dtype(),
              "{}: query, key and value must have the same floating dtype, got {}, {}, {}", op, q.describe(),
              k.describe(), v.describe());
  NABLA_CHECK(q.shape().back() == k.shape().back(),
              "{}: query {} and key {} must have the same embedding size (last dim)", op, q.describe(), k.describe());
  NABLA_CHECK(k.shape()[k.dim() - 2] == v.shape()[v.dim() - 2],
              "{}: key {} and value {} must have the same sequence length (dim -2)", op, k.describe(), v.describe());
}

}  // namespace

// scaled_dot_product_attention: (q, k, v[, mask]) → out [batch, L, Ev] (q's dtype), lse [batch, L]
// (float32 for half-precision q). The backward calls attention_backward.
std::vector<OutputSpec> shape_scaled_dot_product_attention(const OpCall& call) {
  const auto& attrs = std::get<AttentionAttrs>(call.attrs);
  const size_t expected = attrs.has_mask ? 4 : 3;
  NABLA_CHECK(call.inputs.size() == expected, "scaled_dot_product_attention: expected {} inputs (q, k, v{}), got {}",
              expected, attrs.has_mask ? ", mask" : "", call.inputs.size());
  check_qkv(call, 0);
  const Tensor& q = call.inputs[0];
  NABLA_CHECK(attrs.dropout_p >= 0 && attrs.dropout_p <= 1,
              "scaled_dot_product_attention: dropout_p must be in [0, 1], got {}", attrs.dropout_p);
  NABLA_CHECK(!(attrs.causal && attrs.has_mask),
              "scaled_dot_product_attention: an explicit mask can't be combined with is_causal; fold the causal "
              "mask into it");
  const Problem problem = problem_of(q, call.inputs[1], call.inputs[2], attrs);
  if (attrs.has_mask) {
    const Tensor& mask = call.inputs[3];
    NABLA_CHECK(mask.dtype() == DType::boolean || is_floating(mask.dtype()),
                "scaled_dot_product_attention: mask must be bool (true keeps) or floating point (added), got {}",
                mask.describe());
    const Shape scores = with_matrix(problem.batch, problem.queries, problem.keys);
    bool fits = mask.dim() <= static_cast<int64_t>(scores.size());
    for (int64_t d = 1; fits && d <= mask.dim(); ++d) {
      const int64_t size = mask.shape()[mask.dim() - d];
      fits = size == 1 || size == scores[scores.size() - d];
    }
    NABLA_CHECK(fits, "scaled_dot_product_attention: mask {} does not broadcast to the scores' shape {} ([..., L, S])",
                mask.describe(), shape_string(scores));
  }
  Shape lse_shape = problem.batch;
  lse_shape.push_back(problem.queries);
  const DType lse_dtype = q.dtype() == DType::bf16 || q.dtype() == DType::f16 ? DType::f32 : q.dtype();
  return {{with_matrix(problem.batch, problem.queries, problem.value_head), q.dtype()}, {lse_shape, lse_dtype}};
}
void reference_scaled_dot_product_attention(const KernelCall& call) {
  const auto& attrs = std::get<AttentionAttrs>(call.attrs);
  const Problem problem = problem_of(call.inputs[0], call.inputs[1], call.inputs[2], attrs);
  const Tensor& out = call.outputs[0];
  const Tensor& lse = call.outputs[1];
  Operands operands;
  operands.list = {Operand(call.inputs[0], problem.batch, problem.queries, problem.head),
                   Operand(call.inputs[1], problem.batch, problem.keys, problem.head),
                   Operand(call.inputs[2], problem.batch, problem.keys, problem.value_head)};
  if (attrs.has_mask) operands.list.emplace_back(call.inputs[3], problem.batch, problem.queries, problem.keys);
  const std::vector<Operand>& list = operands.list;
  const int64_t L = problem.queries, S = problem.keys, E = problem.head, Ev = problem.value_head;
  const bool boolean_mask = attrs.has_mask && call.inputs[3].dtype() == DType::boolean;
  Matrix q, k, v, mask;
  std::vector<double> scores(static_cast<size_t>(S)), row(static_cast<size_t>(Ev));
  operands.for_each_batch(problem, [&](int64_t b, const std::vector<int64_t>& base) {
    gather(list[0], base[0], L, E, q);
    gather(list[1], base[1], S, E, k);
    gather(list[2], base[2], S, Ev, v);
    if (attrs.has_mask) gather(list[3], base[3], L, S, mask);
    for (int64_t i = 0; i < L; ++i) {
      row_scores(attrs, problem, q, k, attrs.has_mask ? &mask : nullptr, boolean_mask, i, scores);
      const double total = log_sum_exp(scores);
      std::fill(row.begin(), row.end(), 0.0);
      if (total != negative_infinity) {
        for (int64_t j = 0; j < S; ++j) {
          const double weight = std::exp(scores[j] - total) * keep_factor(attrs, problem, b, i, j);
          if (weight == 0) continue;
          for (int64_t e = 0; e < Ev; ++e) row[e] += weight * v[j * Ev + e];
        }
      }
      const int64_t query = b * L + i;
      for (int64_t e = 0; e < Ev; ++e) store_double(out.dtype(), out.raw_data(), query * Ev + e, row[e]);
      store_double(lse.dtype(), lse.raw_data(), query, total);
    }
  });
}
std::vector<Tensor> backward_scaled_dot_product_attention(const BackwardCall& call) {
  const auto& attrs = std::get<AttentionAttrs>(call.attrs);
  const Tensor& grad = call.grads[0];
  const Tensor& q = call.inputs[0];
  const Tensor& k = call.inputs[1];
  const Tensor& v = call.inputs[2];
  if (autograd::grad_enabled()) {
    NABLA_CHECK(!(grad.requires_grad() || q.requires_grad() || k.requires_grad() || v.requires_grad()),
                "scaled_dot_product_attention: double backward is not supported (its backward, attention_backward, "
                "is a fused kernel without a derivative); for higher-order gradients write attention with matmul "
                "and softmax");
  }
  std::vector<Tensor> inputs{grad, q, k, v, call.outputs[0], call.outputs[1]};
  if (attrs.has_mask) inputs.push_back(call.inputs[3]);
  std::vector<Tensor> grads = ops::call(OpId::attention_backward, std::move(inputs), attrs);
  std::vector<Tensor> result{sum_to(grads[0], q.shape()), sum_to(grads[1], k.shape()), sum_to(grads[2], v.shape())};
  if (attrs.has_mask) result.emplace_back();  // the mask gets no gradient (a float mask that requires grad is refused)
  return result;
}

// attention_backward: (dout, q, k, v, out, lse[, mask]) → dq [batch, L, E], dk [batch, S, E], dv [batch, S, Ev]
// over the broadcast batch (the caller sums them back to its inputs' shapes).
std::vector<OutputSpec> shape_attention_backward(const OpCall& call) {
  const auto& attrs = std::get<AttentionAttrs>(call.attrs);
  const size_t expected = attrs.has_mask ? 7 : 6;
  NABLA_CHECK(call.inputs.size() == expected, "attention_backward: expected {} inputs, got {}", expected,
              call.inputs.size());
  check_qkv(call, 1);
  const Problem problem = problem_of(call.inputs[1], call.inputs[2], call.inputs[3], attrs);
  const Shape out_shape = with_matrix(problem.batch, problem.queries, problem.value_head);
  NABLA_CHECK(call.inputs[0].shape() == out_shape && call.inputs[4].shape() == out_shape,
              "attention_backward: dout {} and out {} must have the output's shape {}", call.inputs[0].describe(),
              call.inputs[4].describe(), shape_string(out_shape));
  const DType dtype = call.inputs[1].dtype();
  return {{with_matrix(problem.batch, problem.queries, problem.head), dtype},
          {with_matrix(problem.batch, problem.keys, problem.head), dtype},
          {with_matrix(problem.batch, problem.keys, problem.value_head), dtype}};
}
void reference_attention_backward(const KernelCall& call) {
  const auto& attrs = std::get<AttentionAttrs>(call.attrs);
  const Problem problem = problem_of(call.inputs[1], call.inputs[2], call.inputs[3], attrs);
  const int64_t L = problem.queries, S = problem.keys, E = problem.head, Ev = problem.value_head;
  Operands operands;
  operands.list = {Operand(call.inputs[0], problem.batch, L, Ev), Operand(call.inputs[1], problem.batch, L, E),
                   Operand(call.inputs[2], problem.batch, S, E),  Operand(call.inputs[3], problem.batch, S, Ev),
                   Operand(call.inputs[4], problem.batch, L, Ev), Operand::column(call.inputs[5], problem.batch, L)};
  if (attrs.has_mask) operands.list.emplace_back(call.inputs[6], problem.batch, L, S);
  const std::vector<Operand>& list = operands.list;
  const bool boolean_mask = attrs.has_mask && call.inputs[6].dtype() == DType::boolean;
  Matrix dout, q, k, v, out, lse, mask;
  std::vector<double> scores(static_cast<size_t>(S)), dq(static_cast<size_t>(L * E)), dk(static_cast<size_t>(S * E)),
      dv(static_cast<size_t>(S * Ev));
  operands.for_each_batch(problem, [&](int64_t b, const std::vector<int64_t>& base) {
    gather(list[0], base[0], L, Ev, dout);
    gather(list[1], base[1], L, E, q);
    gather(list[2], base[2], S, E, k);
    gather(list[3], base[3], S, Ev, v);
    gather(list[4], base[4], L, Ev, out);
    gather(list[5], base[5], L, 1, lse);
    if (attrs.has_mask) gather(list[6], base[6], L, S, mask);
    std::fill(dq.begin(), dq.end(), 0.0);
    std::fill(dk.begin(), dk.end(), 0.0);
    std::fill(dv.begin(), dv.end(), 0.0);
    for (int64_t i = 0; i < L; ++i) {
      const double total = lse[i];
      if (total == negative_infinity) continue;  // a fully masked row: no gradient
      row_scores(attrs, problem, q, k, attrs.has_mask ? &mask : nullptr, boolean_mask, i, scores);
      const double* g = &dout[i * Ev];
      const double delta = dot(g, &out[i * Ev], Ev);
      for (int64_t j = 0; j < S; ++j) {
        const double probability = std::exp(scores[j] - total);
        if (probability == 0) continue;
        const double keep = keep_factor(attrs, problem, b, i, j);
        const double dweight = dot(g, &v[j * Ev], Ev);  // d(out_i)/d(P_ij·D_ij) · dout_i
        for (int64_t e = 0; e < Ev; ++e) dv[j * Ev + e] += probability * keep * g[e];
        const double dscore = probability * (keep * dweight - delta) * problem.scale;
        for (int64_t e = 0; e < E; ++e) {
          dq[i * E + e] += dscore * k[j * E + e];
          dk[j * E + e] += dscore * q[i * E + e];
        }
      }
    }
    for (size_t n = 0; n < 3; ++n) {
      const Tensor& result = call.outputs[n];
      const std::vector<double>& values = n == 0 ? dq : (n == 1 ? dk : dv);
      const auto first = b * static_cast<int64_t>(values.size());
      for (size_t e = 0; e < values.size(); ++e) store_double(result.dtype(), result.raw_data(), first + static_cast<int64_t>(e), values[e]);
    }
  });
}
NABLA_NO_BACKWARD(attention_backward)

int64_t attention_score_count(const Tensor& q, const Tensor& k, const Tensor& v) {
  if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2) return 0;
  try {
    const Problem problem = problem_of(q, k, v, {});
    return numel(problem.batch) * problem.queries * problem.keys;
  } catch (const Error&) {
    return 0;
  }
}

}  // namespace nabla::ops
