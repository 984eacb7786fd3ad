// SGD with momentum, dampening, Nesterov and L2 weight decay — PyTorch's update, step for step:
//   g ← grad + wd·p;  b ← g (first step) or μ·b + (1 − τ)·g;  g ← g + μ·b (Nesterov) or b;  p ← p − lr·g
#include "nabla/ops.h"
#include "nabla/optim/optimizer.h"

namespace nabla::optim {
namespace {
std::map<std::string, double> defaults(const SGDOptions& o) {
  return {{"lr", o.lr}, {"momentum", o.momentum}, {"dampening", o.dampening}, {"weight_decay", o.weight_decay},
          {"nesterov", o.nesterov ? 1.0 : 0.0}};
}
}  // namespace

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options) : SGD(std::vector<ParamGroup>{{std::move(params), {}}}, options) {}
SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& options) : Optimizer("SGD", std::move(groups), defaults(options)) {
  NABLA_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
              "SGD: Nesterov momentum needs momentum > 0 and dampening = 0");
}

void SGD::update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, int64_t,
                 const std::map<std::string, double>& options) {
  const double lr = options.at("lr"), momentum = options.at("momentum"), dampening = options.at("dampening");
  const double weight_decay = options.at("weight_decay");
  Tensor g = weight_decay != 0 ? grad + parameter * weight_decay : grad;
  if (momentum != 0) {
    auto it = state.find("momentum_buffer");
    Tensor buffer = it == state.end() ? g.clone() : it->second * momentum + g * (1 - dampening);
    state["momentum_buffer"] = buffer;
    g = options.at("nesterov") != 0 ? g + buffer * momentum : buffer;
  }
  parameter.add_(g * -lr);
}

}  // namespace nabla::optim
