#pragma once
// TensorBoard event files (`nabla train --tensorboard DIR`): scalars, histograms, PNG images, text and the
// run's hyperparameters, each an Event protobuf (TensorBoard's schema, src/io/proto/tensorboard.proto) in a
// record framed as TensorBoard reads it: the data's length (uint64, little-endian), the masked CRC-32C of
// those 8 bytes, the data, the masked CRC-32C of the data. Each call appends one record and flushes it, so
// TensorBoard shows a running job as it goes, and a crash loses at most the record being written (the
// reader stops at a torn record's bad checksum).
#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "nabla/tensor.h"

namespace nabla::io {

class TensorBoardWriter {
 public:
  // Creates `directory` (and its parents) and a new file in it named as TensorBoard looks for them,
  // events.out.tfevents.<seconds>.<host>.<process>.<n>, starting with the file-version event. A resumed run
  // gets a new file beside the old ones; TensorBoard reads them all.
  explicit TensorBoardWriter(const std::string& directory);

  void add_scalar(const std::string& tag, double value, int64_t step);
  // A histogram of every element of `values` in `bins` equal-width buckets between their least and greatest.
  void add_histogram(const std::string& tag, const Tensor& values, int64_t step, int64_t bins = 30);
  // A PNG image, read from `png_path` (its size and colour type from its header), e.g. a run's curves.png.
  void add_image_file(const std::string& tag, const std::string& png_path, int64_t step);
  // Markdown text, shown by TensorBoard's text tab.
  void add_text(const std::string& tag, const std::string& text, int64_t step);
  // The run's hyperparameters (a flat JSON object of numbers, strings and booleans), for the hparams tab.
  void add_hyperparameters(const nlohmann::json& hyperparameters);

  const std::string& path() const { return path_; }

 private:
  void write_event(const std::string& serialized_event);

  std::string path_;
  std::ofstream file_;
};

}  // namespace nabla::io
