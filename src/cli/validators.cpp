#include "cli/commands.h"

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

CLI::Validator non_negative() {
  return number_check("NON-NEGATIVE", [](double v) { return std::isfinite(v) && v >= 0; }, "must be a finite number, zero or more");
}

}  // namespace nabla::cli
