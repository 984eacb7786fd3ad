#pragma once
// Streams generated tokens as text: each token's text is written as soon as it is sampled, but only whole
// UTF-8 characters. A byte tokenizer spends one token per byte, so "é" arrives as two tokens; a terminal
// shown the first byte alone draws garbage. The printer holds back a trailing sequence that may still be
// completed by the next token, and writes a byte that can never be part of a valid character as U+FFFD (�),
// so the stream is always valid UTF-8. The end-of-text token separates texts: it is written as an empty line.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/text/tokenizer.h"

namespace nabla::cli {

class TokenPrinter {
 public:
  // `write` receives each piece of text that is ready (for the CLI: fwrite + fflush to stdout).
  TokenPrinter(const text::Tokenizer& tokenizer, std::function<void(std::string_view)> write);
  void add(int64_t token);
  // Writes text that is not a token's (the prompt, echoed before its continuation).
  void echo(std::string_view text) { emit(text); }
  // Writes what is held back (an unfinished character becomes U+FFFD).
  void finish();
  // Everything written so far ends with a newline (or nothing was written).
  bool at_line_start() const { return at_line_start_; }

 private:
  void emit(std::string_view text);

  const text::Tokenizer& tokenizer_;
  std::function<void(std::string_view)> write_;
  // Tokens since the last point where their text was complete. They are decoded together, as a tokenizer's
  // text for several tokens need not be the concatenation of each one's (SentencePiece's pieces, bytes).
  std::vector<int64_t> pending_;
  size_t written_ = 0;  // bytes of decode(pending_) already written
  bool at_line_start_ = true;
  bool anything_written_ = false;
};

// The length of a trailing UTF-8 sequence of `text` that is not finished yet but may be (the well-formed start of
// a character, cut by the end of the text); 0 when the text ends on a character boundary.
size_t unfinished_utf8_tail(std::string_view text);

// `text` with each byte that is not part of a well-formed UTF-8 character (Unicode's table 3-7: overlong forms
// and surrogates are not) replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view text);

}  // namespace nabla::cli
