// Fast logical_and, logical_or and logical_xor of two contiguous bool tensors of the result's shape (clamp's
// and ReLU6's backward: inside = (x > min) ∧ (x < max)). Bool elements hold 0 or 1, so each op is the byte
// operation &, | or ^ — the reference's "nonzero is true" rule on these values. Other dtypes, broadcasting
// and strides take the reference kernel.
#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {

template <typename Combine>
void combine_bytes(const ops::KernelCall& call, Combine combine) {
  const auto* a = static_cast<const uint8_t*>(call.inputs[0].raw_data());
  const auto* b = static_cast<const uint8_t*>(call.inputs[1].raw_data());
  auto* out = static_cast<uint8_t*>(call.outputs[0].raw_data());
  for_each_chunk(call.outputs[0].numel(), [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) out[i] = combine(a[i], b[i]);
  });
}

void run_and(const ops::KernelCall& call) { combine_bytes(call, [](uint8_t a, uint8_t b) -> uint8_t { return a & b; }); }
void run_or(const ops::KernelCall& call) { combine_bytes(call, [](uint8_t a, uint8_t b) -> uint8_t { return a | b; }); }
void run_xor(const ops::KernelCall& call) { combine_bytes(call, [](uint8_t a, uint8_t b) -> uint8_t { return a ^ b; }); }

}  // namespace

ops::Kernel logical_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                         const ops::Attrs&) {
  const Tensor& out = outputs[0];
  if (!out.is_contiguous() || out.numel() == 0) return nullptr;
  for (const Tensor& input : inputs) {
    if (input.dtype() != DType::boolean || !input.is_contiguous() || input.shape() != out.shape()) return nullptr;
  }
  switch (op) {
    case ops::OpId::logical_and: return &run_and;
    case ops::OpId::logical_or: return &run_or;
    case ops::OpId::logical_xor: return &run_xor;
    default: return nullptr;
  }
}

}  // namespace nabla::cpu
