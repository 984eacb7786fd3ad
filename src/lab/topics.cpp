// The catalog's capability groups (shared/CATALOG.md), by which `nabla lab quiz --topic` picks questions.
#include <algorithm>

#include "nabla/lab/lab.h"

namespace nabla::lab {

const std::vector<Topic>& topics() {
  static const std::vector<Topic> all = {
      {'A', "core", {"core", "코어"}},           {'B', "nn", {"nn", "신경망"}},
      {'C', "train", {"train", "학습"}},         {'D', "data", {"data", "데이터"}},
      {'E', "vision", {"vision", "비전"}},       {'F', "sequence", {"sequence", "시퀀스"}},
      {'G', "detection", {"detection", "검출"}}, {'H', "multimodal", {"multimodal", "멀티모달"}},
      {'I', "language", {"language apps", "언어 응용"}}, {'J', "analysis", {"analysis", "분석"}},
      {'K', "scale", {"scale", "확장"}},         {'L', "interop", {"interop", "상호 운용"}},
  };
  return all;
}

const Topic& find_topic(const std::string& letter_or_name) {
  std::string wanted = letter_or_name;
  std::transform(wanted.begin(), wanted.end(), wanted.begin(), [](unsigned char c) { return std::tolower(c); });
  std::vector<std::string> known;
  for (const Topic& topic : topics()) {
    const char letter = static_cast<char>(std::tolower(static_cast<unsigned char>(topic.letter)));
    if (wanted == std::string(1, letter) || wanted == topic.name || wanted == topic.label.en || wanted == topic.label.ko) {
      return topic;
    }
    known.push_back(fmt::format("{} {}", topic.letter, topic.name));
  }
  throw Error(fmt::format("lab: no topic '{}'; the topics are {}", letter_or_name, fmt::join(known, ", ")));
}

bool has_topic(const Experiment& experiment, const Topic& topic) {
  return experiment.topic.find(topic.letter) != std::string::npos;  // topic is letters and spaces: "B J"
}

}  // namespace nabla::lab
