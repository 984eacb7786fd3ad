// Splitting text into characters: well-formed UTF-8 sequences are one character each; malformed, overlong,
// surrogate and out-of-range sequences fall apart into single bytes.
#include <gtest/gtest.h>

#include <string>

#include "nabla/text/utf8.h"

namespace nabla::text {
namespace {

TEST(Utf8, WellFormedSequencesAreOneCharacterEach) {
  const std::string text = "a\xC3\xA9\xE2\x88\x87\xF0\x9F\x98\x80";  // a, é, ∇, 😀
  EXPECT_EQ(count_characters(text), 4);
  const auto characters = split_characters(text);
  ASSERT_EQ(characters.size(), 4u);
  EXPECT_EQ(characters[1], "\xC3\xA9");
  EXPECT_EQ(characters[3], "\xF0\x9F\x98\x80");
  // The edges of each length that are still well formed: U+0080, U+0800, U+D7FF, U+E000, U+10000, U+10FFFF.
  for (const std::string edge : {"\xC2\x80", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xF0\x90\x80\x80",
                                 "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(character_length(edge, 0), edge.size()) << "edge of " << edge.size() << " bytes";
  }
}

TEST(Utf8, IllFormedSequencesCountByteByByte) {
  // Overlong '/' in two and three bytes, overlong U+07FF in three, overlong U+FFFF in four, a UTF-16 surrogate
  // (U+D800), U+110000 (above Unicode's range), a lead byte F5, a truncated sequence, a lone continuation byte.
  for (const std::string bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xE0\x9F\xBF", "\xF0\x8F\xBF\xBF", "\xED\xA0\x80",
                                "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xE2\x88", "\x80"}) {
    EXPECT_EQ(character_length(bad, 0), 1u) << "first byte " << static_cast<int>(static_cast<unsigned char>(bad[0]));
    EXPECT_EQ(count_characters(bad), static_cast<int64_t>(bad.size()));
  }
}

}  // namespace
}  // namespace nabla::text
