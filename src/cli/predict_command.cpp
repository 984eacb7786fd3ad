// `nabla predict --checkpoint DIR IMAGE...`: classifies your own PNG or JPEG images with a model trained by
// `nabla train`. Each image is brought to what the model saw in training (gray, at the size its registry
// entry expects — 28×28 for Fashion-MNIST — scaled to [0, 1])
// and its most likely classes are printed with their softmax probabilities, one block per image.
#include <algorithm>

#include "cli/commands.h"
#include "cli/training_setup.h"
#include "nabla/data/dataset.h"
#include "nabla/data/image.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"

namespace nabla::cli {
namespace {

struct PredictArguments {
  std::string directory;
  std::vector<std::string> images;
  bool invert = false;
  int64_t top = 3;
};

// An image file as a model input f32 [1, H, W] in [0, 1], the `sample` shape the model expects.
Tensor model_input(const std::string& path, bool invert, const Shape& sample) {
  Tensor gray = data::resize_bilinear(data::to_grayscale(data::read_image(path)), sample[1], sample[2]);
  Tensor scaled = gray.to(DType::f32) / 255.0;
  return invert ? 1.0 - scaled : scaled;
}

std::string class_name(int64_t index) {
  const auto& names = data::fashion_mnist_classes;
  return index < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(index)] : fmt::format("class {}", index);
}

int run_predict(const PredictArguments& arguments) {
  TrainedModel trained = load_trained_model(arguments.directory, "predict");
  const Shape& sample = models::registry().at(trained.config.model).input.shape;
  NABLA_CHECK(sample.size() == 3 && sample[0] == 1, "predict: model '{}' takes {} inputs; predict reads gray images only",
              trained.config.model, shape_string(sample));
  // Every image is read before anything is printed, so a bad file is reported alone.
  std::vector<Tensor> inputs;
  for (const std::string& path : arguments.images) inputs.push_back(model_input(path, arguments.invert, sample));
  autograd::InferenceModeGuard inference;
  Tensor probabilities = softmax((*trained.model)(stack(inputs, 0)), 1);
  const int64_t top = std::min(arguments.top, probabilities.size(1));
  auto [values, indices] = topk(probabilities, top, 1);
  for (size_t image = 0; image < arguments.images.size(); ++image) {
    fmt::print("{}{}\n", image ? "\n" : "", arguments.images[image]);
    for (int64_t rank = 0; rank < top; ++rank) {
      const auto row = static_cast<int64_t>(image);
      fmt::print("  {:<12} {:.4f}\n", class_name(indices.select(0, row).select(0, rank).item<int64_t>()),
                 values.select(0, row).select(0, rank).item());
    }
  }
  return 0;
}

}  // namespace

Runner add_predict_command(CLI::App& app) {
  auto arguments = std::make_shared<PredictArguments>();
  CLI::App* command = app.add_subcommand("predict", "Classify your own PNG or JPEG images with a trained model");
  command->add_option("--checkpoint", arguments->directory, "A directory written by `nabla train --out`")->required();
  // Not `required()`: without an image the command prints its usage (below), not just CLI11's one line.
  command->add_option("IMAGE", arguments->images, "PNG or JPEG files to classify");
  command->add_flag("--invert", arguments->invert, "Invert the gray levels (for dark objects on a light background)");
  command->add_option("--top", arguments->top, "Classes to print per image")->capture_default_str()->check(positive());
  command->footer(
      "Each image is converted to gray, squashed to the model's input size (28×28 for Fashion-MNIST) and\n"
      "scaled to [0, 1], as the training images.\n"
      "Fashion-MNIST's images are light objects on a black background: for a photo of a dark object on a\n"
      "white background, pass --invert. Crop a photo to a roughly square frame around the object first.");
  return [command, arguments] {
    if (!command->parsed()) return -1;
    if (arguments->images.empty()) {
      fmt::print(stderr, "nabla: error: predict: no image given\n\n{}", command->help("nabla"));
      return 2;
    }
    return run_predict(*arguments);
  };
}

}  // namespace nabla::cli
