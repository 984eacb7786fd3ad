// Bad input gives a nabla::Error whose one-line message names the op and what is wrong with it.
#include <gtest/gtest.h>

#include "nabla/nabla.h"

using namespace nabla;

namespace {

// Runs `action`, expects a nabla::Error, and checks that its message contains every fragment.
template <typename Action>
void expect_error(Action&& action, std::initializer_list<const char*> fragments) {
  try {
    action();
    ADD_FAILURE() << "expected a nabla::Error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    for (const char* fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << "'" << fragment << "' missing from: " << message;
    }
  }
}

}  // namespace

TEST(Errors, NonBroadcastableShapes) {
  expect_error([] { ones({2, 3}) + ones({4}); }, {"add", "[2, 3]", "[4]", "broadcast"});
  expect_error([] { where(gt(ones({2}), ones({2})), ones({3}), ones({2})); }, {"where", "[2]", "[3]"});
}

TEST(Errors, BadDims) {
  expect_error([] { sum(ones({2, 3}), {2}); }, {"sum", "dim 2", "rank 2"});
  expect_error([] { ones({2, 3}).transpose(0, 5); }, {"transpose", "dim 5"});
  expect_error([] { ones({2, 3}).permute({0, 0}); }, {"permute", "twice"});
  expect_error([] { cat({ones({2, 3}), ones({2, 4})}, 0); }, {"cat", "[2, 4]", "[2, 3]"});
}

TEST(Errors, BadShapes) {
  expect_error([] { ones({2, 3}).view({4}); }, {"view", "[4]", "[2, 3]"});
  expect_error([] { ones({2, 3}).t().view({6}); }, {"view", "reshape"});
  expect_error([] { ones({2, 3}).expand({3, 3}); }, {"expand", "[2, 3]", "[3, 3]"});
  expect_error([] { tensor({1, 2}).item(); }, {"item", "[2]"});
  expect_error([] { ones({3}).narrow(0, 2, 2); }, {"narrow", "out of range"});
}

TEST(Errors, WrongDtypes) {
  expect_error([] { mean(ones({2}, {.dtype = DType::i64})); }, {"mean", "int64"});
  expect_error([] { where(ones({2}), ones({2}), ones({2})); }, {"where", "bool", "float32"});
  expect_error([] { ones({2}, {.dtype = DType::i32}).requires_grad_(); }, {"requires_grad_", "int32"});
  expect_error([] { ones({2}).data<double>(); }, {"data<float64>", "float32"});
  expect_error([] {
    Tensor i = ones({2}, {.dtype = DType::i64});
    i.add_(ones({2}));
  }, {"add_", "float32", "int64"});
}

TEST(Errors, UndefinedTensor) {
  expect_error([] { Tensor undefined; undefined.shape(); }, {"undefined"});
  expect_error([] { Tensor undefined; ones({2}) + undefined; }, {"add", "undefined"});
}
