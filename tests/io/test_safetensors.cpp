// safetensors: round trips of every dtype, non-contiguous inputs, the exact bytes on disk, atomic saves,
// and corrupt files, whose errors must be one line naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "nabla/io/safetensors.h"
#include "nabla/nabla.h"
#include "tests/common/temporary_directory.h"

namespace nabla {
namespace {

namespace fs = std::filesystem;

class Safetensors : public testing::TemporaryDirectoryTest {
 protected:
  Safetensors() : TemporaryDirectoryTest("safetensors") {}

  // A file made of a length prefix, the given header text and data bytes.
  std::string write_raw(const std::string& name, const std::string& header, const std::string& data,
                        std::optional<uint64_t> header_length = {}) const {
    std::string file = path(name);
    std::ofstream out(file, std::ios::binary);
    uint64_t length = header_length.value_or(header.size());
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << header << data;
    return file;
  }

  // Loads `file` expecting an error; checks it names the file, is one line and contains `expected`.
  static void expect_load_error(const std::string& file, const std::string& expected) {
    try {
      load_safetensors(file);
      ADD_FAILURE() << "loading " << file << " should have failed with '" << expected << "'";
    } catch (const Error& error) {
      std::string message = error.what();
      EXPECT_NE(message.find(file), std::string::npos) << message;
      EXPECT_NE(message.find(expected), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }

};

std::string read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<double> sample_values(DType dtype, int64_t count) {
  std::vector<double> values;
  for (int64_t i = 0; i < count; ++i) {
    if (dtype == DType::boolean) values.push_back(i % 3 == 0 ? 1 : 0);
    else if (dtype == DType::u8) values.push_back(static_cast<double>(i * 37 % 256));
    else if (is_floating(dtype)) values.push_back(0.75 * static_cast<double>(i) - 2.5);  // exact in bf16 too
    else values.push_back(static_cast<double>(i * 1001 - 5000));
  }
  return values;
}

TEST_F(Safetensors, RoundTripsEveryDtypeAndMetadata) {
  std::map<std::string, Tensor> tensors;
  for (int i = 0; i < dtype_count; ++i) {
    auto dtype = static_cast<DType>(i);
    std::string name(dtype_name(dtype));
    tensors[name] = from_vector(sample_values(dtype, 6), {2, 3}, {.dtype = dtype});
    tensors[name + ".scalar"] = from_vector({sample_values(dtype, 2)[1]}, {}, {.dtype = dtype});  // 0-dim
    tensors[name + ".empty"] = empty({0, 4}, {.dtype = dtype});
  }
  std::map<std::string, std::string> metadata{{"format", "pt"}, {"note", "line one\nline two"}};
  save_safetensors(path("all.safetensors"), tensors, metadata);

  SafetensorsContents loaded = read_safetensors(path("all.safetensors"));
  EXPECT_EQ(loaded.metadata, metadata);
  ASSERT_EQ(loaded.tensors.size(), tensors.size());
  for (const auto& [name, expected] : tensors) {
    const Tensor& actual = loaded.tensors.at(name);
    EXPECT_EQ(actual.dtype(), expected.dtype()) << name;
    EXPECT_EQ(actual.shape(), expected.shape()) << name;
    EXPECT_EQ(actual.to_vector(), expected.to_vector()) << name;
    EXPECT_FALSE(actual.requires_grad()) << name;
  }
  EXPECT_FALSE(fs::exists(path("all.safetensors.tmp")));
}

TEST_F(Safetensors, WritesNonContiguousTensorsContiguously) {
  Tensor base = arange(24, {.dtype = DType::f32}).reshape({4, 6});
  std::map<std::string, Tensor> tensors{
      {"transposed", base.t()},
      {"sliced", base.slice(1, 1, 6, 2)},
      {"expanded", base.select(0, 1).slice(0, 0, 1).expand({3, 1})},
  };
  for (const auto& [name, tensor] : tensors) ASSERT_FALSE(tensor.is_contiguous()) << name;
  save_safetensors(path("views.safetensors"), tensors);
  auto loaded = load_safetensors(path("views.safetensors"));
  for (const auto& [name, expected] : tensors) {
    EXPECT_EQ(loaded.at(name).shape(), expected.shape()) << name;
    EXPECT_EQ(loaded.at(name).to_vector(), expected.to_vector()) << name;
  }
}

TEST_F(Safetensors, SavingDoesNotRecordAutograd) {
  Tensor weight = ones({2, 2}).requires_grad_();
  save_safetensors(path("grad.safetensors"), {{"w", weight.t()}});
  EXPECT_EQ(load_safetensors(path("grad.safetensors")).at("w").to_vector(), std::vector<double>(4, 1.0));
}

TEST_F(Safetensors, BytesFollowTheFormat) {
  save_safetensors(path("one.safetensors"), {{"w", tensor({1.0, -2.0}, {.dtype = DType::f32})}});
  std::string bytes = read_bytes(path("one.safetensors"));
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  EXPECT_EQ(header_length % 8, 0u) << "the data section should start 8-byte aligned";
  ASSERT_EQ(bytes.size(), 8 + header_length + 8);
  std::string header = bytes.substr(8, header_length);
  EXPECT_NE(header.find(R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), std::string::npos) << header;
  // 1.0f and -2.0f, little-endian
  EXPECT_EQ(bytes.substr(8 + header_length), std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
}

TEST_F(Safetensors, SaveReplacesAnExistingFile) {
  save_safetensors(path("w.safetensors"), {{"a", zeros({3})}});
  save_safetensors(path("w.safetensors"), {{"b", ones({2})}});
  auto loaded = load_safetensors(path("w.safetensors"));
  EXPECT_EQ(loaded.count("a"), 0u);
  EXPECT_EQ(loaded.at("b").to_vector(), std::vector<double>({1, 1}));
}

TEST_F(Safetensors, SaveErrorsNameTheFileAndLeaveNothingBehind) {
  std::string missing_directory = path("no/such/dir/w.safetensors");
  try {
    save_safetensors(missing_directory, {{"a", zeros({3})}});
    ADD_FAILURE() << "saving into a missing directory should fail";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(missing_directory), std::string::npos) << error.what();
  }
  EXPECT_THROW(save_safetensors(path("u.safetensors"), {{"a", Tensor()}}), Error);
  EXPECT_THROW(save_safetensors(path("m.safetensors"), {{"__metadata__", zeros({1})}}), Error);
  EXPECT_FALSE(fs::exists(path("u.safetensors")));
  EXPECT_FALSE(fs::exists(path("u.safetensors.tmp")));
}

// ---- corrupt files

const std::string valid_header = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
const std::string sixteen_bytes(16, '\0');

TEST_F(Safetensors, AcceptsTheHandWrittenBaseline) {
  auto loaded = load_safetensors(write_raw("ok.safetensors", valid_header, sixteen_bytes));
  EXPECT_EQ(loaded.at("w").shape(), Shape({2, 2}));
}

TEST_F(Safetensors, MissingFile) { expect_load_error(path("absent.safetensors"), "can't open"); }

TEST_F(Safetensors, ShorterThanTheLengthPrefix) {
  std::string file = path("tiny.safetensors");
  std::ofstream(file, std::ios::binary) << "abc";
  expect_load_error(file, "too short");
}

TEST_F(Safetensors, TruncatedData) {
  expect_load_error(write_raw("truncated.safetensors", valid_header, sixteen_bytes.substr(0, 12)),
                    "beyond the data section's 12 bytes");
}

TEST_F(Safetensors, TruncatedHeader) {
  std::string full = read_bytes(write_raw("full.safetensors", valid_header, ""));
  std::string file = path("cut.safetensors");
  std::ofstream(file, std::ios::binary) << full.substr(0, 20);
  expect_load_error(file, "header length");
}

TEST_F(Safetensors, HugeHeaderLength) {
  expect_load_error(write_raw("huge.safetensors", valid_header, sixteen_bytes, uint64_t{1} << 62), "header length");
}

TEST_F(Safetensors, BadJson) {
  expect_load_error(write_raw("json.safetensors", R"({"w": {"dtype": )", ""), "not valid JSON");
  expect_load_error(write_raw("array.safetensors", "[1, 2]", ""), "not a JSON object");
}

TEST_F(Safetensors, UnknownDtype) {
  expect_load_error(write_raw("dtype.safetensors", R"({"w":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}})", "ab"),
                    "dtype 'I8'");
}

TEST_F(Safetensors, ShapeDisagreesWithByteRange) {
  expect_load_error(write_raw("size.safetensors", R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})",
                              sixteen_bytes),
                    "tensor 'w' has data_offsets [0, 12] but shape [2, 2] float32 needs 16 bytes");
}

TEST_F(Safetensors, OffsetsOutOfRange) {
  expect_load_error(write_raw("range.safetensors", R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[14,18]}})",
                              sixteen_bytes),
                    "data_offsets [14, 18] beyond");
  expect_load_error(write_raw("order.safetensors", R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[8,4]}})",
                              sixteen_bytes),
                    "begin is after end");
}

TEST_F(Safetensors, OverlappingTensors) {
  expect_load_error(write_raw("overlap.safetensors",
                              R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                              sixteen_bytes),
                    "overlap");
}

TEST_F(Safetensors, MalformedFields) {
  expect_load_error(write_raw("negative.safetensors", R"({"w":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}})", "ab"),
                    "\"shape\"");
  expect_load_error(write_raw("offsets.safetensors", R"({"w":{"dtype":"U8","shape":[2],"data_offsets":[0]}})", "ab"),
                    "\"data_offsets\"");
  expect_load_error(write_raw("entry.safetensors", R"({"w":3})", ""), "not a JSON object");
  expect_load_error(write_raw("meta.safetensors", R"({"__metadata__":{"k":1}})", ""), "__metadata__");
  expect_load_error(write_raw("overflow.safetensors",
                              R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", ""),
                    "too large");
}

TEST_F(Safetensors, InvalidBoolean) {
  expect_load_error(write_raw("bool.safetensors", R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})",
                              std::string("\x01\x00\x02", 3)),
                    "element 2 holds byte 2");
}

TEST_F(Safetensors, ControlCharactersInNamesStayOnOneLine) {
  expect_load_error(write_raw("name.safetensors", R"({"a\nb":{"dtype":"F32","shape":[1],"data_offsets":[0,3]}})", "abc"),
                    "'a\\x0ab'");
}

}  // namespace
}  // namespace nabla
