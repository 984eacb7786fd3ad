// What an experiment sees while it runs: its budget, seed and knobs, and the recorders of evidence,
// claims and plots. Everything recorded goes into record(), which becomes result.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "nabla/lab/lab.h"
#include "nabla/text/display_width.h"

namespace nabla::lab {

Context::Context(const Experiment& experiment, const RunOptions& options)
    : budget_(options.budget), seed_(options.seed), generator_(options.seed), settings_(options.settings),
      directory_(options.out / experiment.id), verbose_(options.verbose), language_(options.language) {
  std::filesystem::create_directories(directory_);
  record_ = {{"id", experiment.id},
             {"title", experiment.title},
             {"topic", experiment.topic},
             {"question", {{"en", experiment.question.en}, {"ko", experiment.question.ko}}},
             {"answer", {{"en", experiment.answer.en}, {"ko", experiment.answer.ko}}},
             {"budget", budget_name(budget_)},
             {"seed", seed_},
             {"knobs", nlohmann::json::object()},
             {"evidence", nlohmann::json::array()},
             {"figures", nlohmann::json::array()},
             {"claims", nlohmann::json::array()}};
}

const std::string* Context::setting(const std::string& name) {
  knobs_read_.insert(name);
  auto found = settings_.find(name);
  return found == settings_.end() ? nullptr : &found->second;
}

double Context::parameter(const std::string& name, double fallback) {
  const std::string* text = setting(name);
  double value = fallback;
  if (text) {
    size_t used = 0;
    try {
      value = std::stod(*text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text->size() || text->empty()) {
      throw KnobError(fmt::format("lab {}: --set {}={} is not a number", record_["id"].get<std::string>(), name, *text));
    }
    if (!std::isfinite(value)) {
      throw KnobError(fmt::format("lab {}: --set {}={} is not a finite number", record_["id"].get<std::string>(), name, *text));
    }
  }
  record_["knobs"][name] = {{"value", value}, {"set", text != nullptr}};
  return value;
}

std::string Context::option(const std::string& name, const std::string& fallback) {
  const std::string* text = setting(name);
  std::string value = text ? *text : fallback;
  record_["knobs"][name] = {{"value", value}, {"set", text != nullptr}};
  return value;
}

void Context::note(const std::string& text) {
  record_["evidence"].push_back({{"kind", "note"}, {"text", text}});
  if (verbose_) fmt::print("  {}\n", text);
}

void Context::figure(const std::string& name, double value, const std::string& unit) {
  record_["figures"].push_back({{"name", name}, {"value", value}, {"unit", unit}});
  if (verbose_) fmt::print("  {} = {:.6g}{}{}\n", name, value, unit.empty() ? "" : " ", unit);
}

void Context::table(const std::string& title, std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
  for (const std::vector<std::string>& row : rows) {
    NABLA_CHECK(row.size() == header.size(), "table '{}' has {} columns but a row of {} cells", title, header.size(),
                row.size());
  }
  if (verbose_) {
    // Columns padded by display width, so cells in Korean (2 columns a syllable) line up too.
    std::vector<size_t> widths(header.size(), 0);
    for (size_t column = 0; column < header.size(); ++column) {
      widths[column] = text::display_width(header[column]);
      for (const std::vector<std::string>& row : rows) widths[column] = std::max(widths[column], text::display_width(row[column]));
    }
    auto print_row = [&](const std::vector<std::string>& cells) {
      std::vector<std::string> padded;
      for (size_t column = 0; column < cells.size(); ++column) {
        padded.push_back(column + 1 == cells.size() ? cells[column] : text::pad_right(cells[column], widths[column]));
      }
      fmt::print("    {}\n", fmt::join(padded, " | "));
    };
    fmt::print("  {}\n", title);
    print_row(header);
    for (const std::vector<std::string>& row : rows) print_row(row);
  }
  record_["evidence"].push_back({{"kind", "table"}, {"title", title}, {"header", header}, {"rows", rows}});
}

bool Context::claim(const Text& name, bool condition, const Text& evidence) {
  // result.json keeps the English texts under "name" and "evidence" (what negative tests and older readers
  // use) and the Korean ones beside them.
  NABLA_CHECK(!name.en.empty() && !evidence.en.empty(), "claim: a claim needs an English name and evidence");
  NABLA_CHECK(!name.ko.empty() && !evidence.ko.empty(), "claim '{}' has no Korean {}", name.en,
              name.ko.empty() ? "name" : "evidence");
  record_["claims"].push_back({{"name", name.en},
                               {"name_ko", name.ko},
                               {"pass", condition},
                               {"evidence", evidence.en},
                               {"evidence_ko", evidence.ko}});
  if (!condition) ++failed_claims_;
  if (verbose_ || !condition) {
    fmt::print("  {} {}{}: {}\n", condition ? "PASS" : "FAIL", verbose_ ? "" : record_["id"].get<std::string>() + " ",
               name.in(language_), evidence.in(language_));
  }
  return condition;
}

void Context::draw(const std::string& file, const std::string& title,
                   const std::function<void(const std::string&)>& painter) {
  // Errors inside an experiment are printed after "lab QNN: " by the runner's caller.
  NABLA_CHECK(std::filesystem::path(file).extension() == ".png" && std::filesystem::path(file).filename() == file,
              "a plot's file must be a plain name ending in .png, got '{}'", file);
  nlohmann::json entry = {{"kind", "plot"}, {"file", file}, {"title", title}};
  try {
    painter((directory_ / file).string());
  } catch (const plot::GnuplotFailed& error) {
    // A missing gnuplot costs the picture, not the experiment: its claims are measured without it.
    entry["error"] = error.what();
    std::fprintf(stderr, "warning: %s\n", error.what());
  }
  record_["evidence"].push_back(entry);
}

void Context::line_plot(const std::string& file, const plot::Panel& panel) {
  draw(file, panel.title, [&](const std::string& path) { plot::line_png(path, {panel}); });
}

void Context::scatter_plot(const std::string& file, const plot::Panel& panel) {
  draw(file, panel.title, [&](const std::string& path) { plot::scatter_png(path, {panel}); });
}

void Context::histogram(const std::string& file, const std::string& title, const std::string& x_label,
                        const std::vector<plot::Series>& samples, int bins) {
  draw(file, title, [&](const std::string& path) { plot::histogram_png(path, title, x_label, samples, bins); });
}

void Context::contour_plot(const std::string& file, const std::string& title, const Grid& surface,
                           const std::vector<plot::Series>& trajectories) {
  draw(file, title, [&](const std::string& path) { plot::contour_png(path, title, surface, trajectories); });
}

void Context::heatmap(const std::string& file, const std::string& title, const Grid& values) {
  draw(file, title, [&](const std::string& path) { plot::heatmap_png(path, title, values); });
}

void Context::image_grid(const std::string& file, const std::string& title, const Tensor& images, int columns) {
  draw(file, title, [&](const std::string& path) { plot::image_grid_png(path, title, images, columns); });
}

}  // namespace nabla::lab
