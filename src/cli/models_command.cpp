// `nabla models [--json]`: the model registry — each model's name, expected input, parameter count,
// description, default training recipe and options.
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "nabla/models/registry.h"
#include "nabla/text/numbers.h"

namespace nabla::cli {
namespace {

struct Row {
  const models::ModelEntry* entry;
  int64_t parameters;
};

nlohmann::json to_json(const Row& row) {
  const models::ModelEntry& entry = *row.entry;
  const models::Recipe& recipe = entry.recipe;
  nlohmann::json options = nlohmann::json::array();
  for (const models::OptionInfo& option : entry.options) {
    options.push_back({{"key", option.key}, {"description", option.description}});
  }
  return {{"name", entry.name},
          {"description", entry.description},
          {"input", {{"shape", entry.input.shape}, {"dataset", entry.input.dataset}}},
          {"parameters", row.parameters},
          {"recipe", {{"optimizer", recipe.optimizer}, {"lr", recipe.lr}, {"weight_decay", recipe.weight_decay},
                      {"momentum", recipe.momentum}, {"nesterov", recipe.nesterov}, {"scheduler", recipe.scheduler},
                      {"warmup_epochs", recipe.warmup_epochs}, {"epochs", recipe.epochs},
                      {"batch_size", recipe.batch_size}, {"label_smoothing", recipe.label_smoothing},
                      {"augmentation", {{"random_crop_padding", recipe.augmentation.random_crop_padding},
                                        {"horizontal_flip", recipe.augmentation.horizontal_flip},
                                        {"random_erasing", recipe.augmentation.random_erasing}}}}},
          {"options", options}};
}

// "crop with padding 4, flip 0.5, erasing 0.25", or "none".
std::string augmentation_text(const models::Augmentation& augmentation) {
  std::vector<std::string> parts;
  if (augmentation.random_crop_padding > 0) parts.push_back(fmt::format("crop with padding {}", augmentation.random_crop_padding));
  if (augmentation.horizontal_flip > 0) parts.push_back(fmt::format("flip {:g}", augmentation.horizontal_flip));
  if (augmentation.random_erasing > 0) parts.push_back(fmt::format("erasing {:g}", augmentation.random_erasing));
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string to_text(const std::vector<Row>& rows) {
  size_t name_width = 5, input_width = 5;
  for (const Row& row : rows) {
    name_width = std::max(name_width, row.entry->name.size());
    input_width = std::max(input_width, shape_string(row.entry->input.shape).size() + 1 + row.entry->input.dataset.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>11}  {}\n", "model", name_width, "input", input_width, "parameters",
                                "description");
  for (const Row& row : rows) {
    const models::ModelEntry& entry = *row.entry;
    out += fmt::format("{:<{}}  {:<{}}  {:>11}  {}\n", entry.name, name_width,
                       shape_string(entry.input.shape) + " " + entry.input.dataset, input_width,
                       text::with_commas(row.parameters), entry.description);
  }
  out += "\ndefault recipes (`nabla train --model MODEL` trains with these; options override them):\n";
  for (const Row& row : rows) {
    const models::Recipe& recipe = row.entry->recipe;
    out += fmt::format("{:<{}}  {}{}, lr {:g}, weight decay {:g}, momentum {:g}, {} schedule, {} epochs, batch {}, "
                       "warm-up {} epochs, label smoothing {:g}, augmentation: {}\n",
                       row.entry->name, name_width, recipe.optimizer, recipe.nesterov ? " (nesterov)" : "", recipe.lr,
                       recipe.weight_decay, recipe.momentum, recipe.scheduler, recipe.epochs, recipe.batch_size,
                       recipe.warmup_epochs, recipe.label_smoothing, augmentation_text(recipe.augmentation));
  }
  std::string options;
  for (const Row& row : rows) {
    for (const models::OptionInfo& option : row.entry->options) {
      options += fmt::format("{:<{}}  {}: {}\n", row.entry->name, name_width, option.key, option.description);
    }
  }
  if (!options.empty()) out += "\noptions (besides the number of classes):\n" + options;
  return out;
}

}  // namespace

Runner add_models_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand("models", "List the models: input, parameters, description, default recipe");
  command->add_flag("--json", *json, "Print them as JSON");
  return [command, json] {
    if (!command->parsed()) return -1;
    std::vector<Row> rows;
    for (const models::ModelEntry& entry : models::registry().entries()) {
      rows.push_back({&entry, models::registry().make(entry.name)->parameter_count()});
    }
    if (*json) {
      nlohmann::json list = nlohmann::json::array();
      for (const Row& row : rows) list.push_back(to_json(row));
      fmt::print("{}\n", list.dump(1));
    } else {
      fmt::print("{}", to_text(rows));
    }
    return 0;
  };
}

}  // namespace nabla::cli
