// The byte tokenizer: ids 0–255 are the bytes themselves, 256 ends a text. Any input encodes, nothing is unknown.
#include <filesystem>

#include "nabla/error.h"
#include "nabla/io/file.h"
#include "text/tokenizers.h"

namespace nabla::text::detail {
namespace {

constexpr int64_t end_of_text_id = 256;
constexpr const char* end_of_text_piece = "<|endoftext|>";

class ByteTokenizer final : public Tokenizer {
 public:
  std::string kind() const override { return "byte"; }
  int64_t vocab_size() const override { return 257; }
  SpecialTokens special_tokens() const override { return {.end_of_text = end_of_text_id}; }

  std::vector<int64_t> encode(std::string_view text) const override {
    std::vector<int64_t> ids(text.size());
    for (size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]);
    return ids;
  }

  std::string decode(std::span<const int64_t> ids) const override {
    std::string text;
    text.reserve(ids.size());
    for (int64_t id : ids) {
      check_token_id(*this, id);
      if (id != end_of_text_id) text += static_cast<char>(id);
    }
    return text;
  }

  // A printable ASCII byte is its own piece; any other is written <0xAB>, as SentencePiece's byte pieces are.
  std::string id_to_piece(int64_t id) const override {
    check_token_id(*this, id);
    if (id == end_of_text_id) return end_of_text_piece;
    if (id >= 0x21 && id < 0x7F) return std::string(1, static_cast<char>(id));
    return fmt::format("<0x{:02X}>", id);
  }

  int64_t piece_to_id(std::string_view piece) const override {
    for (int64_t id = 0; id < vocab_size(); ++id) {
      if (id_to_piece(id) == piece) return id;
    }
    return -1;
  }

  void save(const std::string& directory) const override {
    std::filesystem::create_directories(directory);
    io::write_file_atomic((std::filesystem::path(directory) / "tokenizer.json").string(), describe(*this).dump(1));
  }
};

}  // namespace

TokenizerPtr make_byte_tokenizer() { return std::make_shared<ByteTokenizer>(); }

}  // namespace nabla::text::detail
