// `nabla summary MODEL`: each layer's output shape, parameters and FLOPs for a 1×1×28×28 input.
#include "cli/commands.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/summary.h"

namespace nabla::cli {

Runner add_summary_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("summary", "Print a model's layers, output shapes, parameters and FLOPs");
  command->add_option("model", *name, "mlp or lenet")->required()->check(CLI::IsMember({"mlp", "lenet"}));
  return [command, name] {
    if (!command->parsed()) return -1;
    nn::ModulePtr model = models::make_model(*name);
    fmt::print("{} for input [1, 1, 28, 28]\n\n{}", *name, nn::summary(*model, {1, 1, 28, 28}).to_string());
    return 0;
  };
}

}  // namespace nabla::cli
