#include "cli/token_printer.h"

#include <algorithm>

namespace nabla::cli {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// The well-formed UTF-8 sequence starting at text[position] (Unicode's table 3-7: no overlong forms, no
// surrogates, nothing above U+10FFFF): its length, or 0 when the bytes there start none. `unfinished` is set
// when they are a well-formed beginning cut by the end of the text.
size_t well_formed_length(std::string_view text, size_t position, bool& unfinished) {
  const auto byte = [&](size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte(position);
  unfinished = false;
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char second_low = 0x80, second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;   // below: overlong
    if (lead == 0xED) second_high = 0x9F;  // above: surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;   // below: overlong
    if (lead == 0xF4) second_high = 0x8F;  // above: past U+10FFFF
  } else {
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if (position + i >= text.size()) {
      unfinished = true;
      return 0;
    }
    const unsigned char low = i == 1 ? second_low : 0x80, high = i == 1 ? second_high : 0xBF;
    if (byte(position + i) < low || byte(position + i) > high) return 0;
  }
  return length;
}

}  // namespace

size_t unfinished_utf8_tail(std::string_view text) {
  for (size_t position = 0; position < text.size();) {
    bool unfinished = false;
    const size_t length = well_formed_length(text, position, unfinished);
    if (unfinished) return text.size() - position;
    position += std::max<size_t>(length, 1);
  }
  return 0;
}

std::string replace_invalid_utf8(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (size_t position = 0; position < text.size();) {
    bool unfinished = false;
    const size_t length = well_formed_length(text, position, unfinished);
    if (length == 0) {
      result.append(replacement_character);
      ++position;
    } else {
      result.append(text.substr(position, length));
      position += length;
    }
  }
  return result;
}

TokenPrinter::TokenPrinter(const text::Tokenizer& tokenizer, std::function<void(std::string_view)> write)
    : tokenizer_(tokenizer), write_(std::move(write)) {}

void TokenPrinter::add(int64_t token) {
  if (token == tokenizer_.special_tokens().end_of_text) {
    finish();
    // An empty line between texts: a newline to end the last line if it is open, then the empty one.
    if (anything_written_) emit(at_line_start_ ? "\n" : "\n\n");
    return;
  }
  pending_.push_back(token);
  const std::string text = tokenizer_.decode(pending_);
  const size_t ready = text.size() - unfinished_utf8_tail(text);
  if (ready > written_) emit(std::string_view(text).substr(written_, ready - written_));
  written_ = std::max(written_, ready);
  if (written_ == text.size()) {  // a boundary: later tokens start afresh
    pending_.clear();
    written_ = 0;
  }
}

void TokenPrinter::finish() {
  if (!pending_.empty()) {
    const std::string text = tokenizer_.decode(pending_);
    if (text.size() > written_) emit(std::string_view(text).substr(written_));
  }
  pending_.clear();
  written_ = 0;
}

void TokenPrinter::emit(std::string_view text) {
  if (text.empty()) return;
  const std::string clean = replace_invalid_utf8(text);
  write_(clean);
  anything_written_ = true;
  at_line_start_ = clean.back() == '\n';
}

}  // namespace nabla::cli
