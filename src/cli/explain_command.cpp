// `nabla explain`: heatmaps of what a trained classifier looked at, overlaid on the images, one PNG grid per
// run (include/nabla/analysis/explain.h for the methods).
#include <filesystem>

#include "cli/commands.h"
#include "cli/training_setup.h"
#include "nabla/analysis/explain.h"
#include "nabla/analysis/overlay.h"
#include "nabla/data/image.h"
#include "nabla/models/registry.h"
#include "nabla/models/vit.h"
#include "nabla/nabla.h"
#include "nabla/nn/linear.h"

namespace nabla::cli {
namespace {

struct ExplainArguments {
  std::string directory;
  std::string method = "gradcam";
  std::vector<std::string> images;
  std::string layer;
  int64_t target_class = -1;
  std::vector<int64_t> truth;
  bool invert = false;
  std::string out = "runs/explain";
};

// As `nabla predict` reads an image: gray, resized to the model's input, scaled to [0, 1].
Tensor model_input(const std::string& path, bool invert, const Shape& sample) {
  const Tensor gray = data::resize_bilinear(data::to_grayscale(data::read_image(path)), sample[1], sample[2]);
  const Tensor scaled = gray.to(DType::f32) / 255.0;
  return invert ? 1.0 - scaled : scaled;
}

// The path of the model's last Linear layer (CAM's classifier).
std::string last_linear(nn::Module& model) {
  std::string last;
  for (auto& [path, module] : model.named_modules())
    if (dynamic_cast<nn::Linear*>(module.get())) last = path;
  return last;
}

Tensor explain(const ExplainArguments& arguments, nn::Module& model, const Tensor& images, const Tensor& classes,
               const std::string& model_name) {
  const std::string& method = arguments.method;
  const int64_t H = images.size(2), W = images.size(3);
  if (method == "saliency") return analysis::saliency(model, images, classes);
  if (method == "smoothgrad") {
    Generator generator(0);
    return analysis::smoothgrad(model, images, classes, {}, &generator);
  }
  if (method == "ig") return analysis::integrated_gradients(model, images, classes).attributions.abs().sum(1);
  if (method == "rollout") {
    auto* vit = dynamic_cast<models::VisionTransformer*>(&model);
    NABLA_CHECK(vit, "explain: --method rollout needs a Vision Transformer; model '{}' is not one", model_name);
    return analysis::upsample_map(analysis::attention_rollout(vit->attention_maps(images)), H, W);
  }
  const std::string layer = arguments.layer.empty() ? analysis::last_convolution(model) : arguments.layer;
  NABLA_CHECK(!layer.empty(), "explain: model '{}' has no convolution for --method {}; try saliency, ig or rollout",
              model_name, method);
  if (method == "gradcam") return analysis::upsample_map(analysis::grad_cam(model, layer, images, classes), H, W);
  return analysis::upsample_map(analysis::cam(model, layer, last_linear(model), images, classes), H, W);
}

int run_explain(const ExplainArguments& arguments) {
  TrainedModel trained = load_trained_model(arguments.directory, "explain");
  const Shape& sample = models::registry().at(trained.config.model).input.shape;
  NABLA_CHECK(sample.size() == 3 && sample[0] == 1, "explain: model '{}' takes {} inputs; explain reads gray images only",
              trained.config.model, shape_string(sample));
  NABLA_CHECK(arguments.truth.empty() || arguments.truth.size() == arguments.images.size(),
              "explain: --true gives {} classes for {} images", arguments.truth.size(), arguments.images.size());
  std::vector<Tensor> inputs;
  for (const std::string& path : arguments.images) inputs.push_back(model_input(path, arguments.invert, sample));
  const Tensor images = stack(inputs, 0);
  nn::Module& model = *trained.model;
  const Tensor predicted = analysis::predicted_classes(model, images);
  const Tensor classes = arguments.target_class >= 0 ? full({images.size(0)}, static_cast<double>(arguments.target_class),
                                                            {.dtype = DType::i64})
                                                     : predicted;
  const Tensor maps = explain(arguments, model, images, classes, trained.config.model);
  std::vector<analysis::Caption> captions;
  for (int64_t n = 0; n < images.size(0); ++n) {
    captions.push_back({.predicted = predicted.select(0, n).item<int64_t>(),
                        .truth = arguments.truth.empty() ? -1 : arguments.truth[static_cast<size_t>(n)]});
  }
  const Tensor grid = analysis::caption_grid(analysis::overlay_heatmaps(images, maps), captions,
                                             std::min<int64_t>(8, images.size(0)));
  std::filesystem::create_directories(arguments.out);
  const std::string path = (std::filesystem::path(arguments.out) / (arguments.method + ".png")).string();
  data::write_png(path, grid);
  fmt::print("{}: {} image(s), {} of the {} class, written to {}\n", arguments.method, images.size(0),
             arguments.method, arguments.target_class >= 0 ? fmt::format("class {}", arguments.target_class) : "predicted",
             path);
  return 0;
}

}  // namespace

Runner add_explain_command(CLI::App& app) {
  auto arguments = std::make_shared<ExplainArguments>();
  CLI::App* command = app.add_subcommand("explain", "Heatmaps of what a trained classifier looked at, over your images");
  command->add_option("--checkpoint", arguments->directory, "A directory written by `nabla train --out`")->required();
  command->add_option("--method", arguments->method, "cam, gradcam, saliency, smoothgrad, ig (integrated gradients) or rollout (ViT)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cam", "gradcam", "saliency", "smoothgrad", "ig", "rollout"}));
  command->add_option("IMAGE", arguments->images, "PNG or JPEG files to explain");
  command->add_option("--layer", arguments->layer, "cam, gradcam: the layer's path (default: the last convolution)");
  command->add_option("--class", arguments->target_class, "Explain this class (default: each image's predicted class)")
      ->check(non_negative());
  command->add_option("--true", arguments->truth, "The true class of each image, for the captions")->check(non_negative());
  command->add_flag("--invert", arguments->invert, "Invert the gray levels (dark objects on a light background)");
  command->add_option("--out", arguments->out, "Directory for METHOD.png")->capture_default_str();
  command->footer("Each tile is captioned P<predicted class> T<true class, ? if not given>.");
  return [command, arguments] {
    if (!command->parsed()) return -1;
    if (arguments->images.empty()) {
      fmt::print(stderr, "nabla: error: explain: no image given\n\n{}", command->help("nabla"));
      return 2;
    }
    return run_explain(*arguments);
  };
}

}  // namespace nabla::cli
