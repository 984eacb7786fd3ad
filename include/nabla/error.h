#pragma once
// nabla::Error: the one exception type. Its message names the op, shapes, dtypes, file or argument at fault.
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nabla {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws nabla::Error with a formatted message when `condition` is false.
#define NABLA_CHECK(condition, ...)                                  \
  do {                                                               \
    if (!(condition)) throw ::nabla::Error(::fmt::format(__VA_ARGS__)); \
  } while (0)

}  // namespace nabla
