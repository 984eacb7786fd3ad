// The list of experiments. Each q*.cpp registers itself from a static initializer, in no particular order;
// the list is sorted (and checked for duplicate ids) the first time it is read.
#include <algorithm>

#include "nabla/lab/lab.h"

namespace nabla::lab {
namespace {

struct Registry {
  std::vector<Experiment> experiments;
  bool sorted = false;
};

// A function-local static: registration runs during static initialisation of other files.
Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

std::string budget_name(Budget budget) { return budget == Budget::quick ? "quick" : "full"; }

bool register_experiment(Experiment experiment) {
  registry().experiments.push_back(std::move(experiment));
  registry().sorted = false;
  return true;
}

const std::vector<Experiment>& experiments() {
  Registry& list = registry();
  if (!list.sorted) {
    std::sort(list.experiments.begin(), list.experiments.end(),
              [](const Experiment& a, const Experiment& b) { return a.id < b.id; });
    for (size_t i = 1; i < list.experiments.size(); ++i) {
      NABLA_CHECK(list.experiments[i].id != list.experiments[i - 1].id, "lab: two experiments are registered as {}",
                  list.experiments[i].id);
    }
    list.sorted = true;
  }
  return list.experiments;
}

const Experiment& find_experiment(const std::string& id) {
  std::string wanted = id;
  std::transform(wanted.begin(), wanted.end(), wanted.begin(), [](unsigned char c) { return std::toupper(c); });
  std::vector<std::string> known;
  for (const Experiment& experiment : experiments()) {
    if (experiment.id == wanted) return experiment;
    known.push_back(experiment.id);
  }
  throw Error(fmt::format("lab: no experiment {}; the lab has {}", id, fmt::join(known, ", ")));
}

}  // namespace nabla::lab
