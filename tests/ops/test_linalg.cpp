// Value and error tests for the LAPACK ops: qr, svd, eigh, solve, cholesky. Each factorisation is checked
// by reconstruction (Q·R = A, QᵀQ = I, U·diag(S)·Vh = A, A·V = V·diag(λ), A·X = B, L·Lᵀ = A) in float32 and
// float64, batched and strided, and against PyTorch's values on small examples (torch 2.x, CPU LAPACK:
// the sign choices of Q, U, V come from the same Householder/divide-and-conquer routines).
#include <gtest/gtest.h>

#include "tests/common/expect_error.h"

#include <cmath>
#include <limits>
#include <string>

#include "nabla/nabla.h"

using namespace nabla;

namespace {

using ::nabla::testing::expect_error;

void expect_near(const Tensor& actual, const std::vector<double>& expected, double tolerance) {
  std::vector<double> values = actual.to_vector();
  ASSERT_EQ(values.size(), expected.size()) << actual.describe();
  for (size_t i = 0; i < values.size(); ++i) EXPECT_NEAR(values[i], expected[i], tolerance) << "element " << i;
}

void expect_close(const Tensor& actual, const Tensor& expected, double tolerance) {
  ASSERT_EQ(actual.shape(), expected.shape());
  expect_near(actual, expected.to_vector(), tolerance);
}

double tolerance(DType dtype) { return dtype == DType::f64 ? 1e-10 : 2e-5; }

Tensor identity_like(const Tensor& square) { return eye(square.shape().back(), {.dtype = square.dtype()}).expand(square.shape()); }

// Every matrix of the batch is zero strictly below (lower = false) or above (lower = true) its diagonal.
void expect_triangular(const Tensor& t, bool lower) {
  const int64_t rows = t.shape()[t.dim() - 2], cols = t.shape().back();
  std::vector<double> values = t.to_vector();
  for (size_t index = 0; index < values.size(); ++index) {
    const int64_t i = static_cast<int64_t>(index) / cols % rows, j = static_cast<int64_t>(index) % cols;
    if (lower ? j > i : j < i) {
      EXPECT_EQ(values[index], 0.0) << t.describe() << " at [" << i << ", " << j << "]";
    }
  }
}

Tensor random_matrix(const Shape& shape, DType dtype) { return randn(shape, {.dtype = dtype}); }

// A symmetric positive-definite batch: X·Xᵀ + n·I.
Tensor spd(const Shape& shape, DType dtype) {
  Tensor x = random_matrix(shape, dtype);
  return matmul(x, x.mT()) + identity_like(x) * static_cast<double>(shape.back());
}

class Linalg : public ::testing::TestWithParam<DType> {};

// ---- qr

TEST(LinalgQr, MatchesPyTorchOnATallMatrix) {
  auto [q, r] = linalg::qr(tensor({{1, 2}, {3, 4}, {5, 6}}, {.dtype = DType::f64}));
  EXPECT_EQ(q.shape(), (Shape{3, 2}));
  EXPECT_EQ(r.shape(), (Shape{2, 2}));
  expect_near(q, {-0.1690308509, 0.8970852271, -0.5070925528, 0.2760262237, -0.8451542547, -0.3450327797}, 1e-9);
  expect_near(r, {-5.9160797831, -7.4373574416, 0.0, 0.8280786712}, 1e-9);
  EXPECT_EQ(r.to_vector()[2], 0.0);  // exactly zero below the diagonal
}

TEST_P(Linalg, QrReconstructs) {
  const DType dtype = GetParam();
  for (Shape shape : {Shape{5, 3}, Shape{3, 5}, Shape{4, 4}, Shape{2, 3, 4, 2}}) {
    Tensor a = random_matrix(shape, dtype);
    auto [q, r] = linalg::qr(a);
    const int64_t k = std::min(shape[shape.size() - 2], shape.back());
    EXPECT_EQ(q.shape().back(), k);
    EXPECT_EQ(r.shape()[r.dim() - 2], k);
    expect_close(matmul(q, r), a, tolerance(dtype) * 10);
    expect_close(matmul(q.mT(), q), eye(k, {.dtype = dtype}).expand(r.shape().size() > 2 ? Shape{2, 3, k, k} : Shape{k, k}),
                 tolerance(dtype) * 10);
    expect_triangular(r, false);
  }
}

TEST(LinalgQr, ReadsAnyStridesAndEmptyMatrices) {
  Tensor base = randn({4, 6}, {.dtype = DType::f64});
  Tensor a = base.t().slice(0, 0, 6, 2);  // [3, 4], non-contiguous
  auto [q, r] = linalg::qr(a);
  expect_close(matmul(q, r), a, 1e-12);
  auto [q0, r0] = linalg::qr(zeros({0, 3}));
  EXPECT_EQ(q0.shape(), (Shape{0, 0}));
  EXPECT_EQ(r0.shape(), (Shape{0, 3}));
}

// ---- svd

TEST(LinalgSvd, MatchesPyTorchOnATallMatrix) {
  linalg::SVD svd = linalg::svd(tensor({{1, 2}, {3, 4}, {5, 6}}, {.dtype = DType::f64}));
  expect_near(svd.S, {9.5255180916, 0.5143005807}, 1e-9);
  expect_near(svd.U, {-0.2298476964, 0.8834610177, -0.5247448188, 0.2407824921, -0.8196419411, -0.4018960334}, 1e-9);
  expect_near(svd.Vh, {-0.6196294838, -0.7848944533, -0.7848944533, 0.6196294838}, 1e-9);
}

TEST_P(Linalg, SvdReconstructsWithDescendingValues) {
  const DType dtype = GetParam();
  for (Shape shape : {Shape{6, 4}, Shape{4, 6}, Shape{3, 3}, Shape{2, 5, 3}}) {
    Tensor a = random_matrix(shape, dtype);
    linalg::SVD svd = linalg::svd(a);
    const int64_t k = std::min(shape[shape.size() - 2], shape.back());
    EXPECT_EQ(svd.S.shape().back(), k);
    expect_close(matmul(svd.U * svd.S.unsqueeze(-2), svd.Vh), a, tolerance(dtype) * 10);
    expect_close(matmul(svd.U.mT(), svd.U), identity_like(matmul(svd.U.mT(), svd.U)), tolerance(dtype) * 10);
    expect_close(matmul(svd.Vh, svd.Vh.mT()), identity_like(matmul(svd.Vh, svd.Vh.mT())), tolerance(dtype) * 10);
    std::vector<double> values = svd.S.to_vector();
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_GE(values[i], 0.0);
      if (i % static_cast<size_t>(k) != 0) {
        EXPECT_GE(values[i - 1], values[i]) << "not descending at " << i;
      }
    }
  }
}

TEST(LinalgSvd, SingularValuesOfADiagonalMatrix) {
  linalg::SVD svd = linalg::svd(tensor({{3, 0}, {0, -5}}));
  expect_near(svd.S, {5, 3}, 1e-6);
}

// ---- eigh

TEST(LinalgEigh, ReadsOnlyTheLowerTriangle) {
  // The 100 above the diagonal is ignored, as in PyTorch: the matrix is [[2, 1], [1, 2]].
  auto [values, vectors] = linalg::eigh(tensor({{2, 100}, {1, 2}}, {.dtype = DType::f64}));
  expect_near(values, {1, 3}, 1e-12);
  expect_near(vectors, {-0.7071067812, 0.7071067812, 0.7071067812, 0.7071067812}, 1e-9);
  // A NaN above the diagonal is not read either.
  auto [nan_values, nan_vectors] = linalg::eigh(tensor({{2, NAN}, {1, 2}}, {.dtype = DType::f64}));
  expect_near(nan_values, {1, 3}, 1e-12);
}

TEST_P(Linalg, EighDiagonalisesAscending) {
  const DType dtype = GetParam();
  for (Shape shape : {Shape{5, 5}, Shape{3, 4, 4}}) {
    Tensor x = random_matrix(shape, dtype);
    Tensor a = x + x.mT();
    auto [values, vectors] = linalg::eigh(a);
    expect_close(matmul(a, vectors), vectors * values.unsqueeze(-2), tolerance(dtype) * 20);
    expect_close(matmul(vectors.mT(), vectors), identity_like(a), tolerance(dtype) * 10);
    std::vector<double> list = values.to_vector();
    const size_t n = static_cast<size_t>(shape.back());
    for (size_t i = 0; i < list.size(); ++i) {
      if (i % n != 0) {
        EXPECT_LE(list[i - 1], list[i]) << "not ascending at " << i;
      }
    }
  }
}

// ---- solve

TEST(LinalgSolve, MatchesPyTorchWithGradients) {
  Tensor a = tensor({{2, 1}, {1, 3}}, {.dtype = DType::f64}).requires_grad_();
  Tensor b = tensor({3, 5}, {.dtype = DType::f64}).requires_grad_();
  Tensor x = linalg::solve(a, b);
  expect_near(x, {0.8, 1.4}, 1e-12);
  x.sum().backward();
  expect_near(a.grad(), {-0.32, -0.56, -0.16, -0.28}, 1e-12);
  expect_near(b.grad(), {0.4, 0.2}, 1e-12);
}

TEST_P(Linalg, SolveSatisfiesTheEquation) {
  const DType dtype = GetParam();
  struct Case { Shape a, b, x; };
  for (const Case& c : {Case{{4, 4}, {4}, {4}}, Case{{4, 4}, {4, 3}, {4, 3}}, Case{{2, 4, 4}, {2, 4}, {2, 4}},
                        Case{{2, 4, 4}, {4}, {2, 4}}, Case{{2, 4, 4}, {4, 3}, {2, 4, 3}},
                        Case{{4, 4}, {2, 4, 3}, {2, 4, 3}}, Case{{3, 1, 4, 4}, {2, 4, 1}, {3, 2, 4, 1}}}) {
    Tensor a = random_matrix(c.a, dtype) + identity_like(random_matrix(c.a, dtype)) * 4.0;
    Tensor b = random_matrix(c.b, dtype);
    Tensor x = linalg::solve(a, b);
    ASSERT_EQ(x.shape(), c.x) << shape_string(c.a) << " \\ " << shape_string(c.b);
    const bool vector = x.dim() < a.dim();
    Tensor product = vector ? matmul(a, x.unsqueeze(-1)).squeeze(-1) : matmul(a, x);
    expect_close(product, b.expand(x.shape()), tolerance(dtype) * 10);
  }
}

TEST(LinalgSolve, ReadsTransposedInputs) {
  Tensor a = randn({3, 3}, {.dtype = DType::f64}) + eye(3, {.dtype = DType::f64}) * 4.0;
  Tensor b = randn({2, 3}, {.dtype = DType::f64});
  expect_close(linalg::solve(a.t(), b.t()), linalg::solve(a.t().contiguous(), b.t().contiguous()), 0.0);
}

TEST(LinalgSolve, Errors) {
  expect_error([] { linalg::solve(zeros({3, 3}, {.dtype = DType::f64}), ones({3}, {.dtype = DType::f64})); },
               {"solve: the matrix is singular (U[i,i] = 0 at i = 0)", "float64[3, 3]"});
  expect_error([] { linalg::solve(tensor({{1, 2}, {2, 4}}), ones({2})); },
               {"solve: the matrix is singular (U[i,i] = 0 at i = 1)"});
  expect_error([] { linalg::solve(ones({3, 3}), ones({4})); }, {"solve", "float32[3, 3]", "float32[4]", "3 rows"});
  expect_error([] { linalg::solve(ones({3, 3}), ones({4, 2})); }, {"solve", "float32[4, 2]", "3 rows"});
  expect_error([] { linalg::solve(ones({3, 4}), ones({3})); }, {"solve", "square", "float32[3, 4]"});
  expect_error([] { linalg::solve(eye(2, {.dtype = DType::f64}), ones({2})); }, {"solve", "same dtype", "float64[2, 2]", "float32[2]"});
  expect_error([] { linalg::solve(tensor({{1, NAN}, {0, 1}}), ones({2})); }, {"solve", "A float32[2, 2]", "nan", "[0, 1]"});
  expect_error([] { linalg::solve(eye(2), tensor({1, INFINITY})); }, {"solve", "B float32[2]", "inf", "[1, 0]"});
  expect_error([] { linalg::solve(eye(2).expand({3, 2, 2}), ones({2, 2, 3})); }, {"solve", "float32[3, 2, 2]", "float32[2, 2, 3]"});
}

// ---- cholesky

TEST(LinalgCholesky, MatchesPyTorchAndReadsTheLowerTriangle) {
  Tensor l = linalg::cholesky(tensor({{4, 100}, {2, 3}}, {.dtype = DType::f64}));
  expect_near(l, {2, 0, 1, std::sqrt(2.0)}, 1e-12);
  EXPECT_EQ(l.to_vector()[1], 0.0);
}

TEST_P(Linalg, CholeskyReconstructs) {
  const DType dtype = GetParam();
  for (Shape shape : {Shape{5, 5}, Shape{2, 3, 3}}) {
    Tensor a = spd(shape, dtype);
    Tensor l = linalg::cholesky(a);
    expect_close(matmul(l, l.mT()), a, tolerance(dtype) * 20);
    expect_triangular(l, true);
  }
}

TEST(LinalgCholesky, Errors) {
  expect_error([] { linalg::cholesky(tensor({{1, 2}, {2, 1}})); },
               {"cholesky", "float32[2, 2]", "not positive-definite", "leading minor of order 2"});
  expect_error([] { linalg::cholesky(tensor({{-1, 0}, {0, 1}})); }, {"leading minor of order 1"});
  Tensor batch = from_vector({1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, -1}, {3, 2, 2});
  expect_error([&] { linalg::cholesky(batch); }, {"leading minor of order 2", "matrix 2 of the batch"});
  expect_error([] { linalg::cholesky(tensor({{1, 0}, {NAN, 1}})); }, {"cholesky", "nan", "[1, 0]"});
  expect_error([] { linalg::cholesky(ones({2, 3})); }, {"cholesky", "square", "float32[2, 3]"});
}

// ---- errors every op shares

TEST(LinalgErrors, RankDtypeAndShape) {
  expect_error([] { linalg::qr(ones({3})); }, {"qr", "matrix", "float32[3]"});
  expect_error([] { linalg::svd(ones({2, 2}, {.dtype = DType::i64})); }, {"svd", "float32 or float64", "int64[2, 2]"});
  expect_error([] { linalg::svd(ones({2, 2}, {.dtype = DType::bf16})); }, {"svd", "float32 or float64", "bfloat16[2, 2]"});
  expect_error([] { linalg::eigh(ones({2, 3})); }, {"eigh", "square", "float32[2, 3]"});
  expect_error([] { linalg::svd(tensor({{1, NAN}, {2, 1}})); }, {"svd", "nan", "[0, 1]", "finite"});
  expect_error([] { linalg::qr(tensor({{1, 2}, {INFINITY, 1}})); }, {"qr", "inf", "[1, 0]"});
  expect_error([] { linalg::eigh(tensor({{1, 0}, {NAN, 1}}).expand({2, 2, 2})); }, {"eigh", "nan", "matrix 0 of the batch"});
}

INSTANTIATE_TEST_SUITE_P(Dtypes, Linalg, ::testing::Values(DType::f32, DType::f64),
                         [](const ::testing::TestParamInfo<DType>& info) { return info.param == DType::f32 ? "f32" : "f64"; });

}  // namespace
