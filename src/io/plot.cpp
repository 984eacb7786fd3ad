#include "nabla/io/plot.h"

#include <sys/wait.h>

#include <csignal>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "nabla/error.h"

namespace nabla::plot {
namespace {

std::string gnuplot_string(const std::string& text) {
  std::string result = "'";
  for (char c : text) result += c == '\'' ? std::string("''") : std::string(1, c);
  return result + "'";
}

// Points an image terminal at a temporary file, runs `body`, and renames the file onto `path`.
void render(const std::string& path, int width, int height, const std::string& body) {
  std::string temporary = path + ".tmp.png";
  std::string script = fmt::format("set terminal pngcairo size {},{} noenhanced font ',10'\nset output {}\n", width,
                                   height, gnuplot_string(temporary)) +
                       body + "set output\n";
  try {
    run_gnuplot(script, path);
    // gnuplot reading a pipe reports a bad script on its output but still exits with 0.
    std::error_code error;
    if (std::filesystem::file_size(temporary, error) == 0 || error) {
      throw GnuplotFailed(fmt::format("plot: gnuplot drew nothing for {} (its messages are above)", path));
    }
  } catch (...) {
    std::filesystem::remove(temporary);
    throw;
  }
  std::filesystem::rename(temporary, path);
}

// A named inline data block of (x, y) rows; points that are not finite are left out.
std::string xy_block(const std::string& name, const Series& series) {
  NABLA_CHECK(series.x.size() == series.y.size(), "plot: series '{}' has {} x values and {} y values", series.title,
              series.x.size(), series.y.size());
  std::string block = name + " << EOD\n";
  for (size_t i = 0; i < series.x.size(); ++i) {
    if (std::isfinite(series.x[i]) && std::isfinite(series.y[i])) block += fmt::format("{} {}\n", series.x[i], series.y[i]);
  }
  return block + "EOD\n";
}

// An axis without a name makes a figure that only the code explains: refused, naming the plot and the axis.
void check_label(const std::string& label, const std::string& axis, const std::string& what) {
  NABLA_CHECK(label.find_first_not_of(" \t") != std::string::npos,
              "plot: the {} axis of {} has no label; name the quantity and its unit", axis, what);
}

std::string labels(const std::string& title, const std::string& x_label, const std::string& y_label) {
  return fmt::format("set title {}\nset xlabel {}\nset ylabel {}\n", gnuplot_string(title), gnuplot_string(x_label),
                     gnuplot_string(y_label));
}

void panels_png(const std::string& path, const std::vector<Panel>& panels, int panel_width, int height,
                const std::string& style) {
  NABLA_CHECK(!panels.empty(), "plot: nothing to draw in {}", path);
  std::string script;
  if (panels.size() > 1) script += fmt::format("set multiplot layout 1,{}\n", panels.size());
  int block = 0;
  for (const Panel& panel : panels) {
    check_label(panel.x_label, "x", fmt::format("'{}' in {}", panel.title, path));
    check_label(panel.y_label, "y", fmt::format("'{}' in {}", panel.title, path));
    script += labels(panel.title, panel.x_label, panel.y_label) + "set grid\n";
    script += panel.log_y ? "set logscale y\n" : "unset logscale y\n";
    // A legend inside the axes covers data: several series are named below the plot, one series needs no key
    // (the title and the axis label name it).
    script += panel.legend == Legend::below || panel.series.size() > 1 ? "set key below height 1.5\n" : "unset key\n";
    // One x value in all (a one-epoch run): gnuplot can't autoscale an empty range and warns; centre it.
    double low = INFINITY, high = -INFINITY;
    for (const Series& series : panel.series) {
      for (double x : series.x) {
        if (std::isfinite(x)) low = std::min(low, x), high = std::max(high, x);
      }
    }
    script += low == high ? fmt::format("set xrange [{}:{}]\n", low - 1, high + 1) : "set autoscale x\n";
    std::vector<std::string> plots;
    for (const Series& series : panel.series) {
      std::string name = fmt::format("$data{}", block++);
      script += xy_block(name, series);
      plots.push_back(fmt::format("{} using 1:2 with {} title {}", name, style, gnuplot_string(series.title)));
    }
    NABLA_CHECK(!plots.empty(), "plot: panel '{}' of {} has no series", panel.title, path);
    script += "plot " + fmt::format("{}", fmt::join(plots, ", ")) + "\n";
  }
  if (panels.size() > 1) script += "unset multiplot\n";
  render(path, panel_width * static_cast<int>(panels.size()), height, script);
}

void check_grid(const Grid& grid, const std::string& path) {
  NABLA_CHECK(grid.x.size() >= 2 && grid.y.size() >= 2, "plot: the grid of {} needs at least 2×2 points, got {}×{}",
              path, grid.x.size(), grid.y.size());
  NABLA_CHECK(grid.values.size() == grid.y.size(), "plot: the grid of {} has {} y values but {} rows of values", path,
              grid.y.size(), grid.values.size());
  for (const std::vector<double>& row : grid.values) {
    NABLA_CHECK(row.size() == grid.x.size(), "plot: the grid of {} has {} x values but a row of {} values", path,
                grid.x.size(), row.size());
  }
  check_label(grid.x_label, "x", path);
  check_label(grid.y_label, "y", path);
  check_label(grid.value_label, "colour (value)", path);
}

// Rows of "x y value", one blank line between rows of the grid: gnuplot's grid data.
std::string grid_block(const std::string& name, const Grid& grid) {
  std::string block = name + " << EOD\n";
  for (size_t i = 0; i < grid.y.size(); ++i) {
    for (size_t j = 0; j < grid.x.size(); ++j) block += fmt::format("{} {} {}\n", grid.x[j], grid.y[i], grid.values[i][j]);
    block += "\n";
  }
  return block + "EOD\n";
}

// Contour levels at the (k / (count + 1))² quantiles of the values: on a bowl the area below a level grows
// with the level, so these give rings about evenly spaced in distance, dense near the minimum.
std::vector<double> contour_levels(const Grid& grid, int count) {
  std::vector<double> values;
  for (const std::vector<double>& row : grid.values) {
    for (double value : row) {
      if (std::isfinite(value)) values.push_back(value);
    }
  }
  std::sort(values.begin(), values.end());
  std::vector<double> levels;
  if (values.empty()) return levels;
  for (int k = 1; k <= count; ++k) {
    double quantile = std::pow(static_cast<double>(k) / (count + 1), 2);
    double level = values[static_cast<size_t>(quantile * static_cast<double>(values.size() - 1))];
    if (levels.empty() || level > levels.back()) levels.push_back(level);
  }
  return levels;
}

}  // namespace

void run_gnuplot(const std::string& script, const std::string& what) {
  std::FILE* pipe = ::popen("gnuplot 2>&1", "w");
  if (!pipe) throw GnuplotFailed(fmt::format("plot: can't start gnuplot for {}; install it with apt-get install gnuplot-nox", what));
  // When gnuplot is missing the shell exits at once, and writing to its closed pipe raises SIGPIPE, which
  // would end this process: ignore it while writing, and let the exit status tell.
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  std::fwrite(script.data(), 1, script.size(), pipe);
  int status = ::pclose(pipe);
  ::sigaction(SIGPIPE, &previous, nullptr);
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  throw GnuplotFailed(fmt::format("plot: gnuplot failed while drawing {} (exit status {}){}", what,
                                  WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                                  WIFEXITED(status) && WEXITSTATUS(status) == 127
                                      ? "; install it with apt-get install gnuplot-nox" : ""));
}

void line_png(const std::string& path, const std::vector<Panel>& panels, int panel_width, int height) {
  panels_png(path, panels, panel_width, height, "linespoints");
}

void scatter_png(const std::string& path, const std::vector<Panel>& panels, int panel_width, int height) {
  panels_png(path, panels, panel_width, height, "points pointtype 7 pointsize 0.6");
}

void histogram_png(const std::string& path, const std::string& title, const std::string& x_label,
                   const std::vector<Series>& samples, int bins) {
  check_label(x_label, "x", path);
  NABLA_CHECK(bins > 0, "plot: the histogram {} needs a positive number of bins, got {}", path, bins);
  double low = INFINITY, high = -INFINITY;
  for (const Series& series : samples) {
    for (double value : series.x) {
      if (std::isfinite(value)) low = std::min(low, value), high = std::max(high, value);
    }
  }
  NABLA_CHECK(low <= high, "plot: the histogram {} has no finite samples", path);
  if (high == low) high = low + 1;  // one distinct value: one bin of width 1/bins around it
  const double width = (high - low) / bins;
  std::string script = labels(title, x_label, "count (samples per bin)") +
                       (samples.size() > 1 ? "set key below height 1.5\n" : "unset key\n") +
                       "set grid\nset style fill transparent solid 0.45 noborder\n" +
                       fmt::format("set boxwidth {} absolute\n", width);
  std::vector<std::string> plots;
  for (size_t index = 0; index < samples.size(); ++index) {
    std::vector<double> counts(static_cast<size_t>(bins), 0.0);
    for (double value : samples[index].x) {
      if (!std::isfinite(value)) continue;
      auto bin = static_cast<size_t>(std::min<double>(std::floor((value - low) / width), bins - 1));
      counts[bin] += 1;
    }
    Series bars{samples[index].title, {}, counts};
    for (int b = 0; b < bins; ++b) bars.x.push_back(low + (b + 0.5) * width);
    std::string name = fmt::format("$histogram{}", index);
    script += xy_block(name, bars);
    plots.push_back(fmt::format("{} using 1:2 with boxes title {}", name, gnuplot_string(samples[index].title)));
  }
  NABLA_CHECK(!plots.empty(), "plot: nothing to draw in {}", path);
  render(path, 640, 480, script + "plot " + fmt::format("{}", fmt::join(plots, ", ")) + "\n");
}

// A perceptually ordered palette (dark blue → green → yellow → dark red), shared by the colour maps.
constexpr const char* kPalette =
    "set palette defined (0 '#30123b', 0.25 '#4686fb', 0.5 '#1ae4b6', 0.75 '#faba39', 1 '#7a0403')\n";

void contour_png(const std::string& path, const std::string& title, const Grid& surface,
                 const std::vector<Series>& trajectories) {
  check_grid(surface, path);
  std::vector<double> levels = contour_levels(surface, 10);
  NABLA_CHECK(!levels.empty(), "plot: the surface of {} has no finite values", path);
  // gnuplot computes the contour lines into a table; the surface is then drawn as a colour map, the lines
  // over it in white with their level written on them, and the trajectories on top.
  std::string script = grid_block("$surface", surface) +
                       fmt::format("set contour base\nunset surface\nset cntrparam levels discrete {}\n",
                                   fmt::join(levels, ",")) +
                       "set table $contours\nsplot $surface using 1:2:3 with lines notitle\nunset table\nunset contour\n" +
                       labels(title, surface.x_label, surface.y_label) +
                       fmt::format("set cblabel {}\n", gnuplot_string(surface.value_label)) + kPalette +
                       fmt::format("set xrange [{}:{}]\nset yrange [{}:{}]\nset size ratio -1\n",
                                   surface.x.front(), surface.x.back(), surface.y.front(), surface.y.back()) +
                       // The key in a reserved bottom margin: "below" collides with the x label when the
                       // axes keep their aspect ratio.
                       "set bmargin 8\nset key at screen 0.5, screen 0.01 center bottom horizontal\n"
                       "set style textbox opaque noborder\n";
  std::vector<std::string> plots = {
      "$surface using 1:2:3 with image notitle",
      "$contours using 1:2 with lines linecolor rgb '#ffffff' linewidth 0.8 title 'contours (value on each)'",
      // One label per contour piece, at its 15th point: the level, from the table's third column.
      "$contours using 1:2:(sprintf('%.3g', $3)) every 1000::15 with labels boxed font ',7' notitle"};
  for (size_t t = 0; t < trajectories.size(); ++t) {
    std::string name = fmt::format("$trajectory{}", t);
    script += xy_block(name, trajectories[t]);
    // Colours that stand out on every part of the palette.
    static const std::vector<std::string> colours = {"#000000", "#ff00ff", "#ffffff", "#ff4000", "#00ffff"};
    plots.push_back(fmt::format("{} using 1:2 with linespoints pointtype 7 pointsize 0.5 linewidth 1.5 linecolor rgb '{}' "
                                "title {}",
                                name, colours[t % colours.size()], gnuplot_string(trajectories[t].title)));
  }
  render(path, 720, 680, script + "plot " + fmt::format("{}", fmt::join(plots, ", ")) + "\n");
}

void heatmap_png(const std::string& path, const std::string& title, const Grid& values) {
  check_grid(values, path);
  std::string script = grid_block("$values", values) + labels(title, values.x_label, values.y_label) +
                       fmt::format("set cblabel {}\n", gnuplot_string(values.value_label)) + "set autoscale fix\n" +
                       kPalette + "plot $values using 1:2:3 with image notitle\n";
  render(path, 640, 560, script);
}

void image_grid_png(const std::string& path, const std::string& title, const Tensor& images, int columns) {
  NABLA_CHECK(images.dim() == 3 || (images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3)),
              "plot: the image grid {} needs images [N, H, W] or [N, C, H, W] with C = 1 or 3, got {}", path,
              images.shape());
  NABLA_CHECK(columns > 0, "plot: the image grid {} needs a positive number of columns, got {}", path, columns);
  const int64_t count = images.size(0), channels = images.dim() == 4 ? images.size(1) : 1;
  const int64_t height = images.size(-2), width = images.size(-1);
  NABLA_CHECK(count > 0, "plot: the image grid {} has no images", path);
  const std::vector<double> pixels = images.to_vector();
  const int64_t rows = (count + columns - 1) / columns;
  // The images are pasted into one canvas (0–255 per channel, a 1-pixel white gap between them), which
  // gnuplot reads as "column row red green blue" lines in scan order.
  const int64_t canvas_width = columns * (width + 1) - 1, canvas_height = rows * (height + 1) - 1;
  std::vector<int> canvas(static_cast<size_t>(canvas_width * canvas_height * 3), 255);
  for (int64_t n = 0; n < count; ++n) {
    const int64_t left = (n % columns) * (width + 1), top = (n / columns) * (height + 1);
    for (int64_t y = 0; y < height; ++y) {
      for (int64_t x = 0; x < width; ++x) {
        for (int64_t c = 0; c < 3; ++c) {
          double value = pixels[static_cast<size_t>(((n * channels + std::min(c, channels - 1)) * height + y) * width + x)];
          canvas[static_cast<size_t>(((top + y) * canvas_width + left + x) * 3 + c)] =
              static_cast<int>(std::lround(255 * std::clamp(std::isfinite(value) ? value : 0.0, 0.0, 1.0)));
        }
      }
    }
  }
  std::string script = "$pixels << EOD\n";
  for (int64_t y = 0; y < canvas_height; ++y) {
    for (int64_t x = 0; x < canvas_width; ++x) {
      const int* rgb = &canvas[static_cast<size_t>((y * canvas_width + x) * 3)];
      script += fmt::format("{} {} {} {} {}\n", x, canvas_height - 1 - y, rgb[0], rgb[1], rgb[2]);
    }
  }
  script += "EOD\n";
  const int64_t scale = std::max<int64_t>(1, 640 / std::max<int64_t>(canvas_width, 1));
  script += fmt::format("set title {}\nunset border\nunset tics\nunset key\nset size ratio -1\n", gnuplot_string(title)) +
            "set object 1 rectangle from screen 0,0 to screen 1,1 fillcolor rgb 'white' behind\n"
            "plot $pixels using 1:2:3:4:5 with rgbimage\n";
  render(path, static_cast<int>(canvas_width * scale + 80), static_cast<int>(canvas_height * scale + 100), script);
}

}  // namespace nabla::plot
