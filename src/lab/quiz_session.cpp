// One quiz session: question, the user's answer (aloud or typed), our answer with the measured evidence,
// a grade, and a summary at the end. Progress is saved after every grade, so an interrupted session keeps it.
#include <algorithm>
#include <ctime>

#include "nabla/lab/quiz.h"
#include "nabla/text/display_width.h"

namespace nabla::lab::quiz {
namespace {

using nlohmann::json;
constexpr size_t kColumns = 88;  // answers are wrapped to this width, by display columns

// What the session says, in each language; {} fields are filled with fmt.
struct Words {
  // English plurals take the last argument, "s" or ""; the Korean texts do not use it.
  Text header{"Quiz: {0} question{4} (seed {1}{2}); progress: {3}", "퀴즈: {}문제 (시드 {}{}); 진행 기록: {}"};
  Text topic{", topic {}", ", 주제 {}"};
  Text new_card{"new", "새 문제"};
  Text box{"box {}", "{}번 상자"};
  Text reveal{"Answer aloud or type it, then press Enter to see ours> ", "소리 내어 답하거나 입력한 뒤 Enter를 누르면 답이 나옵니다> "};
  Text our_answer{"Our answer:", "우리의 답:"};
  Text measured{"Measured ({} budget, {}): {} of {} claims hold", "측정 결과 ({} 예산, {}): 주장 {}개 중 {}개 성립"};
  Text not_cached{"No cached run; `nabla lab run {}` measures it.", "저장된 실행 결과가 없습니다. `nabla lab run {}`로 측정해 보세요."};
  Text running{"No cached run: running {} in quick mode…", "저장된 실행 결과가 없어 {}을(를) quick 모드로 실행합니다…"};
  Text run_error{"The run failed: {}", "실행하지 못했습니다: {}"};
  Text grade{"Knew it? y = knew it, n = not yet> ", "알고 있었나요? y = 알았음, n = 아직> "};
  Text grade_again{"Please answer y (knew it) or n (not yet).", "y(알았음) 또는 n(아직)으로 답해 주세요."};
  Text moved_down{"→ box 1: it comes back first next time.", "→ 1번 상자: 다음 퀴즈에서 먼저 나옵니다."};
  Text moved_up{"→ box {}: due again in {} day{} ({}).", "→ {0}번 상자: {1}일 뒤({3})에 다시 나옵니다."};
  Text input_ended{"Input ended; stopping here.", "입력이 끝나서 여기서 멈춥니다."};
  Text summary{"Session: {} asked, knew {}, not yet {}{}.", "이번 퀴즈: {}문제, 알았음 {}, 아직 {}{}."};
  Text boxes{"Boxes: {}; never asked: {}.", "상자: {}; 아직 안 나온 문제: {}."};
  Text ungraded{"Shown {} question{}; nothing graded (--no-input), progress unchanged.",
                "{}문제를 보여 주었습니다. --no-input이라 채점하지 않았고 진행 기록은 그대로입니다."};
};
const Words kWords;

std::string say(const Text& text, Language language) { return text.in(language); }

const char* plural(size_t count) { return count == 1 ? "" : "s"; }

template <typename... Arguments>
std::string say(const Text& text, Language language, Arguments&&... arguments) {
  return fmt::format(fmt::runtime(text.in(language)), std::forward<Arguments>(arguments)...);
}

// Candidates for the session: the named experiments, or all, narrowed to the topic.
std::vector<std::string> candidates(const Options& options) {
  std::vector<const Experiment*> chosen;
  if (options.ids.empty()) {
    for (const Experiment& experiment : experiments()) chosen.push_back(&experiment);
  }
  for (const std::string& id : options.ids) chosen.push_back(&find_experiment(id));
  std::vector<std::string> ids;
  const Topic* topic = options.topic.empty() ? nullptr : &find_topic(options.topic);
  for (const Experiment* experiment : chosen) {
    if (topic == nullptr || has_topic(*experiment, *topic)) ids.push_back(experiment->id);
  }
  NABLA_CHECK(!ids.empty(), "quiz: no experiment on topic '{}' yet", options.topic);
  return ids;
}

std::string topic_labels(const Experiment& experiment, Language language) {
  std::vector<std::string> labels;
  for (const Topic& topic : topics()) {
    if (has_topic(experiment, topic)) labels.push_back(topic.label.in(language));
  }
  return fmt::format("{}", fmt::join(labels, ", "));
}

void print_wrapped(std::FILE* output, const std::string& text, const std::string& indent) {
  for (const std::string& line : text::word_wrap(text, kColumns - indent.size())) fmt::print(output, "{}{}\n", indent, line);
}

// The last result of the experiment, running it in quick mode first when there is none (unless no_run).
json cached_or_quick_result(const Experiment& experiment, const Options& options, std::FILE* output) {
  json result = read_result(options.out, experiment.id);
  if (!result.is_null() || options.no_run) return result;
  fmt::print(output, "{}\n", say(kWords.running, options.language, experiment.id));
  std::fflush(output);
  run_experiment(experiment, {.budget = Budget::quick, .out = options.out, .verbose = false, .language = options.language});
  return read_result(options.out, experiment.id);
}

void print_evidence(const Experiment& experiment, const json& result, const Options& options, std::FILE* output) {
  const Language language = options.language;
  if (result.is_null()) {
    fmt::print(output, "{}\n", say(kWords.not_cached, language, experiment.id));
    return;
  }
  if (result.contains("error")) fmt::print(output, "{}\n", say(kWords.run_error, language, result.value("error", "")));
  const json claims = result.value("claims", json::array());
  const json figures = result.value("figures", json::array());
  int passed = 0;
  for (const json& claim : claims) passed += claim.value("pass", false) ? 1 : 0;
  fmt::print(output, "{}\n", say(kWords.measured, language, result.value("budget", "?"), result.value("date", "?"), passed,
                                 claims.size()));
  size_t name_width = 0;
  for (const json& figure : figures) name_width = std::max(name_width, text::display_width(figure.value("name", "")));
  for (const json& figure : figures) {
    const std::string unit = figure.value("unit", "");
    fmt::print(output, "  {}  {:.6g}{}{}\n", text::pad_right(figure.value("name", ""), name_width), figure.value("value", 0.0),
               unit.empty() ? "" : " ", unit);
  }
  for (const json& claim : claims) {
    const std::string name = claim.value("name", ""), evidence = claim.value("evidence", "");
    const bool korean = language == Language::ko;  // the Korean texts where the experiment wrote them
    fmt::print(output, "  {} {}: {}\n", claim.value("pass", false) ? "PASS" : "FAIL",
               korean ? claim.value("name_ko", name) : name, korean ? claim.value("evidence_ko", evidence) : evidence);
  }
}

// Shows `prompt` and reads one line; false when the input has ended.
bool ask(const std::string& prompt, std::istream& input, std::FILE* output, bool echo, std::string& line) {
  fmt::print(output, "{}", prompt);
  std::fflush(output);
  if (!std::getline(input, line)) {
    fmt::print(output, "\n");
    return false;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (echo) fmt::print(output, "{}\n", line);
  return true;
}

// y/n in either language; nullopt when the reply is neither.
std::optional<bool> parse_grade(std::string reply) {
  reply.erase(0, reply.find_first_not_of(' '));
  reply.erase(reply.find_last_not_of(' ') + 1);
  std::transform(reply.begin(), reply.end(), reply.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::vector<std::string> knew = {"y", "yes", "knew", "knew it", "네", "예", "응", "알았음", "ㅇ"};
  static const std::vector<std::string> not_yet = {"n", "no", "not yet", "아니", "아니요", "아직", "ㄴ"};
  if (std::find(knew.begin(), knew.end(), reply) != knew.end()) return true;
  if (std::find(not_yet.begin(), not_yet.end(), reply) != not_yet.end()) return false;
  return std::nullopt;
}

std::string box_counts(const Progress& progress) {
  std::vector<int> counts(kBoxes, 0);
  for (const auto& [id, card] : progress.cards) ++counts[card.box - 1];
  std::vector<std::string> parts;
  for (int box = 1; box <= kBoxes; ++box) parts.push_back(fmt::format("{}:{}", box, counts[box - 1]));
  return fmt::format("{}", fmt::join(parts, " "));
}

}  // namespace

int run_session(const Options& options, std::istream& input, std::FILE* output) {
  NABLA_CHECK(options.count >= 1, "quiz: --count must be at least 1, got {}", options.count);
  const Language language = options.language;
  const int64_t now = std::time(nullptr);
  std::vector<std::string> ids = candidates(options);
  LoadedProgress loaded = load_progress(options.progress_path, now);
  if (!loaded.warning.empty()) fmt::print(stderr, "nabla: warning: {}\n", loaded.warning);
  Progress& progress = loaded.progress;
  std::vector<std::string> order = session_order(ids, progress, now, options.seed);
  order.resize(std::min(order.size(), static_cast<size_t>(options.count)));

  const std::string topic = options.topic.empty() ? "" : say(kWords.topic, language, options.topic);
  fmt::print(output, "{}\n", say(kWords.header, language, order.size(), options.seed, topic, options.progress_path.string(),
                                 plural(order.size())));
  int asked = 0, knew = 0;
  std::vector<std::string> not_yet;
  std::string line;
  for (size_t index = 0; index < order.size(); ++index) {
    const Experiment& experiment = find_experiment(order[index]);
    auto card = progress.cards.find(experiment.id);
    const std::string box = card == progress.cards.end() ? say(kWords.new_card, language)
                                                         : say(kWords.box, language, card->second.box);
    fmt::print(output, "\n[{}/{}] {} · {} · {}\n", index + 1, order.size(), experiment.id, topic_labels(experiment, language), box);
    print_wrapped(output, experiment.question.in(language), "");
    if (!options.no_input && !ask(say(kWords.reveal, language), input, output, options.echo_input, line)) {
      fmt::print(output, "{}\n", say(kWords.input_ended, language));
      break;
    }
    fmt::print(output, "{}\n", say(kWords.our_answer, language));
    print_wrapped(output, experiment.answer.in(language), "  ");
    print_evidence(experiment, cached_or_quick_result(experiment, options, output), options, output);
    ++asked;
    if (options.no_input) continue;

    std::optional<bool> grade;
    while (!grade && ask(say(kWords.grade, language), input, output, options.echo_input, line)) {
      grade = parse_grade(line);
      if (!grade) fmt::print(output, "{}\n", say(kWords.grade_again, language));
    }
    if (!grade) {
      fmt::print(output, "{}\n", say(kWords.input_ended, language));
      --asked;  // shown but not graded
      break;
    }
    progress.grade(experiment.id, *grade, now);
    save_progress(options.progress_path, progress);
    const Card& graded = progress.cards.at(experiment.id);
    if (*grade) {
      ++knew;
      const int64_t days = interval_seconds(graded.box) / 86400;
      fmt::print(output, "{}\n", say(kWords.moved_up, language, graded.box, days, plural(days), utc_text(graded.due).substr(0, 10)));
    } else {
      not_yet.push_back(experiment.id);
      fmt::print(output, "{}\n", say(kWords.moved_down, language));
    }
  }

  fmt::print(output, "\n");
  if (options.no_input) {
    fmt::print(output, "{}\n", say(kWords.ungraded, language, asked, plural(asked)));
    return 0;
  }
  const std::string which = not_yet.empty() ? "" : fmt::format(" ({})", fmt::join(not_yet, ", "));
  fmt::print(output, "{}\n", say(kWords.summary, language, asked, knew, asked - knew, which));
  size_t never_asked = 0;
  for (const Experiment& experiment : experiments()) never_asked += progress.cards.count(experiment.id) ? 0 : 1;
  fmt::print(output, "{}\n", say(kWords.boxes, language, box_counts(progress), never_asked));
  return 0;
}

}  // namespace nabla::lab::quiz
