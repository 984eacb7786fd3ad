// BPE and unigram tokenizers: trained and applied by SentencePiece (libsentencepiece), never by hand.
//
// SentencePiece is set up to keep text exactly as it is: identity normalisation, no dummy space prefix, no
// collapsing of spaces, every character covered. Its trainer reads a tab as the separator of a
// "sentence<TAB>count" line, so tabs travel as U+2409 (␉) inside it and are mapped back on decoding.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <filesystem>
#include <unordered_map>

#include "nabla/error.h"
#include "nabla/io/file.h"
#include "text/tokenizers.h"

namespace nabla::text::detail {
namespace {

constexpr std::string_view tab = "\t";
constexpr std::string_view tab_symbol = "\xE2\x90\x89";  // U+2409 SYMBOL FOR HORIZONTAL TABULATION
constexpr const char* end_of_text_piece = "<|endoftext|>";
// SentencePiece skips training sentences longer than its max_sentence_length (in bytes): texts are cut into
// chunks of at most this many bytes, at line ends where possible, so whole files train too.
constexpr size_t chunk_bytes = 4096;

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string result;
  result.reserve(text.size());
  for (size_t position = 0;;) {
    const size_t found = text.find(from, position);
    result.append(text.substr(position, found == std::string_view::npos ? std::string_view::npos : found - position));
    if (found == std::string_view::npos) return result;
    result.append(to);
    position = found + from.size();
  }
}

// The training sentences, fed to SentencePiece from memory.
class Sentences final : public sentencepiece::SentenceIterator {
 public:
  explicit Sentences(const std::vector<std::string>& texts) {
    for (const std::string& text : texts) {
      const std::string escaped = replace_all(text, tab, tab_symbol);
      for (size_t start = 0; start < escaped.size();) {
        size_t end = std::min(escaped.size(), start + chunk_bytes);
        if (end < escaped.size()) {
          const size_t line_end = escaped.rfind('\n', end - 1);
          // Cut after a newline in the chunk; else at a character boundary (never inside a UTF-8 sequence).
          if (line_end != std::string::npos && line_end >= start) {
            end = line_end + 1;
          } else {
            while (end > start + 1 && (static_cast<unsigned char>(escaped[end]) & 0xC0) == 0x80) --end;
          }
        }
        chunks_.push_back(escaped.substr(start, end - start));
        start = end;
      }
    }
  }
  bool done() const override { return next_ >= chunks_.size(); }
  void Next() override { ++next_; }
  const std::string& value() const override { return chunks_[next_]; }
  sentencepiece::util::Status status() const override { return {}; }
  bool empty() const { return chunks_.empty(); }

 private:
  std::vector<std::string> chunks_;
  size_t next_ = 0;
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(std::string kind, std::unique_ptr<sentencepiece::SentencePieceProcessor> processor)
      : kind_(std::move(kind)), processor_(std::move(processor)) {}
  std::string kind() const override { return kind_; }
  int64_t vocab_size() const override { return processor_->GetPieceSize(); }
  SpecialTokens special_tokens() const override {
    return {.end_of_text = processor_->eos_id(), .unknown = processor_->unk_id(), .pad = processor_->pad_id()};
  }

  std::vector<int64_t> encode(std::string_view text) const override {
    std::vector<int> pieces;
    const auto status = processor_->Encode(replace_all(text, tab, tab_symbol), &pieces);
    NABLA_CHECK(status.ok(), "tokenizer {}: SentencePiece could not encode: {}", kind_, status.ToString());
    return {pieces.begin(), pieces.end()};
  }

  std::string decode(std::span<const int64_t> ids) const override {
    std::vector<int> pieces;
    pieces.reserve(ids.size());
    for (int64_t id : ids) {
      check_token_id(*this, id);
      pieces.push_back(static_cast<int>(id));
    }
    std::string text;
    const auto status = processor_->Decode(pieces, &text);
    NABLA_CHECK(status.ok(), "tokenizer {}: SentencePiece could not decode: {}", kind_, status.ToString());
    return replace_all(text, tab_symbol, tab);
  }

  std::string id_to_piece(int64_t id) const override {
    check_token_id(*this, id);
    return processor_->IdToPiece(static_cast<int>(id));
  }

  // SentencePiece answers the unknown id for any piece it lacks: only an exact match counts.
  int64_t piece_to_id(std::string_view piece) const override {
    const int id = processor_->PieceToId(piece);
    return processor_->IdToPiece(id) == piece ? id : -1;
  }

  void save(const std::string& directory) const override {
    namespace fs = std::filesystem;
    fs::create_directories(directory);
    io::write_file_atomic((fs::path(directory) / "tokenizer.model").string(), processor_->serialized_model_proto());
    nlohmann::json json = describe(*this);
    json["model_file"] = "tokenizer.model";
    io::write_file_atomic((fs::path(directory) / "tokenizer.json").string(), json.dump(1));
  }

 private:
  std::string kind_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

}  // namespace

TokenizerPtr train_sentencepiece(const std::string& kind, int64_t vocab_size, uint64_t seed,
                                 const std::vector<std::string>& training_texts) {
  NABLA_CHECK(vocab_size >= 4, "tokenizer {}: needs a vocabulary size of at least 4 (three specials and a piece), got {}",
              kind, vocab_size);
  Sentences sentences(training_texts);
  NABLA_CHECK(!sentences.empty(), "tokenizer {}: the training text is empty", kind);
  const std::unordered_map<std::string, std::string> arguments{
      {"model_type", kind},
      {"vocab_size", std::to_string(vocab_size)},
      {"character_coverage", "1.0"},
      {"normalization_rule_name", "identity"},
      {"add_dummy_prefix", "false"},
      {"remove_extra_whitespaces", "false"},
      {"max_sentence_length", std::to_string(2 * chunk_bytes)},
      {"unk_id", "0"},
      {"eos_id", "1"},
      {"pad_id", "2"},
      {"bos_id", "-1"},
      {"eos_piece", end_of_text_piece},
      // One thread: the same pieces on every machine; and no progress lines on stderr.
      {"num_threads", "1"},
      {"minloglevel", "2"},
  };
  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned int>(seed));
  std::string model;
  const auto status = sentencepiece::SentencePieceTrainer::Train(arguments, &sentences, &model);
  NABLA_CHECK(status.ok(), "tokenizer {}: SentencePiece could not train a vocabulary of {}: {}", kind, vocab_size,
              status.ToString());
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto loaded = processor->LoadFromSerializedProto(model);
  NABLA_CHECK(loaded.ok(), "tokenizer {}: SentencePiece could not load the model it trained: {}", kind, loaded.ToString());
  return std::make_shared<SentencePieceTokenizer>(kind, std::move(processor));
}

TokenizerPtr load_sentencepiece(const std::string& kind, const std::string& model_file) {
  NABLA_CHECK(std::filesystem::exists(model_file), "tokenizer: {} not found; a {} tokenizer is saved with it", model_file,
              kind);
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto status = processor->LoadFromSerializedProto(io::read_file(model_file));
  NABLA_CHECK(status.ok(), "tokenizer: {} is corrupt: not a SentencePiece model ({})", model_file, status.ToString());
  return std::make_shared<SentencePieceTokenizer>(kind, std::move(processor));
}

}  // namespace nabla::text::detail
