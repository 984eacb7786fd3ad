#pragma once
// PNG plots through gnuplot: line charts in one or more panels side by side. The lab's richer plots
// (contours, heatmaps, image grids) build on the same runner.
#include <string>
#include <vector>

namespace nabla::plot {

struct Series {
  std::string title;
  std::vector<double> x, y;
};

struct Panel {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool log_y = false;
};

// Writes `path` atomically (a temporary file renamed into place). Errors name the file, or say how to
// install gnuplot when it is missing.
void line_png(const std::string& path, const std::vector<Panel>& panels, int panel_width = 640, int height = 480);

// Runs a gnuplot script whose output is `set output '<path>'`; used by the plot functions.
void run_gnuplot(const std::string& script, const std::string& what);

}  // namespace nabla::plot
