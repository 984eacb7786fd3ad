#include "nabla/text/utf8.h"

#include <cstdint>

namespace nabla::text {

size_t character_length(std::string_view text, size_t position) {
  const auto byte = [&](size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte(position);
  const size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length <= 1 || position + length > text.size()) return 1;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(position + i) & 0xC0) != 0x80) return 1;
  }
  // Well-formed only (Unicode's table 3-7): no overlong forms (C0, C1; E0 below A0; F0 below 90), no UTF-16
  // surrogates (ED from A0), nothing above U+10FFFF (F4 from 90; F5 and up). Anything else counts byte by byte,
  // as the other malformed input does, so two spellings of one character never become two tokens.
  const unsigned char second = byte(position + 1);
  const bool well_formed = length == 2   ? lead >= 0xC2
                           : length == 3 ? !(lead == 0xE0 && second < 0xA0) && !(lead == 0xED && second >= 0xA0)
                                         : lead <= 0xF4 && !(lead == 0xF0 && second < 0x90) &&
                                               !(lead == 0xF4 && second >= 0x90);
  return well_formed ? length : 1;
}

std::vector<std::string_view> split_characters(std::string_view text) {
  std::vector<std::string_view> characters;
  characters.reserve(text.size());
  for (size_t position = 0; position < text.size();) {
    const size_t length = character_length(text, position);
    characters.push_back(text.substr(position, length));
    position += length;
  }
  return characters;
}

int64_t count_characters(std::string_view text) {
  int64_t count = 0;
  for (size_t position = 0; position < text.size(); position += character_length(text, position)) ++count;
  return count;
}

}  // namespace nabla::text
