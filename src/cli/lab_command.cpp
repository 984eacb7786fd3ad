// `nabla lab list | run | report | quiz`: the lab's experiments (src/lab/), one per interview question.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>

#include "cli/commands.h"
#include "nabla/lab/lab.h"
#include "nabla/lab/quiz.h"
#include "nabla/train/progress.h"

namespace nabla::cli {
namespace {

struct LabOptions {
  std::vector<std::string> ids;
  bool all = false, full = false, quick = false, ids_only = false;
  uint64_t seed = 0;
  std::vector<std::string> settings;  // key=value
  std::string out = "runs/lab";
  std::string language;  // en or ko; empty: from the locale
  // quiz
  std::string topic;
  int count = 5;
  bool no_input = false, no_run = false;
};

lab::Language language_of(const LabOptions& options) {
  return options.language.empty() ? lab::language_from_environment() : lab::parse_language(options.language);
}

int bad_arguments(const std::string& message) {
  std::fprintf(stderr, "nabla: error: %s\n", message.c_str());
  return 2;
}

int list_experiments(const LabOptions& options) {
  for (const lab::Experiment& experiment : lab::experiments()) {
    if (options.ids_only) {
      fmt::print("{}\n", experiment.id);
      continue;
    }
    fmt::print("{}\n", lab::list_line(experiment, lab::read_result(options.out, experiment.id), language_of(options)));
  }
  return 0;
}

// One or a few experiments, with every note and claim printed.
// An experiment's error on one line, named once: the message may already start with "lab QNN: ".
void print_error(const std::string& id, const std::string& message) {
  const std::string prefix = "lab " + id + ": ";
  const std::string line = message.rfind(prefix, 0) == 0 ? message : prefix + message;
  std::fprintf(stderr, "nabla: error: %s\n", line.c_str());
}

int run_named(const std::vector<const lab::Experiment*>& chosen, const lab::RunOptions& run_options) {
  int status = 0;
  for (const lab::Experiment* experiment : chosen) {
    const std::string title =
        run_options.language == lab::Language::en ? experiment->title : experiment->question.in(run_options.language);
    fmt::print("{} · {} ({} budget, seed {})\n", experiment->id, title, lab::budget_name(run_options.budget), run_options.seed);
    std::fflush(stdout);
    lab::RunResult result;
    try {
      result = lab::run_experiment(*experiment, run_options);
    } catch (const lab::KnobError& error) {
      return bad_arguments(error.what());
    }
    if (result.status == "error") print_error(experiment->id, result.message);
    fmt::print("{}: {} ({} claims hold, {} fail); report: {}\n", experiment->id, result.status, result.passed, result.failed,
               (run_options.out / experiment->id / "report.md").string());
    if (result.status != "pass") status = 1;
  }
  return status;
}

// Every experiment, quietly (failures only), under a progress bar; then the index.
int run_all(lab::RunOptions run_options) {
  run_options.verbose = false;
  const std::vector<lab::Experiment>& all = lab::experiments();
  train::ProgressBar progress("lab", static_cast<int64_t>(all.size()), "experiments");
  int failures = 0;
  for (const lab::Experiment& experiment : all) {
    lab::RunResult result = lab::run_experiment(experiment, run_options);
    if (result.status != "pass") ++failures;
    if (result.status == "error") print_error(experiment.id, result.message);
    fmt::print("{:<4} {:<5} {} of {} claims hold  {}\n", experiment.id, result.status, result.passed,
               result.passed + result.failed, experiment.title);
    std::fflush(stdout);
    progress.advance(1, fmt::format("{} {}", experiment.id, result.status));
  }
  progress.finish(fmt::format("{} of {} pass", all.size() - failures, all.size()));
  lab::write_index(run_options.out, run_options.language);
  fmt::print("index: {}\n", (run_options.out / "index.html").string());
  return failures == 0 ? 0 : 1;
}

int run_experiments(const LabOptions& options) {
  if (options.all == !options.ids.empty()) return bad_arguments("lab: name experiments (e.g. `nabla lab run Q09`) or give --all");
  if (options.all && !options.settings.empty()) return bad_arguments("lab: --set applies to named experiments, not --all");
  lab::RunOptions run_options{.budget = options.full ? lab::Budget::full : lab::Budget::quick, .seed = options.seed,
                              .out = options.out, .language = language_of(options)};
  for (const std::string& setting : options.settings) {
    size_t equals = setting.find('=');
    if (equals == std::string::npos || equals == 0) return bad_arguments("lab: --set wants key=value, got '" + setting + "'");
    run_options.settings[setting.substr(0, equals)] = setting.substr(equals + 1);
  }
  if (options.all) return run_all(run_options);
  std::vector<const lab::Experiment*> chosen;
  for (const std::string& id : options.ids) {
    try {
      chosen.push_back(&lab::find_experiment(id));
    } catch (const Error& error) {
      return bad_arguments(error.what());
    }
  }
  return run_named(chosen, run_options);
}

int quiz(const LabOptions& options, bool seed_given) {
  lab::quiz::Options quiz_options{.ids = options.ids,
                                  .topic = options.topic,
                                  .count = options.count,
                                  .seed = seed_given ? options.seed : std::random_device{}(),
                                  .no_input = options.no_input,
                                  .no_run = options.no_run,
                                  .echo_input = isatty(STDIN_FILENO) == 0,
                                  .language = language_of(options),
                                  .out = options.out,
                                  .progress_path = lab::quiz::default_progress_path()};
  try {
    if (!options.topic.empty()) lab::find_topic(options.topic);
    for (const std::string& id : options.ids) lab::find_experiment(id);
  } catch (const Error& error) {
    return bad_arguments(error.what());
  }
  return lab::quiz::run_session(quiz_options, std::cin, stdout);
}

}  // namespace

Runner add_lab_command(CLI::App& app) {
  auto options = std::make_shared<LabOptions>();
  CLI::App* lab = app.add_subcommand("lab", "The lab: one experiment per interview question, measured and asserted");
  lab->require_subcommand(1);
  const std::string out_help = "Where results live (default: runs/lab)";
  const std::string language_help = "Language of questions, answers and labels: en or ko (default: from LC_ALL, "
                                    "LC_MESSAGES or LANG; ko when it starts with \"ko\")";
  auto add_language = [&](CLI::App* command) {
    command->add_option("--lang", options->language, language_help)->check(CLI::IsMember({"en", "ko"}));
  };

  CLI::App* list = lab->add_subcommand("list", "List the experiments with the status of their last run");
  list->add_flag("--ids", options->ids_only, "Print the ids only");
  list->add_option("--out", options->out, out_help);
  add_language(list);

  CLI::App* run = lab->add_subcommand("run", "Run experiments; exits 1 if a claim fails");
  run->add_option("ids", options->ids, "Experiment ids, e.g. Q09");
  run->add_flag("--all", options->all, "Run every experiment (with a progress bar) and write the index");
  CLI::Option* full = run->add_flag("--full", options->full, "The full budget: the reported numbers, and time claims");
  run->add_flag("--quick", options->quick, "The quick budget (the default), as ctest runs it")->excludes(full);
  run->add_option("--seed", options->seed, "Random seed")->capture_default_str()->check(non_negative());
  run->add_option("--set", options->settings, "Set an experiment's knob: --set name=value (repeatable)")
      ->allow_extra_args(false);  // one value per --set, so `--set a=1 Q09` keeps Q09 an id
  run->add_option("--out", options->out, out_help);
  add_language(run);

  CLI::App* report = lab->add_subcommand("report", "Write index.html and index.md of every experiment's last run");
  report->add_option("--out", options->out, out_help);
  add_language(report);

  CLI::App* quiz_command = lab->add_subcommand(
      "quiz", "Flash cards: a question, your answer (aloud or typed), ours with the measured evidence, then "
              "'knew it' or 'not yet'. Progress (Leitner boxes: questions not yet known come back first) is kept in "
              "$XDG_DATA_HOME/nabla/quiz.json (default ~/.local/share/nabla/quiz.json). An experiment with no "
              "cached run is run in quick mode first (never full); --no-run shows cached results only. Each question "
              "reads two lines: your answer (or an empty line), then y (knew it) or n (not yet); the end of input "
              "ends the session, so answers may be piped in");
  quiz_command->add_option("ids", options->ids, "Quiz only on these experiments, e.g. Q09 Q14");
  quiz_command->add_option("--topic", options->topic,
                           "Only questions of one capability group: its letter A–L or its name (core, nn, train, data, "
                           "vision, sequence, detection, multimodal, language, analysis, scale, interop)");
  quiz_command->add_option("--count", options->count, "Questions in the session")
      ->capture_default_str()
      ->check(positive());
  CLI::Option* quiz_seed = quiz_command->add_option("--seed", options->seed, "Seed of the order of questions that are "
                                                                             "equally due (default: random)")
                                  ->check(non_negative());
  quiz_command->add_flag("--no-input", options->no_input,
                         "For scripts: show questions, answers and evidence without waiting or grading; progress is "
                         "left unchanged");
  quiz_command->add_flag("--no-run", options->no_run, "Show cached results only; never run an experiment");
  quiz_command->add_option("--out", options->out, out_help);
  add_language(quiz_command);

  return [lab, list, run, quiz_command, quiz_seed, options] {
    if (!lab->parsed()) return -1;
    if (list->parsed()) return list_experiments(*options);
    if (run->parsed()) return run_experiments(*options);
    if (quiz_command->parsed()) return quiz(*options, quiz_seed->count() > 0);
    lab::write_index(options->out, language_of(*options));  // `lab report`, the one subcommand left
    fmt::print("wrote {}/index.html and {}/index.md\n", options->out, options->out);
    return 0;
  };
}

}  // namespace nabla::cli
