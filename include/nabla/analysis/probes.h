#pragma once
// Probes that watch a model while it trains: gradient norms per parameter and per layer (read after each
// backward), activation statistics per module (through forward hooks), and dead units (ReLU units that
// output zero for every sample).
//
// A "unit" is one index of dim 1 of an activation: a feature of a Linear output [N, F], a channel of a
// convolution output [N, C, H, W] (a channel is dead when it is zero at every sample and position).
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/nn/module.h"
#include "nabla/tensor.h"

namespace nabla::analysis {

// bool [units]: true where the unit is non-zero for at least one sample (and position). activations has
// at least 2 dims, [N, units, …].
Tensor active_units(const Tensor& activations);
// How many units are zero for every sample of the batch.
int64_t dead_units(const Tensor& activations);

class GradientNormProbe {
 public:
  explicit GradientNormProbe(const nn::Module& model);
  explicit GradientNormProbe(nn::NamedTensors parameters);

  // After backward: appends one row, the 2-norm of each parameter's gradient (0 where it has none).
  const std::vector<double>& record();
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<std::vector<double>>& history() const { return history_; }  // [record][parameter]
  // The last row grouped by layer, √Σ norm² over a layer's parameters, in first-seen order. A layer is
  // the parameter's name without its last component ("0.weight", "0.bias" → "0").
  std::vector<std::pair<std::string, double>> layer_norms() const;
  double total_norm() const;  // of the last row, over every parameter

 private:
  const std::vector<double>& last_row(const char* caller) const;
  std::vector<std::string> names_;
  std::vector<Tensor> parameters_;
  std::vector<std::vector<double>> history_;
};

struct ActivationStatistics {
  double mean = 0, std = 0;   // of the last output's elements (std with no Bessel correction)
  double zero_fraction = 0;   // of the last output's elements that are exactly 0
  int64_t calls = 0;          // forward calls seen since the last reset
  Tensor active;              // bool [units], or undefined for outputs of fewer than 2 dims: see active_units,
                              // accumulated over every call since the last reset
};

class ActivationProbe {
 public:
  using Selector = std::function<bool(const std::string& name, const nn::Module& module)>;
  // Hooks every module of `model` (named as named_modules names them) that `select` accepts; without a
  // selector, the modules that have no children. Hooks are removed when the probe is destroyed.
  explicit ActivationProbe(nn::Module& model, Selector select = {});
  ~ActivationProbe();
  ActivationProbe(const ActivationProbe&) = delete;
  ActivationProbe& operator=(const ActivationProbe&) = delete;

  std::vector<std::string> names() const;  // the hooked modules, in named_modules order
  const ActivationStatistics& statistics(const std::string& name) const;
  // Units of module `name` that were zero for every sample of every call since the last reset.
  int64_t dead_units(const std::string& name) const;
  void reset();

 private:
  struct Watched {
    std::string name;
    nn::ModulePtr module;
    size_t hook = 0;
    ActivationStatistics statistics;
  };
  const Watched& watched(const std::string& name, const char* caller) const;
  std::vector<Watched> watched_;  // filled once in the constructor: hooks hold indices into it
};

}  // namespace nabla::analysis
