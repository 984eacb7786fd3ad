#include "nabla/optim/optimizer.h"

#include <cmath>

#include "ops/profiler.h"
#include "nabla/autograd.h"
#include "nabla/ops.h"

namespace nabla::optim {

Optimizer::Optimizer(std::string name, std::vector<ParamGroup> groups, std::map<std::string, double> defaults)
    : name_(std::move(name)), defaults_(std::move(defaults)) {
  NABLA_CHECK(!groups.empty(), "{}: got no parameter groups", name_);
  for (ParamGroup& group : groups) add_param_group(std::move(group));
}

void Optimizer::add_param_group(ParamGroup group) {
  NABLA_CHECK(!group.params.empty(), "{}: a parameter group has no parameters", name_);
  for (auto& [key, value] : group.options) {
    NABLA_CHECK(defaults_.count(key), "{}: unknown option '{}' in a parameter group", name_, key);
  }
  for (auto& [key, value] : defaults_) group.options.try_emplace(key, value);
  for (auto& [key, value] : group.options) {
    NABLA_CHECK(std::isfinite(value), "{}: option {} is {}; it must be finite", name_, key, value);
  }
  NABLA_CHECK(group.options.at("lr") >= 0, "{}: learning rate must be non-negative, got {}", name_, group.options.at("lr"));
  for (const Tensor& parameter : group.params) {
    NABLA_CHECK(parameter.defined() && is_floating(parameter.dtype()) && parameter.is_leaf(),
                "{}: parameters must be floating-point leaf tensors, got {}", name_, parameter.describe());
    state_.emplace_back();
    steps_.push_back(0);
  }
  groups_.push_back(std::move(group));
}

double Optimizer::option(size_t group, const std::string& key) const {
  NABLA_CHECK(group < groups_.size(), "{}: no parameter group {}", name_, group);
  auto it = groups_[group].options.find(key);
  NABLA_CHECK(it != groups_[group].options.end(), "{}: no option '{}'", name_, key);
  return it->second;
}

void Optimizer::set_option(size_t group, const std::string& key, double value) {
  NABLA_CHECK(group < groups_.size() && groups_[group].options.count(key), "{}: no option '{}' in group {}", name_, key,
              group);
  groups_[group].options[key] = value;
}

void Optimizer::set_lr(double lr) {
  for (size_t g = 0; g < groups_.size(); ++g) set_option(g, "lr", lr);
}

void Optimizer::zero_grad() {
  for (ParamGroup& group : groups_) {
    for (Tensor& parameter : group.params) parameter.zero_grad();
  }
}

void Optimizer::step() {
  autograd::NoGradGuard no_grad;
  size_t index = 0;
  for (ParamGroup& group : groups_) {
    for (Tensor& parameter : group.params) {
      const Tensor& grad = parameter.grad();
      if (grad.defined()) {
        NABLA_CHECK(grad.shape() == parameter.shape(), "{}: gradient {} does not match parameter {}", name_,
                    grad.describe(), parameter.describe());
        update(parameter, grad, state_[index], ++steps_[index], group.options);
      }
      ++index;
    }
  }
  profiler::mark_step();
}

OptimizerState Optimizer::state_dict() const {
  OptimizerState result;
  result.values["optimizer"] = name_;
  nlohmann::json groups = nlohmann::json::array();
  for (const ParamGroup& group : groups_) {
    groups.push_back({{"options", group.options}, {"parameters", group.params.size()}});
  }
  result.values["groups"] = groups;
  result.values["steps"] = steps_;
  for (size_t i = 0; i < state_.size(); ++i) {
    for (auto& [key, tensor] : state_[i]) result.tensors[fmt::format("state.{}.{}", i, key)] = tensor;
  }
  return result;
}

void Optimizer::load_state_dict(const OptimizerState& state) {
  NABLA_CHECK(state.values.value("optimizer", std::string()) == name_, "{}: the state belongs to a {} optimizer", name_,
              state.values.value("optimizer", std::string("?")));
  const nlohmann::json& groups = state.values.at("groups");
  NABLA_CHECK(groups.size() == groups_.size(), "{}: the state has {} parameter groups, this optimizer {}", name_,
              groups.size(), groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    NABLA_CHECK(groups[g].at("parameters").get<size_t>() == groups_[g].params.size(),
                "{}: group {} has {} parameters in the state, {} here", name_, g, groups[g].at("parameters").get<size_t>(),
                groups_[g].params.size());
  }
  std::vector<int64_t> steps = state.values.at("steps").get<std::vector<int64_t>>();
  NABLA_CHECK(steps.size() == steps_.size(), "{}: the state has {} parameters, this optimizer {}", name_, steps.size(),
              steps_.size());
  std::vector<std::map<std::string, Tensor>> tensors(state_.size());
  for (auto& [key, tensor] : state.tensors) {
    size_t first = key.find('.'), second = key.find('.', first + 1);
    NABLA_CHECK(key.rfind("state.", 0) == 0 && second != std::string::npos, "{}: bad state key '{}'", name_, key);
    size_t index = std::stoul(key.substr(first + 1, second - first - 1));
    NABLA_CHECK(index < tensors.size(), "{}: state key '{}' names a parameter that does not exist", name_, key);
    tensors[index][key.substr(second + 1)] = tensor.clone();
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (auto& [key, value] : groups[g].at("options").items()) groups_[g].options[key] = value.get<double>();
  }
  state_ = std::move(tensors);
  steps_ = std::move(steps);
}

}  // namespace nabla::optim
