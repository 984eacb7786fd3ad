// The Tensor API a PyTorch user guesses: methods that match the free functions, operators, LibTorch-style
// indexing (views share storage; index_put_ is differentiable), in-place ops that allocate nothing and are
// caught by the version counter, and factories that infer dtypes and never truncate silently.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "nabla/nabla.h"
#include "ops/observer.h"
#include "tests/common/expect_error.h"

using namespace nabla;
using namespace nabla::indexing;
using nabla::testing::expect_error;

namespace {

// The same values, shape and dtype (each method must be exactly its free function).
void expect_same(const Tensor& actual, const Tensor& expected) {
  EXPECT_EQ(actual.shape(), expected.shape());
  EXPECT_EQ(actual.dtype(), expected.dtype());
  EXPECT_EQ(actual.to_vector(), expected.to_vector());
}

Tensor sample() { return tensor({{0.5, -1.25, 2.0}, {-0.75, 3.0, 0.25}}); }  // [2, 3], no ties
Tensor leaf64(std::initializer_list<double> values) {
  return tensor(values, {.dtype = DType::f64, .requires_grad = true});
}

}  // namespace

// ---- methods: each group against its free functions

TEST(TensorApi, UnaryMethodsAreTheFreeFunctions) {
  const Tensor x = sample();
  const Tensor positive = x.abs() + 0.5;
  expect_same(x.neg(), neg(x));
  expect_same(x.abs(), abs(x));
  expect_same(x.sign(), sign(x));
  expect_same(x.exp(), exp(x));
  expect_same(positive.log(), log(positive));
  expect_same(positive.log1p(), log1p(positive));
  expect_same(positive.sqrt(), sqrt(positive));
  expect_same(positive.rsqrt(), rsqrt(positive));
  expect_same(x.sin(), sin(x));
  expect_same(x.cos(), cos(x));
  expect_same(x.tanh(), tanh(x));
  expect_same(x.sigmoid(), sigmoid(x));
  expect_same(x.relu(), relu(x));
  expect_same(x.floor(), floor(x));
  expect_same(x.ceil(), ceil(x));
  expect_same(x.round(), round(x));
  expect_same(x.isfinite(), isfinite(x));
  expect_same(x.isnan(), isnan(x));
  expect_same(x.logical_not(), logical_not(x));
  expect_same(x.clamp(-1, 1), clamp(x, -1, 1));
  expect_same(x.clamp_min(0), clamp(x, 0, std::nullopt));
  expect_same(x.clamp_max(0), clamp(x, std::nullopt, 0));
}

TEST(TensorApi, BinaryMethodsAreTheFreeFunctions) {
  const Tensor x = sample();
  const Tensor y = tensor({1.5, -0.5, 0.25});
  expect_same(x.add(y), add(x, y));
  expect_same(x.add(2), x + 2.0);
  expect_same(x.sub(y), sub(x, y));
  expect_same(x.sub(2), x - 2.0);
  expect_same(x.mul(y), mul(x, y));
  expect_same(x.mul(2), x * 2.0);
  expect_same(x.div(y), div(x, y));
  expect_same(x.div(2), x / 2.0);
  expect_same(x.abs().pow(y), pow(x.abs(), y));
  expect_same(x.pow(2), pow(x, 2));
  expect_same(x.maximum(y), maximum(x, y));
  expect_same(x.minimum(y), minimum(x, y));
  expect_same(x.eq(y), eq(x, y));
  expect_same(x.ne(0.5), ne(x, wrapped_scalar(0.5)));
  expect_same(x.lt(y), lt(x, y));
  expect_same(x.le(0.5), le(x, wrapped_scalar(0.5)));
  expect_same(x.gt(y), gt(x, y));
  expect_same(x.ge(0.5), ge(x, wrapped_scalar(0.5)));
  const Tensor condition = x > 0.0;
  expect_same(x.where(condition, y), where(condition, x, y));
  expect_same(x.where(condition, -1), where(condition, x, wrapped_scalar(-1.0)));
  expect_same(condition.logical_and(y > 0.0), logical_and(condition, y > 0.0));
  expect_same(condition.logical_or(y > 0.0), logical_or(condition, y > 0.0));
  expect_same(condition.logical_xor(y > 0.0), logical_xor(condition, y > 0.0));
  expect_same(x.lerp(y, 0.25), lerp(x, y, 0.25));
  expect_same(x.lerp(y, x.sigmoid()), lerp(x, y, x.sigmoid()));
  expect_same(x.addcmul(x, y, 0.5), addcmul(x, x, y, 0.5));
  expect_same(x.addcdiv(x, y, 0.5), addcdiv(x, x, y, 0.5));
  expect_same(x.matmul(x.t()), matmul(x, x.t()));
  expect_same(x.unsqueeze(0).bmm(x.t().unsqueeze(0)), bmm(x.unsqueeze(0), x.t().unsqueeze(0)));
  expect_same(y.outer(y), outer(y, y));
}

TEST(TensorApi, ReductionMethodsAreTheFreeFunctions) {
  const Tensor x = sample();
  expect_same(x.sum(), sum(x));
  expect_same(x.sum(1), sum(x, {1}));  // one dim, as x.sum(1) in PyTorch
  expect_same(x.sum({0, 1}, true), sum(x, {0, 1}, true));
  expect_same(x.mean(0), mean(x, {0}));
  expect_same(x.prod(1, true), prod(x, {1}, true));
  expect_same(x.max(), max(x));
  expect_same(x.min(), min(x));
  expect_same(x.argmax(), argmax(x.reshape({-1}), 0));
  EXPECT_EQ(x.argmax().item(), 4);  // the 3.0, counted in the flattened tensor
  EXPECT_EQ(x.argmin().item(), 1);
  expect_same(x.argmax(1, true), argmax(x, 1, true));
  expect_same(x.argmin(0), argmin(x, 0));
  expect_same(x.logsumexp(1), logsumexp(x, {1}));
  expect_same(x.softmax(1), softmax(x, 1));
  expect_same(x.log_softmax(0), log_softmax(x, 0));
  expect_same(x.var(), var(x));
  expect_same(x.var(1, 0, true), var(x, {1}, 0, true));
  expect_same(x.std(), nabla::std(x));
  expect_same(x.std(0), nabla::std(x, {0}));
  expect_same(x.norm(1, 1), norm(x, 1, {1}));
  expect_same((x > 0.0).any(1), any(x > 0.0, {1}));
  expect_same((x > 0.0).all(), all(x > 0.0));
  expect_same(x.cumsum(1), cumsum(x, 1));
  expect_same(x.argsort(1, true), argsort(x, 1, true));
  const Tensor counts = tensor({0, 2, 2, 1}, DType::i64);
  expect_same(counts.bincount(), bincount(counts));
}

TEST(TensorApi, ValuesAndIndicesAreNamedAndBind) {
  const Tensor x = sample();
  auto [values, indices] = x.max(1);  // structured bindings, as Python's tuple unpacking
  expect_same(values, max(x, 1).first);
  expect_same(indices, max(x, 1).second);
  EXPECT_EQ(indices.to_vector(), (std::vector<double>{2, 1}));
  expect_same(x.max(0, true).values, max(x, 0, true).first);
  expect_same(x.min(1).indices, min(x, 1).second);
  const ValuesIndices top = x.topk(2, 1);
  expect_same(top.values, topk(x, 2, 1).first);
  expect_same(top.indices, topk(x, 2, 1).second);
  expect_same(x.topk(1, 0, false).values, topk(x, 1, 0, false).first);
  auto [sorted, order] = x.sort(1, true);
  expect_same(sorted, sort(x, 1, true).first);
  expect_same(order, sort(x, 1, true).second);
}

TEST(TensorApi, IndexingAndShapeMethodsAreTheFreeFunctions) {
  const Tensor x = sample();
  const Tensor index = tensor({2, 0}, DType::i64);
  const Tensor rows = tensor({{1, 0, 1}}, DType::i64);
  expect_same(x.index_select(1, index), index_select(x, 1, index));
  expect_same(x.gather(0, rows), gather(x, 0, rows));
  expect_same(x.index_add(1, index, ones({2, 2})), index_add(x, 1, index, ones({2, 2})));
  expect_same(x.scatter(0, rows, ones({1, 3})), scatter(x, 0, rows, ones({1, 3})));
  expect_same(x.scatter_add(0, rows, ones({1, 3})), scatter_add(x, 0, rows, ones({1, 3})));
  const Tensor mask = x > 0.0;
  expect_same(x.masked_fill(mask, 7), masked_fill(x, mask, 7));
  expect_same(x.masked_select(mask), masked_select(x, mask));
  expect_same(x.nonzero(), nonzero(x));
  expect_same(x.diagonal(1), diagonal(x, 1));
  expect_same(x.repeat({2, 1}), repeat(x, {2, 1}));
  expect_same(x.flip(0), flip(x, {0}));
  expect_same(x.flip({0, 1}), flip(x, {0, 1}));
  expect_same(x.roll(1, 1), roll(x, {1}, {1}));
  expect_same(x.roll(2), roll(x, {2}));
  expect_same(x.tril(), tril(x));
  expect_same(x.triu(1), triu(x, 1));
}

TEST(TensorApi, MetadataAndRandomMethods) {
  const Tensor x = zeros({2, 3}, DType::f64);
  EXPECT_EQ(x.sizes(), (Shape{2, 3}));
  EXPECT_EQ(&x.sizes(), &x.shape());
  EXPECT_EQ(x.numel(), 6);
  EXPECT_EQ(x.ndimension(), 2);
  EXPECT_EQ(x.element_size(), 8);
  EXPECT_TRUE(x.is_floating_point());
  EXPECT_FALSE(arange(3).is_floating_point());
  Generator first(7), second(7);
  expect_same(full({5}, 0.5).bernoulli(&first), bernoulli(full({5}, 0.5), &second));
  const Tensor probabilities = tensor({0.1, 0.2, 0.7});
  expect_same(probabilities.multinomial(2, false, &first), multinomial(probabilities, 2, false, &second));
}

// ---- operators

TEST(TensorApi, CompoundAssignmentWritesInPlace) {
  Tensor x = tensor({1, 2, 4});
  const void* data = x.raw_data();
  const uint32_t version = x.version();
  x += tensor({1, 1, 1});
  x -= 0.5;
  x *= tensor({2, 2, 2});
  x /= 4;
  x += 1;
  x *= 2;
  x -= tensor({1, 1, 1});
  x /= tensor({2, 2, 2});
  EXPECT_EQ(x.raw_data(), data);
  EXPECT_EQ(x.version(), version + 8);
  // ((x + 1 − 0.5)·2/4 + 1)·2 − 1, halved
  EXPECT_EQ(x.to_vector(), (std::vector<double>{1.25, 1.75, 2.75}));
  // A C++ integer keeps an integer tensor's dtype, as a Python int does; a double would make it float.
  Tensor integers = tensor({3, 4}, DType::i64);
  integers += 2;
  integers *= 3;
  integers -= int64_t{1};
  EXPECT_EQ(integers.dtype(), DType::i64);
  EXPECT_EQ(integers.to_vector(), (std::vector<double>{14, 17}));
  expect_error([&] { integers += 0.5; }, {"add_", "float32", "int64"});
  expect_error([&] { integers /= 2; }, {"div_", "int64"});  // true division's float can't go into int64
}

TEST(TensorApi, ComparisonOperatorsReturnBoolTensors) {
  const Tensor a = tensor({1, 2, 3});
  const Tensor b = tensor({3, 2, 1});
  auto expect_bools = [](const Tensor& t, std::vector<double> expected) {
    EXPECT_EQ(t.dtype(), DType::boolean);
    EXPECT_EQ(t.to_vector(), expected);
  };
  expect_bools(a == b, {0, 1, 0});
  expect_bools(a != b, {1, 0, 1});
  expect_bools(a < b, {1, 0, 0});
  expect_bools(a <= b, {1, 1, 0});
  expect_bools(a > b, {0, 0, 1});
  expect_bools(a >= b, {0, 1, 1});
  expect_bools(a == 2, {0, 1, 0});
  expect_bools(a != 2, {1, 0, 1});
  expect_bools(a < 2, {1, 0, 0});
  expect_bools(a <= 2, {1, 1, 0});
  expect_bools(a > 2, {0, 0, 1});
  expect_bools(a >= 2, {0, 1, 1});
  expect_bools(2 < a, {0, 0, 1});
  expect_bools(2 == a, {0, 1, 0});
  expect_bools(tensor({1, 2}).reshape({2, 1}) == a, {1, 0, 0, 0, 1, 0});  // broadcasting
  EXPECT_TRUE((a == a).all().item());  // equality of values; identity is a.impl() == b.impl()
}

// ---- indexing

TEST(TensorApi, BasicIndexingIsAView) {
  const Tensor x = arange(24, DType::f32).reshape({2, 3, 4});
  Tensor y = x.index({Slice(0, 3), 1, None, Ellipsis});  // x[0:3, 1, None, ...]
  EXPECT_EQ(y.shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(y.storage(), x.storage());
  EXPECT_EQ(y.to_vector(), (std::vector<double>{4, 5, 6, 7, 16, 17, 18, 19}));
  EXPECT_EQ(x.index({1}).shape(), (Shape{3, 4}));
  EXPECT_EQ(x.index({-1, -1, -1}).item(), 23);
  EXPECT_EQ(x.index({Ellipsis, 0}).shape(), (Shape{2, 3}));
  EXPECT_EQ(x.index({Ellipsis, None}).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(x.index({}).impl(), x.impl());
  const Tensor line = arange(10);
  EXPECT_EQ(line.index({Slice(1, None, 3)}).to_vector(), (std::vector<double>{1, 4, 7}));  // x[1::3]
  EXPECT_EQ(line.index({Slice(-3)}).to_vector(), (std::vector<double>{7, 8, 9}));          // x[-3:]
  EXPECT_EQ(line.index({Slice(None, -8)}).to_vector(), (std::vector<double>{0, 1}));       // x[:-8]
  EXPECT_EQ(line.index({Slice(8, 100)}).to_vector(), (std::vector<double>{8, 9}));         // clamped, as Python
  EXPECT_EQ(line.index({Slice()}).storage(), line.storage());
  // Writing through the view writes x.
  Tensor writable = zeros({2, 3});
  Tensor column = writable.index({Slice(), 1});
  column.fill_(5);
  EXPECT_EQ(writable.to_vector(), (std::vector<double>{0, 5, 0, 0, 5, 0}));
}

TEST(TensorApi, TensorIndicesCopy) {
  const Tensor x = arange(12, DType::f32).reshape({3, 4});
  Tensor rows = x.index({tensor({2, 0, -1}, DType::i64)});  // x[[2, 0, -1]]
  EXPECT_EQ(rows.shape(), (Shape{3, 4}));
  EXPECT_NE(rows.storage(), x.storage());
  EXPECT_EQ(rows.to_vector(), (std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
  // An index tensor's shape replaces the dim it indexes: x[:, [[0, 3], [1, 1]]] is [3, 2, 2].
  Tensor picked = x.index({Slice(), tensor({{0, 3}, {1, 1}}, DType::i64)});
  EXPECT_EQ(picked.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(picked.index({1}).to_vector(), (std::vector<double>{4, 7, 5, 5}));
  // Bool masks: over every dim (masked_select), or over some.
  Tensor big = x.index({x > 6.0});
  EXPECT_EQ(big.to_vector(), (std::vector<double>{7, 8, 9, 10, 11}));
  Tensor kept = x.index({Slice(), tensor({1, 0, 0, 1}, DType::boolean)});  // x[:, [True, False, False, True]]
  EXPECT_EQ(kept.shape(), (Shape{3, 2}));
  EXPECT_EQ(kept.to_vector(), (std::vector<double>{0, 3, 4, 7, 8, 11}));
  Tensor kept_rows = x.index({tensor({0, 1, 1}, DType::boolean), 2});
  EXPECT_EQ(kept_rows.to_vector(), (std::vector<double>{6, 10}));
}

TEST(TensorApi, IndexingErrors) {
  const Tensor x = zeros({2, 3});
  expect_error([&] { x.index({0, 0, 0}); }, {"index", "3 indices", "float32[2, 3]"});
  expect_error([&] { x.index({Ellipsis, Ellipsis}); }, {"index", "Ellipsis"});
  expect_error([&] { x.index({5}); }, {"select", "5", "size 2"});
  expect_error([&] { x.index({tensor({0}, DType::i64), tensor({0}, DType::i64)}); }, {"index", "one tensor index"});
  expect_error([&] { x.index({tensor({0.0})}); }, {"index", "int64", "float32[1]"});
  expect_error([&] { x.index({tensor({1, 0, 1}, DType::boolean)}); }, {"index", "bool[3]", "[2]"});
}

TEST(TensorApi, IndexPutWrites) {
  Tensor x = zeros({3, 4});
  const void* data = x.raw_data();
  x.index_put_({0}, 1.0);                                        // x[0] = 1
  x.index_put_({Slice(1, None), Slice(None, None, 2)}, tensor({7, 8}));  // x[1:, ::2] = [7, 8]
  x.index_put_({x < 0.5}, -1.0);                                 // x[x < 0.5] = -1
  x.index_put_({Ellipsis, tensor({3}, DType::i64)}, tensor({5, 6, 9}).reshape({3, 1}));  // x[..., [3]] = column
  EXPECT_EQ(x.raw_data(), data);
  EXPECT_EQ(x.to_vector(), (std::vector<double>{1, 1, 1, 5, 7, -1, 8, 6, 7, -1, 8, 9}));
  Tensor integers = zeros({3}, DType::i64);
  integers.index_put_({1}, 4);
  EXPECT_EQ(integers.to_vector(), (std::vector<double>{0, 4, 0}));
  expect_error([&] { integers.index_put_({1}, 2.5); }, {"index_put_", "2.5", "int64"});
  expect_error([&] { integers.index_put_({1}, tensor({2.5})); }, {"index_put_", "truncated"});
  expect_error([&] { x.index_put_({0}, ones({3})); }, {"index_put_", "[3]", "[4]"});
  Tensor leaf = zeros({2}, {.requires_grad = true});
  expect_error([&] { leaf.index_put_({0}, 1.0); }, {"index_put_", "leaf"});
}

TEST(TensorApi, IndexPutIsDifferentiable) {
  // torch: x = [1, 2, 3, 4] (requires grad); y = x·2; y[1:3] = v·v; (y·[1, 2, 3, 4]).sum().backward()
  // → x.grad = [2, 0, 0, 8], v.grad = 2v·[2, 3] = [2·0.5·2, 2·(−1)·3] = [2, −6]
  Tensor x = leaf64({1, 2, 3, 4});
  Tensor v = leaf64({0.5, -1});
  Tensor y = x * 2.0;
  y.index_put_({Slice(1, 3)}, v * v);
  EXPECT_EQ(y.to_vector(), (std::vector<double>{2, 0.25, 1, 8}));
  (y * tensor({1, 2, 3, 4}, DType::f64)).sum().backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{2, 0, 0, 8}));
  EXPECT_EQ(v.grad().to_vector(), (std::vector<double>{2, -6}));
  // With a mask and a scalar: the written positions pass no gradient back.
  Tensor z = leaf64({1, -2, 3});
  Tensor w = z * 1.0;
  w.index_put_({w < 0.0}, 0.0);
  (w * w).sum().backward();
  EXPECT_EQ(z.grad().to_vector(), (std::vector<double>{2, 0, 6}));
  // An index tensor with a repeated index: the last write wins; each value gets the gradient of the
  // position it was aimed at, as PyTorch's index_put_ backward (grad[indices]).
  Tensor a = leaf64({1, 2, 3});
  Tensor values = leaf64({10, 20});
  Tensor b = a * 1.0;
  b.index_put_({tensor({0, 0}, DType::i64)}, values);
  EXPECT_EQ(b.to_vector(), (std::vector<double>{20, 2, 3}));
  b.sum().backward();
  EXPECT_EQ(a.grad().to_vector(), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(values.grad().to_vector(), (std::vector<double>{1, 1}));
}

TEST(TensorApi, IndexIsDifferentiable) {
  Tensor x = leaf64({1, 2, 3, 4, 5, 6});
  Tensor m = x.reshape({2, 3});
  Tensor picked = m.index({Slice(), tensor({2, 2, 0}, DType::i64)});
  Tensor masked = m.index({m > 4.5});
  (picked.sum() + 10.0 * masked.sum() + m.index({0, 1})).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{1, 1, 2, 1, 10, 12}));
}

// ---- in-place ops write into self: no allocation, and autograd sees the write

namespace {

// Bytes allocated at the peak while `write` ran, beyond what was allocated before it.
int64_t peak_growth(const std::function<void()>& write) {
  memory::reset_peak();
  const int64_t before = memory::stats().allocated;
  write();
  return memory::stats().peak_allocated - before;
}

}  // namespace

TEST(TensorApi, InPlaceOpsAllocateNothingTheSizeOfSelf) {
  const Shape shape{256, 257};
  const int64_t self_bytes = numel(shape) * 4;
  Tensor x = rand(shape);
  const Tensor other = rand(shape) + 0.5;
  const Tensor row = rand({257}) + 0.5;
  const Tensor mask = rand(shape) > 0.5;
  Tensor strided = rand({257, 256}).t();  // non-contiguous self takes the reference kernels
  // A wrapped C++ number is one 0-dim tensor (one 64-byte block): far below self's size.
  const int64_t small = 256;
  const std::vector<std::pair<std::string, std::function<void()>>> writes = {
      {"add_", [&] { x.add_(other); }},          {"sub_", [&] { x.sub_(row); }},
      {"mul_", [&] { x.mul_(other); }},          {"div_", [&] { x.div_(other); }},
      {"+= number", [&] { x += 0.5; }},          {"-= number", [&] { x -= 0.5; }},
      {"*= number", [&] { x *= 0.5; }},          {"/= number", [&] { x /= 0.5; }},
      {"clamp_", [&] { x.clamp_(-0.5, 0.5); }},  {"relu_", [&] { x.relu_(); }},
      {"masked_fill_", [&] { x.masked_fill_(mask, 2); }},
      {"fill_", [&] { x.fill_(3); }},            {"zero_", [&] { x.zero_(); }},
      {"copy_", [&] { x.copy_(other); }},
      {"sub_ strided", [&] { strided.sub_(row); }}, {"relu_ strided", [&] { strided.relu_(); }},
      {"index_put_ slice", [&] { x.index_put_({Slice(0, 100)}, 1.0); }},
  };
  for (const auto& [name, write] : writes) {
    const void* data = x.raw_data();
    EXPECT_LT(peak_growth(write), small) << name << " allocated (self is " << self_bytes << " bytes)";
    EXPECT_EQ(x.raw_data(), data) << name;
  }
}

TEST(TensorApi, InPlaceOpsAreOneDispatchEachOnTheFastKernels) {
  Tensor x = rand({1000});
  const Tensor other = rand({1000}) + 0.5;
  const Tensor mask = other > 1.0;
  std::vector<std::pair<ops::OpId, ops::KernelKind>> seen;
  {
    ops::ObserveDispatch observe([&](const ops::Dispatched& call) { seen.push_back({call.op, call.kernel}); });
    x.sub_(other);
    x.div_(other);
    x.clamp_(-0.5, 0.5);
    x.relu_();
    x.masked_fill_(mask, 1);
  }
  using ops::OpId, ops::KernelKind;
  const std::vector<std::pair<OpId, KernelKind>> expected = {{OpId::sub_, KernelKind::fast},
                                                             {OpId::div_, KernelKind::fast},
                                                             {OpId::clamp_, KernelKind::fast},
                                                             {OpId::relu_, KernelKind::fast},
                                                             {OpId::masked_fill_, KernelKind::reference}};
  EXPECT_EQ(seen, expected);
}

TEST(TensorApi, InPlaceOpsComputeTheirOutOfPlaceValues) {
  const Tensor x = sample();
  const Tensor y = tensor({1.5, -0.5, 0.25});
  const Tensor mask = tensor({1, 0, 1}, DType::boolean);
  auto check = [&](const char* name, const std::function<void(Tensor&)>& write, const Tensor& expected) {
    Tensor self = x.clone();
    write(self);
    EXPECT_EQ(self.to_vector(), expected.to_vector()) << name;
  };
  check("sub_", [&](Tensor& t) { t.sub_(y); }, x - y);
  check("div_", [&](Tensor& t) { t.div_(y); }, x / y);
  check("clamp_", [&](Tensor& t) { t.clamp_(-1, 1); }, x.clamp(-1, 1));
  check("clamp_ min", [&](Tensor& t) { t.clamp_(0, std::nullopt); }, x.clamp_min(0));
  check("relu_", [&](Tensor& t) { t.relu_(); }, x.relu());
  check("masked_fill_", [&](Tensor& t) { t.masked_fill_(mask, -4); }, x.masked_fill(mask, -4));
  // Self read through another layout is copied before the write.
  Tensor square = tensor({{1, 2}, {3, 4}});
  square.sub_(square.t());
  EXPECT_EQ(square.to_vector(), (std::vector<double>{0, -1, 1, 0}));
}

TEST(TensorApi, VersionCounterCatchesEachInPlaceOpOnASavedTensor) {
  // y is saved by mul for backward; writing y afterwards must be reported when backward unpacks it.
  const std::vector<std::pair<std::string, std::function<void(Tensor&)>>> writes = {
      {"add_", [](Tensor& y) { y.add_(1.0); }},
      {"sub_", [](Tensor& y) { y.sub_(1.0); }},
      {"mul_", [](Tensor& y) { y.mul_(2.0); }},
      {"div_", [](Tensor& y) { y.div_(2.0); }},
      {"clamp_", [](Tensor& y) { y.clamp_(0, 1); }},
      {"relu_", [](Tensor& y) { y.relu_(); }},
      {"masked_fill_", [](Tensor& y) { y.masked_fill_(tensor({1, 0}, DType::boolean), 0); }},
      {"fill_", [](Tensor& y) { y.fill_(1); }},
      {"zero_", [](Tensor& y) { y.zero_(); }},
      {"copy_", [](Tensor& y) { y.copy_(tensor({1, 1}, DType::f64)); }},
      {"index_put_", [](Tensor& y) { y.index_put_({0}, 1.0); }},
  };
  for (const auto& [name, write] : writes) {
    Tensor x = leaf64({1, 2});
    Tensor y = x * 1.0;
    Tensor z = y * x;  // saves y
    write(y);
    try {
      z.sum().backward();
      ADD_FAILURE() << name << ": the write to a saved tensor went unnoticed";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("in-place"), std::string::npos) << name << ": " << error.what();
    }
  }
}

TEST(TensorApi, InPlaceOpsAreRefusedOnLeavesThatRequireGrad) {
  for (const char* name : {"sub_", "div_", "clamp_", "relu_", "masked_fill_"}) {
    Tensor leaf = zeros({2}, {.requires_grad = true});
    const std::string op = name;
    expect_error([&] {
      if (op == "sub_") leaf.sub_(1.0);
      if (op == "div_") leaf.div_(2.0);
      if (op == "clamp_") leaf.clamp_(0, 1);
      if (op == "relu_") leaf.relu_();
      if (op == "masked_fill_") leaf.masked_fill_(tensor({1, 0}, DType::boolean), 0);
    }, {name, "leaf", "float32[2]"});
  }
}

TEST(TensorApi, InPlaceGradientsMatchTheOutOfPlaceOps) {
  // Each in-place op on a non-leaf gives the gradient of its out-of-place twin.
  const std::vector<std::pair<std::function<void(Tensor&)>, std::function<Tensor(const Tensor&)>>> pairs = {
      {[](Tensor& t) { t.sub_(tensor({0.5, 1}, DType::f64)); }, [](const Tensor& t) { return t - tensor({0.5, 1}, DType::f64); }},
      {[](Tensor& t) { t /= 3.0; }, [](const Tensor& t) { return t / 3.0; }},
      {[](Tensor& t) { t.clamp_(-0.5, 1.5); }, [](const Tensor& t) { return t.clamp(-0.5, 1.5); }},
      {[](Tensor& t) { t.relu_(); }, [](const Tensor& t) { return t.relu(); }},
      {[](Tensor& t) { t.masked_fill_(tensor({0, 1}, DType::boolean), 2); },
       [](const Tensor& t) { return t.masked_fill(tensor({0, 1}, DType::boolean), 2); }},
  };
  for (const auto& [in_place, out_of_place] : pairs) {
    Tensor a = leaf64({-1, 2}), b = leaf64({-1, 2});
    Tensor y = a * a;
    in_place(y);
    (y * y).sum().backward();
    Tensor z = out_of_place(b * b);
    (z * z).sum().backward();
    EXPECT_EQ(a.grad().to_vector(), b.grad().to_vector());
  }
}

// ---- factories

TEST(TensorApi, FactoriesInferTheirDtypeFromTheArguments) {
  Tensor tenths = arange(0, 1, 0.1);
  EXPECT_EQ(tenths.dtype(), DType::f32);
  ASSERT_EQ(tenths.numel(), 10);
  EXPECT_FLOAT_EQ(tenths.to_vector()[3], 0.3f);
  EXPECT_EQ(arange(5).dtype(), DType::i64);
  EXPECT_EQ(arange(2, 8, 2).dtype(), DType::i64);
  EXPECT_EQ(arange(2, 8, 2).to_vector(), (std::vector<double>{2, 4, 6}));
  EXPECT_EQ(arange(0.5, 2).dtype(), DType::f32);
  EXPECT_EQ(arange(2.5).to_vector(), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(arange(2.5).dtype(), DType::f32);
  EXPECT_EQ(full({2}, 1.5).dtype(), DType::f32);
  EXPECT_EQ(full({2}, 1.5).to_vector(), (std::vector<double>{1.5, 1.5}));
}

TEST(TensorApi, FactoriesTakeABareDtype) {
  EXPECT_EQ(zeros({4}, DType::i64).dtype(), DType::i64);
  EXPECT_EQ(ones({2, 3}, DType::f64).dtype(), DType::f64);
  EXPECT_EQ(ones({2, 3}, DType::f64).to_vector(), std::vector<double>(6, 1.0));
  EXPECT_EQ(randn({3}, DType::f64).dtype(), DType::f64);
  EXPECT_EQ(rand({3}, DType::f64).dtype(), DType::f64);
  EXPECT_EQ(empty({3}, DType::u8).dtype(), DType::u8);
  EXPECT_EQ(full({2}, 3, DType::i32).to_vector(), (std::vector<double>{3, 3}));
  EXPECT_EQ(arange(3, DType::f64).dtype(), DType::f64);
  EXPECT_EQ(arange(0, 1, 0.5, DType::f64).to_vector(), (std::vector<double>{0, 0.5}));
  EXPECT_EQ(linspace(0, 1, 3, DType::f64).dtype(), DType::f64);
  EXPECT_EQ(eye(2, DType::i64).dtype(), DType::i64);
  EXPECT_EQ(randint(0, 5, {4}, DType::i32).dtype(), DType::i32);
  EXPECT_EQ(randperm(4, DType::f32).dtype(), DType::f32);
  EXPECT_EQ(tensor({1, 2}, DType::i64).dtype(), DType::i64);
  EXPECT_EQ(tensor({{1, 2}}, DType::f64).dtype(), DType::f64);
  EXPECT_EQ(from_vector({1, 2}, {2}, DType::i32).dtype(), DType::i32);
  // The options struct still reads as LibTorch's named options.
  Tensor both = zeros({2}, {.dtype = DType::f64, .requires_grad = true});
  EXPECT_TRUE(both.requires_grad());
  EXPECT_EQ(both.dtype(), DType::f64);
}

TEST(TensorApi, FactoriesNeverTruncateSilently) {
  expect_error([] { full({2}, 1.5, DType::i64); }, {"full", "1.5", "int64"});
  expect_error([] { arange(0, 1, 0.5, DType::i64); }, {"arange", "0.5", "int64"});
  expect_error([] { tensor({1, 2.5}, DType::i32); }, {"from_vector", "2.5", "int32"});
  expect_error([] { linspace(0, 1, 3, DType::i64); }, {"linspace", "0.5", "int64"});
  expect_error([] { full({1}, 300, DType::u8); }, {"full", "300", "uint8"});
  EXPECT_EQ(full({1}, 2.0, DType::i64).to_vector(), (std::vector<double>{2}));
  EXPECT_EQ(tensor({2.5}).to(DType::i64).item(), 2);  // an explicit cast truncates, as PyTorch
}
