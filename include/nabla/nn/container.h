#pragma once
// Containers: Sequential (each child feeds the next), ModuleList and ModuleDict (hold and register).
#include <initializer_list>

#include "nabla/nn/module.h"

namespace nabla::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<ModulePtr> modules);
  // Children are named "0", "1", … as in PyTorch.
  void push_back(ModulePtr module);
  Tensor forward(const Tensor& x) override;
  size_t size() const { return named_children().size(); }
  ModulePtr operator[](size_t index) const;
};

class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  ModuleList(std::initializer_list<ModulePtr> modules);
  void push_back(ModulePtr module);
  size_t size() const { return named_children().size(); }
  ModulePtr operator[](size_t index) const;
};

class ModuleDict : public Module {
 public:
  ModuleDict() : Module("ModuleDict") {}
  void insert(const std::string& key, ModulePtr module) { add_child(key, std::move(module)); }
  ModulePtr operator[](const std::string& key) const { return child(key); }
  size_t size() const { return named_children().size(); }
};

}  // namespace nabla::nn
