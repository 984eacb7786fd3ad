// Tokenizers: decode(encode(s)) == s for text in the vocabulary, unknown characters, specials, save/load
// giving the same ids, determinism of SentencePiece training, and one-line errors naming the file at fault.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nabla/error.h"
#include "nabla/text/tokenizer.h"

namespace nabla::text {
namespace {

namespace fs = std::filesystem;

// Text with what trips tokenizers: repeated and leading spaces, tabs, newlines, punctuation, UTF-8. Its last
// line varies the words, because SentencePiece's unigram trainer finds only as many pieces as the text offers
// (with the same three lines 60 times, fewer than 70; with these, over 130).
std::vector<std::string> training_texts() {
  static const std::vector<std::string> words{
      "time",    "person", "year",    "way",     "day",    "thing",   "man",    "world",  "life",   "hand",
      "part",    "child",  "eye",     "woman",   "place",  "work",    "week",   "case",   "point",  "government",
      "company", "number", "group",   "problem", "fact",   "river",   "mountain", "garden", "letter", "window",
      "morning", "silver", "market",  "doctor",  "kitchen", "winter", "summer", "engine", "island", "bridge"};
  const auto word = [&](int i) { return words[static_cast<size_t>(i) % words.size()]; };
  std::vector<std::string> texts;
  for (int i = 0; i < 60; ++i) {
    texts.push_back(fmt::format("  The quick brown fox {} jumps over the lazy dog.\n\tIt's a café, naïve—über ☃!\n"
                                "Line {}:  two  spaces,\ttab.\nEvery {} has its {}, said the {} near the {}.\n",
                                i, i % 7, word(i), word(i * 7 + 3), word(i * 11 + 5), word(i * 13 + 1)));
  }
  return texts;
}

fs::path temporary_directory(const std::string& name) {
  fs::path directory = fs::temp_directory_path() / fmt::format("nabla_test_tokenizer_{}_{}", name, ::getpid());
  fs::remove_all(directory);
  fs::create_directories(directory);
  return directory;
}

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

class EveryKind : public ::testing::TestWithParam<std::string> {
 protected:
  TokenizerPtr make() const {
    const std::string kind = GetParam();
    const int64_t vocab_size = kind == "bpe" || kind == "unigram" ? 120 : 0;
    return make_tokenizer({.kind = kind, .vocab_size = vocab_size, .seed = 7}, training_texts());
  }
};

TEST_P(EveryKind, DecodeInvertsEncodeOnTextInTheVocabulary) {
  TokenizerPtr tokenizer = make();
  EXPECT_EQ(tokenizer->kind(), GetParam());
  for (const std::string& text : {std::string("The lazy fox, over the café.\n"), std::string("  two  spaces\t\ttabs\n\n"),
                                  std::string("über ☃ naïve"), std::string(""), training_texts()[3]}) {
    const std::vector<int64_t> ids = tokenizer->encode(text);
    for (int64_t id : ids) {
      EXPECT_GE(id, 0);
      EXPECT_LT(id, tokenizer->vocab_size());
      EXPECT_NE(id, tokenizer->special_tokens().unknown) << "in " << text;
    }
    EXPECT_EQ(tokenizer->decode(ids), text);
  }
}

TEST_P(EveryKind, SpecialTokensAreDistinctPiecesThatDecodeToNothing) {
  TokenizerPtr tokenizer = make();
  const SpecialTokens special = tokenizer->special_tokens();
  ASSERT_GE(special.end_of_text, 0);
  EXPECT_EQ(tokenizer->id_to_piece(special.end_of_text), "<|endoftext|>");
  EXPECT_EQ(tokenizer->piece_to_id("<|endoftext|>"), special.end_of_text);
  EXPECT_NE(special.end_of_text, special.unknown);
  const std::vector<int64_t> ids = tokenizer->encode("fox");
  std::vector<int64_t> with_end = ids;
  with_end.push_back(special.end_of_text);
  EXPECT_EQ(tokenizer->decode(with_end), "fox");
}

TEST_P(EveryKind, PiecesAndIdsAreInverse) {
  TokenizerPtr tokenizer = make();
  for (int64_t id = 0; id < tokenizer->vocab_size(); ++id) {
    EXPECT_EQ(tokenizer->piece_to_id(tokenizer->id_to_piece(id)), id) << tokenizer->id_to_piece(id);
  }
  EXPECT_EQ(tokenizer->piece_to_id("no such piece in any vocabulary"), -1);
}

TEST_P(EveryKind, SavedAndLoadedGivesTheSameIds) {
  TokenizerPtr tokenizer = make();
  const fs::path directory = temporary_directory("save_" + GetParam());
  tokenizer->save(directory.string());
  TokenizerPtr loaded = load_tokenizer(directory.string());
  EXPECT_EQ(loaded->kind(), tokenizer->kind());
  EXPECT_EQ(loaded->vocab_size(), tokenizer->vocab_size());
  const std::string text = "The quick brown café ☃ dog.\n\tover";
  EXPECT_EQ(loaded->encode(text), tokenizer->encode(text));
  EXPECT_EQ(loaded->decode(loaded->encode(text)), text);
  fs::remove_all(directory);
}

TEST_P(EveryKind, AnIdOutsideTheVocabularyIsAnErrorNamingIt) {
  TokenizerPtr tokenizer = make();
  const int64_t outside = tokenizer->vocab_size();
  const std::vector<int64_t> ids{outside};
  EXPECT_NE(error_of([&] { tokenizer->decode(ids); }).find(fmt::format("token id {}", outside)), std::string::npos);
  EXPECT_NE(error_of([&] { tokenizer->id_to_piece(-1); }).find("token id -1"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Kinds, EveryKind, ::testing::Values("char", "byte", "bpe", "unigram"));

TEST(CharacterTokenizer, HasOneIdPerCharacterAndUnknownForUnseenOnes) {
  TokenizerPtr tokenizer = make_tokenizer({.kind = "char"}, {"abca", "é☃"});
  EXPECT_EQ(tokenizer->vocab_size(), 2 + 5);  // <|endoftext|>, <unk>, a b c é ☃
  const std::vector<int64_t> ids = tokenizer->encode("a☃zé");
  ASSERT_EQ(ids.size(), 4u);  // characters, not bytes
  EXPECT_EQ(ids[2], tokenizer->special_tokens().unknown);
  EXPECT_EQ(tokenizer->decode(ids), "a☃\xEF\xBF\xBDé");  // unknown decodes to U+FFFD
}

TEST(CharacterTokenizer, KeepsBytesThatAreNotUtf8AcrossSaveAndLoad) {
  const std::string broken = "a\xFF" "b\xC3";  // a lone 0xFF and a truncated two-byte sequence
  TokenizerPtr tokenizer = make_tokenizer({.kind = "char"}, {broken});
  EXPECT_EQ(tokenizer->decode(tokenizer->encode(broken)), broken);
  const fs::path directory = temporary_directory("bytes");
  tokenizer->save(directory.string());
  EXPECT_EQ(load_tokenizer(directory.string())->encode(broken), tokenizer->encode(broken));
  fs::remove_all(directory);
}

TEST(ByteTokenizer, EncodesAnyBytesWithoutUnknowns) {
  TokenizerPtr tokenizer = make_tokenizer({.kind = "byte"}, {});
  EXPECT_EQ(tokenizer->vocab_size(), 257);
  const std::string text("\xE2\x98\x83\x00\xFF", 5);  // ☃, a NUL and a byte that is no UTF-8
  const std::vector<int64_t> ids = tokenizer->encode(text);
  EXPECT_EQ(ids, (std::vector<int64_t>{0xE2, 0x98, 0x83, 0x00, 0xFF}));
  EXPECT_EQ(tokenizer->special_tokens().unknown, -1);
}

TEST(SentencePieceTokenizer, TrainsTheSameVocabularyForTheSameSeed) {
  for (const std::string kind : {"bpe", "unigram"}) {
    TokenizerPtr first = make_tokenizer({.kind = kind, .vocab_size = 100, .seed = 3}, training_texts());
    TokenizerPtr second = make_tokenizer({.kind = kind, .vocab_size = 100, .seed = 3}, training_texts());
    ASSERT_EQ(first->vocab_size(), second->vocab_size()) << kind;
    for (int64_t id = 0; id < first->vocab_size(); ++id) EXPECT_EQ(first->id_to_piece(id), second->id_to_piece(id));
  }
}

TEST(SentencePieceTokenizer, LearnsPiecesLongerThanACharacter) {
  TokenizerPtr tokenizer = make_tokenizer({.kind = "bpe", .vocab_size = 150}, training_texts());
  const std::string text = "The quick brown fox jumps over the lazy dog.";
  EXPECT_LT(tokenizer->encode(text).size(), text.size() / 2);
}

TEST(MakeTokenizer, RefusesAnUnknownKindAndAMissingVocabularySize) {
  EXPECT_NE(error_of([] { make_tokenizer({.kind = "wordpiece"}, {"a"}); }).find("unknown kind 'wordpiece'"),
            std::string::npos);
  EXPECT_NE(error_of([] { make_tokenizer({.kind = "bpe"}, {"abc"}); }).find("vocabulary size"), std::string::npos);
  EXPECT_NE(error_of([] { make_tokenizer({.kind = "char", .vocab_size = 10}, {"abc"}); }).find("vocab_size 10"),
            std::string::npos);
  EXPECT_NE(error_of([] { make_tokenizer({.kind = "char"}, {""}); }).find("empty"), std::string::npos);
}

TEST(LoadTokenizer, NamesTheMissingOrCorruptFile) {
  const fs::path directory = temporary_directory("corrupt");
  EXPECT_NE(error_of([&] { load_tokenizer(directory.string()); }).find((directory / "tokenizer.json").string()),
            std::string::npos);
  std::ofstream(directory / "tokenizer.json") << "{not json";
  std::string message = error_of([&] { load_tokenizer(directory.string()); });
  EXPECT_NE(message.find((directory / "tokenizer.json").string() + " is corrupt"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);

  make_tokenizer({.kind = "unigram", .vocab_size = 80}, training_texts())->save(directory.string());
  std::ofstream(directory / "tokenizer.model", std::ios::trunc) << "garbage, not a protobuf";
  message = error_of([&] { load_tokenizer(directory.string()); });
  EXPECT_NE(message.find((directory / "tokenizer.model").string() + " is corrupt"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  fs::remove_all(directory);
}

TEST(EncodeDocuments, JoinsDocumentsWithTheEndOfTextToken) {
  TokenizerPtr tokenizer = make_tokenizer({.kind = "char"}, {"ab", "c"});
  const Tensor tokens = encode_documents(*tokenizer, {"ab", "c"});
  const int64_t end = tokenizer->special_tokens().end_of_text;
  const std::vector<double> expected{static_cast<double>(tokenizer->piece_to_id("a")),
                                     static_cast<double>(tokenizer->piece_to_id("b")), static_cast<double>(end),
                                     static_cast<double>(tokenizer->piece_to_id("c")), static_cast<double>(end)};
  EXPECT_EQ(tokens.dtype(), DType::i64);
  EXPECT_EQ(tokens.to_vector(), expected);
}

}  // namespace
}  // namespace nabla::text
