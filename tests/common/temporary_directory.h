#pragma once
// A gtest fixture whose every test gets a fresh directory, removed afterwards. ctest runs tests in
// parallel processes, so the directory's name holds the process id and the test's name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

namespace nabla::testing {

class TemporaryDirectoryTest : public ::testing::Test {
 protected:
  explicit TemporaryDirectoryTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    const char* test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    directory_ = std::filesystem::temp_directory_path() / fmt::format("nabla_{}_{}_{}", prefix_, ::getpid(), test);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }

  std::filesystem::path directory_;

 private:
  std::string prefix_;
};

}  // namespace nabla::testing
