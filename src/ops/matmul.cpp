// matmul: matrix products over the last two dims, with PyTorch's batch broadcasting.
//   a [..., n, k] · b [..., k, m] → out [broadcast(a's batch, b's batch), n, m]
//   da = dout · bᵀ, db = aᵀ · dout, each summed back over the batch dims it was broadcast along.
// The op takes operands of rank ≥ 2; the public matmul() turns torch.matmul's 1-D cases into those by
// unsqueezing a vector and squeezing the added dim off the result (views, so gradients flow through).
#include <algorithm>
#include <vector>

#include "core/element.h"
#include "nabla/ops.h"
#include "ops/iterate.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

// The dim a and b contract over: a's last; b's second to last (its only one when b is a vector).
void check_operands(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(is_floating(a.dtype()) && is_floating(b.dtype()),
              "matmul: expected floating-point operands, got {} and {}; convert integers with .to(DType::f32)",
              a.describe(), b.describe());
  NABLA_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least 1 dim, got shapes {} and {}",
              shape_string(a.shape()), shape_string(b.shape()));
  const int64_t a_inner = a.shape().back();
  const int64_t b_inner = b.dim() == 1 ? b.shape()[0] : b.shape()[b.dim() - 2];
  NABLA_CHECK(a_inner == b_inner, "matmul: shapes {} and {} cannot be multiplied ({} != {})", shape_string(a.shape()),
              shape_string(b.shape()), a_inner, b_inner);
}

// The broadcast of the batch dims (all but the last two) of two operands of rank ≥ 2.
Shape batch_shape(const Shape& a, const Shape& b) {
  const size_t a_batch = a.size() - 2, b_batch = b.size() - 2;
  const size_t rank = std::max(a_batch, b_batch);
  Shape batch(rank);
  for (size_t d = 0; d < rank; ++d) {
    int64_t size_a = d < rank - a_batch ? 1 : a[d - (rank - a_batch)];
    int64_t size_b = d < rank - b_batch ? 1 : b[d - (rank - b_batch)];
    NABLA_CHECK(size_a == size_b || size_a == 1 || size_b == 1,
                "matmul: batch dims of shapes {} and {} cannot be broadcast together ({} vs {})", shape_string(a),
                shape_string(b), size_a, size_b);
    batch[d] = size_a == 1 ? size_b : size_a;
  }
  return batch;
}

// Strides of `t`'s batch dims seen as `batch` (0 where t is broadcast).
Shape batch_strides(const Tensor& t, const Shape& batch) {
  Shape full = batch;
  full.push_back(t.shape()[t.dim() - 2]);
  full.push_back(t.shape()[t.dim() - 1]);
  Shape strides = broadcast_strides(t, full);
  strides.resize(batch.size());
  return strides;
}

// Copies one rows×cols matrix of `t` starting at element `base` into a row-major double buffer.
void load_matrix(const Tensor& t, int64_t base, int64_t rows, int64_t cols, std::vector<double>& buffer) {
  const void* data = t.storage()->data();
  const int64_t row_stride = t.strides()[t.dim() - 2], column_stride = t.strides()[t.dim() - 1];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      buffer[r * cols + c] = load_double(t.dtype(), data, base + r * row_stride + c * column_stride);
    }
  }
}

}  // namespace

std::vector<OutputSpec> shape_matmul(const OpCall& call) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  NABLA_CHECK(a.dim() >= 2 && b.dim() >= 2,
              "matmul: the op takes operands of rank >= 2, got shapes {} and {} (nabla::matmul handles vectors)",
              shape_string(a.shape()), shape_string(b.shape()));
  check_operands(a, b);
  Shape shape = batch_shape(a.shape(), b.shape());
  shape.push_back(a.shape()[a.dim() - 2]);
  shape.push_back(b.shape().back());
  return {{shape, promote_types(a.dtype(), b.dtype())}};
}

// Plain loops in double: each batch's matrices are first copied into double buffers (any strides, any
// floating dtype), then multiplied row by row so the inner loop runs over contiguous memory.
void reference_matmul(const KernelCall& call) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const Tensor& out = call.outputs[0];
  const int64_t rank = out.dim();
  const int64_t n = out.shape()[rank - 2], m = out.shape()[rank - 1], k = a.shape().back();
  const Shape batch(out.shape().begin(), out.shape().end() - 2);
  const int64_t out_row_stride = out.strides()[rank - 2], out_column_stride = out.strides()[rank - 1];
  void* out_data = out.storage()->data();
  std::vector<double> a_matrix(static_cast<size_t>(n * k)), b_matrix(static_cast<size_t>(k * m));
  std::vector<double> row(static_cast<size_t>(m));
  std::array<Shape, 3> strides{batch_strides(out, batch), batch_strides(a, batch), batch_strides(b, batch)};
  std::array<int64_t, 3> start{out.offset(), a.offset(), b.offset()};
  for_each_offset<3>(batch, strides, start, [&](const std::array<int64_t, 3>& offset) {
    load_matrix(a, offset[1], n, k, a_matrix);
    load_matrix(b, offset[2], k, m, b_matrix);
    for (int64_t i = 0; i < n; ++i) {
      std::fill(row.begin(), row.end(), 0.0);
      for (int64_t p = 0; p < k; ++p) {
        const double a_ip = a_matrix[i * k + p];
        const double* b_row = &b_matrix[p * m];
        for (int64_t j = 0; j < m; ++j) row[j] += a_ip * b_row[j];
      }
      for (int64_t j = 0; j < m; ++j) {
        store_double(out.dtype(), out_data, offset[0] + i * out_row_stride + j * out_column_stride, row[j]);
      }
    }
  });
}

std::vector<Tensor> backward_matmul(const BackwardCall& call) {
  const Tensor& grad = call.grads[0];
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  Tensor da, db;
  if (call.needs_grad[0]) da = sum_to(matmul(grad, b.mT()), call.input_meta[0].shape);
  if (call.needs_grad[1]) {
    // b = weight.t() (a linear layer): computed as (gradᵀ·a)ᵀ, the transpose's backward hands the weight a
    // gradient laid out as the weight itself, which the optimizer then reads without strides or copies.
    const bool transposed_weight = a.dim() == 2 && b.dim() == 2 && !b.is_contiguous() && b.mT().is_contiguous();
    db = transposed_weight ? matmul(grad.mT(), a).mT() : sum_to(matmul(a.mT(), grad), call.input_meta[1].shape);
  }
  return {da, db};
}

}  // namespace nabla::ops

namespace nabla {
using ops::call1, ops::OpId;

// torch.matmul's cases: vector·vector → 0-dim; matrix·vector and vector·matrix; batched with a vector
// on either side. A vector becomes a one-row (left) or one-column (right) matrix for the op.
Tensor matmul(const Tensor& a, const Tensor& b) {
  ops::check_operands(a, b);  // here, so that errors name the shapes the caller passed
  if (a.dim() == 1 && b.dim() == 1) return call1(OpId::matmul, {a.unsqueeze(0), b.unsqueeze(1)}).view({});
  if (b.dim() == 1) return call1(OpId::matmul, {a, b.unsqueeze(1)}).squeeze(-1);
  if (a.dim() == 1) return call1(OpId::matmul, {a.unsqueeze(0), b}).squeeze(-2);
  return call1(OpId::matmul, {a, b});
}

}  // namespace nabla
