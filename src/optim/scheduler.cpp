#include "nabla/optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nabla::optim {

Scheduler::Scheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (size_t g = 0; g < optimizer.param_groups().size(); ++g) base_lrs_.push_back(optimizer.lr(g));
}

void Scheduler::step() {
  ++last_epoch_;
  apply();
}

void Scheduler::apply() {
  for (size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_option(g, "lr", lr_at(last_epoch_, g));
}

std::vector<double> Scheduler::last_lr() const {
  std::vector<double> result;
  for (size_t g = 0; g < base_lrs_.size(); ++g) result.push_back(optimizer_.lr(g));
  return result;
}

nlohmann::json Scheduler::state_dict() const { return {{"last_epoch", last_epoch_}, {"base_lrs", base_lrs_}}; }

void Scheduler::load_state_dict(const nlohmann::json& state) {
  last_epoch_ = state.at("last_epoch").get<int64_t>();
  base_lrs_ = state.at("base_lrs").get<std::vector<double>>();
  apply();
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : Scheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  NABLA_CHECK(step_size > 0, "StepLR: step_size must be positive, got {}", step_size);
}
double StepLR::lr_at(int64_t epoch, size_t group) const {
  return base_lrs_[group] * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : Scheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  NABLA_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()), "MultiStepLR: milestones must be increasing");
}
double MultiStepLR::lr_at(int64_t epoch, size_t group) const {
  auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return base_lrs_[group] * std::pow(gamma_, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : Scheduler(optimizer), gamma_(gamma) {}
double ExponentialLR::lr_at(int64_t epoch, size_t group) const {
  return base_lrs_[group] * std::pow(gamma_, static_cast<double>(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min)
    : Scheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  NABLA_CHECK(t_max > 0, "CosineAnnealingLR: t_max must be positive, got {}", t_max);
}
double CosineAnnealingLR::lr_at(int64_t epoch, size_t group) const {
  double phase = M_PI * static_cast<double>(epoch) / static_cast<double>(t_max_);
  return eta_min_ + (base_lrs_[group] - eta_min_) * (1 + std::cos(phase)) / 2;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : Scheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  NABLA_CHECK(start_factor > 0 && start_factor <= 1 && end_factor >= 0 && end_factor <= 1,
              "LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got {} and {}", start_factor, end_factor);
  NABLA_CHECK(total_iters > 0, "LinearLR: total_iters must be positive, got {}", total_iters);
  apply();
}
double LinearLR::lr_at(int64_t epoch, size_t group) const {
  double progress = static_cast<double>(std::min(epoch, total_iters_)) / static_cast<double>(total_iters_);
  return base_lrs_[group] * (start_factor_ + (end_factor_ - start_factor_) * progress);
}

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<Scheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : Scheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  NABLA_CHECK(!schedulers_.empty(), "SequentialLR: no schedulers to chain");
  NABLA_CHECK(milestones_.size() + 1 == schedulers_.size(), "SequentialLR: {} schedulers need {} milestones, got {}",
              schedulers_.size(), schedulers_.size() - 1, milestones_.size());
  for (size_t i = 0; i < milestones_.size(); ++i) {
    NABLA_CHECK(milestones_[i] > (i == 0 ? 0 : milestones_[i - 1]),
                "SequentialLR: milestones must be positive and increasing, got {}", fmt::join(milestones_, ", "));
  }
  for (const std::shared_ptr<Scheduler>& scheduler : schedulers_) {
    NABLA_CHECK(scheduler && &scheduler->optimizer_ == &optimizer,
                "SequentialLR: every chained scheduler must drive the same optimizer");
    NABLA_CHECK(scheduler->last_epoch_ == 0, "SequentialLR: a chained scheduler was already stepped ({} times)",
                scheduler->last_epoch_);
  }
  // The first scheduler was built before the others could change the optimizer's rates (LinearLR sets its
  // start factor at once): its base rates are the optimizer's own.
  base_lrs_ = schedulers_.front()->base_lrs_;
  share_base_lrs();
  apply();
}

void SequentialLR::share_base_lrs() {
  for (const std::shared_ptr<Scheduler>& scheduler : schedulers_) scheduler->base_lrs_ = base_lrs_;
}

void SequentialLR::load_state_dict(const nlohmann::json& state) {
  last_epoch_ = state.at("last_epoch").get<int64_t>();
  base_lrs_ = state.at("base_lrs").get<std::vector<double>>();
  share_base_lrs();
  apply();
}

double SequentialLR::lr_at(int64_t epoch, size_t group) const {
  const size_t index = static_cast<size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin());
  const int64_t begins = index == 0 ? 0 : milestones_[index - 1];
  return schedulers_[index]->lr_at(epoch - begins, group);
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, const OneCycleOptions& options) : Scheduler(optimizer), options_(options) {
  NABLA_CHECK(options.max_lr > 0 && options.total_steps > 0, "OneCycleLR: max_lr and total_steps must be positive");
  NABLA_CHECK(options.pct_start > 0 && options.pct_start < 1, "OneCycleLR: pct_start must be in (0, 1), got {}",
              options.pct_start);
  if (options.cycle_momentum) {
    const auto& group = optimizer.param_groups()[0].options;
    momentum_key_ = group.count("beta1") ? "beta1" : group.count("momentum") ? "momentum" : "";
    NABLA_CHECK(!momentum_key_.empty(), "OneCycleLR: {} has no momentum to cycle; pass cycle_momentum=false",
                optimizer.name());
  }
  for (double& base : base_lrs_) base = options.max_lr / options.div_factor;
  apply();
  if (!momentum_key_.empty()) {
    for (size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_option(g, momentum_key_, momentum_at(0));
  }
}

void OneCycleLR::step() {
  NABLA_CHECK(last_epoch_ + 1 < options_.total_steps + 1,
              "OneCycleLR: stepped {} times, past total_steps = {}", last_epoch_ + 1, options_.total_steps);
  Scheduler::step();
  if (!momentum_key_.empty()) {
    for (size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_option(g, momentum_key_, momentum_at(last_epoch_));
  }
}

double OneCycleLR::anneal(double start, double end, double fraction) const {
  if (options_.cosine) return end + (start - end) / 2 * (std::cos(M_PI * fraction) + 1);
  return (end - start) * fraction + start;
}

// PyTorch's two phases: warm-up ends at step pct_start·total − 1, annealing at total − 1.
double OneCycleLR::lr_at(int64_t epoch, size_t group) const {
  const double initial = base_lrs_[group], peak = options_.max_lr, final_lr = initial / options_.final_div_factor;
  const double warm_end = options_.pct_start * static_cast<double>(options_.total_steps) - 1;
  const double last = static_cast<double>(options_.total_steps) - 1;
  const double step = static_cast<double>(epoch);
  if (step <= warm_end) return anneal(initial, peak, step / warm_end);
  return anneal(peak, final_lr, (step - warm_end) / (last - warm_end));
}

double OneCycleLR::momentum_at(int64_t epoch) const {
  const double warm_end = options_.pct_start * static_cast<double>(options_.total_steps) - 1;
  const double last = static_cast<double>(options_.total_steps) - 1;
  const double step = static_cast<double>(epoch);
  if (step <= warm_end) return anneal(options_.max_momentum, options_.base_momentum, step / warm_end);
  return anneal(options_.base_momentum, options_.max_momentum, (step - warm_end) / (last - warm_end));
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const PlateauOptions& options)
    : optimizer_(optimizer), options_(options),
      best_(options.maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity()) {
  NABLA_CHECK(options.factor > 0 && options.factor < 1, "ReduceLROnPlateau: factor must be in (0, 1), got {}",
              options.factor);
}

bool ReduceLROnPlateau::improved(double metric) const {
  return options_.maximize ? metric > best_ * (1 + options_.threshold) : metric < best_ * (1 - options_.threshold);
}

void ReduceLROnPlateau::step(double metric) {
  NABLA_CHECK(std::isfinite(metric), "ReduceLROnPlateau: the metric is {}; it must be finite", metric);
  ++last_epoch_;
  if (improved(metric)) {
    best_ = metric;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    bad_epochs_ = 0;
  }
  if (bad_epochs_ > options_.patience) {
    for (size_t g = 0; g < optimizer_.param_groups().size(); ++g) {
      double old_lr = optimizer_.lr(g), new_lr = std::max(old_lr * options_.factor, options_.min_lr);
      if (old_lr - new_lr > options_.eps) optimizer_.set_option(g, "lr", new_lr);
    }
    cooldown_counter_ = options_.cooldown;
    bad_epochs_ = 0;
  }
}

std::vector<double> ReduceLROnPlateau::last_lr() const {
  std::vector<double> result;
  for (size_t g = 0; g < optimizer_.param_groups().size(); ++g) result.push_back(optimizer_.lr(g));
  return result;
}

nlohmann::json ReduceLROnPlateau::state_dict() const {
  // JSON has no infinity: an unset best (no epoch yet) is stored as null.
  return {{"best", std::isfinite(best_) ? nlohmann::json(best_) : nlohmann::json(nullptr)}, {"bad_epochs", bad_epochs_}, {"cooldown_counter", cooldown_counter_}, {"last_epoch", last_epoch_}};
}

void ReduceLROnPlateau::load_state_dict(const nlohmann::json& state) {
  const nlohmann::json& best = state.at("best");
  best_ = best.is_null() ? (options_.maximize ? -std::numeric_limits<double>::infinity()
                                              : std::numeric_limits<double>::infinity())
                         : best.get<double>();
  bad_epochs_ = state.at("bad_epochs").get<int64_t>();
  cooldown_counter_ = state.at("cooldown_counter").get<int64_t>();
  last_epoch_ = state.at("last_epoch").get<int64_t>();
}

}  // namespace nabla::optim
