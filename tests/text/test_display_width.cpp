// Terminal column widths: ASCII 1, Hangul and other East Asian wide characters 2, combining marks 0; padding
// and wrapping count columns, not bytes.
#include <gtest/gtest.h>

#include "nabla/text/display_width.h"

namespace nabla::text {
namespace {

TEST(DisplayWidth, AsciiIsOneColumnPerCharacter) {
  EXPECT_EQ(display_width(std::string_view("")), 0u);
  EXPECT_EQ(display_width(std::string_view("Q09 pass")), 8u);
}

TEST(DisplayWidth, HangulIsTwoColumnsPerSyllable) {
  // 통과 and 경사하강법 are 3 UTF-8 bytes per syllable.
  EXPECT_EQ(std::string_view("통과").size(), 6u);
  EXPECT_EQ(display_width(std::string_view("통과")), 4u);
  EXPECT_EQ(display_width(std::string_view("경사하강법")), 10u);
  EXPECT_EQ(display_width(U'가'), 2);
  EXPECT_EQ(display_width(U'힣'), 2);
  EXPECT_EQ(display_width(U'ㄱ'), 2);  // compatibility Jamo
  // Conjoining Jamo: the leading consonant is wide, the vowel and final consonant join it.
  EXPECT_EQ(display_width(std::string_view("\u1112\u1161\u11AB")), 2u);
}

TEST(DisplayWidth, MixedTextCountsEachScript) {
  EXPECT_EQ(display_width(std::string_view("ReLU는 왜?")), 10u);        // 4 + 2 + 1 + 2 + 1
  EXPECT_EQ(display_width(std::string_view("w ← w − η∇L")), 11u);        // arrows, minus, Greek: narrow
  EXPECT_EQ(display_width(std::string_view("漢字 かな ＡＢ")), 14u);    // CJK, kana, fullwidth Latin
  EXPECT_EQ(display_width(std::string_view("e\u0301")), 1u);            // e + combining acute accent
}

TEST(DisplayWidth, InvalidBytesCountOneColumnEach) {
  EXPECT_EQ(display_width(std::string_view("a\xff" "b")), 3u);
  EXPECT_EQ(display_width(std::string_view("\xea\xb0")), 2u);  // a Hangul syllable cut short
}

TEST(DisplayWidth, PadRightFillsColumns) {
  EXPECT_EQ(pad_right("-", 6), "-     ");
  EXPECT_EQ(pad_right("통과", 6), "통과  ");
  EXPECT_EQ(display_width(pad_right("실패", 6)), display_width(pad_right("error", 6)));
  EXPECT_EQ(pad_right("toolong", 3), "toolong");
}

TEST(DisplayWidth, WordWrapKeepsLinesWithinColumns) {
  const std::string text = "경사하강법은 미분 가능한 손실을 기울기 반대 방향으로 한 걸음씩 옮기며 최소화합니다.";
  std::vector<std::string> lines = word_wrap(text, 20);
  ASSERT_GT(lines.size(), 2u);
  std::string joined;
  for (const std::string& line : lines) {
    EXPECT_LE(display_width(line), 20u) << line;
    joined += (joined.empty() ? "" : " ") + line;
  }
  EXPECT_EQ(joined, text);
  EXPECT_EQ(word_wrap("a verylongword b", 4), (std::vector<std::string>{"a", "verylongword", "b"}));
}

}  // namespace
}  // namespace nabla::text
