// The FLOPs of each op (the rules are listed in include/nabla/analysis/flops.h) and the counter that adds
// them up. One switch over every op of ops.def with no default case: adding an op without saying what it
// costs is a -Wswitch warning here, not a silent zero in every summary.
#include "nabla/analysis/flops.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ops/observer.h"

namespace nabla::analysis {
namespace {

using ops::OpId;

int64_t elements(const Tensor& tensor) { return tensor.defined() ? tensor.numel() : 0; }

int64_t input_elements(const ops::Dispatched& call, size_t index) {
  return index < call.inputs.size() ? elements(call.inputs[index]) : 0;
}

int64_t output_elements(const ops::Dispatched& call) { return call.outputs.empty() ? 0 : elements(call.outputs[0]); }

bool has_input(const ops::Dispatched& call, size_t index) {
  return index < call.inputs.size() && call.inputs[index].defined();
}

// A convolution's taps (multiply-adds): every element of its output side (conv2d's output, conv_transpose2d's
// input) meets (channels per group)·kh·kw weights, which is the weight's size over its first dim.
int64_t convolution_taps(int64_t output_side_elements, const Shape& weight_shape) {
  if (weight_shape.empty() || weight_shape[0] == 0) return 0;
  return output_side_elements * (numel(weight_shape) / weight_shape[0]);
}

// Elements an adaptive pool reads along one dim: window i covers [⌊i·in/out⌋, ⌈(i+1)·in/out⌉), so windows
// overlap when out does not divide in.
int64_t adaptive_window_sum(int64_t in, int64_t out) {
  int64_t total = 0;
  for (int64_t i = 0; i < out; ++i) total += (i + 1) * in / out + ((i + 1) * in % out != 0) - i * in / out;
  return total;
}

// Pools over the last two dims of `image` ([.., H, W]) into `pooled` ([.., OH, OW]): elements read.
int64_t adaptive_pool_reads(const Shape& image, const Shape& pooled) {
  if (image.size() < 2 || pooled.size() < 2) return 0;
  const int64_t height = image[image.size() - 2], width = image.back();
  const int64_t planes = numel(image) / std::max<int64_t>(height * width, 1);
  return planes * adaptive_window_sum(height, pooled[pooled.size() - 2]) * adaptive_window_sum(width, pooled.back());
}

int64_t window_size(const ops::Attrs& attrs) {
  const auto& window = std::get<ops::WindowAttrs>(attrs);
  return window.kernel[0] * window.kernel[1];
}

// scaled_dot_product_attention (q [.., L, E], k [.., S, E], v [.., S, Ev]) per batch and head: the scores
// QKᵀ (2·L·S·E), their scaling (L·S), the mask's add (L·S), the softmax (5·L·S), dropout (L·S) and the
// weighted sum of values (2·L·S·Ev).
int64_t attention_flops(const ops::Dispatched& call) {
  const auto& attrs = std::get<ops::AttentionAttrs>(call.attrs);
  const Tensor &query = call.inputs[0], &key = call.inputs[1], &value = call.inputs[2];
  const int64_t head = query.shape().back(), value_head = value.shape().back();
  const int64_t keys = key.shape()[key.dim() - 2];
  const int64_t query_rows = value_head == 0 ? 0 : output_elements(call) / value_head;  // batch·heads·L
  const int64_t scores = query_rows * keys;
  int64_t per_score = 1 + 5 + (attrs.has_mask ? 1 : 0) + (attrs.dropout_p > 0 ? 1 : 0);
  return 2 * scores * head + per_score * scores + 2 * scores * value_head;
}

// attention_backward (dO, q, k, v, O, logsumexp[, mask]): recompute P = exp(scale·QKᵀ − lse) (2·L·S·E and
// 3 per score), dV = PᵀdO and dP = dO·Vᵀ (2·L·S·Ev each), D = rowsum(dO∘O) (2·L·Ev), dS = scale·P∘(dP − D)
// (3 per score), dQ = dS·K and dK = dSᵀ·Q (2·L·S·E each).
int64_t attention_backward_flops(const ops::Dispatched& call) {
  const Tensor &query = call.inputs[1], &key = call.inputs[2], &value = call.inputs[3];
  const int64_t head = query.shape().back(), value_head = value.shape().back();
  const int64_t keys = key.shape()[key.dim() - 2];
  const int64_t query_rows = value_head == 0 ? 0 : input_elements(call, 0) / value_head;
  const int64_t scores = query_rows * keys;
  return 6 * scores * head + 4 * scores * value_head + 6 * scores + 2 * query_rows * value_head;
}

// Matrix shapes [.., m, n] of input 0: (batch, m, n).
struct MatrixBatch {
  int64_t batch = 0, rows = 0, columns = 0;
};
MatrixBatch matrix_batch(const Tensor& matrix) {
  if (matrix.dim() < 2) return {};
  const int64_t rows = matrix.shape()[matrix.dim() - 2], columns = matrix.shape().back();
  return {rows * columns == 0 ? 0 : matrix.numel() / (rows * columns), rows, columns};
}

// The LAPACK factorisations, by the usual leading-order operation counts (Golub & Van Loan): Householder QR
// with Q formed, 4·m·n² − 4n³/3 (m ≥ n); a thin SVD through R, 6·m·n² + 20·n³; a symmetric eigendecomposition
// with vectors, 9·n³; Cholesky, n³/3; solve, an LU (2n³/3) and two triangular solves per right-hand side (2n²).
int64_t linear_algebra_flops(const ops::Dispatched& call) {
  const MatrixBatch a = matrix_batch(call.inputs[0]);
  const double large = static_cast<double>(std::max(a.rows, a.columns));
  const double small = static_cast<double>(std::min(a.rows, a.columns));
  double per_matrix = 0;
  switch (call.op) {
    case OpId::qr: per_matrix = 4 * large * small * small - 4 * small * small * small / 3; break;
    case OpId::svd: per_matrix = 6 * large * small * small + 20 * small * small * small; break;
    case OpId::eigh: per_matrix = 9 * small * small * small; break;
    case OpId::cholesky: per_matrix = small * small * small / 3; break;
    case OpId::solve: {
      const double right_hand_sides =
          a.batch * a.rows == 0 ? 0 : static_cast<double>(output_elements(call)) / static_cast<double>(a.batch * a.rows);
      per_matrix = 2 * small * small * small / 3 + 2 * small * small * right_hand_sides;
      break;
    }
    default: break;
  }
  return static_cast<int64_t>(std::llround(per_matrix)) * a.batch;
}

}  // namespace

int64_t flops(const ops::Dispatched& call) {
  const int64_t out = output_elements(call);
  const int64_t in = input_elements(call, 0);
  switch (call.op) {
    // ---- elementwise: one per output element
    case OpId::neg: case OpId::exp: case OpId::log: case OpId::sqrt: case OpId::tanh: case OpId::sigmoid:
    case OpId::relu: case OpId::add: case OpId::sub: case OpId::mul: case OpId::div: case OpId::pow:
    case OpId::maximum: case OpId::minimum: case OpId::eq: case OpId::ne: case OpId::lt: case OpId::le:
    case OpId::gt: case OpId::ge: case OpId::where: case OpId::add_: case OpId::mul_: case OpId::abs:
    case OpId::sign: case OpId::log1p: case OpId::rsqrt: case OpId::sin: case OpId::cos: case OpId::floor:
    case OpId::ceil: case OpId::round: case OpId::isfinite: case OpId::isnan: case OpId::logical_not:
    case OpId::logical_and: case OpId::logical_or: case OpId::logical_xor: case OpId::leaky_relu:
    case OpId::elu: case OpId::gelu: case OpId::silu: case OpId::softplus: case OpId::clamp:
    case OpId::masked_fill: case OpId::dropout: case OpId::sub_: case OpId::div_: case OpId::clamp_:
    case OpId::relu_: case OpId::masked_fill_: case OpId::clamp_backward: case OpId::gelu_backward:
      return out;
    case OpId::lerp: case OpId::addcmul: case OpId::addcdiv:  // a + w·(b − a), a + s·b·c, a + s·b/c
      return 3 * out;
    // decay (2), two moments (3 + 4), amsgrad's maximum (1), √, scale, + ε, divide, step (5) per element
    case OpId::adam_step_:
      return (std::get<ops::AdamStepAttrs>(call.attrs).amsgrad ? 15 : 14) * out;

    // ---- data movement, indexing and sampling: nothing computed
    case OpId::clone: case OpId::cast: case OpId::copy_: case OpId::view: case OpId::permute: case OpId::slice:
    case OpId::expand: case OpId::cat: case OpId::slice_backward: case OpId::index_select: case OpId::gather:
    case OpId::scatter: case OpId::masked_select: case OpId::diagonal: case OpId::pad: case OpId::repeat:
    case OpId::flip: case OpId::roll: case OpId::tril: case OpId::triu: case OpId::im2col:
    case OpId::bernoulli: case OpId::multinomial:
      return 0;
    // ---- accumulation into a destination: one add per source element
    case OpId::index_add: case OpId::scatter_add:
      return input_elements(call, 2);
    case OpId::col2im:
      return in;

    // ---- reductions and scans: one per element read
    case OpId::sum: case OpId::mean: case OpId::prod: case OpId::max: case OpId::min: case OpId::argmax:
    case OpId::argmin: case OpId::any: case OpId::all: case OpId::cumsum: case OpId::nonzero: case OpId::topk:
    case OpId::bincount:
      return in;
    case OpId::var:  // difference from the mean, square, sum
      return 3 * in;
    case OpId::logsumexp:  // max, subtract, exp, sum
      return 4 * in;
    case OpId::softmax: case OpId::log_softmax:
      return 5 * in;
    case OpId::cross_entropy: {  // a log-softmax over the classes, then one pick-and-add per sample
      const Tensor& logits = call.inputs[0];
      const int64_t classes = logits.dim() >= 2 ? logits.shape()[1] : logits.numel();
      return 5 * in + (classes == 0 ? 0 : in / classes);
    }
    case OpId::sort: {  // comparisons: length·⌈log₂ length⌉ per sorted row
      const Tensor& x = call.inputs[0];
      if (x.dim() == 0) return 0;
      const int64_t length = x.shape()[static_cast<size_t>(wrap_dim(std::get<ops::SortAttrs>(call.attrs).dim, x.dim(), "sort"))];
      return length <= 1 ? 0 : in * static_cast<int64_t>(std::ceil(std::log2(static_cast<double>(length))));
    }

    // ---- matrix products and convolutions: two per multiply-add
    case OpId::matmul:  // [.., M, K] @ [.., K, N] → [.., M, N]
      return 2 * out * call.inputs[0].shape().back();
    case OpId::conv2d:
      return 2 * convolution_taps(out, call.inputs[1].shape()) + (has_input(call, 2) ? out : 0);
    case OpId::conv_transpose2d:
      return 2 * convolution_taps(in, call.inputs[1].shape()) + (has_input(call, 2) ? out : 0);
    case OpId::conv2d_backward_weight: {  // (x, dy): the same taps as the forward convolution
      const auto& attrs = std::get<ops::ConvAttrs>(call.attrs);
      return 2 * convolution_taps(attrs.transposed ? in : input_elements(call, 1), attrs.weight_shape);
    }
    case OpId::scaled_dot_product_attention:
      return attention_flops(call);
    case OpId::attention_backward:
      return attention_backward_flops(call);

    // ---- pooling and resampling
    case OpId::max_pool2d: case OpId::avg_pool2d:  // every output reads its window
      return out * window_size(call.attrs);
    case OpId::avg_pool2d_backward:  // every incoming gradient is spread over its window
      return in * window_size(call.attrs);
    case OpId::adaptive_avg_pool2d: case OpId::adaptive_max_pool2d:
      return adaptive_pool_reads(call.inputs[0].shape(), call.outputs[0].shape());
    case OpId::adaptive_avg_pool2d_backward:
      return adaptive_pool_reads(call.outputs[0].shape(), call.inputs[0].shape());
    case OpId::upsample2d:  // bilinear: four weighted taps (4 multiplies, 3 adds); nearest copies
      return std::get<ops::UpsampleAttrs>(call.attrs).mode == UpsampleMode::bilinear ? 7 * out : 0;
    case OpId::upsample2d_backward:  // bilinear: four weighted adds per incoming gradient; nearest: one add
      return std::get<ops::UpsampleAttrs>(call.attrs).mode == UpsampleMode::bilinear ? 8 * in : in;

    // ---- normalisation: statistics (mean, variance: 3) and normalising (subtract, scale: 2), affine (2)
    case OpId::layer_norm: case OpId::group_norm: case OpId::batch_norm: {
      const bool given_statistics = call.op == OpId::batch_norm && !std::get<ops::NormAttrs>(call.attrs).training;
      return (given_statistics ? 2 : 5) * in + (has_input(call, 1) ? 2 * in : 0);
    }
    // fused backward (dy, x, …): x̂ (2), the sums of dy and dy·x̂ (3), dx = scale·(dy − mean dy − x̂·mean dy·x̂) (4)
    case OpId::batch_norm_backward: case OpId::group_norm_backward:
      return 9 * in;

    // ---- recurrent layers over a sequence: the recurrent GEMM of every step (the backward's two: dh and
    // dW_hh) and about five per gate value for the gate math
    case OpId::recurrent_sequence: case OpId::recurrent_sequence_backward: {
      const Tensor& gates_source = call.op == OpId::recurrent_sequence ? call.inputs[0] : call.outputs[0];
      const int64_t gate_values = gates_source.numel(), hidden = call.inputs[1].shape()[1];
      return (call.op == OpId::recurrent_sequence ? 2 : 4) * gate_values * hidden + 5 * gate_values;
    }

    // ---- linear algebra
    case OpId::qr: case OpId::svd: case OpId::eigh: case OpId::solve: case OpId::cholesky:
      return linear_algebra_flops(call);

    case OpId::count_:
      break;
  }
  return 0;
}

struct FlopCounter::State {
  std::map<OpId, OpFlops> per_op;
  int64_t total = 0;
  // Registered last: its callback reads the fields above, which must outlive it.
  ops::ObserveDispatch observer{[this](const ops::Dispatched& call) {
    if (call.depth != 0) return;  // ops a kernel dispatched are part of that kernel's count
    const int64_t count = flops(call);
    OpFlops& row = per_op[call.op];
    row.op = ops::op_name(call.op);
    row.calls += 1;
    row.flops += count;
    total += count;
  }};
};

FlopCounter::FlopCounter() : state_(std::make_unique<State>()) {}
FlopCounter::~FlopCounter() = default;

int64_t FlopCounter::total() const { return state_->total; }

std::vector<OpFlops> FlopCounter::by_op() const {
  std::vector<OpFlops> rows;
  for (const auto& [op, row] : state_->per_op) rows.push_back(row);
  std::sort(rows.begin(), rows.end(), [](const OpFlops& a, const OpFlops& b) {
    return a.flops != b.flops ? a.flops > b.flops : a.op < b.op;
  });
  return rows;
}

}  // namespace nabla::analysis
