#include "nabla/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "nabla/data/image.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::data {

struct ImageFolderDataset::Loaded {
  Tensor inputs, targets;
  std::vector<std::string> class_names, files;
};

namespace {

namespace fs = std::filesystem;

bool is_hidden(const fs::path& path) { return path.filename().string().starts_with('.'); }

bool has_image_extension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg";
}

// The entries of `directory` that pass `keep`, sorted by name, so labels and order never depend on the
// file system's listing order.
template <typename Keep>
std::vector<fs::path> sorted_entries(const fs::path& directory, Keep&& keep) {
  std::vector<fs::path> entries;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
    if (!is_hidden(entry.path()) && keep(entry)) entries.push_back(entry.path());
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

struct Listing {
  std::vector<std::string> class_names, files;
  std::vector<int64_t> labels;
};

Listing list_images(const std::string& root) {
  NABLA_CHECK(fs::is_directory(root), "image_folder: {} {}", root,
              fs::exists(root) ? "is not a directory" : "does not exist");
  Listing listing;
  auto class_folders = sorted_entries(root, [](const fs::directory_entry& entry) { return entry.is_directory(); });
  NABLA_CHECK(!class_folders.empty(), "image_folder: {} has no class folders; expected {}/CLASS_NAME/*.png (or .jpg)",
              root, root);
  for (const fs::path& folder : class_folders) {
    auto images = sorted_entries(folder, [](const fs::directory_entry& entry) {
      return entry.is_regular_file() && has_image_extension(entry.path());
    });
    NABLA_CHECK(!images.empty(), "image_folder: class folder {} holds no .png, .jpg or .jpeg files", folder.string());
    const auto label = static_cast<int64_t>(listing.class_names.size());
    listing.class_names.push_back(folder.filename().string());
    for (const fs::path& image : images) {
      listing.files.push_back(image.string());
      listing.labels.push_back(label);
    }
  }
  return listing;
}

// Reads one image and brings it to the requested size, or checks it has the first image's size.
Tensor load_sized(const std::string& file, const ImageFolderOptions& options, const Tensor& first,
                  const std::string& first_file) {
  Tensor image = read_image(file);
  if (options.height > 0) {
    if (image.size(1) == options.height && image.size(2) == options.width) return image;
    return resize_bilinear(image, options.height, options.width);
  }
  if (first.defined()) {
    NABLA_CHECK(image.size(1) == first.size(1) && image.size(2) == first.size(2),
                "image_folder: {} is {}×{} pixels but {} is {}×{}; give a height and width to resize every image",
                file, image.size(2), image.size(1), first_file, first.size(2), first.size(1));
  }
  return image;
}

Tensor with_channels(const Tensor& image, int64_t channels) {
  if (image.size(0) == channels) return image;
  if (channels == 1) return to_grayscale(image);
  return image.expand({3, image.size(1), image.size(2)}).contiguous();  // gray → RGB: the same value thrice
}

void check_options(const ImageFolderOptions& options) {
  NABLA_CHECK(options.channels == 0 || options.channels == 1 || options.channels == 3,
              "image_folder: channels must be 1, 3 or 0 (as the images), got {}", options.channels);
  NABLA_CHECK(options.height >= 0 && options.width >= 0 && (options.height > 0) == (options.width > 0),
              "image_folder: give both height and width (to resize), or neither; got {}×{}", options.width,
              options.height);
}

}  // namespace

ImageFolderDataset::Loaded ImageFolderDataset::load(const std::string& root, const ImageFolderOptions& options) {
  check_options(options);
  Listing listing = list_images(root);
  std::vector<Tensor> images;
  images.reserve(listing.files.size());
  int64_t channels = options.channels;
  for (const std::string& file : listing.files) {
    images.push_back(load_sized(file, options, images.empty() ? Tensor() : images.front(), listing.files.front()));
    if (options.channels == 0) channels = std::max(channels, images.back().size(0));
  }
  for (Tensor& image : images) image = with_channels(image, channels);
  Tensor targets = empty({static_cast<int64_t>(listing.labels.size())}, {.dtype = DType::i64});
  std::copy(listing.labels.begin(), listing.labels.end(), targets.data<int64_t>());
  return {stack(images, 0), targets, std::move(listing.class_names), std::move(listing.files)};
}

ImageFolderDataset::ImageFolderDataset(const std::string& root, const ImageFolderOptions& options)
    : ImageFolderDataset(load(root, options)) {}

ImageFolderDataset::ImageFolderDataset(Loaded loaded)
    : TensorDataset(std::move(loaded.inputs), std::move(loaded.targets), std::move(loaded.class_names)),
      files_(std::move(loaded.files)) {}

}  // namespace nabla::data
