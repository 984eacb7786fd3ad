// Value and error tests for scatter, masked_fill, masked_select, nonzero, diagonal, pad, repeat, flip, roll,
// tril/triu and the composites one_hot, embedding, einsum, outer, bmm, cdist and linear. Expected values
// come from small examples worked by hand or printed by PyTorch (quoted where they are not obvious).
#include <gtest/gtest.h>

#include "tests/common/expect_error.h"

#include <cmath>
#include <limits>
#include <string>

#include "nabla/nabla.h"

using namespace nabla;

namespace {

const double infinity = std::numeric_limits<double>::infinity();

void expect_values(const Tensor& actual, const std::vector<double>& expected) {
  EXPECT_EQ(actual.to_vector(), expected) << actual.describe();
}

void expect_near_all(const Tensor& actual, const std::vector<double>& expected, double tolerance = 1e-4) {
  std::vector<double> values = actual.to_vector();
  ASSERT_EQ(values.size(), expected.size()) << actual.describe();
  for (size_t i = 0; i < values.size(); ++i) EXPECT_NEAR(values[i], expected[i], tolerance) << "element " << i;
}

using ::nabla::testing::expect_error;

Tensor ints(std::initializer_list<double> values, DType dtype = DType::i64) { return tensor(values, {.dtype = dtype}); }
Tensor int_rows(std::initializer_list<std::initializer_list<double>> rows) { return tensor(rows, {.dtype = DType::i64}); }
Tensor no_indices() { return from_vector({}, {0}, {.dtype = DType::i64}); }
Tensor mask(std::initializer_list<double> values) { return tensor(values, {.dtype = DType::boolean}); }
Tensor mask_rows(std::initializer_list<std::initializer_list<double>> rows) { return tensor(rows, {.dtype = DType::boolean}); }
Tensor counting(const Shape& shape, DType dtype = DType::f32) {
  return arange(static_cast<double>(numel(shape)), {.dtype = dtype}).reshape(shape);
}

}  // namespace

// ---- scatter

TEST(Scatter, WritesSourceAtIndices) {
  Tensor self = zeros({3, 3});
  Tensor index = int_rows({{0, 1, 2}, {2, 0, 1}});
  Tensor source = tensor({{1, 2, 3}, {4, 5, 6}});
  expect_values(scatter(self, 0, index, source), {1, 5, 0, 0, 2, 6, 4, 0, 3});
  expect_values(scatter(self, 1, int_rows({{2}, {0}}), source), {0, 0, 1, 4, 0, 0, 0, 0, 0});
  EXPECT_EQ(self.to_vector(), std::vector<double>(9, 0));  // out of place
}

TEST(Scatter, DuplicateIndicesLastWriteWins) {
  // Documented choice (PyTorch: undefined; its CPU kernel gives the same): writes go in index order.
  expect_values(scatter(zeros({5}), 0, ints({1, 1, 1}), tensor({1, 2, 3})), {0, 3, 0, 0, 0});
}

TEST(Scatter, GradientsMatchPyTorch) {
  // torch: x = ones(3,3); s = arange(4.).reshape(2,2); y = scatter(x, 0, [[0,1],[0,2]], s);
  // y.backward(arange(9.).reshape(3,3)) → x.grad [[0,1,2],[3,0,5],[6,0,8]], s.grad [[0,4],[0,7]]
  Tensor x = ones({3, 3}, {.dtype = DType::f64}).requires_grad_();
  Tensor s = counting({2, 2}, DType::f64).requires_grad_();
  scatter(x, 0, int_rows({{0, 1}, {0, 2}}), s).backward(counting({3, 3}, DType::f64));
  expect_values(x.grad(), {0, 1, 2, 3, 0, 5, 6, 0, 8});
  expect_values(s.grad(), {0, 4, 0, 7});
}

TEST(Scatter, Errors) {
  expect_error([] { scatter(zeros({3, 3}), 0, int_rows({{0, 3}}), zeros({1, 2})); }, {"scatter", "index 3", "size 3"});
  expect_error([] { scatter(zeros({3, 3}), 0, int_rows({{0, 1}}), zeros({1, 1})); }, {"scatter", "int64[1, 2]", "float32[1, 1]"});
  expect_error([] { scatter(zeros({3, 3}), 0, int_rows({{0}}), zeros({1, 1}, {.dtype = DType::f64})); },
               {"scatter", "float64[1, 1]", "float32[3, 3]"});
  expect_error([] { scatter(zeros({3, 3}), 0, zeros({1, 1}), zeros({1, 1})); }, {"scatter", "index", "float32[1, 1]"});
}

// ---- masked_fill, masked_select, nonzero

TEST(MaskedFill, BroadcastsAndCasts) {
  Tensor x = zeros({2, 3});
  expect_values(masked_fill(x, mask({1, 0, 1}), 7), {7, 0, 7, 7, 0, 7});
  // torch: masked_fill(zeros(3), mask [2, 3], 1.) → shape [2, 3]
  Tensor wide = masked_fill(zeros({3}), mask_rows({{1, 0, 1}, {0, 0, 0}}), 1);
  EXPECT_EQ(wide.shape(), (Shape{2, 3}));
  expect_values(wide, {1, 0, 1, 0, 0, 0});
  expect_values(masked_fill(ints({5, 5}), mask({1, 0}), 3), {3, 5});
  // PyTorch truncates 1.5 to 1 here; nabla never truncates silently.
  expect_error([] { masked_fill(ints({5, 5}), mask({1, 0}), 1.5); }, {"masked_fill", "1.5", "int64"});
  expect_values(masked_fill(zeros({2}, {.dtype = DType::boolean}), mask({1, 0}), 2), {1, 0});
}

TEST(MaskedFill, GradientZeroAtMaskedPositions) {
  Tensor x = tensor({1, 2, 3}, {.dtype = DType::f64}).requires_grad_();
  masked_fill(x, mask_rows({{0, 1, 0}, {0, 1, 1}}), 9).sum().backward();
  expect_values(x.grad(), {2, 0, 1});
}

TEST(MaskedSelectNonzero, Values) {
  Tensor x = counting({2, 3});
  expect_values(masked_select(x, mask_rows({{1, 0, 1}, {0, 0, 1}})), {0, 2, 5});
  expect_values(masked_select(x, mask({1, 0, 1})), {0, 2, 3, 5});
  expect_values(masked_select(x, mask_rows({{1}, {0}})), {0, 1, 2});
  expect_values(masked_select(tensor({1, 2}), mask_rows({{1}, {0}})), {1, 2});  // torch: broadcast x too
  EXPECT_EQ(masked_select(x, mask({0, 0, 0})).shape(), (Shape{0}));
  Tensor indices = nonzero(int_rows({{0, 1, 0}, {2, 0, 3}}));
  EXPECT_EQ(indices.shape(), (Shape{3, 2}));
  EXPECT_EQ(indices.dtype(), DType::i64);
  expect_values(indices, {0, 1, 1, 0, 1, 2});
  EXPECT_EQ(nonzero(scalar_tensor(3)).shape(), (Shape{1, 0}));
  EXPECT_EQ(nonzero(scalar_tensor(0)).shape(), (Shape{0, 0}));
  EXPECT_EQ(nonzero(counting({2, 3}).t()).shape(), (Shape{5, 2}));
  expect_values(nonzero(counting({2, 3}).t()).slice(0, 0, 2), {0, 1, 1, 0});
}

TEST(MaskedSelect, GradientScattersBack) {
  Tensor x = tensor({1, 2, 3}, {.dtype = DType::f64}).requires_grad_();
  (masked_select(x, mask_rows({{1, 0, 1}, {1, 1, 0}})) * tensor({1, 10, 100, 1000}, {.dtype = DType::f64})).sum().backward();
  expect_values(x.grad(), {101, 1000, 10});
}

TEST(MaskedOps, Errors) {
  expect_error([] { masked_fill(zeros({2, 3}), ints({1, 0, 1}), 1); }, {"masked_fill", "bool", "int64[3]"});
  expect_error([] { masked_select(zeros({2, 3}), mask({1, 0})); }, {"masked_select", "[2, 3]", "[2]"});
  expect_error([] { masked_fill(zeros({2, 3}), mask({1, 0}), 1); }, {"masked_fill", "broadcast"});
}

// ---- diagonal

TEST(Diagonal, IsAViewWithOffsets) {
  Tensor x = counting({3, 4});
  Tensor main = diagonal(x);
  expect_values(main, {0, 5, 10});
  EXPECT_EQ(main.storage(), x.storage());
  expect_values(diagonal(x, 1), {1, 6, 11});
  expect_values(diagonal(x, -1), {4, 9});
  EXPECT_EQ(diagonal(x, -5).shape(), (Shape{0}));
  EXPECT_EQ(diagonal(x, 4).shape(), (Shape{0}));
  expect_values(diagonal(x.t()), {0, 5, 10});
  // torch: diagonal(arange(24.).reshape(2,3,4), 1, 2, 0) → [[12.], [16.], [20.]] of shape [3, 1]
  Tensor batched = diagonal(counting({2, 3, 4}), 1, 2, 0);
  EXPECT_EQ(batched.shape(), (Shape{3, 1}));
  expect_values(batched, {12, 16, 20});
  EXPECT_EQ(diagonal(counting({2, 3, 4}), 0, -1, -2).shape(), (Shape{2, 3}));
}

TEST(Diagonal, GradientFillsTheDiagonal) {
  // torch: diagonal(arange(12.).reshape(3,4), -1).backward([1., 2.]) → ones at (1,0) and (2,1)
  Tensor x = zeros({3, 4}, {.dtype = DType::f64}).requires_grad_();
  diagonal(x, -1).backward(tensor({1, 2}, {.dtype = DType::f64}));
  expect_values(x.grad(), {0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0});
  Tensor y = zeros({2, 3, 2}, {.dtype = DType::f64}).requires_grad_();
  diagonal(y, 0, 0, 2).sum().backward();
  expect_values(y.grad(), {1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1});
}

TEST(Diagonal, Errors) {
  expect_error([] { diagonal(zeros({3})); }, {"diagonal", "2 dims", "float32[3]"});
  expect_error([] { diagonal(zeros({2, 3, 4}), 0, 1, 1); }, {"diagonal", "different", "float32[2, 3, 4]"});
  expect_error([] { diagonal(zeros({2, 3}), 0, 0, 2); }, {"diagonal", "dim 2"});
}

// ---- pad

TEST(Pad, ConstantReflectReplicate) {
  Tensor x = counting({3, 4});
  // torch: F.pad(x, (1, -1, 0, 1), value=9)
  expect_values(functional::pad(x, {1, -1, 0, 1}, PadMode::constant, 9),
                {9, 0, 1, 2, 9, 4, 5, 6, 9, 8, 9, 10, 9, 9, 9, 9});
  // torch: F.pad(x, (2, 1), mode='reflect') row 0 → [2, 1, 0, 1, 2, 3, 2]
  Tensor reflected = functional::pad(x, {2, 1}, PadMode::reflect);
  EXPECT_EQ(reflected.shape(), (Shape{3, 7}));
  expect_values(reflected.slice(0, 0, 1), {2, 1, 0, 1, 2, 3, 2});
  // torch: F.pad(x[None], (1, 2, 2, 0), mode='replicate')[0, :, :] rows 0..2 equal [0, 0, 1, 2, 3, 3, 3]
  Tensor replicated = functional::pad(x.unsqueeze(0), {1, 2, 2, 0}, PadMode::replicate);
  EXPECT_EQ(replicated.shape(), (Shape{1, 5, 7}));
  expect_values(replicated.select(0, 0).slice(0, 2, 4), {0, 0, 1, 2, 3, 3, 3, 4, 4, 5, 6, 7, 7, 7});
  expect_values(functional::pad(ints({1, 2}), {1, 1}, PadMode::constant, 7), {7, 1, 2, 7});
  expect_values(functional::pad(counting({1, 4}), {2, -1}, PadMode::reflect), {2, 1, 0, 1, 2});
  EXPECT_EQ(functional::pad(counting({1, 2, 2, 2, 3}), {1, 1, 1, 1, 1, 1}, PadMode::replicate).shape(),
            (Shape{1, 2, 4, 4, 5}));
}

TEST(Pad, ReflectAndReplicateGradientsAccumulate) {
  // torch: x = arange(5.); F.pad(x[None], (3, 2), mode='reflect').backward(arange(10.)[None]) → [3, 6, 15, 14, 7]
  Tensor x = counting({1, 5}, DType::f64).requires_grad_();
  functional::pad(x, {3, 2}, PadMode::reflect).backward(counting({1, 10}, DType::f64));
  expect_values(x.grad(), {3, 6, 15, 14, 7});
  // torch: replicate (2, 1) of arange(3.) with gradient arange(6.) → [3, 3, 9]
  Tensor y = counting({1, 3}, DType::f64).requires_grad_();
  functional::pad(y, {2, 1}, PadMode::replicate).backward(counting({1, 6}, DType::f64));
  expect_values(y.grad(), {3, 3, 9});
  Tensor z = counting({2, 3}, DType::f64).requires_grad_();
  functional::pad(z, {-1, 2, 1, 0}).sum().backward();
  expect_values(z.grad(), {0, 1, 1, 0, 1, 1});
}

TEST(Pad, Errors) {
  expect_error([] { functional::pad(zeros({2, 3}), {1, 1, 1}); }, {"pad", "pair", "3 values"});
  expect_error([] { functional::pad(zeros({2, 3}), {1, 1, 1, 1, 1, 1}); }, {"pad", "float32[2, 3]", "only 2"});
  expect_error([] { functional::pad(zeros({2, 3}), {-4, 0}); }, {"pad", "negative size", "float32[2, 3]"});
  expect_error([] { functional::pad(zeros({1, 3}), {3, 0}, PadMode::reflect); },
               {"pad", "reflect", "smaller than the size 3", "float32[1, 3]"});
  expect_error([] { functional::pad(zeros({2, 0}), {1, 1}, PadMode::replicate); }, {"pad", "replicate", "float32[2, 0]"});
  // torch: "Padding size 4 is not supported for 2D input tensor." (reflect/replicate need a leading dim)
  expect_error([] { functional::pad(zeros({2, 3}), {1, 1, 1, 1}, PadMode::replicate); },
               {"pad", "replicate", "3-D or 4-D", "float32[2, 3]"});
  expect_error([] { functional::pad(zeros({4}), {1, 1}, PadMode::reflect); }, {"pad", "reflect", "float32[4]"});
  expect_error([] { functional::pad(zeros({1, 1, 2, 2, 2}), {1, 1, 1, 1, 1, 1, 1, 1}, PadMode::reflect); },
               {"pad", "reflect", "last 4 dims"});
}

// ---- repeat, flip, roll, tril, triu

TEST(Repeat, TilesAndAddsDims) {
  expect_values(repeat(ints({0, 1, 2}), {2, 2}), {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2});
  EXPECT_EQ(repeat(counting({2, 3}), {2, 1, 2}).shape(), (Shape{2, 2, 6}));
  expect_values(repeat(counting({2, 1}), {1, 3}), {0, 0, 0, 1, 1, 1});
  EXPECT_EQ(repeat(counting({2}), {0}).shape(), (Shape{0}));
  Tensor x = tensor({1, 2}, {.dtype = DType::f64}).requires_grad_();
  (repeat(x, {3, 2}) * counting({3, 4}, DType::f64)).sum().backward();
  expect_values(x.grad(), {0 + 2 + 4 + 6 + 8 + 10, 1 + 3 + 5 + 7 + 9 + 11});
  expect_error([] { repeat(counting({2, 3}), {2}); }, {"repeat", "fewer", "float32[2, 3]"});
  expect_error([] { repeat(counting({2}), {-1}); }, {"repeat", "non-negative"});
}

TEST(FlipRoll, Values) {
  Tensor x = int_rows({{0, 1, 2}, {3, 4, 5}});
  expect_values(flip(x, {1}), {2, 1, 0, 5, 4, 3});
  expect_values(flip(x, {0, 1}), {5, 4, 3, 2, 1, 0});
  expect_values(flip(x, {}), {0, 1, 2, 3, 4, 5});
  expect_values(roll(x, {1}), {5, 0, 1, 2, 3, 4});   // no dims: the flattened tensor
  expect_values(roll(x, {-1}), {1, 2, 3, 4, 5, 0});
  expect_values(roll(x, {1, -1}, {0, 1}), {4, 5, 3, 1, 2, 0});
  expect_values(roll(x, {1, 2}, {1, 1}), {0, 1, 2, 3, 4, 5});  // torch applies both: 3 steps of 3
  expect_values(roll(x.t(), {1}), {5, 0, 3, 1, 4, 2});
  expect_error([] { flip(zeros({2, 3}), {0, 0}); }, {"flip", "twice"});
  expect_error([] { roll(zeros({2, 3}), {1, 2}, {0}); }, {"roll", "same length"});
  expect_error([] { roll(zeros({2, 3}), {1, 2}); }, {"roll", "one shift"});
  expect_error([] { roll(zeros({2, 3}), {1}, {2}); }, {"roll", "dim 2"});
}

TEST(TrilTriu, Values) {
  Tensor x = counting({3, 4});
  expect_values(tril(x, 1), {0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11});
  expect_values(triu(x, -1), {0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11});
  expect_values(tril(x), {0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0});
  expect_values(triu(ones({2, 2, 2}), 1), {0, 1, 0, 0, 0, 1, 0, 0});
  expect_values(tril(counting({2, 2}).t()), {0, 0, 1, 3});
  expect_error([] { tril(zeros({3})); }, {"tril", "2 dims", "float32[3]"});
  expect_error([] { triu(zeros({3})); }, {"triu", "float32[3]"});
}

TEST(ShapeOps, HalfPrecisionAndIntegerStorage) {
  for (DType dtype : {DType::bf16, DType::f16, DType::i32, DType::u8}) {
    Tensor x = counting({2, 3}, dtype);
    EXPECT_EQ(functional::pad(x, {1, 0}, PadMode::constant, 9).dtype(), dtype);
    expect_values(functional::pad(x, {1, 0}, PadMode::constant, 9), {9, 0, 1, 2, 9, 3, 4, 5});
    expect_values(functional::pad(x, {2, 1}, PadMode::reflect), {2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4});
    expect_values(flip(x, {0}), {3, 4, 5, 0, 1, 2});
    expect_values(roll(x, {1}, {1}), {2, 0, 1, 5, 3, 4});
    expect_values(repeat(x, {1, 2}), {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
    expect_values(triu(x), {0, 1, 2, 0, 4, 5});
    expect_values(diagonal(x, 1), {1, 5});
    expect_values(masked_select(x, mask({0, 1, 1})), {1, 2, 4, 5});
    expect_values(masked_fill(x, mask({1, 0, 0}), 7), {7, 1, 2, 7, 4, 5});
  }
}

// ---- one_hot, embedding

TEST(OneHot, ValuesAndErrors) {
  Tensor result = one_hot(ints({0, 2}));
  EXPECT_EQ(result.dtype(), DType::i64);
  expect_values(result, {1, 0, 0, 0, 0, 1});
  EXPECT_EQ(one_hot(int_rows({{0, 1}, {1, 0}}), 3).shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(one_hot(no_indices(), 3).shape(), (Shape{0, 3}));
  expect_error([] { one_hot(ints({0, 2}), 2); }, {"one_hot", "2", "num_classes = 2"});
  expect_error([] { one_hot(ints({0, -1}), 3); }, {"one_hot", "non-negative", "-1"});
  expect_error([] { one_hot(tensor({0, 1}), 3); }, {"one_hot", "int64", "float32[2]"});
  expect_error([] { one_hot(no_indices()); }, {"one_hot", "empty", "num_classes"});
}

TEST(Embedding, RowsAndPaddingIndex) {
  Tensor weight = counting({3, 2}, DType::f64).requires_grad_();
  Tensor indices = int_rows({{0, 2}, {1, 2}});
  Tensor out = functional::embedding(indices, weight);
  EXPECT_EQ(out.shape(), (Shape{2, 2, 2}));
  expect_values(out, {0, 1, 4, 5, 2, 3, 4, 5});
  out.sum().backward();
  expect_values(weight.grad(), {1, 1, 1, 1, 2, 2});
  // padding_idx: the row is still returned, but gets no gradient; -1 means the last row.
  Tensor other = counting({3, 2}, DType::f64).requires_grad_();
  Tensor padded = functional::embedding(indices, other, -1);
  expect_values(padded, {0, 1, 4, 5, 2, 3, 4, 5});
  padded.sum().backward();
  expect_values(other.grad(), {1, 1, 1, 1, 0, 0});
  EXPECT_EQ(functional::embedding(ints({0, 2}, DType::i32), weight).shape(), (Shape{2, 2}));
  expect_error([&] { functional::embedding(ints({0, 3}), weight); }, {"embedding", "3", "size 3"});
  expect_error([&] { functional::embedding(tensor({0, 1}), weight); }, {"embedding", "float32[2]"});
  expect_error([&] { functional::embedding(indices, weight, 3); }, {"embedding", "padding_idx 3"});
}

// ---- einsum, outer, bmm, cdist, linear

TEST(Einsum, CommonEquations) {
  Tensor a = counting({2, 3}), b = counting({3, 4});
  expect_values(einsum("ij,jk->ik", {a, b}), matmul(a, b).to_vector());
  expect_values(einsum("ij,jk", {a, b}), matmul(a, b).to_vector());  // implicit output: ik
  expect_values(einsum("ij->ji", {a}), a.t().contiguous().to_vector());
  expect_values(einsum("ij->", {a}), {15});
  expect_values(einsum("ij->j", {a}), {3, 5, 7});
  Tensor square = counting({3, 3});
  expect_values(einsum("ii->i", {square}), {0, 4, 8});
  expect_values(einsum("ii", {square}), {12});
  expect_values(einsum("i,j->ij", {tensor({1, 2}), tensor({3, 4, 5})}), {3, 4, 5, 6, 8, 10});
  expect_values(einsum("ij,ij->ij", {a, a}), (a * a).to_vector());
  expect_values(einsum("ij,ij->", {a, a}), {55});
  // torch: einsum('iij->j', arange(18.).reshape(3,3,2)) → [24, 27]; 'bi,bj->bij' batch outer products
  expect_values(einsum("iij->j", {counting({3, 3, 2})}), {24, 27});
  expect_values(einsum("bi,bj->bij", {counting({2, 2}), counting({2, 3})}), {0, 0, 0, 0, 1, 2, 6, 8, 10, 9, 12, 15});
  // torch: einsum('Ab,bA->', arange(6.).reshape(2,3), arange(6.).reshape(3,2)) → 50; implicit 'bA' → [3, 2]
  expect_values(einsum("Ab,bA->", {counting({2, 3}), counting({3, 2})}), {50});
  EXPECT_EQ(einsum("bA", {counting({2, 3})}).shape(), (Shape{3, 2}));
  EXPECT_EQ(einsum("...ij,...jk->...ik", {counting({5, 2, 3}), counting({3, 4})}).shape(), (Shape{5, 2, 4}));
  EXPECT_EQ(einsum("bij,bkj->bik", {counting({2, 2, 3}), counting({2, 4, 3})}).shape(), (Shape{2, 2, 4}));
  expect_values(einsum("i,i->", {tensor({2}), tensor({1, 2, 3})}), {12});  // size 1 broadcasts, as torch
  // torch: '...ij->ij' sums the ellipsis dims; '...,...->...' of [3, 1] and [4] broadcasts to [3, 4]
  expect_values(einsum("...ij->ij", {ones({2, 3, 4})}), std::vector<double>(12, 2));
  EXPECT_EQ(einsum("...,...->...", {ones({3, 1}), ones({4})}).shape(), (Shape{3, 4}));
  EXPECT_EQ(einsum("i...->...", {ones({2, 3, 4})}).shape(), (Shape{3, 4}));
  expect_values(einsum("ij,jk,kl->il", {a, b, counting({4, 1})}), matmul(matmul(a, b), counting({4, 1})).to_vector());
}

TEST(Einsum, Errors) {
  Tensor a = zeros({2, 3});
  expect_error([&] { einsum("ij,jk->ik", {a, zeros({4, 4})}); }, {"einsum", "size 4", "ij,jk->ik"});
  expect_error([&] { einsum("ij,jk->il", {a, zeros({3, 4})}); }, {"einsum", "subscript l", "appears in no operand"});
  expect_error([&] { einsum("ij,jk->ii", {a, zeros({3, 4})}); }, {"einsum", "repeat"});
  expect_error([&] { einsum("ij->ij", {a, a}); }, {"einsum", "names 1 operands but 2"});
  expect_error([&] { einsum("ijk->ij", {a}); }, {"einsum", "2 dims", "3 subscripts"});
  expect_error([&] { einsum("i1->i", {zeros({2, 2})}); }, {"einsum", "'1'"});
  expect_error([] { einsum("i->i", {}); }, {"einsum", "at least one operand"});
}

TEST(OuterBmm, ValuesAndErrors) {
  expect_values(outer(tensor({1, 2}), tensor({3, 4, 5})), {3, 4, 5, 6, 8, 10});
  EXPECT_EQ(outer(ints({1, 2}), tensor({1})).dtype(), DType::f32);
  Tensor a = counting({2, 2, 3}), b = counting({2, 3, 2});
  expect_values(bmm(a, b), matmul(a, b).to_vector());
  expect_error([] { outer(zeros({2, 3}), zeros({3})); }, {"outer", "1-D", "float32[2, 3]"});
  expect_error([] { bmm(zeros({3, 4}), zeros({2, 4, 5})); }, {"bmm", "3-D", "float32[3, 4]"});
  expect_error([] { bmm(zeros({2, 3, 4}), zeros({3, 4, 5})); }, {"bmm", "[2, 4, m]", "float32[3, 4, 5]"});
  expect_error([] { bmm(zeros({2, 3, 4}), zeros({2, 5, 5})); }, {"bmm", "float32[2, 5, 5]"});
  expect_error([] { bmm(zeros({2, 3, 4}), zeros({2, 4, 5}, {.dtype = DType::f64})); }, {"bmm", "dtype", "float64"});
}

TEST(Cdist, ValuesGradientsAndPaths) {
  // torch.cdist([[0,0],[1,1]], [[3,4],[1,1]]) → [[5, 1.4142], [3.6056, 0]]
  Tensor a = tensor({{0, 0}, {1, 1}}), b = tensor({{3, 4}, {1, 1}});
  expect_near_all(cdist(a, b), {5, std::sqrt(2.0), std::sqrt(13.0), 0});
  expect_near_all(cdist(a, b, 1), {7, 2, 5, 0});
  expect_near_all(cdist(a, b, infinity), {4, 1, 3, 0});
  expect_near_all(cdist(a, b, 0), {2, 2, 2, 0});
  expect_near_all(cdist(a, b, 3), {std::cbrt(91.0), std::cbrt(2.0), std::cbrt(35.0), 0});
  // torch gradients for a=[[0,0],[1,1]], b=[[0,0],[3,1]], p=2: a.grad [[-0.9487,-0.3162],[-0.2929,0.7071]]
  Tensor x = tensor({{0, 0}, {1, 1}}, {.dtype = DType::f64}).requires_grad_();
  Tensor y = tensor({{0, 0}, {3, 1}}, {.dtype = DType::f64}).requires_grad_();
  cdist(x, y).sum().backward();
  expect_near_all(x.grad(), {-0.9487, -0.3162, -0.2929, 0.7071});
  expect_near_all(y.grad(), {-0.7071, -0.7071, 1.9487, 0.3162});
  // More than 25 rows: the matrix-multiply path (|a|² − 2a·b + |b|², clamped at 0); equal rows give 0 up to
  // rounding, and a finite gradient.
  Tensor many = randn({30, 3}, {.dtype = DType::f64}).requires_grad_();
  Tensor distances = cdist(many, many);
  EXPECT_EQ(distances.shape(), (Shape{30, 30}));
  EXPECT_LT(max(diagonal(distances)).item(), 1e-7);
  Tensor direct = cdist(many.slice(0, 0, 5), many.slice(0, 0, 5));
  expect_near_all(distances.slice(0, 0, 5).slice(1, 0, 5), direct.to_vector(), 1e-9);
  distances.sum().backward();
  for (double g : many.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
  EXPECT_EQ(cdist(zeros({2, 2, 3}), zeros({4, 3})).shape(), (Shape{2, 2, 4}));
}

TEST(Cdist, Errors) {
  expect_error([] { cdist(zeros({3}), zeros({4, 3})); }, {"cdist", "2 dims", "float32[3]"});
  expect_error([] { cdist(zeros({2, 3}), zeros({4, 2})); }, {"cdist", "columns", "float32[4, 2]"});
  expect_error([] { cdist(zeros({2, 3}), zeros({4, 3}), -1); }, {"cdist", "non-negative", "-1"});
  expect_error([] { cdist(zeros({2, 3}, {.dtype = DType::i64}), zeros({4, 3}, {.dtype = DType::i64})); },
               {"cdist", "floating", "int64[2, 3]"});
  expect_error([] { cdist(zeros({2, 2, 3}), zeros({3, 4, 3})); }, {"[2, 2, 3]", "[3, 4, 3]"});
}

TEST(Linear, ValuesAndErrors) {
  Tensor x = counting({2, 3}), weight = counting({4, 3}), bias = tensor({1, 2, 3, 4});
  expect_values(functional::linear(x, weight, bias), (matmul(x, weight.t()) + bias).to_vector());
  EXPECT_EQ(functional::linear(counting({3}), weight).shape(), (Shape{4}));
  EXPECT_EQ(functional::linear(counting({5, 2, 3}), weight).shape(), (Shape{5, 2, 4}));
  EXPECT_EQ(functional::linear(counting({3}), counting({3})).dim(), 0);
  expect_error([&] { functional::linear(x, counting({4, 2})); }, {"linear", "float32[2, 3]", "float32[4, 2]"});
  expect_error([&] { functional::linear(x, weight, tensor({1, 2, 3})); }, {"linear", "bias", "float32[3]"});
}
