// HOG features as tensor ops (include/nabla/vision/hog.h).
#include "nabla/vision/hog.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::vision {
namespace {

void check(const char* function, const Tensor& images, const HogOptions& options) {
  NABLA_CHECK(images.dim() == 3 && images.is_floating_point(), "{}: expected floating images [N, H, W], got {}",
              function, images.describe());
  NABLA_CHECK(options.orientations >= 1 && options.pixels_per_cell >= 1 && options.cells_per_block >= 1,
              "{}: orientations, pixels_per_cell and cells_per_block must be positive, got {}, {}, {}", function,
              options.orientations, options.pixels_per_cell, options.cells_per_block);
  const int64_t rows = images.size(1) / options.pixels_per_cell, columns = images.size(2) / options.pixels_per_cell;
  NABLA_CHECK(rows >= options.cells_per_block && columns >= options.cells_per_block,
              "{}: a {}×{} image has {}×{} cells of {} pixels, fewer than one block of {}×{} cells", function,
              images.size(1), images.size(2), rows, columns, options.pixels_per_cell, options.cells_per_block,
              options.cells_per_block);
}

// x[2:] − x[:−2] along `dim`, with a zero slice at either end: [N, H, W] → [N, H, W].
Tensor central_difference(const Tensor& x, int64_t dim) {
  const int64_t size = x.size(dim);
  const Tensor inner = x.slice(dim, 2, size) - x.slice(dim, 0, size - 2);
  const Tensor edge = zeros_like(x.slice(dim, 0, 1));
  return cat({edge, inner, edge}, dim);
}

}  // namespace

int64_t hog_feature_count(int64_t height, int64_t width, const HogOptions& options) {
  const int64_t rows = height / options.pixels_per_cell, columns = width / options.pixels_per_cell;
  const int64_t b = options.cells_per_block;
  return (rows - b + 1) * (columns - b + 1) * b * b * options.orientations;
}

Tensor hog_cells(const Tensor& images, const HogOptions& options) {
  check("hog_cells", images, options);
  const int64_t N = images.size(0), c = options.pixels_per_cell, B = options.orientations;
  const int64_t rows = images.size(1) / c, columns = images.size(2) / c;
  const Tensor gy = central_difference(images, 1), gx = central_difference(images, 2);
  const Tensor magnitude = sqrt(gx * gx + gy * gy);
  // Fold each gradient into the upper half-plane (θ and θ + 180° are one unsigned orientation; θ = 180° is 0°),
  // then θ ≥ φ ⇔ the folded vector is on or left of the ray at φ: fy·cos φ − fx·sin φ ≥ 0, with no arctangent.
  const Tensor flip = logical_or(gy < 0.0, logical_and(gy == 0.0, gx < 0.0));
  const Tensor fx = where(flip, -gx, gx), fy = where(flip, -gy, gy);
  auto at_least = [&](int64_t bin) {
    const double angle = std::numbers::pi * static_cast<double>(bin) / static_cast<double>(B);
    return fy * std::cos(angle) - fx * std::sin(angle) >= 0.0;
  };
  std::vector<Tensor> per_bin;
  Tensor lower = at_least(0);
  for (int64_t bin = 0; bin < B; ++bin) {
    const Tensor upper = bin + 1 < B ? at_least(bin + 1) : zeros_like(lower);  // nothing reaches 180°
    per_bin.push_back(where(logical_and(lower, logical_not(upper)), magnitude, zeros_like(magnitude)));
    lower = upper;
  }
  const Tensor binned = stack(per_bin, -1).slice(1, 0, rows * c).slice(2, 0, columns * c);  // [N, H', W', B]
  return binned.reshape({N, rows, c, columns, c, B}).sum({2, 4}) / static_cast<double>(c * c);
}

Tensor hog(const Tensor& images, const HogOptions& options) {
  const Tensor cells = hog_cells(images, options);
  const int64_t N = cells.size(0), b = options.cells_per_block;
  const int64_t block_rows = cells.size(1) - b + 1, block_columns = cells.size(2) - b + 1;
  const double eps2 = options.eps * options.eps;
  std::vector<Tensor> blocks;
  for (int64_t row = 0; row < block_rows; ++row) {
    for (int64_t column = 0; column < block_columns; ++column) {
      const Tensor v = cells.slice(1, row, row + b).slice(2, column, column + b).reshape({N, -1});
      Tensor normed = v / sqrt((v * v).sum({1}, true) + eps2);
      normed = normed.clamp_max(options.clip);
      blocks.push_back(normed / sqrt((normed * normed).sum({1}, true) + eps2));
    }
  }
  return cat(blocks, 1);
}

}  // namespace nabla::vision
