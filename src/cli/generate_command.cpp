// `nabla generate --checkpoint DIR --prompt "…"`: continues a prompt with a language model trained by
// `nabla train` (gpt, lstm, gru, bigram), with the tokenizer saved beside it. Each token's text is written to
// stdout as soon as it is sampled (whole UTF-8 characters only: TokenPrinter), then a newline; a line on stderr
// says how many tokens came, how fast, and the seed that repeats the run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>

#include "cli/commands.h"
#include "cli/token_printer.h"
#include "cli/training_setup.h"
#include "nabla/models/generation.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"

namespace nabla::cli {
namespace {

struct GenerateArguments {
  std::string directory;
  std::string prompt;
  int64_t max_tokens = 200;
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  std::optional<uint64_t> seed;
  bool greedy = false;
  bool stop_at_end = false;
};

std::vector<std::string> language_model_names() {
  std::vector<std::string> names;
  for (const models::ModelEntry& entry : models::registry().entries()) {
    if (entry.input.dataset == "text") names.push_back(entry.name);
  }
  return names;
}

// The prompt's token ids as the model will see them: the end-of-text token for an empty prompt (what a text
// starts after in training), and at most `context` tokens, cut from the left (the end is what the next token
// depends on most), with a note on stderr. Characters the tokenizer never saw are noted too.
std::vector<int64_t> prompt_tokens(const text::Tokenizer& tokenizer, const std::string& prompt, int64_t context) {
  const text::SpecialTokens specials = tokenizer.special_tokens();
  if (prompt.empty()) return {specials.end_of_text};
  std::vector<int64_t> ids = tokenizer.encode(prompt);
  const auto unknown = std::count(ids.begin(), ids.end(), specials.unknown);
  if (specials.unknown >= 0 && unknown > 0) {
    fmt::print(stderr, "nabla: note: {} prompt token(s) are unknown to the {} tokenizer (it never saw those characters)\n",
               unknown, tokenizer.kind());
  }
  const auto length = static_cast<int64_t>(ids.size());
  if (context > 0 && length > context) {
    fmt::print(stderr, "nabla: note: the prompt has {} tokens, more than the model's context of {}; it keeps the last {}\n",
               length, context, context);
    ids.erase(ids.begin(), ids.end() - context);
  }
  return ids;
}

int run_generate(const GenerateArguments& arguments) {
  TrainedModel trained = load_trained_model(arguments.directory, "generate");
  NABLA_CHECK(trained.tokenizer, "generate: the run in {} trained '{}', which is not a language model; generate needs "
              "a run of {}", arguments.directory, trained.config.model, fmt::join(language_model_names(), ", "));
  const text::Tokenizer& tokenizer = *trained.tokenizer;
  const std::vector<int64_t> prompt = prompt_tokens(tokenizer, arguments.prompt, trained.config.context);
  const uint64_t seed = arguments.seed ? *arguments.seed : std::random_device{}();
  const models::GenerationOptions options{.max_new_tokens = arguments.max_tokens,
                                          .greedy = arguments.greedy,
                                          .temperature = arguments.temperature,
                                          .top_k = arguments.top_k,
                                          .top_p = arguments.top_p,
                                          .seed = seed,
                                          .context = trained.config.context};
  TokenPrinter printer(tokenizer, [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);  // each token as it comes, not when the buffer fills
  });
  printer.echo(arguments.prompt);
  const int64_t end_of_text = tokenizer.special_tokens().end_of_text;
  int64_t generated = 0;
  const auto start = std::chrono::steady_clock::now();
  models::generate(*trained.model, from_vector(std::vector<double>(prompt.begin(), prompt.end()),
                                               {1, static_cast<int64_t>(prompt.size())}, DType::i64),
                   options, [&](const Tensor& tokens) {
                     const auto token = tokens.item<int64_t>();
                     ++generated;
                     printer.add(token);
                     return !(arguments.stop_at_end && token == end_of_text);
                   });
  printer.finish();
  if (!printer.at_line_start()) printer.echo("\n");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr, "nabla: {} tokens in {:.2f} s ({:.1f} tokens/s); {}\n", generated, seconds,
             seconds > 0 ? static_cast<double>(generated) / seconds : 0.0,
             arguments.greedy || arguments.temperature == 0 ? std::string("greedy") : fmt::format("seed {}", seed));
  return 0;
}

// A number in (0, 1]: top-p keeps the smallest set of tokens whose probability reaches it, so 0 keeps nothing.
CLI::Validator nucleus_probability() {
  return CLI::Validator(
      [](std::string& text) {
        double value = 0;
        if (CLI::detail::lexical_cast(text, value) && value > 0 && value <= 1) return std::string();
        return "must be a probability above 0 and at most 1, got " + text;
      },
      "(0..1]");
}

}  // namespace

Runner add_generate_command(CLI::App& app) {
  auto arguments = std::make_shared<GenerateArguments>();
  CLI::App* command = app.add_subcommand("generate", "Continue a prompt with a trained language model, token by token");
  command->add_option("--checkpoint", arguments->directory, "A directory written by `nabla train --out` (gpt, lstm, gru, bigram)")
      ->required();
  command->add_option("--prompt", arguments->prompt, "The text to continue (empty: start a new text)");
  command->add_option("--max-tokens", arguments->max_tokens, "Tokens to generate")->capture_default_str()->check(positive());
  auto* temperature = command->add_option("--temperature", arguments->temperature,
                                          "Divides the logits before sampling: below 1 sharper, above 1 flatter; 0 is greedy")
                          ->capture_default_str()
                          ->check(non_negative());
  auto* top_k = command->add_option("--top-k", arguments->top_k, "Sample among the K most likely tokens only (0: all)")
                    ->capture_default_str()
                    ->check(non_negative());
  auto* top_p = command->add_option("--top-p", arguments->top_p,
                                    "Sample among the fewest most likely tokens whose probability reaches P (1: all)")
                    ->capture_default_str()
                    ->check(nucleus_probability());
  command->add_option("--seed", arguments->seed, "Seed of the sampling (default: a new one each run, printed on stderr)");
  command->add_flag("--greedy", arguments->greedy, "Always take the most likely token (no sampling)")
      ->excludes(temperature)
      ->excludes(top_k)
      ->excludes(top_p);
  command->add_flag("--stop-at-end", arguments->stop_at_end,
                    "Stop when the model ends its text (the end-of-text token) rather than after --max-tokens");
  command->footer(
      "The continuation is written to stdout as it is sampled, after the prompt; a line on stderr gives the\n"
      "tokens, their speed and the seed (pass it as --seed to get the same text again). The end-of-text token\n"
      "(the model starting a new text) is written as an empty line. A prompt longer than the model's context\n"
      "keeps its last tokens. Sampling: softmax(logits / temperature), then top-k, then top-p.");
  return [command, arguments] {
    if (!command->parsed()) return -1;
    return run_generate(*arguments);
  };
}

}  // namespace nabla::cli
