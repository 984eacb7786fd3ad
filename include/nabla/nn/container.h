#pragma once
// Containers: Sequential (each child feeds the next), ModuleList and ModuleDict (hold and register).
// Each holds its children as AnyModules, so any module fits (whatever its forward's signature) and a
// child is called with checked arguments: `list.any_module(i).forward(x, mask)`.
#include <any>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "nabla/nn/any_module.h"
#include "nabla/nn/module.h"

namespace nabla::nn {

// What Sequential and ModuleList share: children kept in order, registered as "0", "1", … (PyTorch's
// names), and read by index.
class ModuleSequence : public Module {
 public:
  size_t size() const { return modules_.size(); }
  ModulePtr operator[](size_t index) const { return any_module(index).ptr(); }
  const AnyModule& any_module(size_t index) const;  // throws naming the container, the index and the size
  template <typename M>
  std::shared_ptr<M> at(size_t index) const {
    return any_module(index).ptr<M>();
  }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 protected:
  explicit ModuleSequence(std::string name) : Module(std::move(name)) {}
  // Registers `module` as child number size() and keeps it.
  void append(AnyModule module);

 private:
  std::vector<AnyModule> modules_;
};

// The first child may take any arguments (Sequential's forward takes the same); every later child takes
// the one Tensor that its predecessor returned, and every child returns a Tensor. push_back checks this
// and names the child at fault.
class Sequential : public ModuleSequence {
 public:
  Sequential() : ModuleSequence("Sequential") {}
  Sequential(std::initializer_list<AnyModule> modules);
  // std::make_shared<Sequential>(std::make_shared<Linear>(4, 8), std::make_shared<ReLU>())
  template <typename... M>
    requires(sizeof...(M) > 0 && (std::derived_from<M, Module> && ...))
  explicit Sequential(std::shared_ptr<M>... modules) : Sequential({AnyModule(std::move(modules))...}) {}

  // Children are named "0", "1", … as in PyTorch.
  void push_back(AnyModule module);
  Tensor forward(const Tensor& x) override;
  // For a first child that takes other arguments: sequential->forward(x, mask).
  template <typename... Args>
    requires(!(sizeof...(Args) == 1 && (detail::is_tensor_argument<Args> && ...)))
  Tensor forward(Args&&... args) {
    std::vector<std::any> arguments{std::any(std::decay_t<Args>(std::forward<Args>(args)))...};
    return std::any_cast<Tensor>(forward_any(arguments));
  }
  using Module::operator();
  template <typename... Args>
    requires(!(sizeof...(Args) == 1 && (detail::is_tensor_argument<Args> && ...)))
  Tensor operator()(Args&&... args) {
    return forward(std::forward<Args>(args)...);
  }
  // The erased forward that AnyModule uses: the first child's arguments, with this Sequential's hooks.
  std::any forward_any(std::vector<std::any>& arguments);
  ForwardSignature forward_signature() const;  // the first child's parameters → Tensor

 private:
  Tensor run_children(std::vector<std::any>& arguments);
};

class ModuleList : public ModuleSequence {
 public:
  ModuleList() : ModuleSequence("ModuleList") {}
  ModuleList(std::initializer_list<AnyModule> modules);
  void push_back(AnyModule module) { append(std::move(module)); }
};

class ModuleDict : public Module {
 public:
  ModuleDict() : Module("ModuleDict") {}
  void insert(const std::string& key, AnyModule module);
  ModulePtr operator[](const std::string& key) const { return any_module(key).ptr(); }
  const AnyModule& any_module(const std::string& key) const;  // throws naming the missing key
  template <typename M>
  std::shared_ptr<M> at(const std::string& key) const {
    return any_module(key).ptr<M>();
  }
  bool contains(const std::string& key) const;
  std::vector<std::string> keys() const;  // in insertion order
  size_t size() const { return modules_.size(); }

 private:
  std::vector<std::pair<std::string, AnyModule>> modules_;
};

}  // namespace nabla::nn
