// The lab's reports, rendered from result.json records: markdown tables stay tables whatever the cells
// hold, HTML is escaped, images are linked relative to the index, and experiments that never ran are listed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "nabla/io/file.h"
#include "nabla/lab/lab.h"

namespace nabla::lab {
namespace {

namespace fs = std::filesystem;

nlohmann::json sample_record() {
  using nlohmann::json;
  json record = {{"id", "Q09"}, {"title", "What <b>is</b> it?"}, {"status", "fail"}, {"budget", "quick"}, {"seed", 7},
                 {"date", "2026-01-01T00:00:00Z"}, {"seconds", 1.5}};
  record["question"] = {{"en", "Why & how?"}};
  record["answer"] = {{"en", "Because a|b."}};
  record["knobs"]["lr_factor"] = {{"value", 1.1}, {"set", true}};
  record["claims"] = json::array({json{{"name", "converges"}, {"pass", false}, {"evidence", "distance 3 | 4"}}});
  record["figures"] = json::array({json{{"name", "steps"}, {"value", 64}, {"unit", ""}}});
  record["evidence"] = json::array(
      {json{{"kind", "note"}, {"text", "<script>alert(1)</script>"}},
       json{{"kind", "table"}, {"title", "t"}, {"header", json::array({"a", "b"})},
            {"rows", json::array({json::array({"1|2", "x\ny"})})}},
       json{{"kind", "plot"}, {"file", "trajectories.png"}, {"title", "path"}},
       json{{"kind", "plot"}, {"file", "missing.png"}, {"title", "m"}, {"error", "plot: no gnuplot"}}});
  return record;
}

TEST(LabReport, MarkdownKeepsTablesAndSaysWhatFailed) {
  std::string markdown = markdown_report(sample_record(), "Q09/");
  EXPECT_NE(markdown.find("| FAIL | converges | distance 3 \\| 4 |"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("| 1\\|2 | x y |"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("![path](Q09/trajectories.png)"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("figure missing.png not drawn: plot: no gnuplot"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("0 of 1 claims hold (quick budget, seed 7"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("lr_factor = 1.1 (set)"), std::string::npos) << markdown;
}

// A claim made with both texts keeps both in result.json and a Korean report shows the Korean ones; a
// result.json written before the Korean texts (no name_ko) is still reported, in English.
TEST(LabReport, ClaimsCarryTheirKoreanTexts) {
  const fs::path out = fs::temp_directory_path() / fmt::format("nabla_lab_korean_{}", ::getpid());
  const Experiment experiment{.id = "Q99", .title = "t", .question = {"q", "질문"}, .answer = {"a", "답"}, .topic = "A",
                              .run = nullptr};
  Context context(experiment, {.out = out, .verbose = false, .language = Language::ko});
  context.claim({"it holds", "성립한다"}, true, format_text({"value {:.1f}", "값 {:.1f}"}, 2.34));
  const nlohmann::json& claims = context.record()["claims"];
  EXPECT_EQ(claims[0]["name"], "it holds");
  EXPECT_EQ(claims[0]["name_ko"], "성립한다");
  EXPECT_EQ(claims[0]["evidence_ko"], "값 2.3");
  nlohmann::json record = sample_record();
  record["claims"] = claims;
  record["claims"].push_back({{"name", "english only"}, {"pass", true}, {"evidence", "value 3"}});
  const std::string korean = markdown_report(record, "", Language::ko);
  EXPECT_NE(korean.find("| 결과 | 주장 | 근거 |"), std::string::npos) << korean;
  EXPECT_NE(korean.find("| PASS | 성립한다 | 값 2.3 |"), std::string::npos) << korean;
  EXPECT_NE(korean.find("| PASS | english only | value 3 |"), std::string::npos) << korean;
  EXPECT_NE(markdown_report(record).find("| PASS | it holds | value 2.3 |"), std::string::npos);
  fs::remove_all(out);
}

// A claim without Korean (name or evidence) is refused, so each experiment's quick run under ctest fails on one.
TEST(LabReport, ClaimWithoutKoreanIsAnError) {
  const fs::path out = fs::temp_directory_path() / fmt::format("nabla_lab_untranslated_{}", ::getpid());
  const Experiment experiment{.id = "Q99", .title = "t", .question = {"q", "질문"}, .answer = {"a", "답"}, .topic = "A",
                              .run = nullptr};
  Context context(experiment, {.out = out, .verbose = false});
  EXPECT_THROW(context.claim({"english only", ""}, true, {"value 3", "값 3"}), Error);
  EXPECT_THROW(context.claim({"it holds", "성립한다"}, true, format_text({"value {}", ""}, 3)), Error);
  EXPECT_TRUE(context.record()["claims"].empty());
  fs::remove_all(out);
}

// Words among the arguments (a Text) are put in each language; numbers are formatted once for both.
TEST(LabReport, FormatTextPutsWordArgumentsInEachLanguage) {
  const Text never{"never", "없음"};
  const Text text = format_text({"GD {}, Adam {:.1f}", "Adam {1:.1f}, GD {0}"}, never, 2.34);
  EXPECT_EQ(text.en, "GD never, Adam 2.3");
  EXPECT_EQ(text.ko, "Adam 2.3, GD 없음");
  const Text joined = join_texts({{"a", "가"}, {"b", "나"}}, "; ");
  EXPECT_EQ(joined.en, "a; b");
  EXPECT_EQ(joined.ko, "가; 나");
  EXPECT_TRUE(join_texts({{"a", "가"}, {"b", ""}}, "; ").ko.empty());
}

TEST(LabReport, IndexEscapesHtmlAndLinksRelatively) {
  fs::path out = fs::temp_directory_path() / fmt::format("nabla_lab_report_{}", ::getpid());
  fs::create_directories(out / "Q09");
  io::write_file_atomic((out / "Q09" / "result.json").string(), sample_record().dump());
  write_index(out);
  std::string html = io::read_file((out / "index.html").string());
  std::string markdown = io::read_file((out / "index.md").string());
  fs::remove_all(out);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("What &lt;b&gt;is&lt;/b&gt; it?"), std::string::npos);
  EXPECT_NE(html.find("Why &amp; how?"), std::string::npos);
  EXPECT_NE(html.find("<img src=\"Q09/trajectories.png\""), std::string::npos);
  EXPECT_NE(markdown.find("](Q09/trajectories.png)"), std::string::npos);
  // Every registered experiment is in the index; those without a result say how to run them.
  for (const Experiment& experiment : experiments()) {
    EXPECT_NE(html.find("id=\"" + experiment.id + "\""), std::string::npos) << experiment.id;
    if (experiment.id != "Q09") {
      EXPECT_NE(markdown.find("`nabla lab run " + experiment.id + "`"), std::string::npos) << experiment.id;
    }
  }
}

TEST(LabRegistry, SortedUniqueAndFoundCaseInsensitively) {
  const std::vector<Experiment>& all = experiments();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].id, all[i].id);
  EXPECT_EQ(find_experiment("q09").id, "Q09");
  EXPECT_THROW(find_experiment("Q99"), Error);
}

}  // namespace
}  // namespace nabla::lab
