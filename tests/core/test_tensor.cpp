// Tensors: creation, dtypes and promotion, views sharing storage, printing, random numbers, memory.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/nabla.h"

using namespace nabla;

TEST(Tensor, AddBroadcasts) {
  Tensor a = tensor({{1, 2, 3}, {4, 5, 6}});
  Tensor b = tensor({10, 20, 30});
  Tensor c = a + b;
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(c.to_vector(), (std::vector<double>{11, 22, 33, 14, 25, 36}));
}

TEST(Tensor, Creation) {
  EXPECT_EQ(zeros({2, 3}).to_vector(), std::vector<double>(6, 0.0));
  EXPECT_EQ(ones({2}, {.dtype = DType::i32}).dtype(), DType::i32);
  EXPECT_EQ(full({2}, 3.5).to_vector(), (std::vector<double>{3.5, 3.5}));
  EXPECT_EQ(arange(4).to_vector(), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(arange(4).dtype(), DType::i64);
  EXPECT_EQ(arange(1, 2, 0.25, {.dtype = DType::f64}).to_vector(), (std::vector<double>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(linspace(0, 1, 5, {.dtype = DType::f64}).to_vector(), (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(eye(2).to_vector(), (std::vector<double>{1, 0, 0, 1}));
  EXPECT_THROW(from_vector({1, 2, 3}, {2, 2}), Error);
  EXPECT_THROW(arange(0, 1, 0), Error);
}

TEST(Tensor, ItemAndConversion) {
  Tensor x = tensor({2.5});
  EXPECT_EQ(x.item(), 2.5);
  EXPECT_EQ(x.to(DType::i64).item<int64_t>(), 2);  // truncation, as PyTorch
  EXPECT_THROW(tensor({1, 2}).item(), Error);
  Tensor h = tensor({1.0, 0.1, 65504, 1e-7}, {.dtype = DType::f16});
  std::vector<double> back = h.to_vector();
  EXPECT_EQ(back[0], 1.0);
  EXPECT_NEAR(back[1], 0.1, 1e-4);
  EXPECT_EQ(back[2], 65504);
  EXPECT_NEAR(back[3], 1.19209e-07, 1e-10);  // a half subnormal
  Tensor b = tensor({1.0, 3.140625, -0.0}, {.dtype = DType::bf16});
  EXPECT_EQ(b.to_vector(), (std::vector<double>{1.0, 3.140625, 0.0}));
}

TEST(Promotion, FollowsPyTorch) {
  Tensor f32 = ones({2});
  Tensor f64 = ones({2}, {.dtype = DType::f64});
  Tensor i32 = ones({2}, {.dtype = DType::i32});
  Tensor i64 = ones({2}, {.dtype = DType::i64});
  Tensor boolean = ones({2}, {.dtype = DType::boolean});
  Tensor f16 = ones({2}, {.dtype = DType::f16});
  Tensor bf16 = ones({2}, {.dtype = DType::bf16});
  EXPECT_EQ((f32 + f64).dtype(), DType::f64);
  EXPECT_EQ((i32 + i64).dtype(), DType::i64);
  EXPECT_EQ((i64 + f32).dtype(), DType::f32);
  EXPECT_EQ((boolean + i32).dtype(), DType::i32);
  EXPECT_EQ((f16 + bf16).dtype(), DType::f32);
  EXPECT_EQ((i64 * 2.5).dtype(), DType::f32);                 // a C++ double counts as the default float
  EXPECT_EQ((f16 * 2.5).dtype(), DType::f16);                 // …and never widens a float tensor
  EXPECT_EQ((i32 + scalar_tensor(1.0, DType::f64)).dtype(), DType::f64);  // 0-dim raises the category
  EXPECT_EQ((f32 + scalar_tensor(1.0, DType::f64)).dtype(), DType::f32);  // …but not within it
  EXPECT_EQ(div(i64, i64).dtype(), DType::f32);               // true division
  EXPECT_EQ(sum(boolean).dtype(), DType::i64);                // integer sums return int64
  EXPECT_EQ(sum(i32).item(), 2.0);
  EXPECT_EQ(gt(f32, i64).dtype(), DType::boolean);
}

TEST(Views, ShareStorageAndSeeWrites) {
  Tensor base = arange(12, {.dtype = DType::f32}).reshape({3, 4});
  Tensor t = base.transpose(0, 1);
  EXPECT_EQ(t.shape(), (Shape{4, 3}));
  EXPECT_EQ(t.strides(), (Shape{1, 4}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.storage(), base.storage());
  Tensor row = base.select(0, 1);
  EXPECT_EQ(row.to_vector(), (std::vector<double>{4, 5, 6, 7}));
  Tensor column = base.select(1, -1);
  EXPECT_EQ(column.to_vector(), (std::vector<double>{3, 7, 11}));
  row.mul_(tensor({10.0}));
  EXPECT_EQ(base.to_vector()[5], 50.0);  // the write is visible through the base
  EXPECT_EQ(base.slice(1, 1, 4, 2).to_vector(), (std::vector<double>{1, 3, 50, 70, 9, 11}));
  EXPECT_EQ(base.narrow(0, 2, 1).shape(), (Shape{1, 4}));
}

TEST(Views, ReshapeCopiesOnlyWhenItMust) {
  Tensor base = arange(6, {.dtype = DType::f32}).reshape({2, 3});
  EXPECT_EQ(base.reshape({3, 2}).storage(), base.storage());
  Tensor t = base.t();
  EXPECT_THROW(t.view({6}), Error);
  Tensor flat = t.reshape({6});
  EXPECT_NE(flat.storage(), base.storage());
  EXPECT_EQ(flat.to_vector(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(base.view({-1}).shape(), (Shape{6}));
  EXPECT_EQ(base.unsqueeze(0).unsqueeze(-1).shape(), (Shape{1, 2, 3, 1}));
  EXPECT_EQ(base.unsqueeze(0).squeeze().shape(), (Shape{2, 3}));
  EXPECT_EQ(base.flatten().shape(), (Shape{6}));
  EXPECT_EQ(base.unflatten(1, {3, 1}).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(base.permute({1, 0}).to_vector(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
}

TEST(Views, ExpandUsesZeroStrides) {
  Tensor x = tensor({1, 2, 3}).reshape({3, 1});
  Tensor e = x.expand({2, 3, 4});
  EXPECT_EQ(e.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(e.strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(sum(e).item(), 2 * 4 * 6);
}

TEST(Joining, CatStackSplitChunk) {
  Tensor a = tensor({{1, 2}, {3, 4}});
  Tensor b = tensor({{5, 6}});
  EXPECT_EQ(cat({a, b}, 0).to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(cat({a, a}, 1).shape(), (Shape{2, 4}));
  EXPECT_EQ(stack({a, a}, 0).shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(stack({a, a}, 2).to_vector(), (std::vector<double>{1, 1, 2, 2, 3, 3, 4, 4}));
  std::vector<Tensor> parts = split(arange(5, {.dtype = DType::f32}), 2);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].to_vector(), (std::vector<double>{4}));
  EXPECT_EQ(chunk(arange(6, {.dtype = DType::f32}), 3).size(), 3u);
}

TEST(Printing, LooksLikePyTorch) {
  EXPECT_EQ(tensor({1, 2}).to_string(), "tensor([1., 2.])");
  EXPECT_EQ(tensor({{1.5, 2}, {3, 4}}).to_string(), "tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])");
  EXPECT_EQ(arange(3).to_string(), "tensor([0, 1, 2])");
  EXPECT_EQ(tensor({1.0}, {.dtype = DType::f64}).to_string(), "tensor([1.], dtype=float64)");
  EXPECT_EQ(gt(tensor({1, 3}), tensor({2, 2})).to_string(), "tensor([False,  True])");
  EXPECT_EQ(scalar_tensor(0.5).to_string(), "tensor(0.5000)");
  EXPECT_EQ(tensor({1e-5, 1}).to_string(), "tensor([1.0000e-05, 1.0000e+00])");
  Tensor x = tensor({1.0}).requires_grad_();
  EXPECT_EQ(x.to_string(), "tensor([1.], requires_grad=True)");
  EXPECT_EQ((x * 2.0).to_string(), "tensor([2.], grad_fn=<MulBackward>)");
  std::string big = arange(2000).to_string();
  EXPECT_NE(big.find("..."), std::string::npos);
  EXPECT_LT(big.size(), 100u);
}

TEST(Random, PhiloxKnownAnswer) {
  // Philox4x32-10 with zero key and counter: the published known-answer vector.
  auto block = philox(0, 0);
  EXPECT_EQ(block[0], 0x6627e8d5u);
  EXPECT_EQ(block[1], 0xe169c58du);
  EXPECT_EQ(block[2], 0xbc57ac4cu);
  EXPECT_EQ(block[3], 0x9b00dbd8u);
}

TEST(Random, SeededAndReproducible) {
  manual_seed(42);
  Tensor a = rand({100});
  manual_seed(42);
  Tensor b = rand({100});
  EXPECT_EQ(a.to_vector(), b.to_vector());
  Tensor c = rand({100});
  EXPECT_NE(a.to_vector(), c.to_vector());
  Generator generator(3);
  Tensor normal = randn({20000}, {.dtype = DType::f64}, &generator);
  double m = mean(normal).item();
  double variance = mean((normal - m) * (normal - m)).item();
  EXPECT_NEAR(m, 0.0, 0.03);
  EXPECT_NEAR(variance, 1.0, 0.05);
  std::vector<double> uniform = rand({20000}, {}, &generator).to_vector();
  EXPECT_GE(*std::min_element(uniform.begin(), uniform.end()), 0.0);
  EXPECT_LT(*std::max_element(uniform.begin(), uniform.end()), 1.0);
  std::vector<double> integers = randint(3, 7, {1000}, {}, &generator).to_vector();
  EXPECT_EQ(*std::min_element(integers.begin(), integers.end()), 3);
  EXPECT_EQ(*std::max_element(integers.begin(), integers.end()), 6);
  std::vector<double> permutation = randperm(50, {}, &generator).to_vector();
  std::sort(permutation.begin(), permutation.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(permutation[i], i);
}

TEST(Memory, AllocatorCountsAndReuses) {
  memory::empty_cache();
  memory::reset_peak();
  MemoryStats before = memory::stats();
  {
    Tensor big = empty({1 << 20});  // 4 MiB
    MemoryStats during = memory::stats();
    EXPECT_GE(during.allocated - before.allocated, 4 << 20);
    EXPECT_GE(during.peak_allocated, during.allocated);
  }
  MemoryStats after = memory::stats();
  EXPECT_EQ(after.allocated, before.allocated);
  EXPECT_GE(after.reserved - after.allocated, 4 << 20);  // cached, not returned
  Tensor again = empty({1 << 20});
  EXPECT_EQ(memory::stats().reserved, after.reserved);  // the cached block was reused
  again = Tensor();
  memory::empty_cache();
  EXPECT_EQ(memory::stats().reserved, memory::stats().allocated);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(ones({3}).raw_data()) % 64, 0u);
}

// A request takes the smallest cached block that holds it, up to twice its size, and that block's own size
// is what the counters see while it is out and again once it is back.
TEST(Memory, AllocatorReusesALargerCachedBlockUpToTwiceTheRequest) {
  memory::empty_cache();
  const MemoryStats start = memory::stats();
  { Tensor four_mib = empty({1 << 20}); }  // leaves one 4 MiB block in the cache
  const int64_t reserved = memory::stats().reserved;
  ASSERT_EQ(reserved - start.reserved, 4 << 20);
  {
    Tensor three_mib = empty({3 << 18});
    EXPECT_EQ(memory::stats().reserved, reserved);                        // served by the cached block
    EXPECT_EQ(memory::stats().allocated - start.allocated, 4 << 20);  // counted at the block's size
  }
  EXPECT_EQ(memory::stats().allocated, start.allocated);
  {
    Tensor one_mib = empty({1 << 18});  // a quarter of the cached block: a block of its own
    EXPECT_EQ(memory::stats().reserved - reserved, 1 << 20);
    EXPECT_EQ(memory::stats().allocated - start.allocated, 1 << 20);
  }
  memory::empty_cache();
  EXPECT_EQ(memory::stats().reserved, memory::stats().allocated);
}
