// `nabla eval --checkpoint DIR`: rebuilds the model from DIR/config.json, loads DIR/model.safetensors and
// reports test loss, accuracy and per-class precision/recall/F1.
#include "cli/commands.h"
#include "cli/training_setup.h"
#include "nabla/data/dataset.h"
#include "nabla/nabla.h"

namespace nabla::cli {

Runner add_eval_command(CLI::App& app) {
  auto directory = std::make_shared<std::string>();
  auto data_directory = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("eval", "Evaluate a trained model on the Fashion-MNIST test split");
  command->add_option("--checkpoint", *directory, "A directory written by `nabla train --out`")->required();
  command->add_option("--data", *data_directory, "Fashion-MNIST directory (default: as at training time)");
  return [command, directory, data_directory] {
    if (!command->parsed()) return -1;
    auto [config, model, tokenizer] = load_trained_model(*directory, "eval");
    NABLA_CHECK(!tokenizer, "eval: {} holds the language model '{}'; its validation loss is in {}/metrics.json",
                *directory, config.model, *directory);
    if (!data_directory->empty()) config.data = *data_directory;
    auto test = data::fashion_mnist(data::Split::test, config.data);
    data::DataLoader loader(test, {.batch_size = 500, .shuffle = false});
    auto optimizer = std::make_shared<optim::SGD>(model->parameters(), optim::SGDOptions{});
    train::Trainer trainer(model, optimizer, [](const Tensor& o, const Tensor& t) { return cross_entropy(o, t); },
                           {.progress = false});
    train::Evaluation result = trainer.evaluate(loader);
    fmt::print("{} on {} test images: accuracy {:.2f}%, loss {:.4f}\n\n{}", config.model, result.examples,
               100 * result.accuracy, result.loss, result.confusion.to_string(data::fashion_mnist_classes));
    return 0;
  };
}

}  // namespace nabla::cli
