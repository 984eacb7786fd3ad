// make_tokenizer / load_tokenizer: the kind by name, and the files a saved tokenizer is read back from.
#include "nabla/text/tokenizer.h"

#include <algorithm>
#include <filesystem>

#include "nabla/error.h"
#include "nabla/factory.h"
#include "nabla/io/file.h"
#include "text/tokenizers.h"

namespace nabla::text {

const std::vector<std::string>& tokenizer_kinds() {
  static const std::vector<std::string> kinds{"char", "byte", "bpe", "unigram"};
  return kinds;
}

TokenizerPtr make_tokenizer(const TokenizerOptions& options, const std::vector<std::string>& training_texts) {
  const std::vector<std::string>& kinds = tokenizer_kinds();
  NABLA_CHECK(std::find(kinds.begin(), kinds.end(), options.kind) != kinds.end(),
              "tokenizer: unknown kind '{}'; use {}", options.kind, fmt::join(kinds, ", "));
  const bool sentencepiece = options.kind == "bpe" || options.kind == "unigram";
  NABLA_CHECK(sentencepiece || options.vocab_size == 0,
              "tokenizer {}: the vocabulary size comes from the text, so vocab_size {} is refused (it sets bpe and "
              "unigram only)", options.kind, options.vocab_size);
  if (options.kind == "byte") return detail::make_byte_tokenizer();
  if (options.kind == "char") return detail::make_character_tokenizer(training_texts);
  return detail::train_sentencepiece(options.kind, options.vocab_size, options.seed, training_texts);
}

TokenizerPtr load_tokenizer(const std::string& directory) {
  namespace fs = std::filesystem;
  const std::string file = (fs::path(directory) / "tokenizer.json").string();
  NABLA_CHECK(fs::exists(file), "tokenizer: {} not found; save() writes it beside the model", file);
  const nlohmann::json json = nlohmann::json::parse(io::read_file(file), nullptr, false);
  NABLA_CHECK(json.is_object() && json.contains("kind") && json["kind"].is_string(),
              "tokenizer: {} is corrupt: not a JSON object with a \"kind\"", file);
  const std::string kind = json["kind"];
  if (kind == "byte") return detail::make_byte_tokenizer();
  if (kind == "char") return detail::character_tokenizer_from_json(json, file);
  if (kind == "bpe" || kind == "unigram") {
    return detail::load_sentencepiece(kind, (fs::path(directory) / "tokenizer.model").string());
  }
  throw Error(fmt::format("tokenizer: {} is corrupt: unknown kind '{}'", file, kind));
}

Tensor encode_documents(const Tokenizer& tokenizer, const std::vector<std::string>& texts) {
  const int64_t end_of_text = tokenizer.special_tokens().end_of_text;
  std::vector<int64_t> stream;
  for (const std::string& text : texts) {
    const std::vector<int64_t> ids = tokenizer.encode(text);
    stream.insert(stream.end(), ids.begin(), ids.end());
    stream.push_back(end_of_text);
  }
  Tensor tokens = empty({static_cast<int64_t>(stream.size())}, DType::i64);
  std::copy(stream.begin(), stream.end(), tokens.data<int64_t>());
  return tokens;
}

namespace detail {

void check_token_id(const Tokenizer& tokenizer, int64_t id) {
  NABLA_CHECK(id >= 0 && id < tokenizer.vocab_size(), "tokenizer {}: token id {} is outside the vocabulary [0, {})",
              tokenizer.kind(), id, tokenizer.vocab_size());
}

nlohmann::json describe(const Tokenizer& tokenizer) {
  const SpecialTokens special = tokenizer.special_tokens();
  return {{"kind", tokenizer.kind()},
          {"vocab_size", tokenizer.vocab_size()},
          {"special_tokens", {{"end_of_text", special.end_of_text}, {"unknown", special.unknown}, {"pad", special.pad}}}};
}

}  // namespace detail
}  // namespace nabla::text
