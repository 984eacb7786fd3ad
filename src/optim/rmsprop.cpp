// RMSprop — PyTorch's update, step for step:
//   g ← grad + wd·p;  s ← αs + (1 − α)g²;  centered: a ← αa + (1 − α)g, d ← √(s − a²) + ε, else d ← √s + ε
//   momentum: b ← μb + g/d, p ← p − lr·b;  otherwise p ← p − lr·g/d
#include "nabla/ops.h"
#include "nabla/optim/optimizer.h"

namespace nabla::optim {
namespace {
std::map<std::string, double> defaults(const RMSpropOptions& o) {
  return {{"lr", o.lr}, {"alpha", o.alpha}, {"eps", o.eps}, {"weight_decay", o.weight_decay}, {"momentum", o.momentum},
          {"centered", o.centered ? 1.0 : 0.0}};
}
}  // namespace

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : RMSprop(std::vector<ParamGroup>{{std::move(params), {}}}, options) {}
RMSprop::RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& options)
    : Optimizer("RMSprop", std::move(groups), defaults(options)) {
  NABLA_CHECK(options.alpha >= 0 && options.eps >= 0 && options.momentum >= 0,
              "RMSprop: alpha, eps and momentum must be non-negative");
}

void RMSprop::update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, int64_t,
                     const std::map<std::string, double>& options) {
  const double lr = options.at("lr"), alpha = options.at("alpha"), eps = options.at("eps");
  const double weight_decay = options.at("weight_decay"), momentum = options.at("momentum");
  Tensor g = weight_decay != 0 ? grad + parameter * weight_decay : grad;
  auto [square, inserted] = state.try_emplace("square_avg", Tensor());
  square->second = inserted ? g * g * (1 - alpha) : square->second * alpha + g * g * (1 - alpha);
  Tensor denominator;
  if (options.at("centered") != 0) {
    auto [average, first] = state.try_emplace("grad_avg", Tensor());
    average->second = first ? g * (1 - alpha) : average->second * alpha + g * (1 - alpha);
    denominator = (square->second - average->second * average->second).sqrt() + eps;
  } else {
    denominator = square->second.sqrt() + eps;
  }
  if (momentum > 0) {
    auto [buffer, first] = state.try_emplace("momentum_buffer", Tensor());
    buffer->second = first ? g / denominator : buffer->second * momentum + g / denominator;
    parameter.add_(buffer->second * -lr);
  } else {
    parameter.add_(g / denominator * -lr);
  }
}

}  // namespace nabla::optim
