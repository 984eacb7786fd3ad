// `nabla eval --checkpoint DIR`: rebuilds the model from DIR/config.json, loads DIR/model.safetensors and
// reports test loss, accuracy and per-class precision/recall/F1 — or, for a language model, its loss on the
// validation documents held out at training time (nats/token, nats/char, perplexity).
#include <cmath>

#include "cli/commands.h"
#include "cli/training_setup.h"
#include "nabla/data/dataset.h"
#include "nabla/nabla.h"

namespace nabla::cli {

namespace {

// A language model has no test split: the documents held out for validation (the same split, keyed by the
// run's seed, and the tokenizer saved in the run) are rebuilt and the saved weights measured on them.
int evaluate_language_model(TrainingConfig config, const nn::Module& trained, const std::string& directory) {
  config.out = directory;  // where make_setup reads the tokenizer back from
  config.progress = false;
  TrainingSetup setup = make_setup(config, /*resume=*/true);
  NABLA_CHECK(setup.validation, "eval: the run in {} held out no documents (--validation-split 0); nothing to evaluate",
              directory);
  setup.model->load_state_dict(trained.state_dict());  // the trainer measures setup.model: give it the weights
  const train::Evaluation result = setup.trainer->evaluate(*setup.validation);
  const TextData& text = *setup.text;
  fmt::print("{} on {} validation documents of {} ({} tokens): loss {:.4f} nats/token (perplexity {:.2f}), {:.4f} "
             "nats/char, token accuracy {:.2f}%; unigram entropy of the training text {:.4f} nats/char\n",
             config.model, text.validation_documents, config.data, text.validation_tokens, result.loss,
             std::exp(result.loss), result.loss / text.characters_per_token(), 100 * result.accuracy,
             text.unigram_entropy);
  return 0;
}

}  // namespace

Runner add_eval_command(CLI::App& app) {
  auto directory = std::make_shared<std::string>();
  auto data_directory = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "eval", "Evaluate a trained model on the Fashion-MNIST test split (a language model: on its validation documents)");
  command->add_option("--checkpoint", *directory, "A directory written by `nabla train --out`")->required();
  command->add_option("--data", *data_directory, "Fashion-MNIST directory; a language model's text (default: as at training time)");
  return [command, directory, data_directory] {
    if (!command->parsed()) return -1;
    auto [config, model, tokenizer] = load_trained_model(*directory, "eval");
    if (!data_directory->empty()) config.data = *data_directory;
    if (tokenizer) return evaluate_language_model(config, *model, *directory);
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
