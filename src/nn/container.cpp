#include "nabla/nn/container.h"

namespace nabla::nn {

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
  add_child(std::to_string(index), module.ptr());
  modules_.push_back(std::move(module));
}

Tensor Sequential::forward(const Tensor& x) {
  if (modules_.empty()) return x;
  NABLA_CHECK(modules_[0].signature().takes_one_tensor(),
              "Sequential: child 0 ({}) has forward {}; call the Sequential with those arguments",
              modules_[0]->name(), modules_[0].signature().to_string());
  Tensor h = x;
  for (const AnyModule& module : modules_) h = module.forward(h);
  return h;
}

Tensor Sequential::run_children(std::vector<std::any>& arguments) {
  if (modules_.empty()) {
    NABLA_CHECK(arguments.size() == 1 && arguments[0].type() == typeid(Tensor),
                "Sequential: empty, so it takes one Tensor, got {} arguments", arguments.size());
    return std::any_cast<Tensor>(arguments[0]);
  }
  Tensor h = std::any_cast<Tensor>(modules_[0].forward_any(std::move(arguments)));
  for (size_t i = 1; i < modules_.size(); ++i) h = modules_[i].forward(h);
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
  if (modules_.empty()) return {{"Tensor"}, "Tensor"};
  return {modules_[0].signature().parameters, "Tensor"};
}

const AnyModule& Sequential::any_module(size_t index) const {
  NABLA_CHECK(index < size(), "Sequential: index {} is out of range for {} modules", index, size());
  return modules_[index];
}

// ---- ModuleList

ModuleList::ModuleList(std::initializer_list<AnyModule> modules) : ModuleList() {
  for (const AnyModule& module : modules) push_back(module);
}

void ModuleList::push_back(AnyModule module) {
  add_child(std::to_string(size()), module.ptr());
  modules_.push_back(std::move(module));
}

const AnyModule& ModuleList::any_module(size_t index) const {
  NABLA_CHECK(index < size(), "ModuleList: index {} is out of range for {} modules", index, size());
  return modules_[index];
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
