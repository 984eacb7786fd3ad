// Runs one experiment and writes what it measured: result.json (the record every report is built from)
// and report.md beside its plots.
#include <chrono>
#include <ctime>

#include "nabla/io/file.h"
#include "nabla/lab/lab.h"
#include "nabla/random.h"

namespace nabla::lab {
namespace {

// A --set key that the experiment never read would silently change nothing: refuse it.
void check_settings_were_read(const Experiment& experiment, const RunOptions& options, const Context& context) {
  for (const auto& [key, value] : options.settings) {
    if (context.knobs_read().count(key)) continue;
    std::string known = context.knobs_read().empty() ? "none" : fmt::format("{}", fmt::join(context.knobs_read(), ", "));
    throw KnobError(fmt::format("lab {}: --set {} names no knob of this experiment; its knobs: {}", experiment.id, key, known));
  }
}

}  // namespace

std::string utc_text(int64_t unix_seconds) {
  std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

int64_t parse_utc_text(const std::string& text) {
  std::tm parts{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  NABLA_CHECK(end != nullptr && *end == '\0', "'{}' is not a UTC time such as 2026-01-31T12:00:00Z", text);
  return static_cast<int64_t>(timegm(&parts));
}

RunResult run_experiment(const Experiment& experiment, const RunOptions& options) {
  Context context(experiment, options);
  manual_seed(options.seed);  // modules initialise from the default generator
  RunResult result;
  auto start = std::chrono::steady_clock::now();
  try {
    experiment.run(context);
  } catch (const KnobError&) {
    throw;  // a bad argument, not a result
  } catch (const std::exception& error) {
    result.status = "error";
    result.message = error.what();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (result.status.empty()) check_settings_were_read(experiment, options, context);

  nlohmann::json record = context.record();
  result.failed = context.failed_claims();
  result.passed = static_cast<int>(record["claims"].size()) - result.failed;
  if (result.status.empty() && record["claims"].empty()) {
    result.status = "error";
    result.message = experiment.id + " made no claims; an experiment must assert what it measured";
  }
  if (result.status.empty()) result.status = result.failed == 0 ? "pass" : "fail";
  record["status"] = result.status;
  if (!result.message.empty()) record["error"] = result.message;
  record["date"] = utc_text(std::time(nullptr));
  record["seconds"] = seconds;
  io::write_file_atomic((context.directory() / "result.json").string(), record.dump(2) + "\n");
  io::write_file_atomic((context.directory() / "report.md").string(), markdown_report(record, "", options.language));
  return result;
}

nlohmann::json read_result(const std::filesystem::path& out, const std::string& id) {
  std::filesystem::path path = out / id / "result.json";
  if (!std::filesystem::exists(path)) return nullptr;
  nlohmann::json result = nlohmann::json::parse(io::read_file(path.string()), nullptr, false);
  std::string problem = result.is_object() ? "" : "not a JSON object";
  if (problem.empty()) {
    // Rendering the report reads every field that list, report and quiz read, with their types: a field of
    // the wrong type shows here, named with its file, rather than as a bare JSON error later.
    try {
      (void)markdown_report(result);
    } catch (const nlohmann::json::exception& error) {
      problem = error.what();
    }
  }
  NABLA_CHECK(problem.empty(), "lab: {} is corrupt ({}); run `nabla lab run {}` to replace it", path.string(), problem, id);
  return result;
}

}  // namespace nabla::lab
