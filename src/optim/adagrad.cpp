// Adagrad — PyTorch's update, step for step (t counts this parameter's updates):
//   g ← grad + wd·p;  lr_t ← lr / (1 + (t − 1)·decay);  s ← s + g²;  p ← p − lr_t·g / (√s + ε)
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "nabla/optim/optimizer.h"

namespace nabla::optim {
namespace {
std::map<std::string, double> defaults(const AdagradOptions& o) {
  return {{"lr", o.lr}, {"lr_decay", o.lr_decay}, {"weight_decay", o.weight_decay},
          {"initial_accumulator_value", o.initial_accumulator_value}, {"eps", o.eps}};
}
}  // namespace

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options)
    : Adagrad(std::vector<ParamGroup>{{std::move(params), {}}}, options) {}
Adagrad::Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& options)
    : Optimizer("Adagrad", std::move(groups), defaults(options)) {
  NABLA_CHECK(options.lr_decay >= 0 && options.initial_accumulator_value >= 0 && options.eps >= 0,
              "Adagrad: lr_decay, initial_accumulator_value and eps must be non-negative");
}

void Adagrad::update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, int64_t step,
                     const std::map<std::string, double>& options) {
  const double weight_decay = options.at("weight_decay");
  Tensor g = weight_decay != 0 ? grad + parameter * weight_decay : grad;
  const double lr = options.at("lr") / (1 + static_cast<double>(step - 1) * options.at("lr_decay"));
  auto [sum, inserted] = state.try_emplace("sum", Tensor());
  if (inserted) sum->second = full_like(parameter, options.at("initial_accumulator_value"));
  sum->second = sum->second + g * g;
  parameter.add_(g / (sum->second.sqrt() + options.at("eps")) * -lr);
}

}  // namespace nabla::optim
