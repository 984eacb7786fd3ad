// Segmentation data (include/nabla/data/segmentation.h): the in-memory set, its PNG folder form, and the
// generated Fashion-MNIST canvases.
#include "nabla/data/segmentation.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "nabla/data/image.h"
#include "nabla/factory.h"
#include "nabla/io/file.h"
#include "nabla/ops.h"
#include "nabla/random.h"

namespace nabla::data {

namespace fs = std::filesystem;

// ---- the in-memory set

SegmentationDataset::SegmentationDataset(Tensor images, Tensor masks, std::vector<std::string> class_names)
    : images_(std::move(images).contiguous()), masks_(std::move(masks).contiguous()), class_names_(std::move(class_names)) {
  NABLA_CHECK(images_.dim() == 4 && images_.dtype() == DType::u8, "SegmentationDataset: images must be u8 [N, C, H, W], got {}",
              images_.describe());
  NABLA_CHECK(masks_.dim() == 3 && masks_.dtype() == DType::u8 && masks_.size(0) == images_.size(0) &&
                  masks_.size(1) == images_.size(2) && masks_.size(2) == images_.size(3),
              "SegmentationDataset: masks must be u8 [N, H, W] matching images {}, got {}", images_.describe(),
              masks_.describe());
  NABLA_CHECK(class_names_.size() >= 2 && class_names_.size() <= 256,
              "SegmentationDataset: needs 2 to 256 classes (background included), got {}", class_names_.size());
}

Batch SegmentationDataset::get_batch(const std::vector<int64_t>& indices) const {
  const int64_t image_bytes = images_.numel() / std::max<int64_t>(size(), 1), mask_bytes = masks_.numel() / std::max<int64_t>(size(), 1);
  const auto batch = static_cast<int64_t>(indices.size());
  Shape input_shape = images_.shape(), target_shape = masks_.shape();
  input_shape[0] = batch, target_shape[0] = batch;
  Tensor inputs = empty(input_shape, DType::f32), targets = empty(target_shape, DType::i64);
  const uint8_t* images = images_.data<uint8_t>();
  const uint8_t* masks = masks_.data<uint8_t>();
  float* input = inputs.data<float>();
  int64_t* target = targets.data<int64_t>();
  for (int64_t row = 0; row < batch; ++row) {
    const int64_t index = indices[static_cast<size_t>(row)];
    NABLA_CHECK(index >= 0 && index < size(), "dataset: index {} is out of range for {} examples", index, size());
    for (int64_t i = 0; i < image_bytes; ++i) input[row * image_bytes + i] = static_cast<float>(images[index * image_bytes + i]) / 255.0f;
    for (int64_t i = 0; i < mask_bytes; ++i) target[row * mask_bytes + i] = masks[index * mask_bytes + i];
  }
  return {inputs, targets};
}

// ---- folders of PNG pairs

namespace {

bool is_image_file(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg";
}

// NAME → file for the images of `directory` (hidden files and other files skipped), sorted by NAME.
std::map<std::string, fs::path> images_by_stem(const fs::path& directory) {
  NABLA_CHECK(fs::is_directory(directory), "segmentation folder: {} {}", directory.string(),
              fs::exists(directory) ? "is not a directory" : "does not exist (expected ROOT/images and ROOT/masks)");
  std::map<std::string, fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
    const fs::path& path = entry.path();
    if (path.filename().string().starts_with('.') || !entry.is_regular_file() || !is_image_file(path)) continue;
    const std::string stem = path.stem().string();
    NABLA_CHECK(!files.contains(stem), "segmentation folder: {} and {} have the same name; keep one",
                files[stem].string(), path.string());
    files[stem] = path;
  }
  return files;
}

}  // namespace

// Each output pixel takes the source pixel its centre falls in.
Tensor resize_mask(const Tensor& mask, int64_t height, int64_t width) {
  NABLA_CHECK(mask.dim() == 2 && mask.dtype() == DType::u8 && height >= 1 && width >= 1,
              "resize_mask: expected a u8 mask [H, W] and a size of at least 1×1, got {} and {}×{}", mask.describe(),
              width, height);
  const int64_t source_height = mask.size(0), source_width = mask.size(1);
  if (source_height == height && source_width == width) return mask;
  Tensor resized = empty({height, width}, DType::u8);
  const uint8_t* source = mask.contiguous().data<uint8_t>();
  uint8_t* out = resized.data<uint8_t>();
  for (int64_t y = 0; y < height; ++y) {
    const int64_t sy = std::min(source_height - 1, (2 * y + 1) * source_height / (2 * height));
    for (int64_t x = 0; x < width; ++x) {
      const int64_t sx = std::min(source_width - 1, (2 * x + 1) * source_width / (2 * width));
      out[y * width + x] = source[sy * source_width + sx];
    }
  }
  return resized;
}

namespace {

std::vector<std::string> read_class_names(const fs::path& root, int64_t classes) {
  std::vector<std::string> names;
  if (std::ifstream file(root / "classes.txt"); file) {
    for (std::string line; std::getline(file, line);) {
      if (!line.empty()) names.push_back(line);
    }
  }
  if (names.empty()) {
    for (int64_t c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  }
  NABLA_CHECK(static_cast<int64_t>(names.size()) >= classes,
              "segmentation folder: {} names {} classes but the masks hold class {}", (root / "classes.txt").string(),
              names.size(), classes - 1);
  return names;
}

}  // namespace

std::shared_ptr<SegmentationDataset> SegmentationDataset::read_folder(const std::string& root, const FolderOptions& options) {
  NABLA_CHECK(options.channels == 0 || options.channels == 1 || options.channels == 3,
              "segmentation folder: channels must be 1, 3 or 0 (as the images), got {}", options.channels);
  NABLA_CHECK((options.height > 0) == (options.width > 0) && options.height >= 0,
              "segmentation folder: give both height and width (to resize), or neither; got {}×{}", options.width,
              options.height);
  NABLA_CHECK(options.classes >= 0 && options.classes <= 256, "segmentation folder: classes must be 0 to 256, got {}",
              options.classes);
  const std::map<std::string, fs::path> images = images_by_stem(fs::path(root) / "images");
  std::map<std::string, fs::path> masks = images_by_stem(fs::path(root) / "masks");
  NABLA_CHECK(!images.empty(), "segmentation folder: {}/images holds no .png, .jpg or .jpeg files", root);
  std::vector<Tensor> image_tensors, mask_tensors;
  int64_t channels = options.channels, largest = 0;
  for (const auto& [stem, image_path] : images) {
    auto mask_path = masks.find(stem);
    NABLA_CHECK(mask_path != masks.end(), "segmentation folder: image {} has no mask {}/masks/{}.png", image_path.string(),
                root, stem);
    Tensor image = read_image(image_path.string()), mask = read_image(mask_path->second.string());
    NABLA_CHECK(mask.size(0) == 1, "segmentation folder: mask {} has colour; a mask is gray with a class index per pixel",
                mask_path->second.string());
    NABLA_CHECK(mask.size(1) == image.size(1) && mask.size(2) == image.size(2),
                "segmentation folder: mask {} is {}×{} pixels but its image {} is {}×{}", mask_path->second.string(),
                mask.size(2), mask.size(1), image_path.string(), image.size(2), image.size(1));
    const int64_t height = options.height > 0 ? options.height : image.size(1);
    const int64_t width = options.width > 0 ? options.width : image.size(2);
    if (!image_tensors.empty()) {
      NABLA_CHECK(height == image_tensors.front().size(1) && width == image_tensors.front().size(2),
                  "segmentation folder: {} is {}×{} pixels but {} is {}×{}; give a height and width to resize every pair",
                  image_path.string(), width, height, images.begin()->second.string(), image_tensors.front().size(2),
                  image_tensors.front().size(1));
    }
    if (height != image.size(1) || width != image.size(2)) image = resize_bilinear(image, height, width);
    mask = resize_mask(mask.squeeze(0), height, width);
    const auto mask_largest = static_cast<int64_t>(max(mask).item());
    NABLA_CHECK(options.classes == 0 || mask_largest < options.classes,
                "segmentation folder: mask {} holds class {}, but there are {} classes (0 to {})",
                mask_path->second.string(), mask_largest, options.classes, options.classes - 1);
    largest = std::max(largest, mask_largest);
    if (options.channels == 0) channels = std::max(channels, image.size(0));
    image_tensors.push_back(image);
    mask_tensors.push_back(mask);
    masks.erase(mask_path);
  }
  NABLA_CHECK(masks.empty(), "segmentation folder: mask {} has no image in {}/images", masks.begin()->second.string(), root);
  for (Tensor& image : image_tensors) {
    if (image.size(0) == channels) continue;
    image = channels == 1 ? to_grayscale(image) : image.expand({3, image.size(1), image.size(2)}).contiguous();
  }
  const int64_t classes = options.classes > 0 ? options.classes : std::max<int64_t>(largest + 1, 2);
  return std::make_shared<SegmentationDataset>(stack(image_tensors, 0), stack(mask_tensors, 0),
                                               read_class_names(root, classes));
}

void write_segmentation_folder(const std::string& directory, const SegmentationDataset& dataset) {
  const fs::path root(directory);
  fs::create_directories(root / "images");
  fs::create_directories(root / "masks");
  for (int64_t i = 0; i < dataset.size(); ++i) {
    const std::string name = fmt::format("{:05d}.png", i);
    write_png((root / "images" / name).string(), dataset.images().select(0, i));
    write_png((root / "masks" / name).string(), dataset.masks().select(0, i));
  }
  std::string names;
  for (const std::string& name : dataset.class_names()) names += name + "\n";
  io::write_file_atomic((root / "classes.txt").string(), names);
}

// ---- generated canvases

namespace {

// Uniform draws for one canvas from Philox keyed by (seed, canvas index, draw number): a canvas never
// depends on how many draws the canvases before it took.
class CanvasRandom {
 public:
  CanvasRandom(uint64_t seed, int64_t canvas) : seed_(seed), canvas_(static_cast<uint64_t>(canvas)) {}
  double uniform() {
    const std::array<uint32_t, 4> words = philox(seed_, (canvas_ << 24) + draw_++);
    return uniform_double(words[0], words[1]);
  }
  int64_t integer(int64_t low, int64_t high) {  // in [low, high]
    return low + std::min(high - low, static_cast<int64_t>(uniform() * static_cast<double>(high - low + 1)));
  }

 private:
  uint64_t seed_, canvas_, draw_ = 0;
};

void check_canvas_options(const TensorDataset& source, const CanvasOptions& o) {
  NABLA_CHECK(source.inputs().dim() == 4 && source.inputs().size(1) == 1 && source.inputs().dtype() == DType::u8 &&
                  source.size() > 0,
              "make_segmentation_canvases: the source must hold gray u8 images [N, 1, H, W], got {}",
              source.inputs().describe());
  NABLA_CHECK(o.count >= 1 && o.size >= 8, "make_segmentation_canvases: count must be at least 1 and size at least 8, got {} and {}",
              o.count, o.size);
  NABLA_CHECK(o.min_items >= 1 && o.max_items >= o.min_items,
              "make_segmentation_canvases: items per canvas must satisfy 1 ≤ min_items ≤ max_items, got {} and {}",
              o.min_items, o.max_items);
  NABLA_CHECK(o.min_scale >= 4 && o.max_scale >= o.min_scale && o.max_scale <= o.size,
              "make_segmentation_canvases: scales must satisfy 4 ≤ min_scale ≤ max_scale ≤ size {}, got {} and {}", o.size,
              o.min_scale, o.max_scale);
  NABLA_CHECK(o.clutter >= 0 && o.silhouette_threshold > 0 && o.silhouette_threshold < 1,
              "make_segmentation_canvases: clutter must be ≥ 0 and the silhouette threshold in (0, 1), got {} and {}",
              o.clutter, o.silhouette_threshold);
}

// Background: faint noise, then strokes (lines of random slope) and blobs (filled ellipses) at mid grey,
// so "bright" does not mean "item" and the model has to look at shapes.
void draw_clutter(float* canvas, int64_t size, int64_t strokes, CanvasRandom& random) {
  for (int64_t i = 0; i < size * size; ++i) canvas[i] = static_cast<float>(0.12 * random.uniform());
  for (int64_t k = 0; k < strokes; ++k) {
    const double shade = 0.25 + 0.45 * random.uniform();
    const double cx = random.uniform() * static_cast<double>(size), cy = random.uniform() * static_cast<double>(size);
    if (random.uniform() < 0.5) {
      const double angle = random.uniform() * 3.14159265358979, length = 8 + 24 * random.uniform();
      for (double t = -length / 2; t <= length / 2; t += 0.5) {
        const auto x = static_cast<int64_t>(cx + t * std::cos(angle)), y = static_cast<int64_t>(cy + t * std::sin(angle));
        if (x >= 0 && x < size && y >= 0 && y < size) canvas[y * size + x] = static_cast<float>(shade);
      }
    } else {
      const double rx = 2 + 4 * random.uniform(), ry = 2 + 4 * random.uniform();
      for (int64_t y = 0; y < size; ++y) {
        for (int64_t x = 0; x < size; ++x) {
          const double dx = (static_cast<double>(x) - cx) / rx, dy = (static_cast<double>(y) - cy) / ry;
          if (dx * dx + dy * dy <= 1) canvas[y * size + x] = static_cast<float>(shade);
        }
      }
    }
  }
}

}  // namespace

std::shared_ptr<SegmentationDataset> make_segmentation_canvases(const TensorDataset& source, const CanvasOptions& o) {
  check_canvas_options(source, o);
  const int64_t size = o.size;
  Tensor images = empty({o.count, 1, size, size}, DType::u8), masks = zeros({o.count, size, size}, DType::u8);
  const std::vector<int64_t> labels = source.labels();
  std::vector<float> canvas(static_cast<size_t>(size * size));
  for (int64_t n = 0; n < o.count; ++n) {
    CanvasRandom random(o.seed, n);
    draw_clutter(canvas.data(), size, o.clutter, random);
    uint8_t* mask = masks.data<uint8_t>() + n * size * size;
    const int64_t items = random.integer(o.min_items, o.max_items);
    for (int64_t item = 0; item < items; ++item) {
      const int64_t index = random.integer(0, source.size() - 1), scale = random.integer(o.min_scale, o.max_scale);
      const int64_t top = random.integer(0, size - scale), left = random.integer(0, size - scale);
      Tensor picture = resize_bilinear(source.inputs().select(0, index), scale, scale).contiguous();
      const uint8_t* pixels = picture.data<uint8_t>();
      const auto label = static_cast<uint8_t>(labels[static_cast<size_t>(index)] + 1);
      // Later items cover earlier ones: the mask says which item is in front at each pixel.
      for (int64_t y = 0; y < scale; ++y) {
        for (int64_t x = 0; x < scale; ++x) {
          const float value = static_cast<float>(pixels[y * scale + x]) / 255.0f;
          if (value <= o.silhouette_threshold) continue;
          const int64_t at = (top + y) * size + left + x;
          canvas[static_cast<size_t>(at)] = value;
          mask[at] = label;
        }
      }
    }
    uint8_t* image = images.data<uint8_t>() + n * size * size;
    for (int64_t i = 0; i < size * size; ++i) {
      image[i] = static_cast<uint8_t>(std::lround(std::clamp(canvas[static_cast<size_t>(i)], 0.0f, 1.0f) * 255.0f));
    }
  }
  std::vector<std::string> names = {"background"};
  for (const std::string& name : source.class_names()) names.push_back(name);
  if (names.size() == 1) {
    const int64_t largest = *std::max_element(labels.begin(), labels.end());
    for (int64_t c = 0; c <= largest; ++c) names.push_back(std::to_string(c));
  }
  return std::make_shared<SegmentationDataset>(images, masks, names);
}

std::shared_ptr<SegmentationDataset> fashion_canvases(Split split, int64_t count, uint64_t seed,
                                                      const std::string& fashion_directory) {
  auto source = fashion_mnist(split, fashion_directory);
  return make_segmentation_canvases(*source, {.count = count, .seed = 2 * seed + (split == Split::train ? 0 : 1)});
}

}  // namespace nabla::data
