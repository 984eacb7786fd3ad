// Corpora: fortunes read once per file (the .u8 twin, never the .dat index) and split at "%" lines, text
// files and directories, the seeded split by document, and the unigram entropy.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "nabla/error.h"
#include "nabla/text/corpus.h"

namespace nabla::text {
namespace {

namespace fs = std::filesystem;

fs::path temporary_directory(const std::string& name) {
  fs::path directory = fs::temp_directory_path() / fmt::format("nabla_test_corpus_{}_{}", name, ::getpid());
  fs::remove_all(directory);
  fs::create_directories(directory);
  return directory;
}

void write(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << contents;
}

// A fortunes directory as Debian lays it out: plain file, .u8 twin, binary .dat index, an off/ subdirectory.
fs::path fake_fortunes() {
  const fs::path directory = temporary_directory("fortunes");
  write(directory / "science", "Latin-1 version\n%\nSecond\nfortune\n%\n");
  write(directory / "science.u8", "UTF-8 version ☃\n%\nSecond\nfortune\n%\n");
  write(directory / "science.dat", std::string("\x00\x00\x00\x02\xff\xfe%binary", 14));
  write(directory / "tao", "The Tao\n%\n%\nthat can be told\n");  // an empty fortune, and no final "%"
  write(directory / "tao.dat", std::string("\x01\x02", 2));
  write(directory / "README", "not a fortune file: it has no .dat index\n");
  write(directory / "off" / "rude", "offensive\n%\n");
  write(directory / "off" / "rude.dat", "x");
  return directory;
}

TEST(ReadFortunes, ReadsEachFileOnceAsUtf8AndSplitsAtPercentLines) {
  const fs::path directory = fake_fortunes();
  const Corpus corpus = read_fortunes({.directory = directory.string()});
  ASSERT_EQ(corpus.documents.size(), 4u);
  EXPECT_EQ(corpus.documents[0].text, "UTF-8 version ☃");
  EXPECT_EQ(corpus.documents[0].topic, "science");
  EXPECT_EQ(corpus.documents[1].text, "Second\nfortune");
  EXPECT_EQ(corpus.documents[2].text, "The Tao");
  EXPECT_EQ(corpus.documents[3].text, "that can be told");
  EXPECT_EQ(corpus.documents[3].topic, "tao");
  for (const Document& document : corpus.documents) EXPECT_EQ(document.text.find("binary"), std::string::npos);

  const Corpus with_offensive = read_fortunes({.directory = directory.string(), .offensive = true});
  ASSERT_EQ(with_offensive.documents.size(), 5u);
  EXPECT_EQ(with_offensive.documents[0].topic, "rude");
  fs::remove_all(directory);
}

TEST(ReadFortunes, ReadsDebiansFortunesWhenInstalled) {
  if (!fs::exists("/usr/share/games/fortunes/fortunes.dat")) GTEST_SKIP() << "Debian's fortunes package is not installed";
  const Corpus corpus = read_fortunes();
  std::set<std::string> topics;
  for (const Document& document : corpus.documents) topics.insert(document.topic);
  EXPECT_GT(corpus.documents.size(), 10000u);
  EXPECT_TRUE(topics.count("science") && topics.count("tao"));
  EXPECT_FALSE(topics.count("science.u8"));
  // Plain and .u8 twins are one file: reading both would double the corpus (about 2.5 MB of text).
  EXPECT_LT(corpus.characters(), 4'000'000);
}

TEST(ReadText, AFileIsOneDocumentOrItsParagraphs) {
  const fs::path directory = temporary_directory("text");
  write(directory / "story.txt", "First paragraph,\ntwo lines.\n\n\nSecond one.\n\nThird.\n");
  EXPECT_EQ(read_text_file((directory / "story.txt").string()).documents.size(), 1u);
  const Corpus paragraphs = read_text_file((directory / "story.txt").string(), true);
  ASSERT_EQ(paragraphs.documents.size(), 3u);
  EXPECT_EQ(paragraphs.documents[0].text, "First paragraph,\ntwo lines.");
  EXPECT_EQ(paragraphs.documents[2].text, "Third.\n");
  EXPECT_EQ(paragraphs.documents[1].topic, "story");

  write(directory / "sub" / "more.txt", "More text.");
  const Corpus all = read_corpus(directory.string());
  ASSERT_EQ(all.documents.size(), 2u);
  EXPECT_EQ(all.documents[1].text, "More text.");
  fs::remove_all(directory);
}

TEST(ReadText, AMissingPathIsOneErrorNamingIt) {
  try {
    read_corpus("/no/such/corpus.txt");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("/no/such/corpus.txt not found"), std::string::npos);
  }
}

TEST(SplitDocuments, IsSeededDisjointAndComplete) {
  Corpus corpus;
  for (int i = 0; i < 100; ++i) corpus.documents.push_back({std::to_string(i), "t"});
  auto [train, validation] = split_documents(corpus, 0.2, 5);
  EXPECT_EQ(validation.documents.size(), 20u);
  EXPECT_EQ(train.documents.size(), 80u);
  std::set<std::string> seen;
  for (const Document& d : train.documents) seen.insert(d.text);
  for (const Document& d : validation.documents) EXPECT_TRUE(seen.insert(d.text).second) << d.text;
  EXPECT_EQ(seen.size(), 100u);
  auto [train_again, validation_again] = split_documents(corpus, 0.2, 5);
  EXPECT_EQ(validation_again.texts(), validation.texts());
  auto [other_train, other_validation] = split_documents(corpus, 0.2, 6);
  EXPECT_NE(other_validation.texts(), validation.texts());
  EXPECT_EQ(split_documents(corpus, 7, 5).second.documents.size(), 7u);  // ≥ 1: a count
  EXPECT_THROW(split_documents(corpus, 100, 5), Error);
}

TEST(UnigramEntropy, IsTheEntropyOfCharacterFrequencies) {
  Corpus uniform{{{"abcd", "t"}}};
  EXPECT_NEAR(unigram_entropy(uniform), std::log(4.0), 1e-12);
  Corpus skewed{{{"aaab", "t"}, {"é", "t"}}};  // a: 3/5, b: 1/5, é: 1/5 (one character, two bytes)
  const double expected = -(0.6 * std::log(0.6) + 2 * 0.2 * std::log(0.2));
  EXPECT_NEAR(unigram_entropy(skewed), expected, 1e-12);
  EXPECT_EQ(skewed.characters(), 5);
}

}  // namespace
}  // namespace nabla::text
