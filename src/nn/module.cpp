#include "nabla/nn/module.h"

#include <set>

#include "nabla/autograd.h"
#include "nabla/ops.h"

namespace nabla::nn {
namespace {

void check_name(const std::string& name, const char* what) {
  NABLA_CHECK(!name.empty() && name.find('.') == std::string::npos,
              "register_{}: the name '{}' must be non-empty and contain no '.'", what, name);
}

}  // namespace

Tensor Module::forward(const Tensor&) {
  throw Error(fmt::format("{}: this module has no one-input forward; call its own forward(...)", name_));
}

Tensor Module::operator()(const Tensor& input) {
  Tensor x = input;
  for (auto& [handle, hook] : forward_pre_hooks_) {
    if (std::optional<Tensor> replaced = hook(*this, x)) x = *replaced;
  }
  Tensor output = forward(x);
  for (auto& [handle, hook] : forward_hooks_) {
    if (std::optional<Tensor> replaced = hook(*this, x, output)) output = *replaced;
  }
  if (!backward_hooks_.empty() && output.requires_grad()) {
    // The output's gradient reaches the hooks through a tensor hook. The module is held weakly: the
    // graph must not keep a deleted module alive.
    std::weak_ptr<Module> weak = weak_from_this();
    output.register_hook([weak](const Tensor& grad) -> std::optional<Tensor> {
      if (auto module = weak.lock()) {
        for (auto& [handle, hook] : module->backward_hooks_) hook(*module, grad);
      }
      return std::nullopt;
    });
  }
  return output;
}

std::string Module::describe() const { return name_ + "()"; }

Tensor& Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_name(name, "parameter");
  NABLA_CHECK(tensor.defined(), "register_parameter: '{}' is an undefined tensor", name);
  for (auto& [existing, value] : parameters_) NABLA_CHECK(existing != name, "register_parameter: '{}' is already registered", name);
  if (requires_grad && !tensor.requires_grad()) tensor.requires_grad_();
  parameters_.emplace_back(name, tensor);
  return parameters_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor tensor) {
  check_name(name, "buffer");
  for (auto& [existing, value] : buffers_) NABLA_CHECK(existing != name, "register_buffer: '{}' is already registered", name);
  buffers_.emplace_back(name, tensor);
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name(name, "module");
  NABLA_CHECK(module != nullptr, "register_module: '{}' is null", name);
  for (auto& [existing, value] : children_) NABLA_CHECK(existing != name, "register_module: '{}' is already registered", name);
  children_.emplace_back(name, std::move(module));
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors result = parameters_;
  if (recurse) {
    for (const auto& [child_name, child] : children_) {
      for (auto& [name, tensor] : child->named_parameters(true)) result.emplace_back(child_name + "." + name, tensor);
    }
  }
  return result;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors result = buffers_;
  if (recurse) {
    for (const auto& [child_name, child] : children_) {
      for (auto& [name, tensor] : child->named_buffers(true)) result.emplace_back(child_name + "." + name, tensor);
    }
  }
  return result;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> result;
  for (auto& [name, tensor] : named_parameters(recurse)) result.push_back(tensor);
  return result;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules(const std::string& prefix) {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> result{{prefix, shared_from_this()}};
  for (auto& [child_name, child] : children_) {
    auto nested = child->named_modules(prefix.empty() ? child_name : prefix + "." + child_name);
    result.insert(result.end(), nested.begin(), nested.end());
  }
  return result;
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (const auto& [child_name, child] : children_) {
    if (child_name == name) return child;
  }
  throw Error(fmt::format("{}: no child module named '{}'", name_, name));
}

int64_t Module::parameter_count(bool trainable_only) const {
  int64_t count = 0;
  for (auto& [name, tensor] : named_parameters()) {
    if (!trainable_only || tensor.requires_grad()) count += tensor.numel();
  }
  return count;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (auto& [name, tensor] : named_parameters()) tensor.zero_grad();
}

void Module::requires_grad_(bool enabled) {
  for (auto& [name, tensor] : named_parameters()) tensor.requires_grad_(enabled);
}

NamedTensors Module::state_dict() const {
  NamedTensors result = named_parameters();
  NamedTensors buffers = named_buffers();
  result.insert(result.end(), buffers.begin(), buffers.end());
  return result;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  NamedTensors own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  std::set<std::string> known;
  for (auto& [name, tensor] : own) {
    known.insert(name);
    auto it = state.find(name);
    if (it == state.end()) {
      missing.push_back(name);
    } else if (it->second.shape() != tensor.shape()) {
      mismatched.push_back(fmt::format("{} (checkpoint {}, model {})", name, shape_string(it->second.shape()),
                                       shape_string(tensor.shape())));
    }
  }
  for (auto& [name, tensor] : state) {
    if (!known.count(name)) unexpected.push_back(name);
  }
  NABLA_CHECK(mismatched.empty(), "load_state_dict: shape mismatch for {}", fmt::join(mismatched, ", "));
  if (strict) {
    NABLA_CHECK(missing.empty() && unexpected.empty(),
                "load_state_dict: missing keys [{}], unexpected keys [{}]; pass strict=false to load what matches",
                fmt::join(missing, ", "), fmt::join(unexpected, ", "));
  }
  // Written in place, so parameters keep their identity (optimizers and user handles stay valid).
  autograd::NoGradGuard no_grad;
  for (auto& [name, tensor] : own) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    Tensor target = tensor;
    copy_(target, it->second);
  }
}

size_t Module::register_forward_pre_hook(ForwardPreHook hook) {
  forward_pre_hooks_[next_hook_] = std::move(hook);
  return next_hook_++;
}
size_t Module::register_forward_hook(ForwardHook hook) {
  forward_hooks_[next_hook_] = std::move(hook);
  return next_hook_++;
}
size_t Module::register_full_backward_hook(BackwardHook hook) {
  backward_hooks_[next_hook_] = std::move(hook);
  return next_hook_++;
}
void Module::remove_hook(size_t handle) {
  forward_pre_hooks_.erase(handle);
  forward_hooks_.erase(handle);
  backward_hooks_.erase(handle);
}

}  // namespace nabla::nn
