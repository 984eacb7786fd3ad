#pragma once
// Learning-rate schedulers, as torch.optim.lr_scheduler: construct after the optimizer, call step() once
// per epoch (or per batch for OneCycleLR), after optimizer.step().
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/optim/optimizer.h"

namespace nabla::optim {

class Scheduler {
 public:
  explicit Scheduler(Optimizer& optimizer);
  virtual ~Scheduler() = default;
  virtual void step();
  std::vector<double> last_lr() const;
  int64_t last_epoch() const { return last_epoch_; }
  virtual nlohmann::json state_dict() const;
  virtual void load_state_dict(const nlohmann::json& state);

 protected:
  friend class SequentialLR;  // asks the schedulers it chains for their rates
  // The learning rate of group `group` at epoch `epoch`.
  virtual double lr_at(int64_t epoch, size_t group) const = 0;
  void apply();  // writes lr_at(last_epoch) into every group
  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = 0;
};

class StepLR : public Scheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);
 protected:
  double lr_at(int64_t epoch, size_t group) const override;
 private:
  int64_t step_size_;
  double gamma_;
};

class MultiStepLR : public Scheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);
 protected:
  double lr_at(int64_t epoch, size_t group) const override;
 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

class ExponentialLR : public Scheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);
 protected:
  double lr_at(int64_t epoch, size_t group) const override;
 private:
  double gamma_;
};

class CosineAnnealingLR : public Scheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min = 0);
 protected:
  double lr_at(int64_t epoch, size_t group) const override;
 private:
  int64_t t_max_;
  double eta_min_;
};

// Linear warm-up (PyTorch's LinearLR): the factor goes from start_factor to end_factor over total_iters.
class LinearLR : public Scheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5);
 protected:
  double lr_at(int64_t epoch, size_t group) const override;
 private:
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

// Schedulers one after another (PyTorch's SequentialLR): schedulers[i] runs from milestones[i − 1] (0 for
// the first) to milestones[i], counting its own epochs from 0 when it begins. Warm-up then cosine decay:
//   SequentialLR(opt, {LinearLR(opt, 0.01, 1, w), CosineAnnealingLR(opt, total − w)}, {w})
// Construct the chained schedulers first (on the same optimizer, before any step) and hand them over: each
// takes the rates the optimizer had when the first was built, as PyTorch's `initial_lr`.
class SequentialLR : public Scheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<Scheduler>> schedulers, std::vector<int64_t> milestones);
  void load_state_dict(const nlohmann::json& state) override;
 protected:
  double lr_at(int64_t epoch, size_t group) const override;
 private:
  void share_base_lrs();  // every chained scheduler decays from this one's base rates
  std::vector<std::shared_ptr<Scheduler>> schedulers_;
  std::vector<int64_t> milestones_;
};

struct OneCycleOptions {
  double max_lr = 0;
  int64_t total_steps = 0;
  double pct_start = 0.3, div_factor = 25, final_div_factor = 1e4;
  bool cosine = true;  // else linear annealing
  bool cycle_momentum = true;
  double base_momentum = 0.85, max_momentum = 0.95;
};
// One cycle (Smith 2018): warm up to max_lr, then anneal far below the start; momentum (SGD's momentum or
// Adam's beta1) cycles the opposite way. Step it once per batch.
class OneCycleLR : public Scheduler {
 public:
  OneCycleLR(Optimizer& optimizer, const OneCycleOptions& options);
  void step() override;
 protected:
  double lr_at(int64_t epoch, size_t group) const override;
 private:
  double anneal(double start, double end, double fraction) const;
  double momentum_at(int64_t epoch) const;
  OneCycleOptions options_;
  std::string momentum_key_;  // "momentum", "beta1", or empty
};

struct PlateauOptions {
  bool maximize = false;  // mode "max": a larger metric is better
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;  // relative
  int64_t cooldown = 0;
  double min_lr = 0, eps = 1e-8;
};
// Cuts the learning rate by `factor` when the metric has not improved for `patience` epochs.
class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Optimizer& optimizer, const PlateauOptions& options);
  void step(double metric);
  std::vector<double> last_lr() const;
  nlohmann::json state_dict() const;
  void load_state_dict(const nlohmann::json& state);

 private:
  bool improved(double metric) const;
  Optimizer& optimizer_;
  PlateauOptions options_;
  double best_;
  int64_t bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
};

}  // namespace nabla::optim
