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

// Each line is one op of the composite update, rounded to T as that op's result is.
template <typename T>
void update_range(T* p, const T* grad, T* m, T* v, T* v_max, const AdamStep& s, int64_t begin, int64_t end) {
  const T weight_decay = static_cast<T>(s.weight_decay), beta1 = static_cast<T>(s.beta1), beta2 = static_cast<T>(s.beta2);
  const T one_minus_beta1 = static_cast<T>(1 - s.beta1), one_minus_beta2 = static_cast<T>(1 - s.beta2);
  const T decay_factor = static_cast<T>(1 - s.lr * s.weight_decay), correction2_sqrt = static_cast<T>(s.correction2_sqrt);
  const T eps = static_cast<T>(s.eps), step_size = static_cast<T>(-s.lr / s.correction1);
  const bool coupled = s.weight_decay != 0 && !s.decoupled_weight_decay;
  const bool decoupled = s.weight_decay != 0 && s.decoupled_weight_decay;
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    if (decoupled) p[i] = p[i] * decay_factor;
    const T g = coupled ? grad[i] + p[i] * weight_decay : grad[i];
    m[i] = m[i] * beta1 + g * one_minus_beta1;
    v[i] = v[i] * beta2 + g * g * one_minus_beta2;
    T second_moment = v[i];
    if (v_max) {
      const T previous = v_max[i];
      second_moment = previous > second_moment || previous != previous ? previous : second_moment;  // maximum, NaN-keeping
      v_max[i] = second_moment;
    }
    const T denominator = std::sqrt(second_moment) / correction2_sqrt + eps;
    p[i] = p[i] + m[i] / denominator * step_size;
  }
}

template <typename T>
void update_all(Tensor& parameter, const Tensor& grad, std::map<std::string, Tensor>& state, const AdamStep& s) {
  auto pointer = [](const Tensor& t) { return static_cast<T*>(t.raw_data()); };
  T* p = pointer(parameter);
  const T* g = pointer(grad);
  T* m = pointer(state.at("exp_avg"));
  T* v = pointer(state.at("exp_avg_sq"));
  T* v_max = s.amsgrad ? pointer(state.at("max_exp_avg_sq")) : nullptr;
  const int64_t count = parameter.numel(), chunks = (count + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (count >= parallel_threshold)
  for (int64_t c = 0; c < chunks; ++c) update_range(p, g, m, v, v_max, s, c * chunk, std::min(count, (c + 1) * chunk));
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
  if (parameter.dtype() == DType::f32) update_all<float>(parameter, grad, state, step);
  else update_all<double>(parameter, grad, state, step);
  parameter.storage()->bump_version();
}

}  // namespace nabla::optim
