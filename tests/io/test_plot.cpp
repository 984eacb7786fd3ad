// Plots: every kind writes a PNG (checked by its signature, since gnuplot reports a bad script but still
// exits with 0), and bad arguments are one-line errors naming the file.
#include <gtest/gtest.h>
#include <filesystem>

#include "nabla/io/file.h"
#include "nabla/io/plot.h"
#include "nabla/nabla.h"
#include "tests/common/expect_error.h"
#include "tests/common/temporary_directory.h"

namespace nabla {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;

class Plot : public testing::TemporaryDirectoryTest {
 protected:
  Plot() : TemporaryDirectoryTest("plot") {}
  static void expect_png(const std::string& file) {
    std::string bytes = io::read_file(file);
    ASSERT_GT(bytes.size(), 8u) << file;
    EXPECT_EQ(bytes.substr(1, 3), "PNG") << file;
    EXPECT_FALSE(fs::exists(file + ".tmp.png"));
  }
};

plot::Grid bowl() {
  plot::Grid grid;
  grid.x_label = "w₁ (weight)", grid.y_label = "w₂ (weight)", grid.value_label = "loss";
  for (int i = 0; i <= 20; ++i) grid.x.push_back(-1 + 0.1 * i), grid.y.push_back(-2 + 0.2 * i);
  for (double y : grid.y) {
    std::vector<double> row;
    for (double x : grid.x) row.push_back(x * x + 0.5 * y * y);
    grid.values.push_back(row);
  }
  return grid;
}

TEST_F(Plot, EveryKindWritesAPng) {
  plot::Panel panel{"title 'quoted'", "x", "y", {{"a", {1, 2, 3}, {1, 4, 9}}, {"b", {1, 2, 3}, {NAN, 2, 3}}}};
  plot::Panel legend_below = panel;
  legend_below.legend = plot::Legend::below;
  plot::line_png(path("line.png"), {panel, legend_below});
  plot::scatter_png(path("scatter.png"), {panel});
  plot::histogram_png(path("histogram.png"), "histogram", "value", {{"a", {1, 2, 2, 3, 3, 3}, {}}, {"b", {5, 5}, {}}}, 4);
  plot::contour_png(path("contour.png"), "contour", bowl(), {{"path", {0.9, 0.5, 0.1}, {1.8, 1.0, 0.2}}});
  plot::heatmap_png(path("heatmap.png"), "heatmap", bowl());
  plot::image_grid_png(path("gray.png"), "gray", rand({5, 6, 7}), 3);
  plot::image_grid_png(path("color.png"), "color", rand({2, 3, 4, 4}), 2);
  for (const char* file : {"line.png", "scatter.png", "histogram.png", "contour.png", "heatmap.png", "gray.png", "color.png"}) {
    expect_png(path(file));
  }
}

TEST_F(Plot, BadArgumentsNameTheFile) {
  plot::Grid ragged = bowl();
  ragged.values[3].pop_back();
  expect_error([&] { plot::contour_png(path("ragged.png"), "t", ragged, {}); }, {"ragged.png", "row of 20 values"});
  expect_error([&] { plot::heatmap_png(path("tiny.png"), "t", plot::Grid{{1}, {1}, {{1}}}); }, {"tiny.png", "2×2"});
  expect_error([&] { plot::histogram_png(path("empty.png"), "t", "x", {{"a", {NAN}, {}}}, 3); },
               {"empty.png", "no finite samples"});
  expect_error([&] { plot::image_grid_png(path("images.png"), "t", rand({2, 2, 4, 4}), 2); }, {"images.png", "C = 1 or 3"});
  expect_error([&] { plot::line_png(path("series.png"), {{"t", "x", "y", {{"s", {1, 2}, {1}}}}}); },
               {"series 's'", "2 x values and 1 y values"});
  EXPECT_FALSE(fs::exists(path("ragged.png")));
}

// A figure must explain itself: every axis (and a colour map's scale) is named, so an empty label is refused.
TEST_F(Plot, AnAxisWithoutALabelIsRefused) {
  const plot::Series series{"s", {1, 2}, {1, 2}};
  expect_error([&] { plot::line_png(path("no_x.png"), {{"t", "", "y (unit)", {series}}}); }, {"no_x.png", "x axis", "no label"});
  expect_error([&] { plot::scatter_png(path("no_y.png"), {{"t", "x (unit)", " ", {series}}}); }, {"no_y.png", "y axis"});
  expect_error([&] { plot::histogram_png(path("no_label.png"), "t", "", {{"a", {1, 2}, {}}}, 2); }, {"no_label.png", "x axis"});
  plot::Grid unnamed = bowl();
  unnamed.value_label.clear();
  expect_error([&] { plot::contour_png(path("unnamed.png"), "t", unnamed, {}); }, {"unnamed.png", "colour (value) axis"});
  unnamed = bowl();
  unnamed.y_label.clear();
  expect_error([&] { plot::heatmap_png(path("unnamed.png"), "t", unnamed); }, {"unnamed.png", "y axis"});
  EXPECT_FALSE(fs::exists(path("no_x.png")));
}

}  // namespace
}  // namespace nabla
