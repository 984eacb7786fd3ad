// Dispatch observers see every op on their thread, with the kind of kernel that computed it.
#include <gtest/gtest.h>

#include "backend/cpu/kernels.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/observer.h"

namespace nabla {
namespace {

struct Seen {
  ops::OpId op;
  ops::KernelKind kernel;
  int depth;
};

TEST(Observer, SeesOpsKernelsAndViews) {
  std::vector<Seen> seen;
  Tensor a = randn({64, 64}), b = randn({64, 64});
  {
    ops::ObserveDispatch observe([&](const ops::Dispatched& call) { seen.push_back({call.op, call.kernel, call.depth}); });
    Tensor c = matmul(a, b).t();
    (void)c;
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].op, ops::OpId::matmul);
  EXPECT_EQ(seen[0].kernel, ops::KernelKind::fast);
  EXPECT_EQ(seen[0].depth, 0);
  EXPECT_EQ(seen[1].kernel, ops::KernelKind::none);  // the transpose is a view
  // The scope ended: later ops are not seen.
  (void)(a + b);
  EXPECT_EQ(seen.size(), 2u);
}

TEST(Observer, ReportsReferenceKernels) {
  std::vector<ops::KernelKind> kinds;
  Tensor a = randn({8, 8});
  cpu::ReferenceOnlyGuard reference;
  ops::ObserveDispatch observe([&](const ops::Dispatched& call) { kinds.push_back(call.kernel); });
  (void)exp(a);
  ASSERT_EQ(kinds.size(), 1u);
  EXPECT_EQ(kinds[0], ops::KernelKind::reference);
}

TEST(Observer, ScopesNest) {
  int outer = 0, inner = 0;
  Tensor a = randn({4});
  ops::ObserveDispatch first([&](const ops::Dispatched&) { ++outer; });
  {
    ops::ObserveDispatch second([&](const ops::Dispatched&) { ++inner; });
    (void)exp(a);
  }
  (void)exp(a);
  EXPECT_EQ(outer, 2);
  EXPECT_EQ(inner, 1);
}

}  // namespace
}  // namespace nabla
