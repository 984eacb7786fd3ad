// The `nabla` command line. Errors print one line and exit non-zero: 2 for bad arguments, 1 otherwise.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <vector>

#include "backend/cpu/kernels.h"
#include "cli/commands.h"
#include "cli/segmentation_commands.h"
#include "ops/profiler.h"
#include "nabla/nabla.h"
#include "nabla/train/trainer.h"

int main(int argc, char** argv) {
  CLI::App app{"nabla: a deep-learning framework you can read end to end"};
  app.require_subcommand(0, 1);
  app.fallthrough();  // global options (--threads, --profile) may also follow the command
  app.set_version_flag("--version", "nabla 0.1.0");
  int threads = 0;
  app.add_option("--threads", threads, "Threads for kernels (default: NABLA_NUM_THREADS, else all cores)")
      ->check(nabla::cli::thread_count());
  bool profile = false;
  app.add_flag("--profile", profile, "Print per-op kernel time at the end of the run (as NABLA_PROFILE=1)");
  std::vector<nabla::cli::Runner> commands = {
      nabla::cli::add_train_command(app), nabla::cli::add_eval_command(app), nabla::cli::add_predict_command(app),
      nabla::cli::add_summary_command(app), nabla::cli::add_models_command(app), nabla::cli::add_demo_command(app),
      nabla::cli::add_lab_command(app), nabla::cli::add_generate_command(app),
      nabla::cli::add_explain_command(app), nabla::cli::add_data_command(app),
      nabla::cli::add_segment_command(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int status = app.exit(error);  // prints --help/--version, or the problem and a hint
    return status == 0 ? 0 : 2;    // every bad argument exits with 2
  }
  if (app.get_subcommands().empty()) {
    std::fprintf(stderr, "nabla: error: no command given; try `nabla train`, or `nabla --help` for the list\n");
    return 2;
  }
  try {
    if (threads > 0) nabla::cpu::set_num_threads(threads);
    if (profile) nabla::profiler::enable();
    for (const nabla::cli::Runner& command : commands) {
      int status = command();
      if (status >= 0) return status;
    }
  } catch (const nabla::train::Interrupted& error) {
    std::fprintf(stderr, "nabla: %s\n", error.what());
    return 130;  // as a shell reports a process ended by SIGINT
  } catch (const std::exception& error) {
    std::fprintf(stderr, "nabla: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
