// The quiz's memory: one Leitner card per question, kept in a small JSON file under the user's data folder.
#include <algorithm>
#include <cstdlib>

#include "nabla/io/file.h"
#include "nabla/lab/quiz.h"
#include "nabla/random.h"

namespace nabla::lab::quiz {
namespace {

using nlohmann::json;
constexpr int64_t kDay = 24 * 60 * 60;
constexpr int kFormatVersion = 1;

// Fields are checked one by one so the warning about a corrupt file can say what was wrong.
int integer_field(const json& card, const std::string& id, const char* name, int low, int high) {
  NABLA_CHECK(card.contains(name) && card[name].is_number_integer(), "question {} has no integer '{}'", id, name);
  int value = card[name].get<int>();
  NABLA_CHECK(value >= low && value <= high, "question {}: '{}' is {}, not in {}…{}", id, name, value, low, high);
  return value;
}

int64_t time_field(const json& card, const std::string& id, const char* name) {
  NABLA_CHECK(card.contains(name) && card[name].is_string(), "question {} has no time '{}'", id, name);
  return parse_utc_text(card[name].get<std::string>());
}

}  // namespace

int64_t interval_seconds(int box) {
  // Each box waits about twice as long as the one below it; box 1 (not yet known) waits not at all.
  static const int64_t days[kBoxes] = {0, 1, 3, 7, 16};
  return days[std::clamp(box, 1, kBoxes) - 1] * kDay;
}

void Progress::grade(const std::string& id, bool knew, int64_t now) {
  auto found = cards.find(id);
  Card card = found == cards.end() ? Card{} : found->second;
  // A question known the first time it is asked starts in box 2, like one known after failing once.
  card.box = knew ? std::min(card.box + 1, kBoxes) : 1;
  card.seen += 1;
  card.knew += knew ? 1 : 0;
  card.last_seen = now;
  card.due = now + interval_seconds(card.box);
  cards[id] = card;
}

json Progress::to_json() const {
  json questions = json::object();
  for (const auto& [id, card] : cards) {
    questions[id] = {{"box", card.box},
                     {"seen", card.seen},
                     {"knew", card.knew},
                     {"last_seen", utc_text(card.last_seen)},
                     {"due", utc_text(card.due)}};
  }
  return {{"version", kFormatVersion}, {"questions", questions}};
}

Progress Progress::from_json(const json& root) {
  NABLA_CHECK(root.is_object(), "the top level is not a JSON object");
  NABLA_CHECK(root.value("version", 0) == kFormatVersion, "'version' is not {}", kFormatVersion);
  NABLA_CHECK(root.contains("questions") && root["questions"].is_object(), "'questions' is not an object");
  Progress progress;
  for (const auto& [id, entry] : root["questions"].items()) {
    NABLA_CHECK(entry.is_object(), "question {} is not an object", id);
    Card card;
    card.box = integer_field(entry, id, "box", 1, kBoxes);
    card.seen = integer_field(entry, id, "seen", 0, 1 << 30);
    card.knew = integer_field(entry, id, "knew", 0, card.seen);
    card.last_seen = time_field(entry, id, "last_seen");
    card.due = time_field(entry, id, "due");
    progress.cards[id] = card;
  }
  return progress;
}

std::filesystem::path default_progress_path() {
  // The XDG base directory spec: a relative XDG_DATA_HOME is invalid and is ignored.
  const char* data_home = std::getenv("XDG_DATA_HOME");
  if (data_home != nullptr && std::filesystem::path(data_home).is_absolute()) {
    return std::filesystem::path(data_home) / "nabla" / "quiz.json";
  }
  const char* home = std::getenv("HOME");
  NABLA_CHECK(home != nullptr && *home != '\0', "quiz: neither XDG_DATA_HOME nor HOME is set; where should progress go?");
  return std::filesystem::path(home) / ".local" / "share" / "nabla" / "quiz.json";
}

LoadedProgress load_progress(const std::filesystem::path& path, int64_t now) {
  if (!std::filesystem::exists(path)) return {};
  std::string problem;
  try {
    json root = json::parse(io::read_file(path.string()));
    return {Progress::from_json(root), ""};
  } catch (const json::exception& error) {
    problem = error.what();
  } catch (const Error& error) {
    problem = error.what();
  }
  // Never lose what the user studied: keep the bad file beside the new one, under a name that says why.
  std::string stamp = utc_text(now);
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == ':' || c == '-'; }), stamp.end());
  std::filesystem::path aside = path;
  aside += ".corrupt-" + stamp;
  for (int copy = 2; std::filesystem::exists(aside); ++copy) {  // two in the same second: keep both
    aside = path;
    aside += fmt::format(".corrupt-{}-{}", stamp, copy);
  }
  std::filesystem::rename(path, aside);
  return {{}, fmt::format("quiz progress {} is corrupt ({}); moved it to {} and starting afresh", path.string(), problem,
                          aside.string())};
}

void save_progress(const std::filesystem::path& path, const Progress& progress) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  io::write_file_atomic(path.string(), progress.to_json().dump(2) + "\n");
}

std::vector<std::string> session_order(const std::vector<std::string>& ids, const Progress& progress, int64_t now,
                                       uint64_t seed) {
  // A Fisher–Yates shuffle on Philox draws: the same seed gives the same order on every platform.
  std::vector<std::string> shuffled = ids;
  for (size_t i = shuffled.size(); i > 1; --i) {
    size_t j = philox(seed, i)[0] % i;
    std::swap(shuffled[i - 1], shuffled[j]);
  }
  // Rank: 0 due (by box, then by how overdue), 1 never asked, 2 not due yet (by due time).
  auto key = [&](const std::string& id) {
    auto found = progress.cards.find(id);
    if (found == progress.cards.end()) return std::tuple<int, int64_t, int64_t>{1, 0, 0};
    const Card& card = found->second;
    if (card.due <= now) return std::tuple<int, int64_t, int64_t>{0, card.box, card.due};
    return std::tuple<int, int64_t, int64_t>{2, card.due, card.box};
  };
  std::stable_sort(shuffled.begin(), shuffled.end(), [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
  return shuffled;
}

}  // namespace nabla::lab::quiz
