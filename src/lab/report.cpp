// Reports, all built from result.json records: report.md of one experiment, and the lab's index.md and
// index.html (every question with its answer, claims, tables and figures; images linked relatively so the
// folder can be viewed offline or copied elsewhere).
#include <filesystem>

#include "nabla/io/file.h"
#include "nabla/lab/lab.h"
#include "nabla/text/display_width.h"

namespace nabla::lab {
namespace {

using nlohmann::json;

// The words of the reports that are not the experiment's own.
struct Words {
  Text question{"Question.", "질문."}, answer{"Answer.", "답."}, claims{"Claims", "주장"},
      figures{"Key figures", "핵심 수치"}, evidence{"Evidence", "근거"}, lab{"The nabla lab", "nabla 실험실"},
      overview{"{} experiments: {}.", "실험 {}개: {}."}, error{"Error", "오류"}, knobs{"knobs", "설정값"};
  std::vector<Text> index_header{{"id", "id"}, {"question", "질문"}, {"status", "상태"}, {"budget", "예산"}, {"date", "날짜"}};
  std::vector<Text> claim_header{{"result", "결과"}, {"claim", "주장"}, {"evidence", "근거"}};
  std::vector<Text> figure_header{{"figure", "수치"}, {"value", "값"}, {"unit", "단위"}};
};
const Words kWords;

// A table's header in `language`.
std::vector<std::string> header_in(const std::vector<Text>& words, Language language) {
  std::vector<std::string> header;
  for (const Text& word : words) header.push_back(word.in(language));
  return header;
}

// A {"en": …, "ko": …} record field in `language`, falling back to English where that text is empty.
std::string text_of(const json& record, const char* key, Language language) {
  const json& value = record.value(key, json::object());
  if (!value.is_object()) return "";
  return Text{value.value("en", ""), value.value("ko", "")}.in(language);
}

// The heading of a record: its title, or in Korean its question (experiments have no Korean title).
std::string heading_of(const json& record, Language language) {
  std::string title = record.value("title", "");
  if (language == Language::en) return title;
  const json& question = record.value("question", json::object());
  return question.is_object() && !question.value("ko", "").empty() ? question.value("ko", "") : title;
}

std::string format_value(double value) { return fmt::format("{:.6g}", value); }

std::string status_word(const json& record, Language language) {
  static const std::map<std::string, Text> words = {
      {"pass", {"PASS", "통과"}}, {"fail", {"FAIL", "실패"}}, {"error", {"ERROR", "오류"}}, {"not run", {"NOT RUN", "미실행"}}};
  std::string status = record.value("status", "not run");
  auto found = words.find(status);
  return found == words.end() ? status : found->second.in(language);
}

// One line: "4 of 4 claims hold (quick budget, seed 0, <date>, 0.42 s); knobs: lr_factor = 0.9 (set)".
std::string run_summary(const json& record, Language language) {
  const std::string command = "`nabla lab run " + record.value("id", "") + "`";
  if (!record.contains("date")) return Text{"not run yet: " + command, "아직 실행하지 않았습니다: " + command}.in(language);
  int passed = 0, total = 0;
  for (const json& claim : record["claims"]) passed += claim.value("pass", false), ++total;
  const Text format{"{} of {} claims hold ({} budget, seed {}, {}, {:.2f} s)",
                    "주장 {1}개 중 {0}개 성립 ({2} 예산, 시드 {3}, {4}, {5:.2f}초)"};
  std::string summary = fmt::format(fmt::runtime(format.in(language)), passed, total, record.value("budget", "?"),
                                    record.value("seed", uint64_t{0}), record.value("date", "?"), record.value("seconds", 0.0));
  std::vector<std::string> knobs;
  const json knob_values = record.value("knobs", json::object());  // items() must not outlive it
  for (const auto& [name, knob] : knob_values.items()) {
    const json& value = knob["value"];
    knobs.push_back(fmt::format("{} = {}{}", name, value.is_string() ? value.get<std::string>() : format_value(value.get<double>()),
                                knob.value("set", false) ? " (set)" : ""));
  }
  if (!knobs.empty()) summary += fmt::format("; {}: {}", kWords.knobs.in(language), fmt::join(knobs, ", "));
  return summary;
}

using Rows = std::vector<std::vector<std::string>>;

// A claim in the report's language: its Korean texts where the experiment wrote them, else the English ones.
Rows claim_rows(const json& record, Language language) {
  Rows rows;
  for (const json& claim : record["claims"]) {
    const bool korean = language == Language::ko;
    const std::string name = claim.value("name", ""), evidence = claim.value("evidence", "");
    rows.push_back({claim.value("pass", false) ? "PASS" : "FAIL", korean ? claim.value("name_ko", name) : name,
                    korean ? claim.value("evidence_ko", evidence) : evidence});
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

std::string markdown_section(const json& record, const std::string& image_prefix, const std::string& heading,
                             Language language) {
  std::string text = fmt::format("{} {} · {}\n\n", heading, record.value("id", ""), heading_of(record, language));
  text += fmt::format("**{}** {}\n\n**{}** {}\n\n", kWords.question.in(language), text_of(record, "question", language),
                      kWords.answer.in(language), text_of(record, "answer", language));
  text += fmt::format("**{}**: {}\n\n", status_word(record, language), run_summary(record, language));
  if (record.contains("error")) {
    text += fmt::format("{}: `{}`\n\n", kWords.error.in(language), record["error"].get<std::string>());
  }
  const std::string sub = heading + "# ";
  if (!record.value("claims", json::array()).empty()) {
    text += sub + kWords.claims.in(language) + "\n\n" +
            markdown_table(header_in(kWords.claim_header, language), claim_rows(record, language));
  }
  if (!record.value("figures", json::array()).empty()) {
    text += sub + kWords.figures.in(language) + "\n\n" +
            markdown_table(header_in(kWords.figure_header, language), figure_rows(record));
  }
  if (!record.value("evidence", json::array()).empty()) text += sub + kWords.evidence.in(language) + "\n\n";
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

std::string html_section(const json& record, const std::string& image_prefix, Language language) {
  const std::string id = record.value("id", "");
  std::string status = record.value("status", "not run");
  std::string html = fmt::format("<section id=\"{0}\">\n<h2>{0} · {1} <span class=\"status {2}\">{3}</span></h2>\n",
                                 escape(id), escape(heading_of(record, language)),
                                 escape(status == "not run" ? "none" : status), escape(status_word(record, language)));
  html += fmt::format("<p><b>{}</b> {}</p>\n<p><b>{}</b> {}</p>\n<p class=\"run\">{}</p>\n", escape(kWords.question.in(language)),
                      escape(text_of(record, "question", language)), escape(kWords.answer.in(language)),
                      escape(text_of(record, "answer", language)), escape(run_summary(record, language)));
  if (record.contains("error")) {
    html += "<p class=\"fail\">" + escape(kWords.error.in(language)) + ": " + escape(record["error"].get<std::string>()) +
            "</p>\n";
  }
  if (!record.value("claims", json::array()).empty()) {
    html += "<h3>" + escape(kWords.claims.in(language)) + "</h3>\n" +
            html_table(header_in(kWords.claim_header, language), claim_rows(record, language));
  }
  if (!record.value("figures", json::array()).empty()) {
    html += "<h3>" + escape(kWords.figures.in(language)) + "</h3>\n" +
            html_table(header_in(kWords.figure_header, language), figure_rows(record));
  }
  if (!record.value("evidence", json::array()).empty()) html += "<h3>" + escape(kWords.evidence.in(language)) + "</h3>\n";
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
                {"question", {{"en", experiment.question.en}, {"ko", experiment.question.ko}}},
                {"answer", {{"en", experiment.answer.en}, {"ko", experiment.answer.ko}}}};
    }
    records.push_back(record);
  }
  return records;
}

}  // namespace

std::string markdown_report(const json& result, const std::string& image_prefix, Language language) {
  return markdown_section(result, image_prefix, "#", language);
}

std::string list_line(const Experiment& experiment, const json& result, Language language) {
  const bool ran = result.is_object();
  std::string status = !ran ? "-" : language == Language::en ? result.value("status", "?") : status_word(result, language);
  std::string run = ran ? result.value("budget", "") + " " + result.value("date", "") : "";
  std::string title = language == Language::en ? experiment.title : experiment.question.in(language);
  return fmt::format("{} {} {} {}", text::pad_right(experiment.id, 4), text::pad_right(status, 6), text::pad_right(run, 27),
                     title);
}

void write_index(const std::filesystem::path& out, Language language) {
  std::filesystem::create_directories(out);
  std::vector<json> records = all_records(out);
  Rows rows;
  std::map<std::string, int> counts;
  for (const json& record : records) {
    ++counts[record.value("status", "not run")];
    rows.push_back({record.value("id", ""), heading_of(record, language), status_word(record, language),
                    record.value("budget", ""), record.value("date", "")});
  }
  std::vector<std::string> tally;
  for (const auto& [status, count] : counts) {
    tally.push_back(fmt::format("{} {}", count, language == Language::en ? status : status_word({{"status", status}}, language)));
  }
  const std::string overview =
      fmt::format(fmt::runtime(kWords.overview.in(language)), records.size(), fmt::join(tally, ", "));
  const std::vector<std::string> header = header_in(kWords.index_header, language);

  const std::string title = kWords.lab.in(language);
  std::string markdown = "# " + title + "\n\n" + overview + "\n\n" + markdown_table(header, rows);
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + language_code(language) + "\"><head><meta charset=\"utf-8\"><title>" +
                     escape(title) + "</title><style>" + kStyle + "</style></head><body>\n<h1>" + escape(title) + "</h1>\n<p>" +
                     escape(overview) + "</p>\n" + html_table(header, rows);
  for (const json& record : records) {
    const std::string prefix = record.value("id", "") + "/";
    markdown += "---\n\n" + markdown_section(record, prefix, "##", language);
    html += html_section(record, prefix, language);
  }
  io::write_file_atomic((out / "index.md").string(), markdown);
  io::write_file_atomic((out / "index.html").string(), html + "</body></html>\n");
}

}  // namespace nabla::lab
