// The model registry (include/nabla/models/registry.h).
//
// Why the families are listed rather than self-registering: nabla_core is a static library, and the linker
// takes an object file out of a static library only when something references it. A family file whose
// sole link to the program is a static initializer that registers its models would be dropped from every
// executable that names none of its symbols, and its models would silently vanish (the lab avoids this by
// being an OBJECT library, which each consumer must then link). Instead CMake globs src/models/*.cpp and
// writes one NABLA_MODEL_FAMILY(FAMILY) line per family file into models/families.inc; this file calls each
// family's FAMILY_models(). Every family is then referenced from registry(), so no linker can drop one, a
// family file missing its function is a link error rather than a missing model, and the registry is built
// on first use, so no static-initialisation order is involved. Adding a model still touches only its own file.
#include "nabla/models/registry.h"

#include <algorithm>
#include <set>

#include "nabla/error.h"

namespace nabla::models {

#define NABLA_MODEL_FAMILY(family) std::vector<ModelEntry> family##_models();
#include "models/families.inc"
#undef NABLA_MODEL_FAMILY

namespace {

std::vector<ModelEntry> every_family() {
  std::vector<ModelEntry> entries;
  auto add = [&entries](std::vector<ModelEntry> family) {
    for (ModelEntry& entry : family) entries.push_back(std::move(entry));
  };
#define NABLA_MODEL_FAMILY(family) add(family##_models());
#include "models/families.inc"
#undef NABLA_MODEL_FAMILY
  return entries;
}

}  // namespace

double number_option(const ModelOptions& options, std::string_view model, std::string_view key, double fallback) {
  const auto found = options.overrides.find(std::string(key));
  if (found == options.overrides.end()) return fallback;
  NABLA_CHECK(found->is_number(), "model '{}': option {} must be a number, got {}", model, key, found->dump());
  return found->get<double>();
}

Shape ModelEntry::batch_shape(int64_t batch) const {
  Shape shape{batch};
  shape.insert(shape.end(), input.shape.begin(), input.shape.end());
  return shape;
}

Registry::Registry(std::vector<ModelEntry> entries) : entries_(std::move(entries)) {
  std::set<std::string> seen;
  for (const ModelEntry& entry : entries_) {
    NABLA_CHECK(!entry.name.empty(), "model registry: an entry has no name (description '{}')", entry.description);
    NABLA_CHECK(seen.insert(entry.name).second, "model registry: model '{}' is registered twice", entry.name);
    NABLA_CHECK(entry.make, "model registry: model '{}' has no constructor", entry.name);
    NABLA_CHECK(!entry.input.shape.empty() && !entry.input.dataset.empty(),
                "model registry: model '{}' declares no input shape or data set", entry.name);
    NABLA_CHECK(!entry.description.empty(), "model registry: model '{}' has no description", entry.name);
  }
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> names;
  for (const ModelEntry& entry : entries_) names.push_back(entry.name);
  return names;
}

const ModelEntry* Registry::find(std::string_view name) const {
  auto found = std::find_if(entries_.begin(), entries_.end(), [name](const ModelEntry& entry) { return entry.name == name; });
  return found == entries_.end() ? nullptr : &*found;
}

const ModelEntry& Registry::at(std::string_view name) const {
  const ModelEntry* entry = find(name);
  NABLA_CHECK(entry, "unknown model '{}'; known models: {}", name, fmt::join(names(), ", "));
  return *entry;
}

nn::ModulePtr Registry::make(std::string_view name, const ModelOptions& options) const {
  check_options(name, options);
  return at(name).make(options);
}

void Registry::check_options(std::string_view name, const ModelOptions& options) const {
  const ModelEntry& entry = at(name);
  NABLA_CHECK(options.classes >= 1, "model '{}': classes must be at least 1, got {}", name, options.classes);
  NABLA_CHECK(options.overrides.is_object(), "model '{}': options must be a JSON object of key: value, got {}", name,
              options.overrides.dump());
  for (const auto& [key, value] : options.overrides.items()) {
    const bool known = std::any_of(entry.options.begin(), entry.options.end(),
                                   [&key](const OptionInfo& option) { return option.key == key; });
    if (known) continue;
    std::vector<std::string> keys;
    for (const OptionInfo& option : entry.options) keys.push_back(option.key);
    throw Error(fmt::format("model '{}': unknown option '{}'; {}", name, key,
                            keys.empty() ? std::string("it takes none besides classes")
                                         : fmt::format("it takes {}", fmt::join(keys, ", "))));
  }
}

const Registry& registry() {
  static const Registry instance(every_family());
  return instance;
}

}  // namespace nabla::models
