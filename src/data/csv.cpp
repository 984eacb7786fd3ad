#include "nabla/data/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>

#include "nabla/factory.h"
#include "nabla/io/file.h"

namespace nabla::data {

struct CsvDataset::Loaded {
  Tensor inputs, targets;
  std::vector<std::string> feature_names;
  std::string target_name;
};

namespace {

std::string trimmed(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  return std::string(text.substr(begin, text.find_last_not_of(" \t") - begin + 1));
}

// Where a value came from, for error messages: "data.csv line 7, column 'age' (3)".
struct Place {
  const std::string& path;
  int64_t line;
};

// One line's fields. A field that starts with a quote runs to the closing quote, delimiters and all; ""
// inside it is one quote. (A quoted field spanning lines is not supported: numeric tables don't need it.)
std::vector<std::string> split_fields(std::string_view line, char delimiter, const Place& place) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        field += '"', ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"' && trimmed(field).empty()) {
      quoted = true, field.clear();
    } else if (c == delimiter) {
      fields.push_back(trimmed(field)), field.clear();
    } else {
      field += c;
    }
  }
  NABLA_CHECK(!quoted, "csv: {} line {}: a quoted field is not closed", place.path, place.line);
  fields.push_back(trimmed(field));
  return fields;
}

// The file's non-blank lines with their numbers (from 1), without line ends or a UTF-8 byte-order mark.
std::vector<std::pair<int64_t, std::string_view>> content_lines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // spreadsheets often write one
  std::vector<std::pair<int64_t, std::string_view>> lines;
  int64_t number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!trimmed(line).empty()) lines.emplace_back(number, line);
  }
  return lines;
}

class Columns {
 public:
  Columns(std::vector<std::string> names, const std::string& target, const std::string& path) : names_(std::move(names)) {
    NABLA_CHECK(names_.size() >= 2, "csv: {} has {} column(s) in its header; need at least one feature and the target",
                path, names_.size());
    if (target.empty()) {
      target_ = names_.size() - 1;
      return;
    }
    auto found = std::find(names_.begin(), names_.end(), target);
    NABLA_CHECK(found != names_.end(), "csv: {} has no column '{}'; its columns are {}", path, target,
                fmt::join(names_, ", "));
    target_ = static_cast<size_t>(found - names_.begin());
  }
  size_t count() const { return names_.size(); }
  size_t target() const { return target_; }
  const std::string& name(size_t column) const { return names_[column]; }
  std::string describe(size_t column) const { return fmt::format("column '{}' ({})", names_[column], column + 1); }
  std::vector<std::string> features() const {
    std::vector<std::string> result = names_;
    result.erase(result.begin() + static_cast<std::ptrdiff_t>(target_));
    return result;
  }

 private:
  std::vector<std::string> names_;
  size_t target_ = 0;
};

double parse_number(const std::string& field, const Place& place, const std::string& column) {
  NABLA_CHECK(!field.empty(), "csv: {} line {}, {}: the value is empty", place.path, place.line, column);
  const char* begin = field.data() + (field.starts_with('+') ? 1 : 0);  // from_chars refuses a plus sign
  const char* end = field.data() + field.size();
  double value = 0;
  auto [stop, error] = std::from_chars(begin, end, value);
  NABLA_CHECK(error == std::errc() && stop == end, "csv: {} line {}, {}: '{}' is not a number", place.path, place.line,
              column, field);
  NABLA_CHECK(std::isfinite(value), "csv: {} line {}, {}: '{}' is not a finite number", place.path, place.line, column,
              field);
  return value;
}

int64_t parse_label(const std::string& field, const Place& place, const std::string& column) {
  const double value = parse_number(field, place, column);
  NABLA_CHECK(value >= 0 && value == std::floor(value) && value < 1e9,
              "csv: {} line {}, {}: '{}' is not a class label (an integer from 0); for numeric targets ask for "
              "regression",
              place.path, place.line, column, field);
  return static_cast<int64_t>(value);
}

}  // namespace

CsvDataset::Loaded CsvDataset::load(const std::string& path, const CsvOptions& options) {
  NABLA_CHECK(std::filesystem::is_regular_file(path), "csv: {} {}", path,
              std::filesystem::exists(path) ? "is not a regular file" : "does not exist");
  const std::string text = io::read_file(path);
  const auto lines = content_lines(text);
  NABLA_CHECK(!lines.empty(), "csv: {} is empty; expected a header row, then one row per example", path);
  const Columns columns(split_fields(lines[0].second, options.delimiter, {path, lines[0].first}), options.target, path);
  NABLA_CHECK(lines.size() > 1, "csv: {} has a header (line {}) but no data rows", path, lines[0].first);
  std::vector<float> features;
  std::vector<double> targets;
  for (size_t row = 1; row < lines.size(); ++row) {
    const Place place{path, lines[row].first};
    const std::vector<std::string> fields = split_fields(lines[row].second, options.delimiter, place);
    NABLA_CHECK(fields.size() == columns.count(), "csv: {} line {} has {} fields; the header (line {}) has {}", path,
                place.line, fields.size(), lines[0].first, columns.count());
    for (size_t column = 0; column < fields.size(); ++column) {
      const std::string where = columns.describe(column);
      if (column != columns.target()) {
        features.push_back(static_cast<float>(parse_number(fields[column], place, where)));
      } else {
        targets.push_back(options.regression ? parse_number(fields[column], place, where)
                                             : static_cast<double>(parse_label(fields[column], place, where)));
      }
    }
  }
  const auto count = static_cast<int64_t>(targets.size()), width = static_cast<int64_t>(columns.count() - 1);
  Tensor inputs = empty({count, width});
  std::copy(features.begin(), features.end(), inputs.data<float>());
  // Regression targets are [N, 1], as a one-output model's predictions: [N] against [N, 1] would broadcast.
  Tensor target_tensor = options.regression ? from_vector(targets, {count, 1})
                                            : from_vector(targets, {count}, {.dtype = DType::i64});
  return {inputs, target_tensor, columns.features(), columns.name(columns.target())};
}

CsvDataset::CsvDataset(const std::string& path, const CsvOptions& options) : CsvDataset(load(path, options)) {}

CsvDataset::CsvDataset(Loaded loaded)
    : TensorDataset(std::move(loaded.inputs), std::move(loaded.targets)),
      feature_names_(std::move(loaded.feature_names)),
      target_name_(std::move(loaded.target_name)) {}

}  // namespace nabla::data
