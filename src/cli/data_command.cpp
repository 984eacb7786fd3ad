// `nabla data make-segmentation --out DIR`: writes the generated segmentation set (Fashion-MNIST items on
// 64×64 canvases with clutter, a class per pixel) as PNG pairs that `nabla train --model unet|fcn --data DIR`
// reads back, and that a person can open: DIR/train and DIR/test, each with images/, masks/ and classes.txt.
#include <filesystem>

#include "cli/segmentation_commands.h"
#include "nabla/data/dataset.h"
#include "nabla/data/segmentation.h"

namespace nabla::cli {
namespace {

struct SegmentationArguments {
  std::string out;
  std::string data;  // Fashion-MNIST directory
  int64_t train = 10000, test = 2000;
  uint64_t seed = 0;
};

int run_make_segmentation(const SegmentationArguments& arguments) {
  namespace fs = std::filesystem;
  // Items for training canvases come from Fashion-MNIST's training split, test canvases from its test split,
  // so no garment is seen in both.
  for (const auto& [split, count] : {std::pair{data::Split::train, arguments.train}, std::pair{data::Split::test, arguments.test}}) {
    auto canvases = data::fashion_canvases(split, count, arguments.seed, arguments.data);
    const std::string directory = (fs::path(arguments.out) / (split == data::Split::train ? "train" : "test")).string();
    data::write_segmentation_folder(directory, *canvases);
    fmt::print("{}: {} images and masks ({} classes, background = 0)\n", directory, count, canvases->classes());
  }
  return 0;
}

}  // namespace

Runner add_data_command(CLI::App& app) {
  auto arguments = std::make_shared<SegmentationArguments>();
  CLI::App* command = app.add_subcommand("data", "Make data sets");
  command->require_subcommand(1);
  CLI::App* segmentation = command->add_subcommand(
      "make-segmentation", "Write the generated segmentation set: Fashion-MNIST items on 64x64 canvases with clutter");
  segmentation->add_option("--out", arguments->out, "Output directory (gets train/ and test/)")->required();
  segmentation->add_option("--data", arguments->data, "Fashion-MNIST directory (default: $NABLA_DATA, else the Debian package's)");
  segmentation->add_option("--train", arguments->train, "Training canvases")->capture_default_str()->check(positive());
  segmentation->add_option("--test", arguments->test, "Test canvases")->capture_default_str()->check(positive());
  segmentation->add_option("--seed", arguments->seed, "Random seed (placements, scales, items, clutter)")->capture_default_str();
  return [segmentation, arguments] {
    if (!segmentation->parsed()) return -1;
    return run_make_segmentation(*arguments);
  };
}

}  // namespace nabla::cli
