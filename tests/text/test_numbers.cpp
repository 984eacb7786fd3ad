// text::with_commas: digits grouped in threes, the sign kept in front, every int64 value included.
#include <gtest/gtest.h>

#include <limits>

#include "nabla/text/numbers.h"

namespace nabla::text {
namespace {

TEST(WithCommas, GroupsDigitsInThrees) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(61706), "61,706");
  EXPECT_EQ(with_commas(1234567), "1,234,567");
}

TEST(WithCommas, KeepsTheSignOutsideTheGroups) {
  EXPECT_EQ(with_commas(-123), "-123");
  EXPECT_EQ(with_commas(-123456), "-123,456");
  EXPECT_EQ(with_commas(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
}

}  // namespace
}  // namespace nabla::text
