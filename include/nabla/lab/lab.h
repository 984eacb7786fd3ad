#pragma once
// The lab: one experiment per interview question (README's "Lab" section). An experiment
// registers its id, title, question and answer, and a run(Context&) that trains, measures, draws and
// asserts: every claim is a fact measured in this run. `nabla lab run QNN` runs one and writes
// <out>/QNN/report.md, result.json and the PNGs; ctest runs each in quick mode.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/error.h"
#include "nabla/io/plot.h"
#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::lab {

// quick: seconds, for tests (claims count steps, evaluations, losses, norms); full: the reported numbers,
// and the only budget in which claims about wall-clock time are made.
enum class Budget { quick, full };
std::string budget_name(Budget budget);

// ---- languages (src/lab/language.cpp): the lab's texts and the CLI's words in English and Korean
enum class Language { en, ko };
Language parse_language(const std::string& code);  // "en" or "ko"; anything else is an error
std::string language_code(Language language);
// The first of LC_ALL, LC_MESSAGES, LANG that is set and not empty decides: one starting with "ko" gives
// Korean, anything else (or none) English.
Language language_from_environment();

struct Text {
  std::string en, ko;  // ko may be empty where no Korean is written (claims refuse that: Context::claim)
  const std::string& in(Language language) const { return language == Language::ko && !ko.empty() ? ko : en; }
};

namespace detail {
// An argument of format_text as one language sees it: a Text gives its words in that language, anything
// else (a number) is itself.
template <typename Value>
const Value& in_language(const Value& value, Language) {
  return value;
}
inline const std::string& in_language(const Text& text, Language language) { return text.in(language); }
}  // namespace detail

// Formats both languages of a text with the same arguments (numbers formatted once by code, the words per
// language); the Korean format may reorder them with {0}, {1}… An argument that is itself a Text (a word
// such as "never" / "없음") is put in the matching language.
template <typename... Arguments>
Text format_text(const Text& format, const Arguments&... arguments) {
  return {fmt::format(fmt::runtime(format.en), detail::in_language(arguments, Language::en)...),
          format.ko.empty() ? std::string()
                            : fmt::format(fmt::runtime(format.ko), detail::in_language(arguments, Language::ko)...)};
}
// The parts joined by the separator, in each language (for evidence listed item by item).
Text join_texts(const std::vector<Text>& parts, const std::string& separator);

using Grid = plot::Grid;

class Context;

struct Experiment {
  std::string id;      // "Q09"
  std::string title;   // "What is gradient descent?"
  Text question;       // the interview question, in our words
  Text answer;         // 2–6 sentences, our own words; correct where the common answer is wrong
  std::string topic;   // capability group letters from the catalog, e.g. "C" or "B J"
  std::function<void(Context&)> run;
};

// Used at namespace scope in each experiment's file: static const bool registered = register_experiment({...});
// A second experiment with the same id is an error when the list is first read.
bool register_experiment(Experiment experiment);
const std::vector<Experiment>& experiments();  // sorted by id
const Experiment& find_experiment(const std::string& id);  // error listing the known ids when missing

// ---- topics (src/lab/topics.cpp): the catalog's capability groups A–L, which Experiment::topic lists
struct Topic {
  char letter;       // 'C'
  std::string name;  // "train"
  Text label;        // "train" / "학습"
};
const std::vector<Topic>& topics();
// A letter ("c") or a name ("train", "학습"), in any case; an error listing the topics when neither.
const Topic& find_topic(const std::string& letter_or_name);
bool has_topic(const Experiment& experiment, const Topic& topic);

struct RunOptions {
  Budget budget = Budget::quick;
  uint64_t seed = 0;
  std::map<std::string, std::string> settings;  // --set key=value
  std::filesystem::path out = "runs/lab";       // the experiment writes out/QNN/
  bool verbose = true;                          // print notes and every claim (else failures only)
  Language language = Language::en;             // of report.md
};

class Context {
 public:
  Context(const Experiment& experiment, const RunOptions& options);

  bool quick() const { return budget_ == Budget::quick; }
  bool full() const { return budget_ == Budget::full; }
  Budget budget() const { return budget_; }
  uint64_t seed() const { return seed_; }
  Generator& generator() { return generator_; }  // Philox seeded with seed()

  // Named knobs, set from the command line with --set name=value. Negative tests use them to break an
  // experiment's premise and check that its claim then fails. A value that is not a number is an error.
  double parameter(const std::string& name, double fallback);
  std::string option(const std::string& name, const std::string& fallback);

  void note(const std::string& text);  // a line of evidence: printed and in the report
  void figure(const std::string& name, double value, const std::string& unit = "");  // a key figure
  void table(const std::string& title, std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
  // Records a measured fact and whether it holds; prints PASS/FAIL with the evidence (in the run's language).
  // Returns condition. The name is the claim's identity (negative tests name the English one). Both texts
  // need both languages: a claim without Korean is an error, so each experiment's quick run (ctest) finds it.
  bool claim(const Text& name, bool condition, const Text& evidence);

  // Plots: each writes <directory>/<file> (a .png name) and embeds it in the report. A plot that cannot be
  // drawn (gnuplot missing) is a warning and a line in the report, never a failed experiment.
  void line_plot(const std::string& file, const plot::Panel& panel);
  void scatter_plot(const std::string& file, const plot::Panel& panel);
  void histogram(const std::string& file, const std::string& title, const std::string& x_label,
                 const std::vector<plot::Series>& samples /* x holds the samples, y is unused */, int bins);
  void contour_plot(const std::string& file, const std::string& title, const Grid& surface,
                    const std::vector<plot::Series>& trajectories);
  void heatmap(const std::string& file, const std::string& title, const Grid& values);
  void image_grid(const std::string& file, const std::string& title, const Tensor& images /*[N,H,W] or [N,C,H,W]*/,
                  int columns);

  const std::filesystem::path& directory() const { return directory_; }

  // For the runner: everything recorded so far, as result.json holds it; and the knobs read.
  const nlohmann::json& record() const { return record_; }
  const std::set<std::string>& knobs_read() const { return knobs_read_; }
  int failed_claims() const { return failed_claims_; }

 private:
  void draw(const std::string& file, const std::string& title, const std::function<void(const std::string&)>& painter);
  const std::string* setting(const std::string& name);

  Budget budget_;
  uint64_t seed_;
  Generator generator_;
  std::map<std::string, std::string> settings_;
  std::set<std::string> knobs_read_;
  std::filesystem::path directory_;
  bool verbose_;
  Language language_;
  int failed_claims_ = 0;
  nlohmann::json record_;
};

// ---- the runner (src/lab/runner.cpp)
struct RunResult {
  std::string status;  // "pass", "fail" (a claim failed) or "error" (the experiment threw)
  int passed = 0, failed = 0;
  std::string message;  // the error, for "error"
};
// Runs one experiment, writes out/QNN/result.json and report.md. An exception from the experiment makes
// the status "error"; its message is shown after "lab QNN: ", so it need not name the experiment. Bad knobs
// throw KnobError and write nothing: a --set value that is not a number, or a --set key the experiment
// never read (found after the run; the message names the knobs it does read).
RunResult run_experiment(const Experiment& experiment, const RunOptions& options);

struct KnobError : Error {
  using Error::Error;
};
// Checks the values of an experiment's knobs: a value outside what the experiment can run is a bad
// argument (exit 2, the cached result kept), not a result.
#define NABLA_KNOB_CHECK(condition, ...)                                            \
  do {                                                                              \
    if (!(condition)) throw ::nabla::lab::KnobError(::fmt::format(__VA_ARGS__));    \
  } while (0)

// Times as result.json and the quiz's progress write them: "2026-01-31T12:00:00Z" (UTC).
std::string utc_text(int64_t unix_seconds);
int64_t parse_utc_text(const std::string& text);  // an error naming the text when it is not such a time

// ---- reports (src/lab/report.cpp): result.json → markdown and HTML
// The report of one experiment; figures are linked as `image_prefix` + file.
std::string markdown_report(const nlohmann::json& result, const std::string& image_prefix = "",
                            Language language = Language::en);
// Writes out/index.md and out/index.html: every registered experiment, with its last result if any.
void write_index(const std::filesystem::path& out, Language language = Language::en);
// One line of `nabla lab list`: id, status and budget/date of the last run (`result` is null when it has not
// run), then the title (in Korean the question); the columns are padded by display width.
std::string list_line(const Experiment& experiment, const nlohmann::json& result, Language language);
// The last result of an experiment under `out`, or null when it has not run. A result.json that can't be
// parsed, or whose fields have the wrong types, is an error naming the file.
nlohmann::json read_result(const std::filesystem::path& out, const std::string& id);

}  // namespace nabla::lab
