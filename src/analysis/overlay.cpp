// Heatmap overlays and captioned grids (include/nabla/analysis/overlay.h).
#include "nabla/analysis/overlay.h"

#include <algorithm>
#include <cmath>

#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::analysis {
namespace {

// 3×5 glyphs, one row per string, '#' lit: the digits, 'P', 'T', '?'.
const char* glyph(char character) {
  switch (character) {
    case '0': return "####.##.##.####";
    case '1': return ".#.##..#..#.###";
    case '2': return "###..#####..###";
    case '3': return "###..####..####";
    case '4': return "#.##.####..#..#";
    case '5': return "####..###..####";
    case '6': return "####..####.####";
    case '7': return "###..#..#..#..#";
    case '8': return "####.#####.####";
    case '9': return "####.####..####";
    case 'P': return "####.#####..#..";
    case 'T': return "###.#..#..#..#.";
    case '?': return "###..#.##.....#";
    default: return "...............";
  }
}

// Writes `text` in white into the u8 [3, height, width] canvas at (top, left), each font pixel `size`² pixels.
void draw_text(uint8_t* canvas, int64_t height, int64_t width, int64_t top, int64_t left, const std::string& text,
               int64_t size) {
  for (size_t index = 0; index < text.size(); ++index) {
    const char* pixels = glyph(text[index]);
    for (int64_t row = 0; row < 5; ++row) {
      for (int64_t column = 0; column < 3; ++column) {
        if (pixels[row * 3 + column] != '#') continue;
        for (int64_t dy = 0; dy < size; ++dy) {
          for (int64_t dx = 0; dx < size; ++dx) {
            const int64_t y = top + row * size + dy, x = left + (static_cast<int64_t>(index) * 4 + column) * size + dx;
            if (y < 0 || y >= height || x < 0 || x >= width) continue;
            for (int64_t channel = 0; channel < 3; ++channel) canvas[(channel * height + y) * width + x] = 255;
          }
        }
      }
    }
  }
}

}  // namespace

std::array<double, 3> heat_colour(double value) {
  const double v = std::clamp(value, 0.0, 1.0);
  // Piecewise-linear through dark blue, cyan, yellow, red (a "jet"-like ramp without its dark red end).
  static const double stops[4][3] = {{0.0, 0.0, 0.5}, {0.0, 0.9, 1.0}, {1.0, 1.0, 0.0}, {1.0, 0.0, 0.0}};
  const double position = v * 3;
  const int low = std::min(2, static_cast<int>(position));
  const double t = position - low;
  return {stops[low][0] * (1 - t) + stops[low + 1][0] * t, stops[low][1] * (1 - t) + stops[low + 1][1] * t,
          stops[low][2] * (1 - t) + stops[low + 1][2] * t};
}

std::vector<Tensor> overlay_heatmaps(const Tensor& images, const Tensor& maps, double alpha) {
  NABLA_CHECK(images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3),
              "overlay_heatmaps: expected images [N, 1 or 3, H, W], got {}", images.describe());
  NABLA_CHECK(maps.dim() == 3 && maps.size(0) == images.size(0) && maps.size(1) == images.size(2) &&
                  maps.size(2) == images.size(3),
              "overlay_heatmaps: expected maps [{}, {}, {}], got {}", images.size(0), images.size(2), images.size(3),
              maps.describe());
  NABLA_CHECK(alpha >= 0 && alpha <= 1, "overlay_heatmaps: alpha must be in [0, 1], got {}", alpha);
  const int64_t N = images.size(0), C = images.size(1), H = images.size(2), W = images.size(3);
  const Tensor pixels = images.detach().to(DType::f64).contiguous();
  const Tensor heat = maps.detach().to(DType::f64).contiguous();
  std::vector<Tensor> tiles;
  for (int64_t n = 0; n < N; ++n) {
    const double* map = heat.data<double>() + n * H * W;
    const double low = *std::min_element(map, map + H * W), high = *std::max_element(map, map + H * W);
    const double range = high > low ? high - low : 1;
    Tensor tile = empty({3, H, W}, {.dtype = DType::u8});
    uint8_t* out = tile.data<uint8_t>();
    const double* image = pixels.data<double>() + n * C * H * W;
    for (int64_t index = 0; index < H * W; ++index) {
      const std::array<double, 3> colour = heat_colour((map[index] - low) / range);
      for (int64_t channel = 0; channel < 3; ++channel) {
        const double base = std::clamp(image[(C == 1 ? 0 : channel) * H * W + index], 0.0, 1.0);
        const double value = (1 - alpha) * base + alpha * colour[static_cast<size_t>(channel)];
        out[channel * H * W + index] = static_cast<uint8_t>(std::lround(255 * value));
      }
    }
    tiles.push_back(tile);
  }
  return tiles;
}

Tensor caption_grid(const std::vector<Tensor>& tiles, const std::vector<Caption>& captions, int64_t columns,
                    int64_t scale) {
  NABLA_CHECK(!tiles.empty() && tiles.size() == captions.size(), "caption_grid: {} tiles and {} captions",
              tiles.size(), captions.size());
  NABLA_CHECK(columns >= 1 && scale >= 1, "caption_grid: columns and scale must be positive, got {} and {}", columns,
              scale);
  const int64_t H = tiles[0].size(1), W = tiles[0].size(2), font = std::max<int64_t>(1, scale / 2);
  const int64_t strip = 7 * font, tile_height = H * scale + strip, tile_width = W * scale;
  const int64_t count = static_cast<int64_t>(tiles.size()), used = std::min(columns, count);
  const int64_t rows = (count + columns - 1) / columns, height = rows * tile_height, width = used * tile_width;
  Tensor canvas = zeros({3, height, width}, {.dtype = DType::u8});
  uint8_t* out = canvas.data<uint8_t>();
  for (int64_t index = 0; index < count; ++index) {
    const Tensor tile = tiles[static_cast<size_t>(index)].contiguous();
    NABLA_CHECK(tile.dtype() == DType::u8 && tile.shape() == (Shape{3, H, W}),
                "caption_grid: tile {} must be u8 [3, {}, {}], got {}", index, H, W, tile.describe());
    const int64_t top = (index / columns) * tile_height, left = (index % columns) * tile_width;
    const Caption& caption = captions[static_cast<size_t>(index)];
    const std::string text = fmt::format("P{} T{}", caption.predicted,
                                         caption.truth < 0 ? std::string("?") : std::to_string(caption.truth));
    draw_text(out, height, width, top + font, left + font, text, font);
    for (int64_t channel = 0; channel < 3; ++channel)
      for (int64_t y = 0; y < H * scale; ++y)
        for (int64_t x = 0; x < tile_width; ++x)
          out[(channel * height + top + strip + y) * width + left + x] =
              tile.data<uint8_t>()[(channel * H + y / scale) * W + x / scale];
  }
  return canvas;
}

}  // namespace nabla::analysis
