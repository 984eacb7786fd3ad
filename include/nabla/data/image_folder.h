#pragma once
// Your own images as a data set: a folder of images, one subfolder per class (torchvision's ImageFolder
// layout). Everything is decoded up front, so every bad file is found before training starts, and it is a
// TensorDataset: batches, splits and loaders apply.
#include <string>
#include <vector>

#include "nabla/data/dataset.h"

namespace nabla::data {

struct ImageFolderOptions {
  int64_t channels = 0;            // 1 (gray) or 3 (RGB); 0: 3 if any image has colour, else 1
  int64_t height = 0, width = 0;   // resize every image to this (bilinear); 0: all must have the first's size
};

// root/CLASS_NAME/*.png|*.jpg|*.jpeg (extensions in any case; hidden files, other files and deeper
// folders are skipped). Classes are the folder names sorted, and a class's index is its place in that
// order; files are taken in sorted order. Inputs are u8 [N, C, H, W] (TensorDataset scales them to [0, 1]
// per batch), targets i64 [N]. An empty root, a class folder without images, or an image that can't be
// read or has the wrong size is one error naming it.
class ImageFolderDataset : public TensorDataset {
 public:
  explicit ImageFolderDataset(const std::string& root, const ImageFolderOptions& options = {});
  const std::vector<std::string>& files() const { return files_; }  // the file of each example

 private:
  struct Loaded;
  static Loaded load(const std::string& root, const ImageFolderOptions& options);
  explicit ImageFolderDataset(Loaded loaded);
  std::vector<std::string> files_;
};

}  // namespace nabla::data
