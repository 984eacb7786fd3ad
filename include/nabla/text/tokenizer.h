#pragma once
// Tokenizers: text to token ids and back, behind one interface, saved beside a model and rebuilt from there.
//
// Kinds (make_tokenizer's `kind`):
//   char     one token per UTF-8 character seen in the training text; an unseen character is <unk>.
//            Ids: 0 <|endoftext|>, 1 <unk>, then the characters in byte order.
//   byte     one token per byte (ids 0–255), then 256 <|endoftext|>: any text, no unknowns.
//   bpe      SentencePiece's byte-pair encoding, trained on the text to `vocab_size` pieces.
//   unigram  SentencePiece's unigram language model, likewise.
//            SentencePiece ids: 0 <unk>, 1 <|endoftext|> (its </s>), 2 <pad>, then the pieces. Text is kept as
//            it is (no normalisation, no dummy space prefix), so decode(encode(s)) == s when every character
//            of s was in the training text. A tab travels as U+2409 (␉) inside SentencePiece, whose trainer
//            reads a tab as its "sentence<TAB>count" separator; a literal ␉ therefore decodes as a tab.
//
// Files: save(directory) writes tokenizer.json (kind, vocabulary size, specials, and for char the characters)
// and, for SentencePiece, tokenizer.model (its serialized model). load_tokenizer(directory) reads them back;
// a missing or corrupt file is one nabla::Error naming it.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::text {

// The ids of the special tokens; -1 where the kind has none.
struct SpecialTokens {
  int64_t end_of_text = -1;  // joins documents in a token stream; a model may generate it to end a text
  int64_t unknown = -1;
  int64_t pad = -1;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string kind() const = 0;  // "char", "byte", "bpe", "unigram"
  virtual int64_t vocab_size() const = 0;
  virtual SpecialTokens special_tokens() const = 0;

  virtual std::vector<int64_t> encode(std::string_view text) const = 0;
  // The text of `ids`; special tokens (end-of-text, pad) decode to nothing, unknown to U+FFFD (�) for char
  // and to SentencePiece's " ⁇ " for bpe/unigram. An id outside [0, vocab_size) is an error naming it.
  virtual std::string decode(std::span<const int64_t> ids) const = 0;

  // The piece an id stands for ("<|endoftext|>", "e", "▁the"); an error for an id out of range.
  virtual std::string id_to_piece(int64_t id) const = 0;
  // The id of a piece, or -1 when the vocabulary has no such piece.
  virtual int64_t piece_to_id(std::string_view piece) const = 0;

  // Writes tokenizer.json (and tokenizer.model for SentencePiece) into `directory`, each atomically.
  virtual void save(const std::string& directory) const = 0;
};

using TokenizerPtr = std::shared_ptr<const Tokenizer>;

struct TokenizerOptions {
  std::string kind = "char";
  int64_t vocab_size = 0;  // bpe and unigram: the pieces wanted (specials included); 0 for char and byte
  uint64_t seed = 0;       // SentencePiece's training randomness (the result is the same for the same seed)
};

// Builds a tokenizer of `options.kind` from the training texts (char: their characters; bpe/unigram: trained
// on them; byte: ignored). Errors name an unknown kind, a missing or useless vocab_size, or empty text.
TokenizerPtr make_tokenizer(const TokenizerOptions& options, const std::vector<std::string>& training_texts);
// The tokenizer that save() wrote into `directory`.
TokenizerPtr load_tokenizer(const std::string& directory);

// The kinds make_tokenizer knows, for help texts and error messages.
const std::vector<std::string>& tokenizer_kinds();

}  // namespace nabla::text

#include "nabla/tensor.h"

namespace nabla::text {

// The token stream of documents: each one's ids followed by the end-of-text token, as one int64 [N] buffer
// (what data::TokenDataset serves windows from).
Tensor encode_documents(const Tokenizer& tokenizer, const std::vector<std::string>& texts);

}  // namespace nabla::text
