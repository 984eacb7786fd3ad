// The quiz's memory and order: Leitner boxes move up on "knew it" and back to 1 on "not yet", the file round
// trips and a corrupt one is set aside (not lost), questions not yet known come first, a seed repeats an
// order; and `lab list --lang ko` keeps its columns aligned with Hangul in them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "tests/common/temporary_directory.h"
#include "nabla/io/file.h"
#include "nabla/lab/quiz.h"
#include "nabla/text/display_width.h"

namespace nabla::lab::quiz {
namespace {

constexpr int64_t kNow = 1'800'000'000;  // any fixed time: the tests pass `now` explicitly

class QuizProgress : public testing::TemporaryDirectoryTest {
 protected:
  QuizProgress() : TemporaryDirectoryTest("quiz") {}
};

TEST(QuizBoxes, KnewMovesUpNotYetGoesBackToBoxOne) {
  Progress progress;
  progress.grade("Q09", true, kNow);
  EXPECT_EQ(progress.cards["Q09"].box, 2);
  EXPECT_EQ(progress.cards["Q09"].due, kNow + interval_seconds(2));
  progress.grade("Q09", true, kNow);
  EXPECT_EQ(progress.cards["Q09"].box, 3);
  progress.grade("Q09", false, kNow);
  EXPECT_EQ(progress.cards["Q09"].box, 1);
  EXPECT_EQ(progress.cards["Q09"].due, kNow);  // box 1 is due at once
  EXPECT_EQ(progress.cards["Q09"].seen, 3);
  EXPECT_EQ(progress.cards["Q09"].knew, 2);
  for (int i = 0; i < 2 * kBoxes; ++i) progress.grade("Q10", true, kNow);
  EXPECT_EQ(progress.cards["Q10"].box, kBoxes);
  for (int box = 2; box <= kBoxes; ++box) EXPECT_GT(interval_seconds(box), interval_seconds(box - 1)) << box;
}

TEST(QuizBoxes, ProgressRoundTripsThroughJson) {
  Progress progress;
  progress.grade("Q01", true, kNow);
  progress.grade("Q03", false, kNow + 60);
  Progress back = Progress::from_json(nlohmann::json::parse(progress.to_json().dump()));
  ASSERT_EQ(back.cards.size(), 2u);
  EXPECT_EQ(back.cards["Q01"].box, 2);
  EXPECT_EQ(back.cards["Q01"].due, progress.cards["Q01"].due);
  EXPECT_EQ(back.cards["Q03"].last_seen, kNow + 60);
  nlohmann::json bad_box = progress.to_json();
  bad_box["questions"]["Q01"]["box"] = 9;
  EXPECT_THROW(Progress::from_json(bad_box), Error);
  nlohmann::json bad_time = progress.to_json();
  bad_time["questions"]["Q01"]["due"] = "tomorrow";
  EXPECT_THROW(Progress::from_json(bad_time), Error);
}

TEST_F(QuizProgress, CorruptFileIsSetAsideWithItsContents) {
  const std::filesystem::path path = directory_ / "quiz.json";
  io::write_file_atomic(path.string(), "{\"version\": 1, \"questions\": [");
  LoadedProgress loaded = load_progress(path, kNow);
  EXPECT_TRUE(loaded.progress.cards.empty());
  EXPECT_NE(loaded.warning.find("is corrupt"), std::string::npos) << loaded.warning;
  EXPECT_FALSE(std::filesystem::exists(path));
  const std::filesystem::path aside = path.string() + ".corrupt-" + "20270115T080000Z";  // utc_text(kNow) in the basic ISO form
  ASSERT_TRUE(std::filesystem::exists(aside)) << loaded.warning;
  EXPECT_EQ(io::read_file(aside.string()), "{\"version\": 1, \"questions\": [");
  EXPECT_NE(loaded.warning.find(aside.string()), std::string::npos) << loaded.warning;
}

// Two corrupt files set aside in the same second: the second must not replace the first.
TEST_F(QuizProgress, SecondCorruptFileInTheSameSecondKeepsTheFirst) {
  const std::filesystem::path path = directory_ / "quiz.json";
  io::write_file_atomic(path.string(), "first");
  load_progress(path, kNow);
  io::write_file_atomic(path.string(), "second");
  LoadedProgress loaded = load_progress(path, kNow);
  const std::string stamp = "20270115T080000Z";
  EXPECT_EQ(io::read_file(path.string() + ".corrupt-" + stamp), "first");
  EXPECT_EQ(io::read_file(path.string() + ".corrupt-" + stamp + "-2"), "second");
  EXPECT_NE(loaded.warning.find(stamp + "-2"), std::string::npos) << loaded.warning;
}

TEST_F(QuizProgress, SavedProgressLoadsBackAndMissingFileIsEmpty) {
  const std::filesystem::path path = directory_ / "data" / "nabla" / "quiz.json";
  EXPECT_TRUE(load_progress(path, kNow).progress.cards.empty());
  Progress progress;
  progress.grade("Q14", false, kNow);
  save_progress(path, progress);
  LoadedProgress loaded = load_progress(path, kNow);
  EXPECT_TRUE(loaded.warning.empty());
  EXPECT_EQ(loaded.progress.cards.at("Q14").box, 1);
}

TEST(QuizOrder, NotYetKnownFirstThenNewThenNotDue) {
  std::vector<std::string> ids;
  for (int i = 1; i <= 20; ++i) ids.push_back(fmt::format("Q{:02}", i));
  Progress progress;
  progress.grade("Q05", true, kNow - 10 * 86400);  // box 2, due long ago
  progress.grade("Q07", false, kNow - 60);          // box 1, due
  progress.grade("Q11", true, kNow);                // box 2, due tomorrow
  std::vector<std::string> order = session_order(ids, progress, kNow, 1);
  ASSERT_EQ(order.size(), ids.size());
  EXPECT_EQ(order[0], "Q07");
  EXPECT_EQ(order[1], "Q05");
  EXPECT_EQ(order.back(), "Q11");
  EXPECT_EQ(session_order(ids, progress, kNow, 1), order);  // a seed repeats the order
  std::vector<std::string> fresh = session_order(ids, Progress{}, kNow, 1);
  EXPECT_NE(fresh, session_order(ids, Progress{}, kNow, 2));
  EXPECT_NE(fresh, ids);  // new questions are shuffled
  std::sort(fresh.begin(), fresh.end());
  EXPECT_EQ(fresh, ids);
}

TEST(QuizProgressPath, FollowsXdgDataHome) {
  const char* saved = std::getenv("XDG_DATA_HOME");
  const std::string restore = saved ? saved : "";
  ::setenv("XDG_DATA_HOME", "/tmp/somewhere", 1);
  EXPECT_EQ(default_progress_path(), std::filesystem::path("/tmp/somewhere/nabla/quiz.json"));
  ::setenv("XDG_DATA_HOME", "relative/path", 1);  // invalid by the spec: ignored
  EXPECT_EQ(default_progress_path().filename(), "quiz.json");
  EXPECT_NE(default_progress_path().string().find(".local/share/nabla"), std::string::npos);
  if (saved) ::setenv("XDG_DATA_HOME", restore.c_str(), 1); else ::unsetenv("XDG_DATA_HOME");
}

// Every line of `lab list --lang ko` starts its title at the same column, whatever the status column holds
// (a Korean status word is 2 columns a syllable, "-" one).
TEST(LabListKorean, ColumnsAlignByDisplayWidth) {
  const std::vector<Experiment>& all = experiments();
  ASSERT_GE(all.size(), 2u);
  nlohmann::json passed = {{"status", "pass"}, {"budget", "quick"}, {"date", "2026-01-01T00:00:00Z"}};
  nlohmann::json failed = {{"status", "fail"}, {"budget", "full"}, {"date", "2026-01-02T00:00:00Z"}};
  std::set<size_t> title_columns, run_columns;
  for (size_t i = 0; i < all.size(); ++i) {
    const nlohmann::json result = i % 3 == 0 ? passed : i % 3 == 1 ? failed : nlohmann::json(nullptr);
    const std::string line = list_line(all[i], result, Language::ko);
    const std::string& title = all[i].question.in(Language::ko);
    ASSERT_NE(line.find(title), std::string::npos) << line;
    title_columns.insert(text::display_width(std::string_view(line).substr(0, line.rfind(title))));
    if (!result.is_null()) {
      const size_t run = line.find(" " + result.value("budget", "") + " ");
      run_columns.insert(text::display_width(std::string_view(line).substr(0, run)));
    }
    if (i % 3 == 0) {
      EXPECT_NE(line.find("통과"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(title_columns.size(), 1u);
  EXPECT_EQ(run_columns.size(), 1u);
}

}  // namespace
}  // namespace nabla::lab::quiz
