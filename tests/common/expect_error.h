#pragma once
// Runs `statement`, expecting a one-line nabla::Error whose message contains every one of `parts`: the
// check behind every bad-input test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nabla/error.h"

namespace nabla::testing {

template <typename Statement>
void expect_error(Statement&& statement, const std::vector<std::string>& parts) {
  try {
    statement();
    FAIL() << "expected a nabla::Error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << message << "\nmissing: " << part;
    }
  }
}

}  // namespace nabla::testing
