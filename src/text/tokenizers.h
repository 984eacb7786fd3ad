#pragma once
// The tokenizer kinds behind nabla/text/tokenizer.h, one file each; tokenizer.cpp picks among them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/text/tokenizer.h"

namespace nabla::text::detail {

TokenizerPtr make_character_tokenizer(const std::vector<std::string>& training_texts);
// From tokenizer.json's fields; `file` names it in errors.
TokenizerPtr character_tokenizer_from_json(const nlohmann::json& json, const std::string& file);

TokenizerPtr make_byte_tokenizer();

// kind: "bpe" or "unigram".
TokenizerPtr train_sentencepiece(const std::string& kind, int64_t vocab_size, uint64_t seed,
                                 const std::vector<std::string>& training_texts);
TokenizerPtr load_sentencepiece(const std::string& kind, const std::string& model_file);

// The one error for an id outside the vocabulary, naming the tokenizer and the id.
void check_token_id(const Tokenizer& tokenizer, int64_t id);

// tokenizer.json's common fields: kind, vocab_size and the special tokens.
nlohmann::json describe(const Tokenizer& tokenizer);

}  // namespace nabla::text::detail
