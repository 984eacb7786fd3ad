#include "cli/commands.h"

#include "backend/cpu/kernels.h"
#include "nabla/models/registry.h"

#include <cmath>

namespace nabla::cli {
namespace {

CLI::Validator number_check(const char* name, bool (*accept)(double), const char* requirement) {
  return CLI::Validator(
      [accept, requirement](std::string& text) {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !accept(value)) return std::string(requirement) + ", got " + text;
        return std::string();
      },
      name);
}

}  // namespace

CLI::Validator positive() {
  return number_check("POSITIVE", [](double v) { return std::isfinite(v) && v > 0; }, "must be a positive finite number");
}

CLI::Validator thread_count() {
  static_assert(cpu::max_threads == 1024, "the message below names the limit");
  return number_check("1..1024", [](double v) { return v >= 1 && v <= cpu::max_threads && v == std::floor(v); },
                      "must be a whole number of threads from 1 to 1024");
}

CLI::Validator non_negative() {
  return number_check("NON-NEGATIVE", [](double v) { return std::isfinite(v) && v >= 0; }, "must be a finite number, zero or more");
}

CLI::Validator model_name() {
  return CLI::Validator(
      [](std::string& text) {
        if (models::registry().find(text)) return std::string();
        return fmt::format("unknown model '{}'; known models: {}", text, fmt::join(models::registry().names(), ", "));
      },
      "MODEL");
}

CLI::Validator probability() {
  return number_check("0..1", [](double v) { return v >= 0 && v <= 1; }, "must be a probability from 0 to 1");
}

CLI::Validator key_value() {
  return CLI::Validator(
      [](std::string& text) {
        const size_t equals = text.find('=');
        if (equals == std::string::npos || equals == 0) return fmt::format("must be KEY=VALUE, got '{}'", text);
        return std::string();
      },
      "KEY=VALUE");
}

CLI::Validator count_or_fraction() {
  return number_check("COUNT|FRACTION", [](double v) { return std::isfinite(v) && v >= 0 && (v < 1 || v == std::floor(v)); },
                      "must be a whole count, or a fraction from 0 to below 1");
}

}  // namespace nabla::cli
