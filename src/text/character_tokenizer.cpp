// The character tokenizer: one id per UTF-8 character of the training text, <unk> for any other.
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "nabla/error.h"
#include "nabla/io/file.h"
#include "nabla/text/utf8.h"
#include "text/tokenizers.h"

namespace nabla::text::detail {
namespace {

constexpr int64_t end_of_text_id = 0, unknown_id = 1, first_character_id = 2;
constexpr const char* end_of_text_piece = "<|endoftext|>";
constexpr const char* unknown_piece = "<unk>";
constexpr const char* replacement_character = "\xEF\xBF\xBD";  // U+FFFD, what an unknown id decodes to

class CharacterTokenizer final : public Tokenizer {
 public:
  explicit CharacterTokenizer(std::vector<std::string> characters) : characters_(std::move(characters)) {
    for (size_t i = 0; i < characters_.size(); ++i) ids_.emplace(characters_[i], first_character_id + static_cast<int64_t>(i));
  }
  std::string kind() const override { return "char"; }
  int64_t vocab_size() const override { return first_character_id + static_cast<int64_t>(characters_.size()); }
  SpecialTokens special_tokens() const override { return {.end_of_text = end_of_text_id, .unknown = unknown_id}; }

  std::vector<int64_t> encode(std::string_view text) const override {
    std::vector<int64_t> ids;
    ids.reserve(text.size());
    for (std::string_view character : split_characters(text)) {
      auto found = ids_.find(std::string(character));
      ids.push_back(found == ids_.end() ? unknown_id : found->second);
    }
    return ids;
  }

  std::string decode(std::span<const int64_t> ids) const override {
    std::string text;
    text.reserve(ids.size());
    for (int64_t id : ids) {
      check_token_id(*this, id);
      if (id == unknown_id) text += replacement_character;
      if (id >= first_character_id) text += characters_[static_cast<size_t>(id - first_character_id)];
    }
    return text;
  }

  std::string id_to_piece(int64_t id) const override {
    check_token_id(*this, id);
    if (id == end_of_text_id) return end_of_text_piece;
    if (id == unknown_id) return unknown_piece;
    return characters_[static_cast<size_t>(id - first_character_id)];
  }

  int64_t piece_to_id(std::string_view piece) const override {
    if (piece == end_of_text_piece) return end_of_text_id;
    if (piece == unknown_piece) return unknown_id;
    auto found = ids_.find(std::string(piece));
    return found == ids_.end() ? -1 : found->second;
  }

  // A character that is a lone byte ≥ 0x80 (not UTF-8) is written as its number: JSON strings must be UTF-8.
  void save(const std::string& directory) const override {
    nlohmann::json characters = nlohmann::json::array();
    for (const std::string& character : characters_) {
      const auto lead = static_cast<unsigned char>(character[0]);
      characters.push_back(character.size() == 1 && lead >= 0x80 ? nlohmann::json(lead) : nlohmann::json(character));
    }
    nlohmann::json json = describe(*this);
    json["characters"] = characters;
    std::filesystem::create_directories(directory);
    io::write_file_atomic((std::filesystem::path(directory) / "tokenizer.json").string(), json.dump(1));
  }

 private:
  std::vector<std::string> characters_;  // id first_character_id + i is characters_[i]
  std::unordered_map<std::string, int64_t> ids_;
};

}  // namespace

TokenizerPtr make_character_tokenizer(const std::vector<std::string>& training_texts) {
  std::set<std::string_view> seen;  // byte order: the same vocabulary whatever the order of the texts
  for (const std::string& text : training_texts) {
    for (std::string_view character : split_characters(text)) seen.insert(character);
  }
  NABLA_CHECK(!seen.empty(), "tokenizer char: the training text is empty, so there is no character to learn");
  return std::make_shared<CharacterTokenizer>(std::vector<std::string>(seen.begin(), seen.end()));
}

TokenizerPtr character_tokenizer_from_json(const nlohmann::json& json, const std::string& file) {
  NABLA_CHECK(json.contains("characters") && json["characters"].is_array(),
              "tokenizer: {} is corrupt: a char tokenizer needs its \"characters\" array", file);
  std::vector<std::string> characters;
  std::set<std::string> distinct;
  for (const nlohmann::json& entry : json["characters"]) {
    std::string character;
    if (entry.is_number_unsigned() && entry.get<uint64_t>() >= 0x80 && entry.get<uint64_t>() <= 0xFF) {
      character = std::string(1, static_cast<char>(entry.get<uint64_t>()));
    } else {
      NABLA_CHECK(entry.is_string() && count_characters(entry.get<std::string>()) == 1,
                  "tokenizer: {} is corrupt: character {} is not one character", file, entry.dump());
      character = entry.get<std::string>();
    }
    NABLA_CHECK(distinct.insert(character).second, "tokenizer: {} is corrupt: character {} is listed twice", file,
                entry.dump());
    characters.push_back(std::move(character));
  }
  NABLA_CHECK(!characters.empty(), "tokenizer: {} is corrupt: no characters", file);
  return std::make_shared<CharacterTokenizer>(std::move(characters));
}

}  // namespace nabla::text::detail
