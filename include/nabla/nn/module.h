#pragma once
// nn::Module: the base of every layer and model, as PyTorch's frontend. A module owns named parameters,
// buffers (state that is saved but not trained, e.g. batch norm's running mean) and child modules.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;  // in registration order, dotted names

class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string name = "Module") : name_(std::move(name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The forward pass of a one-input module. Modules with other signatures define their own `forward`.
  virtual Tensor forward(const Tensor& input);
  // Runs forward pre-hooks, forward, then forward hooks (which may replace the output); and arranges for
  // backward hooks to see the gradient of the output.
  Tensor operator()(const Tensor& input);

  const std::string& name() const { return name_; }
  virtual std::string describe() const;  // one line, e.g. "Linear(in=784, out=256, bias=true)"

  // ---- registration (returns the stored handle; parameters require grad)
  Tensor& register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  Tensor& register_buffer(const std::string& name, Tensor tensor);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  // ---- introspection
  NamedTensors named_parameters(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules(const std::string& prefix = "");
  std::shared_ptr<Module> child(const std::string& name) const;  // throws naming the missing child
  int64_t parameter_count(bool trainable_only = false) const;

  // ---- modes
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();
  // Freezing: stop (or restart) gradients for every parameter of this module and its children.
  void requires_grad_(bool enabled);

  // ---- state: parameters and buffers by dotted name
  NamedTensors state_dict() const;
  // Copies values in place (handles held elsewhere stay valid). With strict, missing and unexpected keys
  // are errors; a shape or dtype mismatch is always one. Each error names every key at fault.
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  // ---- hooks
  using ForwardPreHook = std::function<std::optional<Tensor>(Module&, const Tensor& input)>;
  using ForwardHook = std::function<std::optional<Tensor>(Module&, const Tensor& input, const Tensor& output)>;
  using BackwardHook = std::function<void(Module&, const Tensor& grad_output)>;
  size_t register_forward_pre_hook(ForwardPreHook hook);
  size_t register_forward_hook(ForwardHook hook);
  // Called during backward with the gradient of this module's output.
  size_t register_full_backward_hook(BackwardHook hook);
  void remove_hook(size_t handle);

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  std::string name_;
  bool training_ = true;
  NamedTensors parameters_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::map<size_t, ForwardPreHook> forward_pre_hooks_;
  std::map<size_t, ForwardHook> forward_hooks_;
  std::map<size_t, BackwardHook> backward_hooks_;
  size_t next_hook_ = 1;
};

using ModulePtr = std::shared_ptr<Module>;

}  // namespace nabla::nn
