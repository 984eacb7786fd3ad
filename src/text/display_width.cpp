// Terminal column widths of Unicode text, after Unicode's East Asian Width property (UAX #11): the ranges
// below are the wide/fullwidth blocks and the zero-width marks that occur in practice, not the full table.
#include "nabla/text/display_width.h"

#include <algorithm>
#include <iterator>

namespace nabla::text {
namespace {

struct Range {
  char32_t first, last;
};

// Zero columns: combining marks draw on the character before them; Hangul medial vowels and final consonants
// (U+1160–11FF, U+D7B0–D7FF) join the leading consonant into one 2-column syllable; format characters.
constexpr Range kZeroWidth[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0E31, 0x0E31},
    {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1160, 0x11FF}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
    {0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0x302A, 0x302D}, {0x3099, 0x309A}, {0xD7B0, 0xD7FF},
    {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

// Two columns: Hangul leading Jamo, syllables and compatibility Jamo; CJK radicals, punctuation, ideographs
// and compatibility forms; kana, Bopomofo, Yi; fullwidth ASCII and signs; the common emoji blocks.
constexpr Range kWide[] = {
    {0x1100, 0x115F},   {0x2705, 0x2705},   {0x274C, 0x274C},   {0x2E80, 0x303E}, {0x3041, 0x33FF},
    {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F}, {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6},
    {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

template <size_t N>
bool in_ranges(const Range (&ranges)[N], char32_t code_point) {
  // The tables are sorted: find the first range that ends at or after code_point.
  const Range* found = std::lower_bound(std::begin(ranges), std::end(ranges), code_point,
                                        [](const Range& range, char32_t value) { return range.last < value; });
  return found != std::end(ranges) && found->first <= code_point;
}

// Decodes the code point starting at text[position] and moves position past it. A byte that does not start
// a well-formed sequence is taken alone and decoded as U+FFFD (one column).
char32_t next_code_point(std::string_view text, size_t& position) {
  const auto byte = [&](size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte(position);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || position + length > text.size()) {
    ++position;
    return lead < 0x80 ? lead : 0xFFFD;
  }
  char32_t code_point = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(position + i) & 0xC0) != 0x80) {
      ++position;
      return 0xFFFD;
    }
    code_point = (code_point << 6) | (byte(position + i) & 0x3F);
  }
  position += length;
  return code_point;
}

}  // namespace

int display_width(char32_t code_point) {
  if (code_point < 0x20 || (code_point >= 0x7F && code_point < 0xA0)) return 0;
  if (code_point < 0x300) return 1;  // ASCII and Latin-1: the common case, no table lookup
  if (in_ranges(kZeroWidth, code_point)) return 0;
  return in_ranges(kWide, code_point) ? 2 : 1;
}

size_t display_width(std::string_view utf8) {
  size_t columns = 0;
  for (size_t position = 0; position < utf8.size();) columns += display_width(next_code_point(utf8, position));
  return columns;
}

std::string pad_right(std::string_view text, size_t columns) {
  size_t width = display_width(text);
  std::string padded(text);
  if (width < columns) padded.append(columns - width, ' ');
  return padded;
}

std::vector<std::string> word_wrap(std::string_view text, size_t columns) {
  std::vector<std::string> lines;
  std::string line;
  size_t line_width = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find(' ', start), text.size());
    std::string_view word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    size_t word_width = display_width(word);
    if (!line.empty() && line_width + 1 + word_width > columns) {
      lines.push_back(line);
      line.clear();
      line_width = 0;
    }
    if (!line.empty()) line += ' ', ++line_width;
    line += word;
    line_width += word_width;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace nabla::text
