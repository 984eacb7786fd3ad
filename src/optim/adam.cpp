// Adam and AdamW — PyTorch's update, step for step (t counts this parameter's updates):
//   g ← grad + wd·p (Adam) | p ← p·(1 − lr·wd) (AdamW)
//   m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  v̂ ← max(v̂, v) with amsgrad
//   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
// With `fused` (the default) contiguous f32/f64 parameters take one pass per parameter: the op adam_step_
// (src/ops/optimizer.cpp, fast kernel src/backend/cpu/adam.cpp), dispatched like any op so that the
// profiler and dispatch observers see it; the tensor-op composite below is the reference it is tested against.
#include <algorithm>
#include <cmath>

#include "nabla/factory.h"
#include "nabla/ops.h"
#include "nabla/optim/optimizer.h"
#include "ops/op.h"

namespace nabla::optim {
namespace {
std::map<std::string, double> defaults(const AdamOptions& o, bool decoupled) {
  return {{"lr", o.lr}, {"beta1", o.beta1}, {"beta2", o.beta2}, {"eps", o.eps}, {"weight_decay", o.weight_decay},
          {"amsgrad", o.amsgrad ? 1.0 : 0.0}, {"decoupled_weight_decay", decoupled ? 1.0 : 0.0}};
}
void check(const char* name, const AdamOptions& o) {
  NABLA_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, "{}: betas must be in [0, 1), got {} and {}",
              name, o.beta1, o.beta2);
  NABLA_CHECK(o.eps >= 0, "{}: eps must be non-negative, got {}", name, o.eps);
}

bool matches(const Tensor& state, const Tensor& parameter) {
  return state.dtype() == parameter.dtype() && state.shape() == parameter.shape() && state.is_contiguous();
}

// Whether adam_step_ takes this parameter, its gradient and its state so far (its shape rule's conditions).
bool fused_applies(const Tensor& parameter, const Tensor& grad, const std::map<std::string, Tensor>& state) {
  if (parameter.dtype() != DType::f32 && parameter.dtype() != DType::f64) return false;
  if (!parameter.is_contiguous() || !matches(grad, parameter)) return false;
  return std::all_of(state.begin(), state.end(), [&](const auto& entry) { return matches(entry.second, parameter); });
}

// Updates the parameter and its state through adam_step_, creating the state (zeros) on the first step:
// 0·β + x = x gives the composite's first moments exactly.
void fused_update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state,
                  const ops::AdamStepAttrs& attrs) {
  std::vector<Tensor> inputs{parameter, grad};
  for (const char* name : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
    if (!attrs.amsgrad && std::string(name) == "max_exp_avg_sq") break;
    auto [entry, inserted] = state.try_emplace(name, Tensor());
    if (inserted) entry->second = zeros(parameter.shape(), {.dtype = parameter.dtype()});
    inputs.push_back(entry->second);
  }
  ops::call(ops::OpId::adam_step_, std::move(inputs), attrs);
}
}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(std::vector<ParamGroup>{{std::move(params), {}}}, options) {}
Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& options) : Adam("Adam", std::move(groups), options) {}
Adam::Adam(std::string name, std::vector<ParamGroup> groups, const AdamOptions& options)
    : Optimizer(name, std::move(groups), defaults(options, name == "AdamW")), fused_(options.fused) {
  check(this->name().c_str(), options);
}

namespace {
AdamOptions as_adam(const AdamWOptions& o) { return {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad, o.fused}; }
}  // namespace

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : AdamW(std::vector<ParamGroup>{{std::move(params), {}}}, options) {}
AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options)
    : Adam("AdamW", std::move(groups), as_adam(options)) {}

void Adam::update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, int64_t step,
                  const std::map<std::string, double>& options) {
  const double lr = options.at("lr"), beta1 = options.at("beta1"), beta2 = options.at("beta2"), eps = options.at("eps");
  const double weight_decay = options.at("weight_decay");
  const double correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double correction2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
  const bool decoupled = options.at("decoupled_weight_decay") != 0, amsgrad = options.at("amsgrad") != 0;
  if (fused_ && fused_applies(parameter, grad, state)) {
    fused_update(parameter, grad, state, {lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad, step});
    return;
  }
  Tensor g = grad;
  if (weight_decay != 0) {
    if (decoupled) {
      parameter.mul_(1 - lr * weight_decay);
    } else {
      g = grad + parameter * weight_decay;
    }
  }
  auto [first, inserted_first] = state.try_emplace("exp_avg", Tensor());
  auto [second, inserted_second] = state.try_emplace("exp_avg_sq", Tensor());
  first->second = inserted_first ? g * (1 - beta1) : first->second * beta1 + g * (1 - beta1);
  second->second = inserted_second ? g * g * (1 - beta2) : second->second * beta2 + g * g * (1 - beta2);
  Tensor second_moment = second->second;
  if (amsgrad) {
    auto it = state.find("max_exp_avg_sq");
    second_moment = it == state.end() ? second_moment : maximum(it->second, second_moment);
    state["max_exp_avg_sq"] = second_moment;
  }
  Tensor denominator = second_moment.sqrt() / correction2_sqrt + eps;
  parameter.add_(first->second / denominator * (-lr / correction1));
}

}  // namespace nabla::optim
