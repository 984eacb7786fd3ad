#pragma once
// Numbers written for people: digits grouped in threes ("61,706"), as tables of counts print them.
#include <cstdint>
#include <string>

namespace nabla::text {

std::string with_commas(int64_t value);  // -1234567 → "-1,234,567"

}  // namespace nabla::text
