#pragma once
// Histograms of oriented gradients (Dalal & Triggs 2005) as tensor ops, computed exactly as scikit-image's
// `hog` (feature_vector=True, transform_sqrt=False) so features agree with it to rounding:
//   gradients by central differences, zero on the border rows/columns; magnitude √(gx² + gy²);
//   unsigned orientation θ ∈ [0°, 180°), bin i holding θ ∈ [i·180/B, (i+1)·180/B) (no interpolation);
//   cell c×c: the mean over its pixels of the magnitude per bin (cells tile from the top-left corner; the
//   pixels that do not fill a whole cell are dropped);
//   blocks of b×b cells, stride one cell, each normalised by L2-Hys: v/√(‖v‖² + ε²), clipped at 0.2,
//   normalised again; the blocks' vectors in row-major (block row, block column, cell row, cell column, bin).
#include <cstdint>

#include "nabla/tensor.h"

namespace nabla::vision {

struct HogOptions {
  int64_t orientations = 9;
  int64_t pixels_per_cell = 8;
  int64_t cells_per_block = 3;
  double eps = 1e-5;  // L2-Hys's ε
  double clip = 0.2;  // L2-Hys's clipping threshold
};

// images [N, H, W] (floating) → per-cell histograms [N, H/c, W/c, orientations].
Tensor hog_cells(const Tensor& images, const HogOptions& options = {});
// images [N, H, W] (floating) → features [N, blocks_rows · blocks_columns · b² · orientations].
Tensor hog(const Tensor& images, const HogOptions& options = {});
// The length of one image's feature vector for an H×W image.
int64_t hog_feature_count(int64_t height, int64_t width, const HogOptions& options = {});

}  // namespace nabla::vision
