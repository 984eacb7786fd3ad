#pragma once
// Heatmaps over images, for people to look at: a map coloured (dark blue → cyan → yellow → red) and blended
// over the gray or colour image, tiles in a grid, each under a caption strip "P3 T5" (predicted class 3, true
// class 5; T? when the true class is unknown) drawn with a built-in 3×5 pixel font.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::analysis {

// RGB of value v in [0, 1] (clamped): a perceptually ordered ramp, f64 triple in [0, 1].
std::array<double, 3> heat_colour(double value);

// images [N, C, H, W] in [0, 1] (C = 1 or 3), maps [N, H, W] (any range: each is scaled to [0, 1] by its own
// minimum and maximum) → u8 [3, H, W] per image blended as (1 − alpha)·image + alpha·colour(map).
std::vector<Tensor> overlay_heatmaps(const Tensor& images, const Tensor& maps, double alpha = 0.5);

struct Caption {
  int64_t predicted = -1;
  int64_t truth = -1;  // −1: unknown
};
// Tiles u8 [3, H, W] (all the same size), each enlarged `scale` times, in a grid of `columns`, with a caption
// strip above each → u8 [3, rows·(H·scale + strip), columns·W·scale], ready for data::write_png.
Tensor caption_grid(const std::vector<Tensor>& tiles, const std::vector<Caption>& captions, int64_t columns,
                    int64_t scale = 4);

}  // namespace nabla::analysis
