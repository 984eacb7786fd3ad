#pragma once
// Optimizers, as torch.optim: parameter groups with their own options, per-parameter state, and a state
// dict (JSON for numbers, tensors by name) that checkpoints save and restore exactly.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/tensor.h"

namespace nabla::optim {

// Options are named numbers ("lr", "momentum", "beta1", …) so every optimizer shares one group type and
// schedulers can change any of them.
struct ParamGroup {
  std::vector<Tensor> params;
  std::map<std::string, double> options;  // missing options take the optimizer's defaults
};

struct OptimizerState {
  nlohmann::json values;                  // options per group, step counts
  std::map<std::string, Tensor> tensors;  // "state.<parameter index>.<name>", e.g. "state.3.exp_avg"
};

class Optimizer {
 public:
  Optimizer(std::string name, std::vector<ParamGroup> groups, std::map<std::string, double> defaults);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update from the parameters' current .grad (parameters without a gradient are skipped).
  void step();
  void zero_grad();  // sets every gradient to none
  const std::string& name() const { return name_; }

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  void add_param_group(ParamGroup group);
  double option(size_t group, const std::string& key) const;
  void set_option(size_t group, const std::string& key, double value);
  double lr(size_t group = 0) const { return option(group, "lr"); }
  void set_lr(double lr);  // every group

  OptimizerState state_dict() const;
  void load_state_dict(const OptimizerState& state);  // checks parameter count and shapes

 protected:
  // Updates one parameter; `state` holds its named buffers, `step` its update count (already incremented).
  virtual void update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, int64_t step,
                      const std::map<std::string, double>& options) = 0;

 private:
  std::string name_;
  std::map<std::string, double> defaults_;
  std::vector<ParamGroup> groups_;
  std::vector<std::map<std::string, Tensor>> state_;  // per parameter, in group order
  std::vector<int64_t> steps_;
};

// Each constructor takes the parameters (or groups) and its options; defaults match PyTorch.
struct SGDOptions {
  double lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  SGD(std::vector<ParamGroup> groups, const SGDOptions& options);
 protected:
  void update(Tensor&, const Tensor&, std::map<std::string, Tensor>&, int64_t, const std::map<std::string, double>&) override;
};

// fused: one pass per contiguous f32/f64 parameter instead of a dozen tensor ops (the same update).
struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool amsgrad = false;
  bool fused = true;
};
// Adam: weight decay added to the gradient (L2). AdamW: decoupled weight decay (default 0.01).
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& options);
  Adam(std::vector<ParamGroup> groups, const AdamOptions& options);
 protected:
  Adam(std::string name, std::vector<ParamGroup> groups, const AdamOptions& options);
  void update(Tensor&, const Tensor&, std::map<std::string, Tensor>&, int64_t, const std::map<std::string, double>&) override;
 private:
  bool fused_;
};
struct AdamWOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2;
  bool amsgrad = false;
  bool fused = true;
};
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options);
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options);
};

struct RMSpropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false;
};
class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, const RMSpropOptions& options);
  RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& options);
 protected:
  void update(Tensor&, const Tensor&, std::map<std::string, Tensor>&, int64_t, const std::map<std::string, double>&) override;
};

struct AdagradOptions {
  double lr = 1e-2, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0, eps = 1e-10;
};
class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> params, const AdagradOptions& options);
  Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& options);
 protected:
  void update(Tensor&, const Tensor&, std::map<std::string, Tensor>&, int64_t, const std::map<std::string, double>&) override;
};

}  // namespace nabla::optim
