#pragma once
// A progress bar for long work. On a terminal it redraws one line: bar, percentage, rate, ETA and the
// latest metrics. Otherwise (a log file, CI) it prints a plain line at every tenth of the work.
// A null stream makes a silent bar.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace nabla::train {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit = "it", std::FILE* stream = stderr);
  ~ProgressBar();
  // Advances by `steps` and shows `metrics` (e.g. "loss 0.123") beside the bar.
  void advance(int64_t steps = 1, const std::string& metrics = "");
  void finish(const std::string& metrics = "");
  double rate() const;  // units per second so far

 private:
  void draw(bool final);

  std::string label_, unit_, metrics_;
  int64_t total_, done_ = 0;
  int last_decile_ = -1;
  std::FILE* stream_;
  bool terminal_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);  // "1:05", "2:03:09"

}  // namespace nabla::train
