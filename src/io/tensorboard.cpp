#include "nabla/io/tensorboard.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "nabla/error.h"
#include "nabla/io/crc32c.h"
#include "nabla/io/file.h"
#include "src/io/proto/tensorboard.pb.h"

namespace nabla::io {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof(name) - 1) == 0 ? std::string(name) : std::string("localhost");
}

std::string little_endian_64(uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xFF);
  return bytes;
}

std::string little_endian_32(uint32_t value) { return little_endian_64(value).substr(0, 4); }

tensorboard::Event event_at(int64_t step) {
  tensorboard::Event event;
  event.set_wall_time(now_seconds());
  event.set_step(step);
  return event;
}

// A PNG's width, height and TensorBoard colour space, from its IHDR chunk (bytes 16–25 of the file).
struct PngHeader {
  int width = 0, height = 0, colorspace = 0;
};

PngHeader png_header(const std::string& bytes, const std::string& path) {
  static constexpr std::string_view signature("\x89PNG\r\n\x1a\n", 8);
  NABLA_CHECK(bytes.size() >= 33 && std::string_view(bytes).substr(0, 8) == signature &&
                  std::string_view(bytes).substr(12, 4) == "IHDR",
              "tensorboard: {} is not a PNG file", path);
  auto big_endian_32 = [&](size_t at) {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
    return static_cast<int>(value);
  };
  const int colour_type = static_cast<unsigned char>(bytes[25]);
  // PNG colour types: 0 grey, 2 RGB, 3 palette (shown as RGB), 4 grey + alpha, 6 RGBA.
  const int colorspace = colour_type == 0 ? 1 : colour_type == 4 ? 2 : colour_type == 6 ? 4 : 3;
  return {big_endian_32(16), big_endian_32(20), colorspace};
}

}  // namespace

TensorBoardWriter::TensorBoardWriter(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  NABLA_CHECK(!error, "tensorboard: cannot create the directory {}: {}", directory, error.message());
  // Two writers of one process in the same second still get two files.
  static std::atomic<int> files_opened{0};
  path_ = (std::filesystem::path(directory) /
           fmt::format("events.out.tfevents.{}.{}.{}.{}", static_cast<int64_t>(now_seconds()), host_name(), getpid(),
                       files_opened++))
              .string();
  file_.open(path_, std::ios::binary | std::ios::trunc);
  NABLA_CHECK(file_.good(), "tensorboard: cannot create {}", path_);
  tensorboard::Event version = event_at(0);
  version.set_file_version("brain.Event:2");
  write_event(version.SerializeAsString());
}

void TensorBoardWriter::write_event(const std::string& serialized_event) {
  const std::string length = little_endian_64(serialized_event.size());
  file_ << length << little_endian_32(masked_crc32c(length)) << serialized_event
        << little_endian_32(masked_crc32c(serialized_event));
  file_.flush();
  NABLA_CHECK(file_.good(), "tensorboard: cannot write to {} (disk full?)", path_);
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  tensorboard::Event event = event_at(step);
  tensorboard::Summary::Value* entry = event.mutable_summary()->add_value();
  entry->set_tag(tag);
  entry->set_simple_value(static_cast<float>(value));  // the schema's scalar is a float
  write_event(event.SerializeAsString());
}

void TensorBoardWriter::add_histogram(const std::string& tag, const Tensor& values, int64_t step, int64_t bins) {
  NABLA_CHECK(bins >= 1, "tensorboard: add_histogram needs at least one bin, got {}", bins);
  NABLA_CHECK(values.numel() >= 1, "tensorboard: add_histogram of '{}' got an empty tensor", tag);
  std::vector<double> data = values.to_vector();
  std::erase_if(data, [](double value) { return !std::isfinite(value); });
  NABLA_CHECK(!data.empty(), "tensorboard: add_histogram of '{}' got no finite value", tag);
  tensorboard::Event event = event_at(step);
  tensorboard::Summary::Value* entry = event.mutable_summary()->add_value();
  entry->set_tag(tag);
  tensorboard::HistogramProto* histogram = entry->mutable_histo();
  const auto [least, greatest] = std::minmax_element(data.begin(), data.end());
  const double low = *least, high = *greatest;
  double sum = 0, sum_squares = 0;
  for (const double value : data) sum += value, sum_squares += value * value;
  histogram->set_min(low);
  histogram->set_max(high);
  histogram->set_num(static_cast<double>(data.size()));
  histogram->set_sum(sum);
  histogram->set_sum_squares(sum_squares);
  // Equal-width buckets; bucket i holds (limit[i-1], limit[i]], the first also holds the least value.
  const int64_t count = high > low ? bins : 1;
  std::vector<double> buckets(static_cast<size_t>(count), 0.0);
  const double width = (high - low) / static_cast<double>(count);
  for (const double value : data) {
    const int64_t index = count == 1 ? 0 : static_cast<int64_t>(std::ceil((value - low) / width)) - 1;
    buckets[static_cast<size_t>(std::clamp<int64_t>(index, 0, count - 1))] += 1;
  }
  for (int64_t i = 0; i < count; ++i) {
    histogram->add_bucket_limit(i + 1 == count ? high : low + width * static_cast<double>(i + 1));
    histogram->add_bucket(buckets[static_cast<size_t>(i)]);
  }
  write_event(event.SerializeAsString());
}

void TensorBoardWriter::add_image_file(const std::string& tag, const std::string& png_path, int64_t step) {
  const std::string bytes = read_file(png_path);
  const PngHeader header = png_header(bytes, png_path);
  tensorboard::Event event = event_at(step);
  tensorboard::Summary::Value* entry = event.mutable_summary()->add_value();
  entry->set_tag(tag);
  tensorboard::Summary::Image* image = entry->mutable_image();
  image->set_width(header.width);
  image->set_height(header.height);
  image->set_colorspace(header.colorspace);
  image->set_encoded_image_string(bytes);
  write_event(event.SerializeAsString());
}

void TensorBoardWriter::add_text(const std::string& tag, const std::string& text, int64_t step) {
  tensorboard::Event event = event_at(step);
  tensorboard::Summary::Value* entry = event.mutable_summary()->add_value();
  entry->set_tag(tag);
  entry->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  tensorboard::TensorProto* tensor = entry->mutable_tensor();
  tensor->set_dtype(tensorboard::DT_STRING);
  tensor->mutable_tensor_shape();  // a scalar: no dimensions
  tensor->add_string_val(text);
  write_event(event.SerializeAsString());
}

void TensorBoardWriter::add_hyperparameters(const nlohmann::json& hyperparameters) {
  NABLA_CHECK(hyperparameters.is_object(), "tensorboard: hyperparameters must be a JSON object, got {}",
              hyperparameters.dump());
  tensorboard::HParamsPluginData plugin;
  plugin.set_version(0);
  tensorboard::SessionStartInfo* session = plugin.mutable_session_start_info();
  session->set_start_time_secs(now_seconds());
  for (const auto& [key, value] : hyperparameters.items()) {
    NABLA_CHECK(value.is_boolean() || value.is_number() || value.is_string(),
                "tensorboard: hyperparameter {} must be a number, a string or a boolean, got {}", key, value.dump());
    google::protobuf::Value& slot = (*session->mutable_hparams())[key];
    if (value.is_boolean()) slot.set_bool_value(value.get<bool>());
    else if (value.is_number()) slot.set_number_value(value.get<double>());
    else slot.set_string_value(value.get<std::string>());
  }
  tensorboard::Event event = event_at(0);
  tensorboard::Summary::Value* entry = event.mutable_summary()->add_value();
  entry->set_tag("_hparams_/session_start_info");
  entry->mutable_metadata()->mutable_plugin_data()->set_plugin_name("hparams");
  entry->mutable_metadata()->mutable_plugin_data()->set_content(plugin.SerializeAsString());
  write_event(event.SerializeAsString());
}

}  // namespace nabla::io
