#include <gtest/gtest.h>

#include "nabla/nabla.h"

using namespace nabla;

TEST(Tensor, AddBroadcasts) {
  Tensor a = tensor({{1, 2, 3}, {4, 5, 6}});
  Tensor b = tensor({10, 20, 30});
  Tensor c = a + b;
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(c.to_vector(), (std::vector<double>{11, 22, 33, 14, 25, 36}));
}
