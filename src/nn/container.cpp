#include "nabla/nn/container.h"

namespace nabla::nn {

// ---- ModuleSequence

void ModuleSequence::append(AnyModule module) {
  add_child(std::to_string(size()), module.ptr());
  modules_.push_back(std::move(module));
}

const AnyModule& ModuleSequence::any_module(size_t index) const {
  NABLA_CHECK(index < size(), "{}: index {} is out of range for {} modules", name(), index, size());
  return modules_[index];
}

// ---- Sequential

Sequential::Sequential(std::initializer_list<AnyModule> modules) : Sequential() {
  for (const AnyModule& module : modules) push_back(module);
}

void Sequential::push_back(AnyModule module) {
  const ForwardSignature& signature = module.signature();
  const size_t index = size();
  NABLA_CHECK(index == 0 || signature.takes_one_tensor(),
              "Sequential: child {} ({}) has forward {}; only the first child may take other arguments, every later "
              "one takes the Tensor its predecessor returns",
              index, module->name(), signature.to_string());
  NABLA_CHECK(signature.returns_tensor(),
              "Sequential: child {} ({}) has forward {}; every child must return a Tensor for the next to take", index,
              module->name(), signature.to_string());
  append(std::move(module));
}

Tensor Sequential::forward(const Tensor& x) {
  if (size() == 0) return x;
  const AnyModule& first = *begin();
  NABLA_CHECK(first.signature().takes_one_tensor(),
              "Sequential: child 0 ({}) has forward {}; call the Sequential with those arguments", first->name(),
              first.signature().to_string());
  Tensor h = x;
  for (const AnyModule& module : *this) h = module.forward(h);
  return h;
}

Tensor Sequential::run_children(std::vector<std::any>& arguments) {
  if (size() == 0) {
    NABLA_CHECK(arguments.size() == 1 && arguments[0].type() == typeid(Tensor),
                "Sequential: empty, so it takes one Tensor, got {} arguments", arguments.size());
    return std::any_cast<Tensor>(arguments[0]);
  }
  auto child = begin();
  Tensor h = std::any_cast<Tensor>(child->forward_any(std::move(arguments)));
  for (++child; child != end(); ++child) h = child->forward(h);
  return h;
}

std::any Sequential::forward_any(std::vector<std::any>& arguments) {
  if (!has_hooks()) return run_children(arguments);
  // The same hook steps as nn::call, over the Tensor arguments among the erased ones.
  std::vector<size_t> tensor_positions;
  Values inputs;
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i].type() == typeid(Tensor)) {
      tensor_positions.push_back(i);
      inputs.push_back(std::any_cast<Tensor>(arguments[i]));
    }
  }
  run_forward_pre_hooks(inputs);
  for (size_t i = 0; i < tensor_positions.size(); ++i) arguments[tensor_positions[i]] = inputs[i];
  Values output(run_children(arguments));
  run_forward_hooks(inputs, output);
  attach_backward_hooks(output);
  NABLA_CHECK(output.size() == 1, "Sequential: a forward hook returned {} tensors for its one output", output.size());
  return std::any(output[0]);
}

ForwardSignature Sequential::forward_signature() const {
  if (size() == 0) return {{"Tensor"}, "Tensor"};
  return {begin()->signature().parameters, "Tensor"};
}

// ---- ModuleList

ModuleList::ModuleList(std::initializer_list<AnyModule> modules) : ModuleList() {
  for (const AnyModule& module : modules) push_back(module);
}

// ---- ModuleDict

void ModuleDict::insert(const std::string& key, AnyModule module) {
  add_child(key, module.ptr());  // refuses a repeated or malformed key
  modules_.emplace_back(key, std::move(module));
}

const AnyModule& ModuleDict::any_module(const std::string& key) const {
  for (const auto& [name, module] : modules_) {
    if (name == key) return module;
  }
  throw Error(fmt::format("ModuleDict: no module named '{}' (keys: {})", key, fmt::join(keys(), ", ")));
}

bool ModuleDict::contains(const std::string& key) const {
  for (const auto& [name, module] : modules_) {
    if (name == key) return true;
  }
  return false;
}

std::vector<std::string> ModuleDict::keys() const {
  std::vector<std::string> result;
  for (const auto& [name, module] : modules_) result.push_back(name);
  return result;
}

}  // namespace nabla::nn
