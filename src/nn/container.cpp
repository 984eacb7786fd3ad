#include "nabla/nn/container.h"

namespace nabla::nn {

Sequential::Sequential(std::initializer_list<ModulePtr> modules) : Sequential() {
  for (const ModulePtr& module : modules) push_back(module);
}

void Sequential::push_back(ModulePtr module) { add_child(std::to_string(size()), std::move(module)); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& [name, module] : named_children()) h = (*module)(h);
  return h;
}

ModulePtr Sequential::operator[](size_t index) const {
  NABLA_CHECK(index < size(), "Sequential: index {} is out of range for {} modules", index, size());
  return named_children()[index].second;
}

ModuleList::ModuleList(std::initializer_list<ModulePtr> modules) : ModuleList() {
  for (const ModulePtr& module : modules) push_back(module);
}

void ModuleList::push_back(ModulePtr module) { add_child(std::to_string(size()), std::move(module)); }

ModulePtr ModuleList::operator[](size_t index) const {
  NABLA_CHECK(index < size(), "ModuleList: index {} is out of range for {} modules", index, size());
  return named_children()[index].second;
}

}  // namespace nabla::nn
