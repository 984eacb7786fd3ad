// `nabla segment --checkpoint DIR IMAGE...`: labels every pixel of your own PNG or JPEG images with a
// segmentation model trained by `nabla train --model unet|fcn`. Each image is brought to the model's input
// (gray, its registry size — 64×64 — scaled to [0, 1]); the predicted mask is brought back to the image's
// size and written twice: OUT/NAME_mask.png (the class index per pixel) and OUT/NAME_overlay.png (the image
// in gray with each non-background class tinted in its own colour). The share of pixels per class is printed.
#include <filesystem>
#include <map>

#include "cli/segmentation_commands.h"
#include "cli/training_setup.h"
#include "nabla/data/image.h"
#include "nabla/data/segmentation.h"
#include "nabla/io/file.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"

namespace nabla::cli {
namespace {

namespace fs = std::filesystem;

struct SegmentArguments {
  std::string directory, out = ".";
  std::vector<std::string> images;
};

// Distinct hues for up to 12 classes, then repeating; class 0 (background) is never tinted.
constexpr uint8_t palette[12][3] = {{230, 25, 75},  {60, 180, 75},  {255, 225, 25}, {0, 130, 200},
                                    {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230},
                                    {210, 245, 60}, {250, 190, 212}, {0, 128, 128}, {170, 110, 40}};

// image u8 [C, H, W], mask u8 [H, W] → RGB u8 [3, H, W]: half gray, half the class's colour where not background.
Tensor overlay(const Tensor& image, const Tensor& mask) {
  Tensor gray = data::to_grayscale(image).contiguous();
  const int64_t height = mask.size(0), width = mask.size(1);
  Tensor result = empty({3, height, width}, DType::u8);
  const uint8_t* pixels = gray.data<uint8_t>();
  const uint8_t* classes = mask.contiguous().data<uint8_t>();
  uint8_t* out = result.data<uint8_t>();
  for (int64_t i = 0; i < height * width; ++i) {
    for (int64_t channel = 0; channel < 3; ++channel) {
      const int64_t c = classes[i];
      out[channel * height * width + i] =
          c == 0 ? pixels[i] : static_cast<uint8_t>((pixels[i] + palette[(c - 1) % 12][channel] + 1) / 2);
    }
  }
  return result;
}

std::vector<std::string> class_names(const std::string& directory) {
  std::vector<std::string> names;
  std::string text = io::read_file((fs::path(directory) / "classes.txt").string());
  for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    names.push_back(text.substr(start, end - start));
  }
  return names;
}

int run_segment(const SegmentArguments& arguments) {
  TrainedModel trained = load_trained_model(arguments.directory, "segment");
  NABLA_CHECK(is_segmentation_model(trained.config),
              "segment: {} holds model '{}', not a segmentation model (unet, fcn); use `nabla predict` for classifiers",
              arguments.directory, trained.config.model);
  const Shape& sample = models::registry().at(trained.config.model).input.shape;
  const std::vector<std::string> names = class_names(arguments.directory);
  // Every image is read before anything is written, so a bad file is reported alone.
  std::vector<Tensor> images, inputs;
  for (const std::string& path : arguments.images) {
    images.push_back(data::read_image(path));
    Tensor gray = data::resize_bilinear(data::to_grayscale(images.back()), sample[1], sample[2]);
    inputs.push_back(gray.to(DType::f32) / 255.0);
  }
  autograd::InferenceModeGuard inference;
  Tensor masks = argmax((*trained.model)(stack(inputs, 0)), 1).to(DType::u8);
  fs::create_directories(arguments.out);
  for (size_t i = 0; i < images.size(); ++i) {
    const Tensor& image = images[i];
    Tensor mask = data::resize_mask(masks.select(0, static_cast<int64_t>(i)), image.size(1), image.size(2));
    const std::string stem = fs::path(arguments.images[i]).stem().string();
    const std::string mask_path = (fs::path(arguments.out) / (stem + "_mask.png")).string();
    const std::string overlay_path = (fs::path(arguments.out) / (stem + "_overlay.png")).string();
    data::write_png(mask_path, mask);
    data::write_png(overlay_path, overlay(image, mask));
    std::map<int64_t, int64_t> counts;
    const uint8_t* classes = mask.contiguous().data<uint8_t>();
    for (int64_t p = 0; p < mask.numel(); ++p) ++counts[classes[p]];
    std::string shares;
    for (const auto& [c, count] : counts) {
      shares += fmt::format("{}{} {:.1f}%", shares.empty() ? "" : ", ",
                            c < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(c)] : std::to_string(c),
                            100.0 * static_cast<double>(count) / static_cast<double>(mask.numel()));
    }
    fmt::print("{}: {}\n  wrote {} and {}\n", arguments.images[i], shares, mask_path, overlay_path);
  }
  return 0;
}

}  // namespace

Runner add_segment_command(CLI::App& app) {
  auto arguments = std::make_shared<SegmentArguments>();
  CLI::App* command = app.add_subcommand("segment", "Label each pixel of your own images with a trained segmentation model");
  command->add_option("--checkpoint", arguments->directory, "A directory written by `nabla train --model unet|fcn --out`")
      ->required();
  command->add_option("--out", arguments->out, "Directory for NAME_mask.png and NAME_overlay.png")->capture_default_str();
  command->add_option("IMAGE", arguments->images, "PNG or JPEG files to segment");
  return [command, arguments] {
    if (!command->parsed()) return -1;
    if (arguments->images.empty()) {
      fmt::print(stderr, "nabla: error: segment: no image given\n\n{}", command->help("nabla"));
      return 2;
    }
    return run_segment(*arguments);
  };
}

}  // namespace nabla::cli
