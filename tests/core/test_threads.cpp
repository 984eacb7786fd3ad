// The public thread-count functions.
#include <gtest/gtest.h>

#include "nabla/nabla.h"
#include "tests/common/expect_error.h"

using namespace nabla;

TEST(Threads, SetAndRead) {
  const int before = num_threads();
  set_num_threads(2);
  EXPECT_EQ(num_threads(), 2);
  set_num_threads(1);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(before);
  EXPECT_EQ(num_threads(), before);
}

TEST(Threads, OutOfRangeIsNamed) {
  ::nabla::testing::expect_error([] { set_num_threads(0); }, {"set_num_threads", "0"});
  ::nabla::testing::expect_error([] { set_num_threads(100000); }, {"set_num_threads", "100000"});
}
