#include "nabla/train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace nabla::train {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto total = static_cast<int64_t>(seconds + 0.5);
  int64_t hours = total / 3600, minutes = total / 60 % 60, rest = total % 60;
  return hours ? fmt::format("{}:{:02}:{:02}", hours, minutes, rest) : fmt::format("{}:{:02}", minutes, rest);
}

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit, std::FILE* stream)
    : label_(std::move(label)), unit_(std::move(unit)), total_(std::max<int64_t>(total, 1)), stream_(stream),
      terminal_(stream != nullptr && isatty(fileno(stream)) != 0), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_) finish();
}

double ProgressBar::rate() const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
}

void ProgressBar::advance(int64_t steps, const std::string& metrics) {
  done_ = std::min(total_, done_ + steps);
  if (!metrics.empty()) metrics_ = metrics;
  auto now = std::chrono::steady_clock::now();
  // Redraw at most ten times a second on a terminal; at each tenth of the work otherwise.
  // The last tenth is left to finish(), which also reports the elapsed time.
  bool redraw = terminal_ ? now - last_draw_ >= std::chrono::milliseconds(100)
                          : done_ * 10 / total_ != last_decile_ && done_ < total_;
  if (redraw) {
    last_draw_ = now;
    draw(false);
  }
}

void ProgressBar::finish(const std::string& metrics) {
  if (finished_) return;
  if (!metrics.empty()) metrics_ = metrics;
  finished_ = true;
  draw(true);
}

void ProgressBar::draw(bool final) {
  if (!stream_) return;  // a silent bar
  const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double per_second = rate();
  const double eta = per_second > 0 ? static_cast<double>(total_ - done_) / per_second : NAN;
  std::string timing = final ? fmt::format("{} elapsed", format_duration(elapsed)) : fmt::format("ETA {}", format_duration(eta));
  std::string speed = fmt::format("{:.1f} {}/s", per_second, unit_);
  if (terminal_) {
    constexpr int width = 28;
    int filled = static_cast<int>(fraction * width);
    std::string bar = std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.');
    fmt::print(stream_, "\r\033[K{} [{}] {:3.0f}% {} {} {}", label_, bar, 100 * fraction, speed, timing, metrics_);
    if (final) fmt::print(stream_, "\n");
  } else {
    last_decile_ = static_cast<int>(done_ * 10 / total_);
    fmt::print(stream_, "{} {:3.0f}% ({}/{}) {} {} {}\n", label_, 100 * fraction, done_, total_, speed, timing, metrics_);
  }
  std::fflush(stream_);
}

}  // namespace nabla::train
