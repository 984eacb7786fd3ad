// TokenPrinter (src/cli/token_printer.h), what `nabla generate` streams through: fed a byte tokenizer's tokens
// one at a time it writes the text back unchanged, never a piece that splits a UTF-8 character; bytes that can
// never form a character become U+FFFD; the end-of-text token writes an empty line.
#include <gtest/gtest.h>

#include "cli/token_printer.h"
#include "nabla/text/tokenizer.h"

namespace nabla::cli {
namespace {

struct Written {
  std::vector<std::string> pieces;
  std::string all() const {
    std::string text;
    for (const std::string& piece : pieces) text += piece;
    return text;
  }
};

TokenPrinter printer_into(Written& written, const text::Tokenizer& tokenizer) {
  return TokenPrinter(tokenizer, [&written](std::string_view piece) { written.pieces.emplace_back(piece); });
}

text::TokenizerPtr byte_tokenizer() { return text::make_tokenizer({.kind = "byte"}, {}); }

TEST(TokenPrinter, ByteTokensComeOutAsWholeCharacters) {
  const auto tokenizer = byte_tokenizer();
  const std::string text = "caf\xC3\xA9 \xED\x95\x9C\xEA\xB5\xAD \xF0\x9F\x98\x80!";  // café 한국 😀!
  Written written;
  TokenPrinter printer = printer_into(written, *tokenizer);
  for (int64_t id : tokenizer->encode(text)) printer.add(id);
  printer.finish();
  EXPECT_EQ(written.all(), text);
  for (const std::string& piece : written.pieces) {
    EXPECT_EQ(replace_invalid_utf8(piece), piece) << "a written piece splits a character";
    EXPECT_EQ(unfinished_utf8_tail(piece), 0u);
  }
  // One piece per character: c, a, f, é, space, 한, 국, space, 😀, !
  EXPECT_EQ(written.pieces.size(), 10u);
}

TEST(TokenPrinter, HeldBackUntilTheCharacterIsComplete) {
  const auto tokenizer = byte_tokenizer();
  Written written;
  TokenPrinter printer = printer_into(written, *tokenizer);
  printer.add(0xED);
  printer.add(0x95);
  EXPECT_TRUE(written.pieces.empty());
  printer.add(0x9C);
  ASSERT_EQ(written.pieces.size(), 1u);
  EXPECT_EQ(written.pieces[0], "\xED\x95\x9C");
}

TEST(TokenPrinter, InvalidBytesBecomeReplacementCharacters) {
  const auto tokenizer = byte_tokenizer();
  Written written;
  TokenPrinter printer = printer_into(written, *tokenizer);
  for (int64_t id : {0x61, 0xFF, 0x80, 0xC3, 0x62, 0xE2, 0x82}) printer.add(id);  // a, 2 invalid, é cut by b, unfinished €
  printer.finish();
  EXPECT_EQ(written.all(), "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TokenPrinter, EndOfTextWritesAnEmptyLine) {
  const auto tokenizer = byte_tokenizer();
  const int64_t end = tokenizer->special_tokens().end_of_text;
  Written written;
  TokenPrinter printer = printer_into(written, *tokenizer);
  printer.add(end);  // nothing written yet: no empty line before the first text
  printer.echo("one");
  printer.add(end);
  for (int64_t id : tokenizer->encode("two\n")) printer.add(id);
  printer.add(end);
  printer.add('x');
  printer.finish();
  EXPECT_EQ(written.all(), "one\n\ntwo\n\nx");
  EXPECT_FALSE(printer.at_line_start());
}

TEST(TokenPrinter, UnfinishedTail) {
  EXPECT_EQ(unfinished_utf8_tail(""), 0u);
  EXPECT_EQ(unfinished_utf8_tail("abc"), 0u);
  EXPECT_EQ(unfinished_utf8_tail("a\xC3"), 1u);
  EXPECT_EQ(unfinished_utf8_tail("a\xC3\xA9"), 0u);
  EXPECT_EQ(unfinished_utf8_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(unfinished_utf8_tail("\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(unfinished_utf8_tail("a\x80"), 0u);  // a stray continuation byte is invalid, not unfinished
  EXPECT_EQ(unfinished_utf8_tail("\xE0\x9D"), 0u);  // E0 9D can only begin an overlong form
}

TEST(TokenPrinter, OverlongFormsAndSurrogatesAreInvalid) {
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(replace_invalid_utf8("\xE0\x9D\xA7"), replacement + replacement + replacement);  // overlong
  EXPECT_EQ(replace_invalid_utf8("\xED\xA0\x80"), replacement + replacement + replacement);  // a surrogate
  EXPECT_EQ(replace_invalid_utf8("\xC0\xAF"), replacement + replacement);                    // overlong '/'
  EXPECT_EQ(replace_invalid_utf8("\xF4\x90\x80\x80"), replacement + replacement + replacement + replacement);
  EXPECT_EQ(replace_invalid_utf8("\xE0\xA0\x80\xF0\x90\x80\x80"), "\xE0\xA0\x80\xF0\x90\x80\x80");
}

TEST(TokenPrinter, CharacterTokenizerStreamsItsCharacters) {
  const auto tokenizer = text::make_tokenizer({.kind = "char"}, {"h\xC3\xA9llo w\xC3\xB6rld"});
  const std::string text = "w\xC3\xA9ll h\xC3\xB6";
  Written written;
  TokenPrinter printer = printer_into(written, *tokenizer);
  for (int64_t id : tokenizer->encode(text)) printer.add(id);
  printer.finish();
  EXPECT_EQ(written.all(), text);
  EXPECT_EQ(written.pieces.size(), 7u);
}

}  // namespace
}  // namespace nabla::cli
