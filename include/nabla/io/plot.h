#pragma once
// PNG plots through gnuplot: line and scatter charts in one or more panels side by side, histograms,
// surfaces as filled colour maps with labelled contour lines and trajectories drawn over them, heatmaps and
// grids of images (the lab draws with these). Every axis must be named (with its unit): a plot with an
// empty axis label is refused, so that no figure needs the code to be read. Legends sit below the plot,
// off the data.
#include <string>
#include <vector>

#include "nabla/error.h"
#include "nabla/tensor.h"

namespace nabla::plot {

struct Series {
  std::string title;
  std::vector<double> x, y;
};

// Where a panel's legend goes. automatic: inside the top right corner, or under the plot past four series;
// below: under the plot, where it can never cover a line (curves that rise or fall into a corner).
enum class Legend { automatic, below };

struct Panel {
  std::string title, x_label, y_label;  // labels name the quantity and its unit: "epoch", "loss (cross-entropy, nats)"
  std::vector<Series> series;
  bool log_y = false;
  Legend legend = Legend::automatic;
};

// A function sampled on a grid: values[i][j] is the value at (x[j], y[i]). The labels name the two axes and
// the value (drawn on the colour scale); none may be empty.
struct Grid {
  std::vector<double> x, y;
  std::vector<std::vector<double>> values;
  std::string x_label, y_label, value_label;
};

// Each writes `path` atomically (a temporary file renamed into place). Errors name the file, or say how to
// install gnuplot when it is missing.
void line_png(const std::string& path, const std::vector<Panel>& panels, int panel_width = 640, int height = 480);
void scatter_png(const std::string& path, const std::vector<Panel>& panels, int panel_width = 640, int height = 480);
// One histogram per series (its x values are the samples; y is unused), on shared bins, drawn see-through.
void histogram_png(const std::string& path, const std::string& title, const std::string& x_label,
                   const std::vector<Series>& samples, int bins);
// `surface` as a filled colour map with a colour scale, its contour lines (levels at quantiles of its values)
// labelled with their values, and each trajectory drawn on top.
void contour_png(const std::string& path, const std::string& title, const Grid& surface,
                 const std::vector<Series>& trajectories);
void heatmap_png(const std::string& path, const std::string& title, const Grid& values);
// images [N, H, W] or [N, C, H, W] with C = 1 (gray) or 3 (RGB), values in [0, 1] (clamped), `columns` per row.
void image_grid_png(const std::string& path, const std::string& title, const Tensor& images, int columns);

// Runs a gnuplot script whose output is `set output '<path>'`; used by the plot functions. Throws
// GnuplotFailed when gnuplot is missing or refuses the script (bad arguments throw a plain nabla::Error).
void run_gnuplot(const std::string& script, const std::string& what);
struct GnuplotFailed : Error {
  using Error::Error;
};

}  // namespace nabla::plot
