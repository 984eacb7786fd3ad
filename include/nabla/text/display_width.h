#pragma once
// How many terminal columns UTF-8 text takes: East Asian wide and fullwidth characters (Hangul syllables and
// leading Jamo, CJK ideographs and punctuation, kana, fullwidth forms, most emoji) take 2, combining marks and
// other zero-width characters 0, everything else 1. Padding and wrapping by bytes or code points misaligns
// Korean text; these do it by columns.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::text {

int display_width(char32_t code_point);       // 0, 1 or 2 (control characters: 0)
size_t display_width(std::string_view utf8);  // a byte that is not valid UTF-8 counts as one column

// `text` followed by spaces up to `columns` columns (text already that wide or wider is returned as is).
std::string pad_right(std::string_view text, size_t columns);

// Splits `text` at spaces into lines of at most `columns` columns; a word wider than that gets a line to itself.
std::vector<std::string> word_wrap(std::string_view text, size_t columns);

}  // namespace nabla::text
