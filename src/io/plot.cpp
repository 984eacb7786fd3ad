#include "nabla/io/plot.h"

#include <sys/wait.h>

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

}  // namespace

void run_gnuplot(const std::string& script, const std::string& what) {
  std::FILE* pipe = ::popen("gnuplot 2>&1", "w");
  NABLA_CHECK(pipe, "plot: can't start gnuplot for {}; install it with apt-get install gnuplot-nox", what);
  std::fwrite(script.data(), 1, script.size(), pipe);
  int status = ::pclose(pipe);
  NABLA_CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "plot: gnuplot failed while drawing {} (exit status {}){}", what, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
              WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "; install it with apt-get install gnuplot-nox" : "");
}

void line_png(const std::string& path, const std::vector<Panel>& panels, int panel_width, int height) {
  NABLA_CHECK(!panels.empty(), "plot: nothing to draw in {}", path);
  std::string temporary = path + ".tmp.png";
  std::string script = fmt::format("set terminal pngcairo size {},{} noenhanced font ',10'\nset output {}\n",
                                   panel_width * static_cast<int>(panels.size()), height, gnuplot_string(temporary));
  if (panels.size() > 1) script += fmt::format("set multiplot layout 1,{}\n", panels.size());
  int block = 0;
  for (const Panel& panel : panels) {
    script += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset grid\n", gnuplot_string(panel.title),
                          gnuplot_string(panel.x_label), gnuplot_string(panel.y_label));
    script += panel.log_y ? "set logscale y\n" : "unset logscale y\n";
    std::vector<std::string> plots;
    for (const Series& series : panel.series) {
      NABLA_CHECK(series.x.size() == series.y.size(), "plot: series '{}' has {} x values and {} y values", series.title,
                  series.x.size(), series.y.size());
      std::string name = fmt::format("$data{}", block++);
      script += name + " << EOD\n";
      for (size_t i = 0; i < series.x.size(); ++i) {
        if (std::isfinite(series.x[i]) && std::isfinite(series.y[i])) script += fmt::format("{} {}\n", series.x[i], series.y[i]);
      }
      script += "EOD\n";
      plots.push_back(fmt::format("{} using 1:2 with linespoints title {}", name, gnuplot_string(series.title)));
    }
    script += "plot " + fmt::format("{}", fmt::join(plots, ", ")) + "\n";
  }
  if (panels.size() > 1) script += "unset multiplot\n";
  script += "set output\n";
  try {
    run_gnuplot(script, path);
  } catch (...) {
    std::filesystem::remove(temporary);
    throw;
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace nabla::plot
