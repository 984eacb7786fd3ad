// The language of the lab's output: chosen with --lang, or from the locale's environment variables.
#include <cstdlib>

#include "nabla/lab/lab.h"

namespace nabla::lab {

Language parse_language(const std::string& code) {
  if (code == "en") return Language::en;
  if (code == "ko") return Language::ko;
  throw Error(fmt::format("lab: unknown language '{}'; the lab speaks en and ko", code));
}

std::string language_code(Language language) { return language == Language::ko ? "ko" : "en"; }

Language language_from_environment() {
  // POSIX precedence for message texts: LC_ALL overrides LC_MESSAGES, which overrides LANG.
  for (const char* variable : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* value = std::getenv(variable);
    if (value == nullptr || *value == '\0') continue;
    return std::string(value).rfind("ko", 0) == 0 ? Language::ko : Language::en;
  }
  return Language::en;
}

Text join_texts(const std::vector<Text>& parts, const std::string& separator) {
  Text joined;
  bool all_korean = true;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) joined.en += separator, joined.ko += separator;
    joined.en += parts[i].en;
    joined.ko += parts[i].ko;
    all_korean = all_korean && !parts[i].ko.empty();
  }
  // A part without Korean leaves the whole without Korean, so that a claim made of it is refused, not half
  // translated.
  if (!all_korean) joined.ko.clear();
  return joined;
}

}  // namespace nabla::lab
