// Gradient-norm and activation probes, and dead-unit counts (see nabla/analysis/probes.h).
#include "nabla/analysis/probes.h"

#include <algorithm>
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::analysis {

Tensor active_units(const Tensor& activations) {
  NABLA_CHECK(activations.dim() >= 2, "active_units: activations must be [N, units, ...], got {}",
              activations.describe());
  autograd::NoGradGuard no_grad;
  std::vector<int64_t> other_dims = {0};
  for (int64_t dim = 2; dim < activations.dim(); ++dim) other_dims.push_back(dim);
  return any(ne(activations.detach(), scalar_tensor(0, activations.dtype())), other_dims);
}

int64_t dead_units(const Tensor& activations) {
  Tensor active = active_units(activations);
  return active.numel() - static_cast<int64_t>(sum(active).item());
}

// ---- gradient norms

GradientNormProbe::GradientNormProbe(const nn::Module& model) : GradientNormProbe(model.named_parameters()) {}

GradientNormProbe::GradientNormProbe(nn::NamedTensors parameters) {
  NABLA_CHECK(!parameters.empty(), "GradientNormProbe: no parameters to watch");
  for (auto& [name, parameter] : parameters) {
    names_.push_back(name);
    parameters_.push_back(parameter);
  }
}

const std::vector<double>& GradientNormProbe::record() {
  autograd::NoGradGuard no_grad;
  std::vector<double> row;
  for (const Tensor& parameter : parameters_) {
    const Tensor& grad = parameter.grad();
    row.push_back(grad.defined() ? norm(grad.to(DType::f64)).item() : 0.0);
  }
  history_.push_back(std::move(row));
  return history_.back();
}

const std::vector<double>& GradientNormProbe::last_row(const char* caller) const {
  NABLA_CHECK(!history_.empty(), "GradientNormProbe::{}: nothing recorded yet; call record() after backward",
              caller);
  return history_.back();
}

std::vector<std::pair<std::string, double>> GradientNormProbe::layer_norms() const {
  const std::vector<double>& row = last_row("layer_norms");
  std::vector<std::pair<std::string, double>> layers;  // squared norms until the end
  for (size_t i = 0; i < names_.size(); ++i) {
    const size_t dot = names_[i].rfind('.');
    const std::string layer = dot == std::string::npos ? names_[i] : names_[i].substr(0, dot);
    auto entry = std::find_if(layers.begin(), layers.end(), [&](const auto& named) { return named.first == layer; });
    if (entry == layers.end()) entry = layers.insert(layers.end(), {layer, 0.0});
    entry->second += row[i] * row[i];
  }
  for (auto& [name, squared] : layers) squared = std::sqrt(squared);
  return layers;
}

double GradientNormProbe::total_norm() const {
  double squared = 0;
  for (double value : last_row("total_norm")) squared += value * value;
  return std::sqrt(squared);
}

// ---- activations

ActivationProbe::ActivationProbe(nn::Module& model, Selector select) {
  for (auto& [name, module] : model.named_modules()) {
    const bool chosen = select ? select(name, *module) : module->named_children().empty();
    if (chosen) watched_.push_back({name, module, 0, {}});
  }
  NABLA_CHECK(!watched_.empty(), "ActivationProbe: no module of {} was selected", model.describe());
  for (size_t index = 0; index < watched_.size(); ++index) {
    watched_[index].hook = watched_[index].module->register_forward_hook(
        [this, index](nn::Module&, const Tensor&, const Tensor& output) -> std::optional<Tensor> {
          autograd::NoGradGuard no_grad;
          ActivationStatistics& statistics = watched_[index].statistics;
          Tensor values = output.detach().to(DType::f64);
          statistics.mean = mean(values).item();
          statistics.std = nabla::std(values, {}, /*correction=*/0).item();
          statistics.zero_fraction = values.numel() == 0 ? 0.0
              : sum(eq(values, scalar_tensor(0, DType::f64))).item() / static_cast<double>(values.numel());
          statistics.calls += 1;
          if (values.dim() >= 2) {
            Tensor active = active_units(values);
            bool same_units = statistics.active.defined() && statistics.active.shape() == active.shape();
            statistics.active = same_units ? logical_or(statistics.active, active) : active;
          }
          return std::nullopt;
        });
  }
}

ActivationProbe::~ActivationProbe() {
  for (Watched& entry : watched_) entry.module->remove_hook(entry.hook);
}

std::vector<std::string> ActivationProbe::names() const {
  std::vector<std::string> names;
  for (const Watched& entry : watched_) names.push_back(entry.name);
  return names;
}

const ActivationProbe::Watched& ActivationProbe::watched(const std::string& name, const char* caller) const {
  for (const Watched& entry : watched_) {
    if (entry.name == name) return entry;
  }
  throw Error(fmt::format("ActivationProbe::{}: no hooked module is named '{}'", caller, name));
}

const ActivationStatistics& ActivationProbe::statistics(const std::string& name) const {
  return watched(name, "statistics").statistics;
}

int64_t ActivationProbe::dead_units(const std::string& name) const {
  const ActivationStatistics& statistics = watched(name, "dead_units").statistics;
  NABLA_CHECK(statistics.active.defined(),
              "ActivationProbe::dead_units: module '{}' has produced no output of 2 or more dims yet", name);
  return statistics.active.numel() - static_cast<int64_t>(sum(statistics.active).item());
}

void ActivationProbe::reset() {
  for (Watched& entry : watched_) entry.statistics = {};
}

}  // namespace nabla::analysis
