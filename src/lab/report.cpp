// Reports, all built from result.json records: report.md of one experiment, and the lab's index.md and
// index.html (every question with its answer, claims, tables and figures; images linked relatively so the
// folder can be viewed offline or copied elsewhere).
#include <filesystem>

#include "nabla/io/file.h"
#include "nabla/lab/lab.h"

namespace nabla::lab {
namespace {

using nlohmann::json;

std::string text_of(const json& record, const char* key) {
  const json& value = record.value(key, json::object());
  return value.is_object() ? value.value("en", "") : "";
}

std::string format_value(double value) { return fmt::format("{:.6g}", value); }

std::string status_word(const json& record) {
  std::string status = record.value("status", "not run");
  for (char& c : status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return status;
}

// One line: "4 of 4 claims hold (quick budget, seed 0, <date>, 0.42 s); knobs: lr_factor = 0.9 (set)".
std::string run_summary(const json& record) {
  if (!record.contains("date")) return "not run yet: `nabla lab run " + record.value("id", "") + "`";
  int passed = 0, total = 0;
  for (const json& claim : record["claims"]) passed += claim.value("pass", false), ++total;
  std::string summary = fmt::format("{} of {} claims hold ({} budget, seed {}, {}, {:.2f} s)", passed, total,
                                    record.value("budget", "?"), record.value("seed", uint64_t{0}), record.value("date", "?"),
                                    record.value("seconds", 0.0));
  std::vector<std::string> knobs;
  const json knob_values = record.value("knobs", json::object());  // items() must not outlive it
  for (const auto& [name, knob] : knob_values.items()) {
    const json& value = knob["value"];
    knobs.push_back(fmt::format("{} = {}{}", name, value.is_string() ? value.get<std::string>() : format_value(value.get<double>()),
                                knob.value("set", false) ? " (set)" : ""));
  }
  if (!knobs.empty()) summary += fmt::format("; knobs: {}", fmt::join(knobs, ", "));
  return summary;
}

using Rows = std::vector<std::vector<std::string>>;
const std::vector<std::string> kClaimHeader = {"result", "claim", "evidence"};
const std::vector<std::string> kFigureHeader = {"figure", "value", "unit"};

Rows claim_rows(const json& record) {
  Rows rows;
  for (const json& claim : record["claims"]) {
    rows.push_back({claim.value("pass", false) ? "PASS" : "FAIL", claim.value("name", ""), claim.value("evidence", "")});
  }
  return rows;
}

Rows figure_rows(const json& record) {
  Rows rows;
  for (const json& figure : record["figures"]) {
    rows.push_back({figure.value("name", ""), format_value(figure.value("value", 0.0)), figure.value("unit", "")});
  }
  return rows;
}

// ---- markdown

std::string markdown_cell(const std::string& text) {
  std::string cell;
  for (char c : text) cell += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return cell;
}

std::string markdown_table(const std::vector<std::string>& header, const Rows& rows) {
  auto line = [](const std::vector<std::string>& cells) {
    std::string text = "|";
    for (const std::string& cell : cells) text += fmt::format(" {} |", markdown_cell(cell));
    return text + "\n";
  };
  std::string table = line(header) + "|";
  for (size_t i = 0; i < header.size(); ++i) table += "---|";
  table += "\n";
  for (const std::vector<std::string>& row : rows) table += line(row);
  return table + "\n";
}

std::string markdown_section(const json& record, const std::string& image_prefix, const std::string& heading) {
  std::string text = fmt::format("{} {} · {}\n\n", heading, record.value("id", ""), record.value("title", ""));
  text += fmt::format("**Question.** {}\n\n**Answer.** {}\n\n", text_of(record, "question"), text_of(record, "answer"));
  text += fmt::format("**{}**: {}\n\n", status_word(record), run_summary(record));
  if (record.contains("error")) text += fmt::format("Error: `{}`\n\n", record["error"].get<std::string>());
  const std::string sub = heading + "#";
  if (!record.value("claims", json::array()).empty()) {
    text += sub + " Claims\n\n" + markdown_table(kClaimHeader, claim_rows(record));
  }
  if (!record.value("figures", json::array()).empty()) {
    text += sub + " Key figures\n\n" + markdown_table(kFigureHeader, figure_rows(record));
  }
  if (!record.value("evidence", json::array()).empty()) text += sub + " Evidence\n\n";
  for (const json& item : record.value("evidence", json::array())) {
    const std::string kind = item.value("kind", "");
    if (kind == "note") text += "- " + item.value("text", "") + "\n\n";
    if (kind == "table") {
      text += fmt::format("*{}*\n\n", item.value("title", ""));
      text += markdown_table(item["header"].get<std::vector<std::string>>(),
                             item["rows"].get<Rows>());
    }
    if (kind == "plot") {
      if (item.contains("error")) {
        text += fmt::format("*(figure {} not drawn: {})*\n\n", item.value("file", ""), item["error"].get<std::string>());
      } else {
        text += fmt::format("![{}]({}{})\n\n", item.value("title", ""), image_prefix, item.value("file", ""));
      }
    }
  }
  return text;
}

// ---- HTML

std::string escape(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

std::string html_table(const std::vector<std::string>& header, const Rows& rows) {
  std::string table = "<table><tr>";
  for (const std::string& cell : header) table += "<th>" + escape(cell) + "</th>";
  table += "</tr>\n";
  for (const std::vector<std::string>& row : rows) {
    table += "<tr>";
    for (const std::string& cell : row) {
      std::string css = cell == "PASS" ? " class=\"pass\"" : cell == "FAIL" ? " class=\"fail\"" : "";
      table += "<td" + css + ">" + escape(cell) + "</td>";
    }
    table += "</tr>\n";
  }
  return table + "</table>\n";
}

std::string html_section(const json& record, const std::string& image_prefix) {
  const std::string id = record.value("id", "");
  std::string status = record.value("status", "not run");
  std::string html = fmt::format("<section id=\"{0}\">\n<h2>{0} · {1} <span class=\"status {2}\">{3}</span></h2>\n",
                                 escape(id), escape(record.value("title", "")), escape(status == "not run" ? "none" : status),
                                 escape(status_word(record)));
  html += fmt::format("<p><b>Question.</b> {}</p>\n<p><b>Answer.</b> {}</p>\n<p class=\"run\">{}</p>\n",
                      escape(text_of(record, "question")), escape(text_of(record, "answer")), escape(run_summary(record)));
  if (record.contains("error")) html += "<p class=\"fail\">Error: " + escape(record["error"].get<std::string>()) + "</p>\n";
  if (!record.value("claims", json::array()).empty()) {
    html += "<h3>Claims</h3>\n" + html_table(kClaimHeader, claim_rows(record));
  }
  if (!record.value("figures", json::array()).empty()) {
    html += "<h3>Key figures</h3>\n" + html_table(kFigureHeader, figure_rows(record));
  }
  if (!record.value("evidence", json::array()).empty()) html += "<h3>Evidence</h3>\n";
  for (const json& item : record.value("evidence", json::array())) {
    const std::string kind = item.value("kind", "");
    if (kind == "note") html += "<p>" + escape(item.value("text", "")) + "</p>\n";
    if (kind == "table") {
      html += "<p><i>" + escape(item.value("title", "")) + "</i></p>\n" +
              html_table(item["header"].get<std::vector<std::string>>(),
                         item["rows"].get<Rows>());
    }
    if (kind == "plot") {
      if (item.contains("error")) {
        html += "<p><i>(figure " + escape(item.value("file", "")) + " not drawn: " + escape(item["error"].get<std::string>()) +
                ")</i></p>\n";
      } else {
        html += fmt::format("<figure><img src=\"{0}\" alt=\"{1}\"><figcaption>{1}</figcaption></figure>\n",
                            escape(image_prefix + item.value("file", "")), escape(item.value("title", "")));
      }
    }
  }
  return html + "</section>\n";
}

const char* kStyle =
    "body{font-family:sans-serif;max-width:960px;margin:auto;padding:1em;line-height:1.45}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
    ".pass{color:#17663a;font-weight:bold}.fail,.error{color:#a11;font-weight:bold}.none{color:#777}"
    ".status{font-size:70%}.run{color:#555}img{max-width:100%}section{border-top:1px solid #ddd;margin-top:2em}";

// The record of each registered experiment: its last result, or its texts alone when it has not run.
std::vector<json> all_records(const std::filesystem::path& out) {
  std::vector<json> records;
  for (const Experiment& experiment : experiments()) {
    json record = read_result(out, experiment.id);
    if (record.is_null()) {
      record = {{"id", experiment.id},
                {"title", experiment.title},
                {"question", {{"en", experiment.question.en}}},
                {"answer", {{"en", experiment.answer.en}}}};
    }
    records.push_back(record);
  }
  return records;
}

}  // namespace

std::string markdown_report(const json& result, const std::string& image_prefix) {
  return markdown_section(result, image_prefix, "#");
}

void write_index(const std::filesystem::path& out) {
  std::filesystem::create_directories(out);
  std::vector<json> records = all_records(out);
  Rows rows;
  std::map<std::string, int> counts;
  for (const json& record : records) {
    ++counts[record.value("status", "not run")];
    rows.push_back({record.value("id", ""), record.value("title", ""), status_word(record), record.value("budget", ""),
                    record.value("date", "")});
  }
  std::vector<std::string> tally;
  for (const auto& [status, count] : counts) tally.push_back(fmt::format("{} {}", count, status));
  const std::string overview = fmt::format("{} experiments: {}.", records.size(), fmt::join(tally, ", "));
  const std::vector<std::string> header = {"id", "question", "status", "budget", "date"};

  std::string markdown = "# The nabla lab\n\n" + overview + "\n\n" + markdown_table(header, rows);
  std::string html = std::string("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>The nabla lab</title><style>") +
                     kStyle + "</style></head><body>\n<h1>The nabla lab</h1>\n<p>" + escape(overview) + "</p>\n" +
                     html_table(header, rows);
  for (const json& record : records) {
    const std::string prefix = record.value("id", "") + "/";
    markdown += "---\n\n" + markdown_section(record, prefix, "##");
    html += html_section(record, prefix);
  }
  io::write_file_atomic((out / "index.md").string(), markdown);
  io::write_file_atomic((out / "index.html").string(), html + "</body></html>\n");
}

}  // namespace nabla::lab
