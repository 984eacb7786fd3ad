// The `nabla` command line. Errors print one line and exit non-zero: 2 for bad arguments, 1 otherwise.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "backend/cpu/kernels.h"
#include "cli/demo.h"
#include "nabla/nabla.h"

namespace {

// CLI11's own range checks print the whole range of a double; these say what is wrong in a few words.
CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& text) {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !(value > 0)) return "must be a positive number, got " + text;
        return std::string();
      },
      "POSITIVE");
}

CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& text) {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !(value >= 0)) return "must be zero or more, got " + text;
        return std::string();
      },
      "NON-NEGATIVE");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nabla: a deep-learning framework you can read end to end"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "nabla 0.1.0");
  int threads = 0;
  app.add_option("--threads", threads, "Threads for kernels (default: NABLA_NUM_THREADS, else all cores)")
      ->check(positive());

  nabla::cli::DemoOptions demo;
  double minimum_accuracy = 0;
  CLI::App* demo_command = app.add_subcommand("demo", "Train a 2-layer network on two spirals and print its accuracy");
  demo_command->add_option("--points", demo.points_per_class, "Points per spiral")->capture_default_str()->check(positive());
  demo_command->add_option("--hidden", demo.hidden, "Hidden units")->capture_default_str()->check(positive());
  demo_command->add_option("--steps", demo.steps, "Full-batch Adam steps")->capture_default_str()->check(positive());
  demo_command->add_option("--lr", demo.learning_rate, "Learning rate")->capture_default_str()->check(positive());
  demo_command->add_option("--noise", demo.noise, "Std of the noise added to the points")->capture_default_str()->check(non_negative());
  demo_command->add_option("--seed", demo.seed, "Random seed")->capture_default_str();
  demo_command->add_option("--expect-accuracy", minimum_accuracy,
                           "Exit with status 1 if the final accuracy is below this fraction (for scripts)")
      ->check(CLI::Range(0.0, 1.0));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int status = app.exit(error);  // prints --help/--version, or the problem and a hint
    return status == 0 ? 0 : 2;    // every bad argument exits with 2
  }
  if (app.get_subcommands().empty()) {
    std::fprintf(stderr, "nabla: error: no command given; try `nabla demo`, or `nabla --help` for the list\n");
    return 2;
  }
  try {
    if (threads > 0) nabla::cpu::set_num_threads(threads);
    if (demo_command->parsed()) {
      double accuracy = nabla::cli::run_spirals_demo(demo);
      if (accuracy < minimum_accuracy) {
        std::fprintf(stderr, "nabla: error: accuracy %.3f is below --expect-accuracy %.3f\n", accuracy, minimum_accuracy);
        return 1;
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "nabla: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
