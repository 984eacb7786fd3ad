#pragma once
// Characters of UTF-8 text, as byte ranges: what the character tokenizer and the corpus statistics count.
// A byte that does not start a well-formed sequence is a character by itself, so splitting and joining
// any byte string gives it back unchanged.
#include <cstddef>
#include <string_view>
#include <vector>

namespace nabla::text {

// Bytes of the character starting at text[position] (1 to 4; 1 for a byte that starts no valid sequence).
size_t character_length(std::string_view text, size_t position);
// The characters of `text` in order, each a view into it.
std::vector<std::string_view> split_characters(std::string_view text);
int64_t count_characters(std::string_view text);

}  // namespace nabla::text
