// TensorBoard event files: the CRC-32C against its published check value, and a written file read back
// record by record — framing, both checksums, and each event's fields — with the schema the writer uses.
// (TensorBoard's own reader checks the same file in tests/io/read_tensorboard.py, an optional ctest entry.)
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "nabla/data/image.h"
#include "nabla/io/crc32c.h"
#include "nabla/io/file.h"
#include "nabla/io/tensorboard.h"
#include "nabla/nabla.h"
#include "src/io/proto/tensorboard.pb.h"
#include "tests/common/expect_error.h"
#include "tests/common/temporary_directory.h"

namespace nabla::io {
namespace {

using testing::expect_error;

TEST(Crc32c, MatchesTheCheckValueOfItsCatalogue) {
  // The CRC catalogue's check value for CRC-32/ISCSI (= CRC-32C) over the ASCII digits "123456789".
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  // Continuing from a prefix's CRC gives the whole's.
  EXPECT_EQ(crc32c("56789", crc32c("1234")), crc32c("123456789"));
  const uint32_t crc = crc32c("123456789");
  EXPECT_EQ(masked_crc32c("123456789"), ((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
}

// Splits an event file into its events, checking each record's length and both masked checksums.
std::vector<tensorboard::Event> read_events(const std::string& path) {
  const std::string bytes = read_file(path);
  std::vector<tensorboard::Event> events;
  size_t at = 0;
  auto u32 = [&](size_t offset) {
    uint32_t value = 0;
    std::memcpy(&value, bytes.data() + offset, 4);  // little-endian on x86, as the format stores it
    return value;
  };
  while (at < bytes.size()) {
    EXPECT_LE(at + 12, bytes.size());
    uint64_t length = 0;
    std::memcpy(&length, bytes.data() + at, 8);
    EXPECT_EQ(u32(at + 8), masked_crc32c(std::string_view(bytes).substr(at, 8)));
    const std::string_view data = std::string_view(bytes).substr(at + 12, length);
    EXPECT_EQ(u32(at + 12 + length), masked_crc32c(data));
    tensorboard::Event event;
    EXPECT_TRUE(event.ParseFromArray(data.data(), static_cast<int>(data.size())));
    events.push_back(event);
    at += 12 + length + 4;
  }
  return events;
}

class TensorBoard : public testing::TemporaryDirectoryTest {
 protected:
  TensorBoard() : TemporaryDirectoryTest("tensorboard") {}
};

TEST_F(TensorBoard, WritesEachKindOfSummaryAsARecordTheSchemaReadsBack) {
  const std::string png = path("picture.png");
  data::write_png(png, full({3, 5, 7}, 0.5));
  std::string file;
  {
    TensorBoardWriter writer(path("logs/run"));
    file = writer.path();
    writer.add_scalar("train/loss", 2.25, 10);
    writer.add_histogram("weights/fc", tensor({0.0, 1.0, 2.0, 2.0, 4.0}), 3, 4);
    writer.add_text("model", "**gpt**, 4 layers", 0);
    writer.add_image_file("curves", png, 7);
    writer.add_hyperparameters({{"lr", 0.003}, {"optimizer", "adamw"}, {"nesterov", false}});
  }
  EXPECT_EQ(std::filesystem::path(file).parent_path(), path("logs/run"));
  EXPECT_NE(std::filesystem::path(file).filename().string().find("events.out.tfevents."), std::string::npos);
  const std::vector<tensorboard::Event> events = read_events(file);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_GT(events[0].wall_time(), 1.7e9);  // seconds since 1970: after 2023

  const auto& scalar = events[1].summary().value(0);
  EXPECT_EQ(events[1].step(), 10);
  EXPECT_EQ(scalar.tag(), "train/loss");
  EXPECT_EQ(scalar.simple_value(), 2.25f);

  // Four buckets of width 1 over [0, 4]: (-inf, 1] holds 0 and 1, (1, 2] both 2s, (2, 3] none, (3, 4] the 4.
  const auto& histogram = events[2].summary().value(0).histo();
  EXPECT_EQ(histogram.min(), 0.0);
  EXPECT_EQ(histogram.max(), 4.0);
  EXPECT_EQ(histogram.num(), 5.0);
  EXPECT_EQ(histogram.sum(), 9.0);
  EXPECT_EQ(histogram.sum_squares(), 25.0);
  EXPECT_EQ(std::vector<double>(histogram.bucket_limit().begin(), histogram.bucket_limit().end()),
            (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(std::vector<double>(histogram.bucket().begin(), histogram.bucket().end()),
            (std::vector<double>{2, 2, 0, 1}));

  const auto& text = events[3].summary().value(0);
  EXPECT_EQ(text.metadata().plugin_data().plugin_name(), "text");
  EXPECT_EQ(text.tensor().dtype(), tensorboard::DT_STRING);
  ASSERT_EQ(text.tensor().string_val_size(), 1);
  EXPECT_EQ(text.tensor().string_val(0), "**gpt**, 4 layers");

  const auto& image = events[4].summary().value(0).image();
  EXPECT_EQ(image.width(), 7);
  EXPECT_EQ(image.height(), 5);
  EXPECT_EQ(image.colorspace(), 3);
  EXPECT_EQ(image.encoded_image_string(), read_file(png));

  const auto& hparams = events[5].summary().value(0);
  EXPECT_EQ(hparams.tag(), "_hparams_/session_start_info");
  EXPECT_EQ(hparams.metadata().plugin_data().plugin_name(), "hparams");
  tensorboard::HParamsPluginData plugin;
  ASSERT_TRUE(plugin.ParseFromString(hparams.metadata().plugin_data().content()));
  EXPECT_EQ(plugin.session_start_info().hparams().at("lr").number_value(), 0.003);
  EXPECT_EQ(plugin.session_start_info().hparams().at("optimizer").string_value(), "adamw");
  EXPECT_FALSE(plugin.session_start_info().hparams().at("nesterov").bool_value());
}

TEST_F(TensorBoard, BadInputIsOneErrorNamingIt) {
  TensorBoardWriter writer(path("logs"));
  expect_error([&] { writer.add_image_file("x", path("missing.png"), 0); }, {"missing.png"});
  write_file_atomic(path("not.png"), "GIF89a, not a PNG at all, padded past thirty-three bytes");
  expect_error([&] { writer.add_image_file("x", path("not.png"), 0); }, {"not.png", "not a PNG"});
  expect_error([&] { writer.add_hyperparameters({{"layers", {1, 2}}}); }, {"hyperparameter layers"});
  expect_error([&] { writer.add_histogram("h", tensor({NAN}), 0); }, {"no finite value"});
  // A directory that cannot be made: its parent is a regular file (fails for root as well).
  write_file_atomic(path("file"), "x");
  expect_error([&] { TensorBoardWriter(path("file/logs")); }, {"file/logs"});
}

}  // namespace
}  // namespace nabla::io
