#include "nabla/nn/module.h"

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
  throw Error(fmt::format("{}: this module has no one-tensor forward; call it with its own arguments "
                          "(derive from nn::TypedModule, use nn::call, or hold it in an nn::AnyModule)",
                          describe()));
}

Tensor Module::operator()(const Tensor& input) { return call(*this, input); }

void Module::run_forward_pre_hooks(Values& inputs) {
  for (auto& [handle, hook] : forward_pre_hooks_) {
    std::optional<Values> replaced = hook(*this, inputs);
    if (!replaced) continue;
    NABLA_CHECK(replaced->size() == inputs.size(), "{}: a forward pre-hook returned {} tensors for {} tensor inputs",
                describe(), replaced->size(), inputs.size());
    inputs = std::move(*replaced);
  }
}

bool Module::run_forward_hooks(const Values& inputs, Values& output) {
  bool replaced_any = false;
  for (auto& [handle, hook] : forward_hooks_) {
    if (std::optional<Values> replaced = hook(*this, inputs, output)) {
      output = std::move(*replaced);
      replaced_any = true;
    }
  }
  return replaced_any;
}

bool Module::attach_backward_hooks(Values& output) {
  if (backward_hooks_.empty() || !autograd::grad_enabled()) return false;
  // Only the outputs that require grad go through the node; the others stay as they are and their
  // gradient slot stays undefined.
  std::vector<size_t> positions;
  std::vector<Tensor> differentiable;
  for (size_t i = 0; i < output.size(); ++i) {
    if (output[i].defined() && output[i].requires_grad()) {
      positions.push_back(i);
      differentiable.push_back(output[i]);
    }
  }
  if (differentiable.empty()) return false;
  // One identity node over those outputs, so the hooks see all the output gradients at once (a hook per
  // tensor would see them one at a time). The module is held weakly: the graph must not keep it alive.
  std::weak_ptr<Module> weak = weak_from_this();
  const size_t output_count = output.size();
  auto identity = [](autograd::FunctionContext&, const std::vector<Tensor>& inputs) { return inputs; };
  auto call_hooks = [weak, positions, output_count](autograd::FunctionContext&, const std::vector<Tensor>& grads) {
    if (auto module = weak.lock()) {
      Values grad_outputs{std::vector<Tensor>(output_count)};
      for (size_t i = 0; i < positions.size(); ++i) grad_outputs[positions[i]] = grads[i];
      for (auto& [handle, hook] : module->backward_hooks_) hook(*module, grad_outputs);
    }
    return grads;
  };
  std::vector<Tensor> routed = autograd::apply_function("BackwardHook", differentiable, identity, call_hooks);
  for (size_t i = 0; i < positions.size(); ++i) output[positions[i]] = routed[i];
  return true;
}

const Tensor& Module::single(const Values& values, const char* what) const {
  NABLA_CHECK(values.size() == 1, "{}: a one-tensor {} hook got {} tensors; take `const Values&` instead",
              describe(), what, values.size());
  return values[0];
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

StateDict Module::state_dict() const {
  StateDict result;
  for (auto& [name, tensor] : named_parameters()) result.insert(name, tensor);
  for (auto& [name, tensor] : named_buffers()) result.insert(name, tensor);
  return result;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  StateDict own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (auto& [name, tensor] : own) {
    const Tensor* given = state.find(name);
    if (given == nullptr) {
      missing.push_back(name);
    } else if (given->shape() != tensor.shape()) {
      mismatched.push_back(fmt::format("{} (checkpoint {}, model {})", name, shape_string(given->shape()),
                                       shape_string(tensor.shape())));
    }
  }
  for (auto& [name, tensor] : state) {
    if (!own.contains(name)) unexpected.push_back(name);
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
    const Tensor* given = state.find(name);
    if (given == nullptr) continue;
    Tensor target = tensor;
    copy_(target, *given);
  }
}

size_t Module::add_forward_pre_hook(ForwardPreHook hook) {
  forward_pre_hooks_[next_hook_] = std::move(hook);
  return next_hook_++;
}
size_t Module::add_forward_hook(ForwardHook hook) {
  forward_hooks_[next_hook_] = std::move(hook);
  return next_hook_++;
}
size_t Module::add_backward_hook(BackwardHook hook) {
  backward_hooks_[next_hook_] = std::move(hook);
  return next_hook_++;
}
void Module::remove_hook(size_t handle) {
  forward_pre_hooks_.erase(handle);
  forward_hooks_.erase(handle);
  backward_hooks_.erase(handle);
}

}  // namespace nabla::nn
