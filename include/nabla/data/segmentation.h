#pragma once
// Semantic segmentation data: an image and a mask of the same size holding one class index per pixel.
//
// - make_segmentation_canvases: a set generated here, seeded and reproducible — Fashion-MNIST items pasted at
//   random positions and scales onto 64×64 canvases with clutter, each pixel of an item's silhouette labelled
//   with its class + 1, everything else background (class 0);
// - write_segmentation_folder / SegmentationDataset::read_folder: the same pairs as PNG files on disk, which is
//   also how a user's own pairs are read (ROOT/images/NAME.png|jpg|jpeg with ROOT/masks/NAME.png).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nabla/data/dataset.h"

namespace nabla::data {

// Images u8 [N, C, H, W] and masks u8 [N, H, W] (class indices ≤ 255) in memory; batches are inputs f32 in
// [0, 1] and targets i64 [B, H, W], converted per batch so the set costs two bytes a pixel.
class SegmentationDataset : public Dataset {
 public:
  SegmentationDataset(Tensor images, Tensor masks, std::vector<std::string> class_names);
  int64_t size() const override { return images_.size(0); }
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  std::vector<std::string> class_names() const override { return class_names_; }
  int64_t classes() const { return static_cast<int64_t>(class_names_.size()); }
  const Tensor& images() const { return images_; }
  const Tensor& masks() const { return masks_; }

  struct FolderOptions {
    int64_t channels = 0;           // 1 (gray) or 3 (RGB); 0: 3 if any image has colour, else 1
    int64_t height = 0, width = 0;  // resize every pair to this (image bilinear, mask nearest); 0: keep the size
    int64_t classes = 0;            // 0: the largest mask value + 1; else a larger value is an error
  };
  // ROOT/images/NAME.(png|jpg|jpeg) paired with ROOT/masks/NAME.png (gray, class index per pixel), in sorted
  // order; class names from ROOT/classes.txt (one a line) when it exists, else "0", "1", …. A missing mask,
  // an image without a mask, a mask of another size than its image, a colour mask or a class out of range is
  // one error naming the file.
  static std::shared_ptr<SegmentationDataset> read_folder(const std::string& root, const FolderOptions& options);
  static std::shared_ptr<SegmentationDataset> read_folder(const std::string& root) { return read_folder(root, {}); }

 private:
  Tensor images_, masks_;
  std::vector<std::string> class_names_;
};

struct CanvasOptions {
  int64_t count = 1000;
  int64_t size = 64;                            // canvases are size × size, gray
  int64_t min_items = 1, max_items = 3;         // Fashion-MNIST items per canvas
  int64_t min_scale = 20, max_scale = 40;       // an item's side in pixels (the originals are 28)
  int64_t clutter = 6;                          // random strokes and blobs of background per canvas
  double silhouette_threshold = 0.1;            // an item pixel brighter than this (of 1) belongs to it
  uint64_t seed = 0;
};

// Canvases from the items of `source` (u8 [N, 1, 28, 28], targets [N]: a Fashion-MNIST split). Each canvas
// depends only on (seed, its index), so the first k canvases of a larger set are the k canvases of a smaller one.
// Classes: background, then the source's class names.
std::shared_ptr<SegmentationDataset> make_segmentation_canvases(const TensorDataset& source, const CanvasOptions& options);

// The canvases `nabla data make-segmentation --seed S` writes and `nabla train` generates when given no
// folder: items from Fashion-MNIST's `split` (in `fashion_directory`, "" for the default), seeded 2·S for the
// training split and 2·S + 1 for the test split.
std::shared_ptr<SegmentationDataset> fashion_canvases(Split split, int64_t count, uint64_t seed,
                                                      const std::string& fashion_directory = "");

// A mask u8 [H, W] of class indices brought to [height, width] by nearest neighbour (interpolating class
// indices would invent classes between them).
Tensor resize_mask(const Tensor& mask, int64_t height, int64_t width);

// Writes DIR/images/NNNNN.png and DIR/masks/NNNNN.png for each pair, and DIR/classes.txt.
void write_segmentation_folder(const std::string& directory, const SegmentationDataset& dataset);

}  // namespace nabla::data
