#include "nabla/text/corpus.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "nabla/error.h"
#include "nabla/factory.h"
#include "nabla/io/file.h"
#include "nabla/random.h"
#include "nabla/text/utf8.h"

namespace nabla::text {
namespace {

namespace fs = std::filesystem;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The fortunes of one file: lines between lines that are exactly "%".
void add_fortunes(Corpus& corpus, const std::string& contents, const std::string& topic) {
  size_t start = 0;
  auto add = [&](size_t end) {
    std::string fortune = contents.substr(start, end - start);
    while (!fortune.empty() && fortune.back() == '\n') fortune.pop_back();
    if (!fortune.empty()) corpus.documents.push_back({std::move(fortune), topic});
  };
  for (size_t position = 0; position < contents.size();) {
    size_t line_end = contents.find('\n', position);
    if (line_end == std::string::npos) line_end = contents.size();
    if (std::string_view(contents).substr(position, line_end - position) == "%") {
      add(position);
      start = line_end + 1;
    }
    position = line_end + 1;
  }
  if (start < contents.size()) add(contents.size());
}

void add_paragraphs(Corpus& corpus, const std::string& contents, const std::string& topic) {
  size_t start = 0;
  while (start < contents.size()) {
    size_t blank = contents.find("\n\n", start);
    if (blank == std::string::npos) blank = contents.size();
    std::string paragraph = contents.substr(start, blank - start);
    if (paragraph.find_first_not_of(" \t\r\n") != std::string::npos) corpus.documents.push_back({paragraph, topic});
    start = contents.find_first_not_of('\n', blank);
    if (start == std::string::npos) break;
  }
}

void add_file(Corpus& corpus, const fs::path& path, bool paragraphs) {
  const std::string contents = io::read_file(path.string());
  const std::string topic = path.stem().string();
  if (paragraphs) {
    add_paragraphs(corpus, contents, topic);
  } else if (!contents.empty()) {
    corpus.documents.push_back({contents, topic});
  }
}

}  // namespace

int64_t Corpus::characters() const {
  int64_t count = 0;
  for (const Document& document : documents) count += count_characters(document.text);
  return count;
}

std::vector<std::string> Corpus::texts() const {
  std::vector<std::string> texts;
  texts.reserve(documents.size());
  for (const Document& document : documents) texts.push_back(document.text);
  return texts;
}

Corpus read_fortunes(const FortunesOptions& options) {
  NABLA_CHECK(fs::is_directory(options.directory),
              "fortunes: {} is not a directory; install Debian's fortunes package (apt-get install fortunes)",
              options.directory);
  // One entry per fortune file, keyed by its path without .u8: the twin and the plain file are one file.
  std::map<std::string, fs::path> files;
  for (auto it = fs::recursive_directory_iterator(options.directory); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& path = it->path();
    if (it->is_directory()) {
      if (path.filename() == "off" && !options.offensive) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || path.extension() == ".dat") continue;
    std::string name = path.string();
    const bool twin = ends_with(name, ".u8");
    if (twin) name.resize(name.size() - 3);
    // Without a .dat index it is not a fortune file (a README, a stray file): strfile writes one per file.
    if (!fs::exists(name + ".dat")) continue;
    if (twin || !files.count(name)) files[name] = path;
  }
  NABLA_CHECK(!files.empty(), "fortunes: no fortune files (with their .dat index) in {}", options.directory);
  Corpus corpus;
  for (const auto& [name, path] : files) add_fortunes(corpus, io::read_file(path.string()), fs::path(name).filename().string());
  return corpus;
}

Corpus read_text_file(const std::string& path, bool paragraphs) {
  NABLA_CHECK(fs::is_regular_file(path), "text: {} is not a file", path);
  Corpus corpus;
  add_file(corpus, path, paragraphs);
  NABLA_CHECK(!corpus.documents.empty(), "text: {} holds no text", path);
  return corpus;
}

Corpus read_text_directory(const std::string& path, bool paragraphs) {
  NABLA_CHECK(fs::is_directory(path), "text: {} is not a directory", path);
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  Corpus corpus;
  for (const fs::path& file : files) add_file(corpus, file, paragraphs);
  NABLA_CHECK(!corpus.documents.empty(), "text: the files in {} hold no text", path);
  return corpus;
}

Corpus read_corpus(const std::string& source, bool paragraphs) {
  if (source == "fortunes") return read_fortunes();
  if (fs::is_directory(source)) return read_text_directory(source, paragraphs);
  NABLA_CHECK(fs::exists(source), "text: {} not found; give a text file, a directory of them, or fortunes", source);
  return read_text_file(source, paragraphs);
}

std::pair<Corpus, Corpus> split_documents(const Corpus& corpus, double validation_fraction, uint64_t seed) {
  const auto count = static_cast<int64_t>(corpus.documents.size());
  NABLA_CHECK(validation_fraction > 0, "split_documents: the validation share must be above 0, got {}",
              validation_fraction);
  const int64_t wanted = validation_fraction < 1
                             ? std::max<int64_t>(1, std::llround(validation_fraction * static_cast<double>(count)))
                             : static_cast<int64_t>(validation_fraction);
  NABLA_CHECK(wanted < count, "split_documents: {} validation documents leave none of the {} to train on{}", wanted,
              count, count == 1 ? " (split the text into paragraphs, or give more files)" : "");
  Generator generator(seed);
  const std::vector<double> order = randperm(count, {}, &generator).to_vector();
  std::vector<bool> held_out(static_cast<size_t>(count), false);
  for (int64_t i = 0; i < wanted; ++i) held_out[static_cast<size_t>(order[static_cast<size_t>(i)])] = true;
  Corpus train, validation;
  for (int64_t i = 0; i < count; ++i) {
    (held_out[static_cast<size_t>(i)] ? validation : train).documents.push_back(corpus.documents[static_cast<size_t>(i)]);
  }
  return {std::move(train), std::move(validation)};
}

double unigram_entropy(const Corpus& corpus) {
  std::unordered_map<std::string_view, int64_t> counts;
  int64_t total = 0;
  for (const Document& document : corpus.documents) {
    for (std::string_view character : split_characters(document.text)) ++counts[character], ++total;
  }
  NABLA_CHECK(total > 0, "unigram_entropy: the corpus has no characters");
  double entropy = 0;
  for (const auto& [character, count] : counts) {
    const double p = static_cast<double>(count) / static_cast<double>(total);
    entropy -= p * std::log(p);
  }
  return entropy;
}

}  // namespace nabla::text
