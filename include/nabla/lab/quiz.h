#pragma once
// `nabla lab quiz`: the lab's questions as flash cards. A session asks a question, waits while the user
// answers (aloud or typed), shows our answer with the experiment's measured figures and claims, and asks
// whether the user knew it. Progress is kept in Leitner boxes: a known question moves up a box and comes
// back after a longer interval, a question not yet known goes back to box 1 and comes back first.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/lab/lab.h"

namespace nabla::lab::quiz {

// ---- progress (src/lab/quiz_progress.cpp)
constexpr int kBoxes = 5;
// How long a question rests after a grade that put it in `box` (box 1: none, it is due at once).
int64_t interval_seconds(int box);

struct Card {
  int box = 1;             // 1 … kBoxes
  int seen = 0, knew = 0;  // times graded, and of those how often known
  int64_t last_seen = 0;   // Unix seconds
  int64_t due = 0;         // Unix seconds: when it should come back
};

struct Progress {
  std::map<std::string, Card> cards;  // by experiment id; questions never graded have none

  void grade(const std::string& id, bool knew, int64_t now);
  nlohmann::json to_json() const;
  static Progress from_json(const nlohmann::json& json);  // throws Error naming the field at fault
};

// $XDG_DATA_HOME/nabla/quiz.json, or ~/.local/share/nabla/quiz.json when XDG_DATA_HOME is unset or relative.
std::filesystem::path default_progress_path();

struct LoadedProgress {
  Progress progress;
  std::string warning;  // set when the file was corrupt and has been moved aside
};
// A missing file is an empty progress. A file that does not parse as progress is renamed to
// <path>.corrupt-<UTC time> (never deleted) and the warning says so; the session then starts afresh.
LoadedProgress load_progress(const std::filesystem::path& path, int64_t now);
void save_progress(const std::filesystem::path& path, const Progress& progress);  // atomic

// The order in which a session asks `ids`: first the questions that are due, lowest box first (so those not
// yet known come first), then the ones never asked, then the rest by how soon they are due. Ties are broken
// by a shuffle that `seed` makes repeatable.
std::vector<std::string> session_order(const std::vector<std::string>& ids, const Progress& progress, int64_t now,
                                       uint64_t seed);

// ---- a session (src/lab/quiz_session.cpp)
struct Options {
  std::vector<std::string> ids;  // only these experiments (empty: all)
  std::string topic;             // only this capability group (letter or name; empty: all)
  int count = 5;                 // questions in the session
  uint64_t seed = 0;
  bool no_input = false;         // show questions and answers without waiting or grading; progress unchanged
  bool no_run = false;           // show cached results only; never run an experiment
  bool echo_input = false;       // repeat each line read (when input is not a terminal, so transcripts read well)
  Language language = Language::en;
  std::filesystem::path out = "runs/lab";  // where cached results live and quick runs write
  std::filesystem::path progress_path;
};

// Runs a session reading answers from `input`; returns the exit status (0, or throws Error on bad options).
int run_session(const Options& options, std::istream& input, std::FILE* output);

}  // namespace nabla::lab::quiz
