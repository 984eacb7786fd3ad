#include "optim/fused_adam.h"

#include <algorithm>
#include <cmath>

#include "nabla/factory.h"

namespace nabla::optim {
namespace {

// Elements per chunk, and the count below which one thread does it all (a fork/join costs microseconds).
constexpr int64_t chunk = 16384;
constexpr int64_t parallel_threshold = 65536;

bool matches(const Tensor& state, const Tensor& parameter) {
  return state.dtype() == parameter.dtype() && state.shape() == parameter.shape() && state.is_contiguous();
}

// How weight decay enters the update.
enum class Decay { none, coupled, decoupled };

// Each line is one op of the composite update, rounded to T as that op's result is. The options are
// template arguments so that the loop has no branches and vectorises.
template <typename T, Decay decay, bool amsgrad>
void update_range(T* p, const T* grad, T* m, T* v, T* v_max, const AdamStep& s, int64_t begin, int64_t end) {
  const T weight_decay = static_cast<T>(s.weight_decay), beta1 = static_cast<T>(s.beta1), beta2 = static_cast<T>(s.beta2);
  const T one_minus_beta1 = static_cast<T>(1 - s.beta1), one_minus_beta2 = static_cast<T>(1 - s.beta2);
  const T decay_factor = static_cast<T>(1 - s.lr * s.weight_decay), correction2_sqrt = static_cast<T>(s.correction2_sqrt);
  const T eps = static_cast<T>(s.eps), step_size = static_cast<T>(-s.lr / s.correction1);
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    T parameter = p[i];
    if constexpr (decay == Decay::decoupled) parameter = parameter * decay_factor;
    T g = grad[i];
    if constexpr (decay == Decay::coupled) g = g + parameter * weight_decay;
    const T first = m[i] * beta1 + g * one_minus_beta1;
    const T second = v[i] * beta2 + g * g * one_minus_beta2;
    m[i] = first;
    v[i] = second;
    T second_moment = second;
    if constexpr (amsgrad) {
      const T previous = v_max[i];
      second_moment = previous > second || previous != previous ? previous : second;  // maximum, NaN-keeping
      v_max[i] = second_moment;
    }
    const T denominator = std::sqrt(second_moment) / correction2_sqrt + eps;
    p[i] = parameter + first / denominator * step_size;
  }
}

template <typename T, Decay decay, bool amsgrad>
void update_all(T* p, const T* g, T* m, T* v, T* v_max, const AdamStep& s, int64_t count) {
  const int64_t chunks = (count + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (count >= parallel_threshold)
  for (int64_t c = 0; c < chunks; ++c) {
    update_range<T, decay, amsgrad>(p, g, m, v, v_max, s, c * chunk, std::min(count, (c + 1) * chunk));
  }
}

template <typename T>
void update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, const AdamStep& s) {
  auto pointer = [](const Tensor& t) { return static_cast<T*>(t.raw_data()); };
  T* p = pointer(parameter);
  const T* g = pointer(grad);
  T* m = pointer(state.at("exp_avg"));
  T* v = pointer(state.at("exp_avg_sq"));
  T* v_max = s.amsgrad ? pointer(state.at("max_exp_avg_sq")) : nullptr;
  const int64_t count = parameter.numel();
  const Decay decay = s.weight_decay == 0 ? Decay::none : s.decoupled_weight_decay ? Decay::decoupled : Decay::coupled;
  if (s.amsgrad) {
    if (decay == Decay::none) update_all<T, Decay::none, true>(p, g, m, v, v_max, s, count);
    if (decay == Decay::coupled) update_all<T, Decay::coupled, true>(p, g, m, v, v_max, s, count);
    if (decay == Decay::decoupled) update_all<T, Decay::decoupled, true>(p, g, m, v, v_max, s, count);
  } else {
    if (decay == Decay::none) update_all<T, Decay::none, false>(p, g, m, v, v_max, s, count);
    if (decay == Decay::coupled) update_all<T, Decay::coupled, false>(p, g, m, v, v_max, s, count);
    if (decay == Decay::decoupled) update_all<T, Decay::decoupled, false>(p, g, m, v, v_max, s, count);
  }
}

}  // namespace

bool fused_adam_applies(const Tensor& parameter, const Tensor& grad, const std::map<std::string, Tensor>& state) {
  if (parameter.dtype() != DType::f32 && parameter.dtype() != DType::f64) return false;
  if (!parameter.is_contiguous() || !matches(grad, parameter)) return false;
  for (const auto& [name, buffer] : state) {
    if (!matches(buffer, parameter)) return false;
  }
  return true;
}

void fused_adam_update(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, const AdamStep& step) {
  // Zeros on the first step give the composite's first moments exactly: 0·β + x = x.
  for (const char* name : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
    if (!state.count(name) && (step.amsgrad || std::string(name) != "max_exp_avg_sq")) {
      state[name] = zeros(parameter.shape(), {.dtype = parameter.dtype()});
    }
  }
  if (parameter.dtype() == DType::f32) update<float>(parameter, grad, state, step);
  else update<double>(parameter, grad, state, step);
  parameter.storage()->bump_version();
}

}  // namespace nabla::optim
