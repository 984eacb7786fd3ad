// `nabla summary MODEL`: each layer's output shape, parameters and FLOPs, and the FLOPs per op, for one
// sample of the input the model expects (its registry entry's shape, batch 1).
#include "cli/commands.h"
#include "nabla/models/registry.h"
#include "nabla/nn/summary.h"

namespace nabla::cli {

Runner add_summary_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("summary", "Print a model's layers, output shapes, parameters and FLOPs");
  command->add_option("model", *name, fmt::format("{} (`nabla models` lists them)", fmt::join(models::registry().names(), ", ")))
      ->required()->check(model_name());
  return [command, name] {
    if (!command->parsed()) return -1;
    const models::ModelEntry& entry = models::registry().at(*name);
    nn::ModulePtr model = models::registry().make(*name);
    const Shape input = entry.batch_shape(1);
    // A language model (data set "text") reads int64 token ids; zeros are token 0, a valid id.
    const bool tokens = entry.input.dataset == "text";
    fmt::print("{} for input {} ({}{})\n\n{}", *name, shape_string(input), entry.input.dataset,
               tokens ? ", int64 token ids" : "", nn::summary(*model, input, tokens ? DType::i64 : DType::f32).to_string());
    return 0;
  };
}

}  // namespace nabla::cli
