// greedy_continuation RUN_DIR PROMPT TOKENS: the greedy continuation of PROMPT by the language model that
// `nabla train` wrote into RUN_DIR, computed the plain way, for generate.sh to compare with `nabla generate
// --greedy`: the model is rebuilt from config.json through the registry, and each step runs the full forward
// over the last `context` tokens (no key/value cache, no models::generate) and takes the argmax of the last
// position's logits. The whole text is decoded at once and printed as generate prints it: the prompt, the
// continuation with each end-of-text token as an empty line, and a final newline.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/autograd.h"
#include "nabla/io/file.h"
#include "nabla/io/safetensors.h"
#include "nabla/models/registry.h"
#include "nabla/nabla.h"
#include "nabla/text/tokenizer.h"

int main(int argc, char** argv) {
  using namespace nabla;
  if (argc != 4) {
    std::fprintf(stderr, "usage: greedy_continuation RUN_DIR PROMPT TOKENS\n");
    return 2;
  }
  const std::filesystem::path directory = argv[1];
  const std::string prompt = argv[2];
  const int64_t tokens = std::stoll(argv[3]);
  try {
    const auto config = nlohmann::json::parse(io::read_file((directory / "config.json").string()));
    const text::TokenizerPtr tokenizer = text::load_tokenizer(directory.string());
    const auto context = config.at("context").get<int64_t>();
    models::ModelOptions options{.classes = tokenizer->vocab_size(), .overrides = config.at("model_options")};
    options.overrides["context"] = context;
    nn::ModulePtr model = models::registry().make(config.at("model").get<std::string>(), options);
    model->load_state_dict(load_safetensors((directory / "model.safetensors").string()));
    model->eval();
    autograd::NoGradGuard no_grad;

    const int64_t end_of_text = tokenizer->special_tokens().end_of_text;
    std::vector<int64_t> ids = prompt.empty() ? std::vector<int64_t>{end_of_text} : tokenizer->encode(prompt);
    std::vector<int64_t> continuation;
    for (int64_t step = 0; step < tokens; ++step) {
      const auto start = static_cast<int64_t>(ids.size()) > context ? ids.end() - context : ids.begin();
      const std::vector<double> window(start, ids.end());
      const Tensor logits = model->forward(from_vector(window, {1, static_cast<int64_t>(window.size())}, DType::i64));
      const std::vector<double> last = logits.select(0, 0).select(0, logits.size(1) - 1).to_vector();
      const auto best = static_cast<int64_t>(std::max_element(last.begin(), last.end()) - last.begin());
      ids.push_back(best);
      continuation.push_back(best);
    }
    // The texts between end-of-text tokens, decoded whole and joined by an empty line.
    std::string output = prompt;
    std::vector<int64_t> segment;
    auto close_segment = [&](bool separator) {
      output += tokenizer->decode(segment);
      segment.clear();
      if (separator && !output.empty()) output += output.back() == '\n' ? "\n" : "\n\n";
    };
    for (int64_t id : continuation) {
      if (id == end_of_text) {
        close_segment(true);
      } else {
        segment.push_back(id);
      }
    }
    close_segment(false);
    if (!output.empty() && output.back() != '\n') output += "\n";
    std::fwrite(output.data(), 1, output.size(), stdout);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "greedy_continuation: %s\n", error.what());
    return 1;
  }
  return 0;
}
