// Fast adam_step_: Adam's update in one pass over the elements, instead of a dozen tensor ops that each
// read and write every element and allocate a result. The shape rule (src/ops/optimizer.cpp) has already
// made sure that every tensor is contiguous, of the param's shape and dtype (f32 or f64). It follows the
// composite update of src/optim/adam.cpp operation for operation, each rounded to the dtype as that op's
// result is, so f64 results are the composite's and f32 ones agree to rounding. CMakeLists.txt compiles
// this file without FMA contraction (which would round differently) and without errno (so sqrt vectorises).
#include <algorithm>
#include <cmath>

#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {

// Elements per chunk, and the count below which one thread does it all (a fork/join costs microseconds).
constexpr int64_t adam_chunk = 16384;
constexpr int64_t adam_parallel_threshold = 65536;

// The step's constants, computed once per call in double as the composite computes its scalars.
struct Step {
  double lr, beta1, beta2, eps, weight_decay;
  double correction1, correction2_sqrt;  // 1 − β₁ᵗ and √(1 − β₂ᵗ)
};

// How weight decay enters the update.
enum class Decay { none, coupled, decoupled };

// Each line is one op of the composite update, rounded to T as that op's result is. The options are
// template arguments so that the loop has no branches and vectorises.
template <typename T, Decay decay, bool amsgrad>
void update_range(T* p, const T* grad, T* m, T* v, T* v_max, const Step& s, int64_t begin, int64_t end) {
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
void update_all(T* p, const T* g, T* m, T* v, T* v_max, const Step& s, int64_t count) {
  const int64_t chunks = (count + adam_chunk - 1) / adam_chunk;
#pragma omp parallel for schedule(static) if (count >= adam_parallel_threshold)
  for (int64_t c = 0; c < chunks; ++c) {
    update_range<T, decay, amsgrad>(p, g, m, v, v_max, s, c * adam_chunk, std::min(count, (c + 1) * adam_chunk));
  }
}

template <typename T>
void run_adam_step(const ops::KernelCall& call) {
  const auto& a = std::get<ops::AdamStepAttrs>(call.attrs);
  const Step s{a.lr, a.beta1, a.beta2, a.eps, a.weight_decay, 1 - std::pow(a.beta1, static_cast<double>(a.step)),
               std::sqrt(1 - std::pow(a.beta2, static_cast<double>(a.step)))};
  auto pointer = [&](size_t i) { return static_cast<T*>(call.inputs[i].raw_data()); };
  T* p = pointer(0);
  const T* g = pointer(1);
  T* m = pointer(2);
  T* v = pointer(3);
  T* v_max = a.amsgrad ? pointer(4) : nullptr;
  const int64_t count = call.inputs[0].numel();
  const Decay decay = a.weight_decay == 0 ? Decay::none : a.decoupled ? Decay::decoupled : Decay::coupled;
  if (a.amsgrad) {
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

ops::Kernel adam_step_fast(ops::OpId, const std::vector<Tensor>& inputs, const std::vector<Tensor>&, const ops::Attrs&) {
  if (inputs[0].dtype() == DType::f32) return &run_adam_step<float>;
  if (inputs[0].dtype() == DType::f64) return &run_adam_step<double>;
  return nullptr;
}

}  // namespace nabla::cpu
