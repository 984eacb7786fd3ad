#pragma once
// Text corpora: documents read from Debian's fortunes, a plain text file or a directory of them, a
// train/validation split by document, and the figures a language model's loss is judged against.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nabla::text {

struct Document {
  std::string text;
  std::string topic;  // the file it came from, without directory or .u8 (fortunes: "science", "tao", …)
};

struct Corpus {
  std::vector<Document> documents;
  int64_t characters() const;  // UTF-8 characters of all documents
  std::vector<std::string> texts() const;  // the documents' texts, in order
};

struct FortunesOptions {
  std::string directory = "/usr/share/games/fortunes";
  bool offensive = false;  // also read the off/ subdirectory (Debian's fortunes-off)
};
// Every fortune file under the directory (and its subdirectories), each read exactly once: the UTF-8 `.u8`
// twin where there is one, else the plain file, never the `.dat` index. Documents are the `%`-separated
// fortunes (the separator line and a fortune's final newline removed; empty ones skipped), in file-name order.
Corpus read_fortunes(const FortunesOptions& options = {});

// The documents of one text file: the whole file, or its paragraphs (split at blank lines) with `paragraphs`.
Corpus read_text_file(const std::string& path, bool paragraphs = false);
// Every regular file of a directory and its subdirectories, in path order, as read_text_file reads one.
Corpus read_text_directory(const std::string& path, bool paragraphs = false);
// "fortunes" (Debian's, not the offensive ones), a directory, or a file; one error naming a path that is none.
Corpus read_corpus(const std::string& source, bool paragraphs = false);

// Documents shuffled by the seed, then the first round(fraction · count) — at least one, and one fewer than
// all — go to validation; both parts keep the corpus's order. A fraction ≥ 1 is a count of documents.
std::pair<Corpus, Corpus> split_documents(const Corpus& corpus, double validation_fraction, uint64_t seed);

// The entropy of the characters' frequencies, −Σ p ln p, in nats per character: what a model that knows only
// how often each character occurs (no context) would score; a language model's loss is read beside it.
double unigram_entropy(const Corpus& corpus);

}  // namespace nabla::text
