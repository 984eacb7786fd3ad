#pragma once
// Each `nabla` subcommand adds itself to the app; run() is called if it was chosen. One file per command.
#include <CLI/CLI.hpp>

#include <functional>

namespace nabla::cli {

using Runner = std::function<int()>;  // returns the exit status

Runner add_demo_command(CLI::App& app);
Runner add_train_command(CLI::App& app);
Runner add_eval_command(CLI::App& app);
Runner add_summary_command(CLI::App& app);
Runner add_models_command(CLI::App& app);
Runner add_predict_command(CLI::App& app);
Runner add_generate_command(CLI::App& app);
Runner add_lab_command(CLI::App& app);
Runner add_explain_command(CLI::App& app);

// Validators whose messages say what is wrong in a few words (CLI11's print whole ranges).
CLI::Validator positive();
CLI::Validator non_negative();
// A model name of the registry; the message lists the known ones.
CLI::Validator model_name();
CLI::Validator count_or_fraction();  // a whole count ≥ 1, or a fraction in [0, 1)
CLI::Validator probability();        // a number in [0, 1]
CLI::Validator key_value();          // KEY=VALUE with a non-empty key
// A whole number from 1 to cpu::max_threads.
CLI::Validator thread_count();

}  // namespace nabla::cli
