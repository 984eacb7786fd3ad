// Fast bernoulli and dropout over contiguous f32/f64 tensors. Each element draws the same uniform as the
// reference kernel (ops::random_uniform at its flat index, a pure function of (seed, offset, index)), and the
// arithmetic is the reference's (in double, rounded once on store), so the results are bit-identical and do not
// depend on how the elements are split across threads. What the reference spends is its per-element dtype
// dispatch and index walk, not the Philox rounds, so this is a plain loop over raw pointers.
#include "backend/cpu/fast.h"
#include "ops/kernel_rules.h"

namespace nabla::cpu {
namespace {

template <typename T>
void bernoulli_contiguous(const ops::KernelCall& call) {
  const Tensor& p = call.inputs[0];
  ops::check_bernoulli_probabilities(p);  // before the parallel region: it throws naming the bad value
  const auto& attrs = std::get<ops::RandomAttrs>(call.attrs);
  const auto* probability = static_cast<const T*>(p.raw_data());
  auto* out = static_cast<T*>(call.outputs[0].raw_data());
  for_each_chunk(p.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const bool success = ops::random_uniform(attrs, static_cast<uint64_t>(i)) < static_cast<double>(probability[i]);
      out[i] = success ? T(1) : T(0);
    }
  });
}

template <typename T>
void dropout_contiguous(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::RandomAttrs>(call.attrs);
  const double scale = ops::dropout_scale(attrs.p);
  const auto* x = static_cast<const T*>(call.inputs[0].raw_data());
  auto* out = static_cast<T*>(call.outputs[0].raw_data());
  auto* mask = static_cast<uint8_t*>(call.outputs[1].raw_data());
  for_each_chunk(call.inputs[0].numel(), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const bool kept = ops::random_uniform(attrs, static_cast<uint64_t>(i)) >= attrs.p;
      mask[i] = kept ? 1 : 0;
      // Multiplied, not assigned, so a dropped NaN stays NaN (as the reference and PyTorch).
      out[i] = static_cast<T>(static_cast<double>(x[i]) * (kept ? scale : 0.0));
    }
  });
}

}  // namespace

ops::Kernel random_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs&) {
  const Tensor& x = inputs[0];
  if (!x.is_contiguous() || x.numel() == 0) return nullptr;
  for (const Tensor& output : outputs) {
    if (!output.is_contiguous()) return nullptr;
  }
  const bool f32 = x.dtype() == DType::f32, f64 = x.dtype() == DType::f64;
  if (!f32 && !f64) return nullptr;
  switch (op) {
    case ops::OpId::bernoulli: return f32 ? &bernoulli_contiguous<float> : &bernoulli_contiguous<double>;
    case ops::OpId::dropout: return f32 ? &dropout_contiguous<float> : &dropout_contiguous<double>;
    default: return nullptr;
  }
}

}  // namespace nabla::cpu
