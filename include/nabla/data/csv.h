#pragma once
// Your own table as a data set: a CSV file of numeric columns. It is read whole up front, so every bad
// value is found before training starts, and it is a TensorDataset: batches, splits and loaders apply.
#include <string>
#include <vector>

#include "nabla/data/dataset.h"

namespace nabla::data {

struct CsvOptions {
  std::string target;       // the target column's name; "": the last column
  bool regression = false;  // targets are floats (f32 [N, 1]) rather than class labels (i64 [N])
  char delimiter = ',';
};

// A CSV file with a header row. The target column holds class labels (integers from 0) or, with
// `regression`, numbers; every other column is a float feature: inputs f32 [N, F]. Fields may be quoted
// ("…", with "" for a quote); blank lines are skipped. Errors name the file, the line and the column.
class CsvDataset : public TensorDataset {
 public:
  explicit CsvDataset(const std::string& path, const CsvOptions& options = {});
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::string& target_name() const { return target_name_; }

 private:
  struct Loaded;
  static Loaded load(const std::string& path, const CsvOptions& options);
  explicit CsvDataset(Loaded loaded);
  std::vector<std::string> feature_names_;
  std::string target_name_;
};

}  // namespace nabla::data
