// Linear algebra through LAPACK (LAPACKE's C interface, column-major): qr, svd, eigh, solve, cholesky.
// Every op takes a matrix [m, n] or a batch of them [..., m, n], float32 or float64, with any strides.
// Each kernel copies one matrix at a time into a column-major double buffer (LAPACK overwrites its input),
// calls the double-precision routine and rounds once when it stores into the contiguous outputs, as every
// reference kernel in nabla computes in double. So float32 results are float64 results rounded, slightly
// more accurate than PyTorch's single-precision LAPACK calls.
//
// Threads: Debian's reference LAPACK calls BLAS through libblas.so.3. When that resolves to OpenBLAS built
// with pthreads, a second thread pool would spin against nabla's OpenMP pool; the first LAPACK call then
// limits that pool to one thread (see limit_blas_threads). Reference BLAS and OpenBLAS-OpenMP need nothing.
#include <dlfcn.h>
#include <lapacke.h>

#include <cmath>
#include <limits>
#include <mutex>

#include "core/element.h"
#include "nabla/factory.h"
#include "nabla/linalg.h"
#include "nabla/ops.h"
#include "ops/iterate.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

// ---- shape rules

// A matrix [..., rows, cols] of float32 or float64 whose sizes fit LAPACK's 32-bit integers.
void check_matrix(const Tensor& x, const char* op, const char* role) {
  NABLA_CHECK(x.dim() >= 2, "{}: {} must be a matrix [m, n] or a batch of matrices [..., m, n], got {}", op, role,
              x.describe());
  NABLA_CHECK(x.dtype() == DType::f32 || x.dtype() == DType::f64,
              "{}: {} must be float32 or float64, got {}; convert it first with .to(DType::f64)", op, role,
              x.describe());
  const int64_t lapack_limit = std::numeric_limits<lapack_int>::max();
  NABLA_CHECK(x.shape()[x.dim() - 2] <= lapack_limit && x.shape()[x.dim() - 1] <= lapack_limit,
              "{}: {} {} is too large for LAPACK (at most {} rows and columns)", op, role, x.describe(), lapack_limit);
}

void check_square(const Tensor& x, const char* op, const char* role) {
  check_matrix(x, op, role);
  NABLA_CHECK(x.shape()[x.dim() - 2] == x.shape()[x.dim() - 1],
              "{}: {} must be a square matrix [n, n] or a batch of them [..., n, n], got {}", op, role, x.describe());
}

Shape batch_shape(const Tensor& x, int64_t matrix_dims) { return Shape(x.shape().begin(), x.shape().end() - matrix_dims); }

Shape with_tail(Shape shape, std::initializer_list<int64_t> tail) {
  shape.insert(shape.end(), tail);
  return shape;
}

// solve's B is a vector (one right-hand side per matrix) when it is 1-D, or when it has A's shape without
// the last dim; otherwise it is a batch of matrices [..., n, k]. The rule is PyTorch's.
bool solve_vector_case(const Tensor& a, const Tensor& b) {
  return b.dim() == 1 || (b.dim() == a.dim() - 1 && b.shape() == batch_shape(a, 1));
}

// ---- moving matrices between tensors and LAPACK's column-major buffers

// A rows × cols matrix inside a tensor: where it starts and how its rows and columns step.
struct MatrixView {
  const Tensor* tensor;
  int64_t offset, rows, cols, row_stride, column_stride;
};

// The last two dims of `t` as a matrix; a vector (matrix_dims = 1) is one column.
MatrixView matrix_view(const Tensor& t, int64_t offset, int64_t matrix_dims) {
  const int64_t rank = t.dim();
  if (matrix_dims == 1) return {&t, offset, t.shape()[rank - 1], 1, t.strides()[rank - 1], 0};
  return {&t, offset, t.shape()[rank - 2], t.shape()[rank - 1], t.strides()[rank - 2], t.strides()[rank - 1]};
}

// Where each matrix of `t` starts, its batch dims seen as `batch` (broadcast dims step 0), in row-major
// batch order. `matrix_dims` trailing dims (2, or 1 for a vector) make one matrix.
std::vector<int64_t> matrix_offsets(const Tensor& t, const Shape& batch, int64_t matrix_dims) {
  Shape full = batch;
  full.insert(full.end(), t.shape().end() - matrix_dims, t.shape().end());
  Shape strides = broadcast_strides(t, full);
  strides.resize(batch.size());
  std::vector<int64_t> offsets;
  for_each_offset<1>(batch, {strides}, {t.offset()}, [&](const std::array<int64_t, 1>& offset) { offsets.push_back(offset[0]); });
  return offsets;
}

// Column-major copy with leading dimension max(1, rows), as LAPACK wants it.
std::vector<double> load_column_major(const MatrixView& view) {
  const int64_t leading = std::max<int64_t>(1, view.rows);
  std::vector<double> buffer(static_cast<size_t>(leading * view.cols));
  const void* data = view.tensor->storage()->data();
  for (int64_t j = 0; j < view.cols; ++j) {
    for (int64_t i = 0; i < view.rows; ++i) {
      buffer[static_cast<size_t>(i + j * leading)] =
          load_double(view.tensor->dtype(), data, view.offset + i * view.row_stride + j * view.column_stride);
    }
  }
  return buffer;
}

enum class Part { whole, lower };  // the entries LAPACK reads: all, or the lower triangle (eigh, cholesky)

// LAPACK may loop or fail without a clear message on NaN or infinity, so the kernels refuse them first.
void check_finite(const std::vector<double>& buffer, const MatrixView& view, Part part, const char* op,
                  const char* role, int64_t matrix) {
  const int64_t leading = std::max<int64_t>(1, view.rows);
  for (int64_t j = 0; j < view.cols; ++j) {
    for (int64_t i = part == Part::lower ? j : 0; i < view.rows; ++i) {
      const double value = buffer[static_cast<size_t>(i + j * leading)];
      NABLA_CHECK(std::isfinite(value), "{}: {} {} holds {} at [{}, {}]{}; LAPACK needs finite input", op, role,
                  view.tensor->describe(), value, i, j,
                  view.tensor->dim() > 2 ? fmt::format(" of matrix {} of the batch", matrix) : "");
    }
  }
}

std::vector<double> load_checked(const MatrixView& view, Part part, const char* op, const char* role, int64_t matrix) {
  std::vector<double> buffer = load_column_major(view);
  check_finite(buffer, view, part, op, role, matrix);
  return buffer;
}

// Writes matrix number `matrix` of a contiguous output [..., rows, cols] from a column-major buffer with
// leading dimension `leading`. `keep(i, j)` says which entries to copy; the rest become 0.
template <typename Keep>
void store_matrix(const Tensor& out, int64_t matrix, int64_t rows, int64_t cols, const double* buffer,
                  int64_t leading, Keep&& keep) {
  void* data = out.storage()->data();
  const int64_t base = matrix * rows * cols;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      store_double(out.dtype(), data, base + i * cols + j, keep(i, j) ? buffer[i + j * leading] : 0.0);
    }
  }
}
void store_matrix(const Tensor& out, int64_t matrix, int64_t rows, int64_t cols, const double* buffer, int64_t leading) {
  store_matrix(out, matrix, rows, cols, buffer, leading, [](int64_t, int64_t) { return true; });
}

// ---- LAPACK

// Keeps nabla's single OpenMP pool: OpenBLAS built with pthreads (openblas_get_parallel() == 1) behind
// libblas.so.3 would start its own threads; it is asked for one. Looked up at run time, so nabla links
// against whichever BLAS the system provides.
void limit_blas_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    using GetParallel = int (*)();
    using SetThreads = void (*)(int);
    auto get_parallel = reinterpret_cast<GetParallel>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
    auto set_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (get_parallel && set_threads && get_parallel() == 1) set_threads(1);
  });
}

// LAPACKE returns < 0 for a bad argument (a bug here) or a failed workspace allocation.
void check_call(lapack_int info, const char* op, const char* routine, const Tensor& input) {
  NABLA_CHECK(info != LAPACK_WORK_MEMORY_ERROR, "{}: LAPACK {} ran out of memory for its workspace ({})", op, routine,
              input.describe());
  NABLA_CHECK(info >= 0, "{}: LAPACK {} rejected argument {} for {} (internal error)", op, routine, -info,
              input.describe());
}

std::string batch_note(const Tensor& t, int64_t matrix) {
  return t.dim() > 2 ? fmt::format(" (matrix {} of the batch)", matrix) : "";
}

}  // namespace

// qr: A [..., m, n] → Q [..., m, k], R [..., k, n], k = min(m, n); A = Q R, QᵀQ = I, R upper triangular.
//   Householder QR (dgeqrf), then Q formed from the reflectors (dorgqr). Not differentiable.
std::vector<OutputSpec> shape_qr(const OpCall& call) {
  const Tensor& a = call.inputs[0];
  check_matrix(a, "qr", "input");
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1], k = std::min(m, n);
  const Shape batch = batch_shape(a, 2);
  return {{with_tail(batch, {m, k}), a.dtype()}, {with_tail(batch, {k, n}), a.dtype()}};
}
void reference_qr(const KernelCall& call) {
  const Tensor& a = call.inputs[0];
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1], k = std::min(m, n);
  const std::vector<int64_t> offsets = matrix_offsets(a, batch_shape(a, 2), 2);
  if (k == 0) return;  // both outputs are empty
  limit_blas_threads();
  std::vector<double> tau(static_cast<size_t>(k));
  for (int64_t matrix = 0; matrix < static_cast<int64_t>(offsets.size()); ++matrix) {
    std::vector<double> buffer = load_checked(matrix_view(a, offsets[matrix], 2), Part::whole, "qr", "input", matrix);
    check_call(LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, n, buffer.data(), m, tau.data()), "qr", "dgeqrf", a);
    // R is the upper triangle of the first k rows; the reflectors below it then become Q's k columns.
    store_matrix(call.outputs[1], matrix, k, n, buffer.data(), m, [](int64_t i, int64_t j) { return j >= i; });
    check_call(LAPACKE_dorgqr(LAPACK_COL_MAJOR, m, k, k, buffer.data(), m, tau.data()), "qr", "dorgqr", a);
    store_matrix(call.outputs[0], matrix, m, k, buffer.data(), m);
  }
}
NABLA_NO_BACKWARD(qr)

// svd: A [..., m, n] → U [..., m, k], S [..., k], Vh [..., k, n], k = min(m, n); A = U diag(S) Vh (reduced),
//   S descending and non-negative. Divide and conquer (dgesdd), as PyTorch on CPU. Not differentiable.
std::vector<OutputSpec> shape_svd(const OpCall& call) {
  const Tensor& a = call.inputs[0];
  check_matrix(a, "svd", "input");
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1], k = std::min(m, n);
  const Shape batch = batch_shape(a, 2);
  return {{with_tail(batch, {m, k}), a.dtype()}, {with_tail(batch, {k}), a.dtype()}, {with_tail(batch, {k, n}), a.dtype()}};
}
void reference_svd(const KernelCall& call) {
  const Tensor& a = call.inputs[0];
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1], k = std::min(m, n);
  const std::vector<int64_t> offsets = matrix_offsets(a, batch_shape(a, 2), 2);
  if (k == 0) return;  // every output is empty
  limit_blas_threads();
  std::vector<double> values(static_cast<size_t>(k)), u(static_cast<size_t>(m * k)), vh(static_cast<size_t>(k * n));
  for (int64_t matrix = 0; matrix < static_cast<int64_t>(offsets.size()); ++matrix) {
    std::vector<double> buffer = load_checked(matrix_view(a, offsets[matrix], 2), Part::whole, "svd", "input", matrix);
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', m, n, buffer.data(), m, values.data(), u.data(), m,
                                     vh.data(), k);
    check_call(info, "svd", "dgesdd", a);
    NABLA_CHECK(info == 0, "svd: LAPACK dgesdd did not converge for input {}{}", a.describe(), batch_note(a, matrix));
    store_matrix(call.outputs[0], matrix, m, k, u.data(), m);
    store_matrix(call.outputs[1], matrix, 1, k, values.data(), 1);
    store_matrix(call.outputs[2], matrix, k, n, vh.data(), k);
  }
}
NABLA_NO_BACKWARD(svd)

// eigh: A [..., n, n] symmetric (only the lower triangle is read) → eigenvalues [..., n] ascending,
//   eigenvectors [..., n, n] as columns: A V = V diag(λ). Divide and conquer (dsyevd). Not differentiable.
std::vector<OutputSpec> shape_eigh(const OpCall& call) {
  const Tensor& a = call.inputs[0];
  check_square(a, "eigh", "input");
  const int64_t n = a.shape().back();
  const Shape batch = batch_shape(a, 2);
  return {{with_tail(batch, {n}), a.dtype()}, {with_tail(batch, {n, n}), a.dtype()}};
}
void reference_eigh(const KernelCall& call) {
  const Tensor& a = call.inputs[0];
  const int64_t n = a.shape().back();
  const std::vector<int64_t> offsets = matrix_offsets(a, batch_shape(a, 2), 2);
  if (n == 0) return;
  limit_blas_threads();
  std::vector<double> values(static_cast<size_t>(n));
  for (int64_t matrix = 0; matrix < static_cast<int64_t>(offsets.size()); ++matrix) {
    std::vector<double> buffer = load_checked(matrix_view(a, offsets[matrix], 2), Part::lower, "eigh", "input", matrix);
    lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', n, buffer.data(), n, values.data());
    check_call(info, "eigh", "dsyevd", a);
    NABLA_CHECK(info == 0, "eigh: LAPACK dsyevd did not converge for input {}{}", a.describe(), batch_note(a, matrix));
    store_matrix(call.outputs[0], matrix, 1, n, values.data(), 1);
    store_matrix(call.outputs[1], matrix, n, n, buffer.data(), n);
  }
}
NABLA_NO_BACKWARD(eigh)

// solve: A [..., n, n], B [..., n, k] (or [..., n], see solve_vector_case) → X with A X = B, batch dims
//   broadcast. LU with partial pivoting (dgesv).
//   dB = solve(Aᵀ, dX);  dA = −dB Xᵀ  (vector case: −dB ⊗ X); both summed back over broadcast batch dims.
std::vector<OutputSpec> shape_solve(const OpCall& call) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  check_square(a, "solve", "A");
  NABLA_CHECK(b.dim() >= 1, "solve: B must be a vector [n] or a matrix [n, k] (or batches of them), got {} (A {})",
              b.describe(), a.describe());
  NABLA_CHECK(b.dtype() == a.dtype(), "solve: A and B must have the same dtype, got A {} and B {}; convert one with .to()",
              a.describe(), b.describe());
  const bool vector = solve_vector_case(a, b);
  const int64_t n = a.shape().back();
  const int64_t rows = vector ? b.shape().back() : b.shape()[b.dim() - 2];
  NABLA_CHECK(rows == n,
              "solve: A {} and B {} don't fit A X = B: B needs {} rows (B [n] or [n, k] with A [n, n]), got {}",
              a.describe(), b.describe(), n, rows);
  if (vector) return {{with_tail(batch_shape(a, 1), {}), a.dtype()}};
  Shape batch;
  try {
    batch = broadcast_shapes(batch_shape(a, 2), batch_shape(b, 2), "solve");
  } catch (const Error& error) {
    throw Error(fmt::format("{} (the batch dims of A {} and B {})", error.what(), a.describe(), b.describe()));
  }
  return {{with_tail(batch, {n, b.shape().back()}), a.dtype()}};
}
void reference_solve(const KernelCall& call) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const Tensor& out = call.outputs[0];
  const bool vector = solve_vector_case(a, b);
  const int64_t matrix_dims = vector ? 1 : 2;
  const int64_t n = a.shape().back(), columns = vector ? 1 : b.shape().back();
  const Shape batch = batch_shape(out, matrix_dims);
  const std::vector<int64_t> a_offsets = matrix_offsets(a, batch, 2), b_offsets = matrix_offsets(b, batch, matrix_dims);
  if (n == 0 || columns == 0) return;
  limit_blas_threads();
  std::vector<lapack_int> pivots(static_cast<size_t>(n));
  for (int64_t matrix = 0; matrix < static_cast<int64_t>(a_offsets.size()); ++matrix) {
    std::vector<double> lu = load_checked(matrix_view(a, a_offsets[matrix], 2), Part::whole, "solve", "A", matrix);
    std::vector<double> x = load_checked(matrix_view(b, b_offsets[matrix], matrix_dims), Part::whole, "solve", "B", matrix);
    lapack_int info = LAPACKE_dgesv(LAPACK_COL_MAJOR, n, columns, lu.data(), n, pivots.data(), x.data(), n);
    check_call(info, "solve", "dgesv", a);
    // LAPACK counts from 1; nabla's indices count from 0.
    NABLA_CHECK(info == 0, "solve: the matrix is singular (U[i,i] = 0 at i = {}){}: A {} has no inverse", info - 1,
                batch_note(out, matrix), a.describe());
    store_matrix(out, matrix, n, columns, x.data(), n);
  }
}
std::vector<Tensor> backward_solve(const BackwardCall& call) {
  const Tensor& a = call.inputs[0];
  const Tensor& x = call.outputs[0];
  Tensor db = linalg::solve(a.mT(), call.grads[0]);  // the vector case stays the vector case: dX has X's shape
  Tensor da;
  if (call.needs_grad[0]) {
    const bool vector = x.dim() < a.dim();
    da = vector ? -(db.unsqueeze(-1) * x.unsqueeze(-2)) : -matmul(db, x.mT());
    da = sum_to(da, call.input_meta[0].shape);
  }
  return {da, call.needs_grad[1] ? sum_to(db, call.input_meta[1].shape) : Tensor()};
}

namespace {
// t with the entries above diagonal `diagonal` zeroed (tril), as a product with a constant mask so that
// it stays differentiable to any order.
Tensor lower_part(const Tensor& t, int64_t diagonal) {
  const int64_t n = t.shape().back();
  Tensor rows = arange(static_cast<double>(n)).reshape({n, 1});
  Tensor columns = arange(static_cast<double>(n)).reshape({1, n});
  return t * ge(rows - columns, wrapped_scalar(-diagonal));
}
}  // namespace

// cholesky: A [..., n, n] symmetric positive-definite (only the lower triangle is read) → L [..., n, n]
//   lower triangular with A = L Lᵀ (dpotrf). Backward (symmetric, as PyTorch's):
//   T = tril(Lᵀ dL);  P = (T + tril(T, −1)ᵀ) / 2;  dA = L⁻ᵀ P L⁻¹
std::vector<OutputSpec> shape_cholesky(const OpCall& call) {
  const Tensor& a = call.inputs[0];
  check_square(a, "cholesky", "input");
  return {{a.shape(), a.dtype()}};
}
void reference_cholesky(const KernelCall& call) {
  const Tensor& a = call.inputs[0];
  const int64_t n = a.shape().back();
  const std::vector<int64_t> offsets = matrix_offsets(a, batch_shape(a, 2), 2);
  if (n == 0) return;
  limit_blas_threads();
  for (int64_t matrix = 0; matrix < static_cast<int64_t>(offsets.size()); ++matrix) {
    std::vector<double> buffer = load_checked(matrix_view(a, offsets[matrix], 2), Part::lower, "cholesky", "input", matrix);
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, buffer.data(), n);
    check_call(info, "cholesky", "dpotrf", a);
    NABLA_CHECK(info == 0,
                "cholesky: input {} is not positive-definite: its leading minor of order {} is not positive-definite{}",
                a.describe(), info, batch_note(a, matrix));
    store_matrix(call.outputs[0], matrix, n, n, buffer.data(), n, [](int64_t i, int64_t j) { return i >= j; });
  }
}
std::vector<Tensor> backward_cholesky(const BackwardCall& call) {
  const Tensor& l = call.outputs[0];
  Tensor t = lower_part(matmul(l.mT(), call.grads[0]), 0);
  Tensor p = (t + lower_part(t, -1).mT()) * 0.5;
  // L⁻ᵀ P L⁻¹ as two solves: Y = L⁻ᵀ P, then (L⁻ᵀ Yᵀ)ᵀ = Y L⁻¹.
  Tensor y = linalg::solve(l.mT(), p);
  return {linalg::solve(l.mT(), y.mT()).mT()};
}

}  // namespace nabla::ops

namespace nabla {
using ops::call, ops::call1, ops::OpId;

std::pair<Tensor, Tensor> linalg::qr(const Tensor& a) {
  std::vector<Tensor> outputs = call(OpId::qr, {a});
  return {outputs[0], outputs[1]};
}
linalg::SVD linalg::svd(const Tensor& a) {
  std::vector<Tensor> outputs = call(OpId::svd, {a});
  return {outputs[0], outputs[1], outputs[2]};
}
std::pair<Tensor, Tensor> linalg::eigh(const Tensor& a) {
  std::vector<Tensor> outputs = call(OpId::eigh, {a});
  return {outputs[0], outputs[1]};
}
Tensor linalg::solve(const Tensor& a, const Tensor& b) { return call1(OpId::solve, {a, b}); }
Tensor linalg::cholesky(const Tensor& a) { return call1(OpId::cholesky, {a}); }

}  // namespace nabla
