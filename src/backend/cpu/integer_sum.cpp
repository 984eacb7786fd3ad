// Fast sum of a contiguous int64, int32 or bool tensor over a run of neighbouring dims (all of them, the
// last, the leading, or any block between), into int64 as PyTorch and the reference kernel do (the count
// of a mask, such as cross_entropy's non-ignored targets). Integer addition is exact, so neither the order
// of the terms nor the thread count changes the result. mean refuses integers (its shape rule), so it
// never reaches here.
#include <algorithm>
#include <optional>

#include "backend/cpu/fast.h"
#include "ops/reduce.h"

namespace nabla::cpu {
namespace {

// The input seen as [outer, reduced, inner], summed over the middle dim.
struct Block {
  int64_t outer = 1, reduced = 1, inner = 1;
};

// The block for these dims, or nothing when the reduced dims are not neighbours.
std::optional<Block> block_of(const Tensor& x, const std::vector<int64_t>& raw_dims) {
  const int64_t rank = x.dim();
  std::vector<int64_t> dims = ops::normalize_dims(raw_dims, rank, "sum");  // validated by the shape rule
  std::sort(dims.begin(), dims.end());
  if (dims.empty() || rank == 0) return Block{1, x.numel(), 1};  // no dims: everything
  for (size_t i = 1; i < dims.size(); ++i) {
    if (dims[i] != dims[i - 1] + 1) return std::nullopt;
  }
  Block block;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t& part = d < dims.front() ? block.outer : d <= dims.back() ? block.reduced : block.inner;
    part *= x.shape()[d];
  }
  return block;
}

template <typename X>
void sum_block(const X* x, int64_t* out, const Block& block) {
  const auto [outer, reduced, inner] = block;
  const bool parallel = outer * reduced * inner >= parallel_threshold;
  if (outer == 1 && inner == 1) {
    int64_t total = 0;
#pragma omp parallel for simd reduction(+ : total) schedule(static) if (parallel)
    for (int64_t r = 0; r < reduced; ++r) total += static_cast<int64_t>(x[r]);
    out[0] = total;
    return;
  }
#pragma omp parallel for schedule(static) if (parallel && outer > 1)
  for (int64_t o = 0; o < outer; ++o) {
    const X* slab = x + o * reduced * inner;
    int64_t* row = out + o * inner;
    if (inner == 1) {
      int64_t total = 0;
#pragma omp simd reduction(+ : total)
      for (int64_t r = 0; r < reduced; ++r) total += static_cast<int64_t>(slab[r]);
      row[0] = total;
      continue;
    }
    std::fill(row, row + inner, int64_t{0});
    for (int64_t r = 0; r < reduced; ++r) {
#pragma omp simd
      for (int64_t i = 0; i < inner; ++i) row[i] += static_cast<int64_t>(slab[r * inner + i]);
    }
  }
}

template <typename X>
void run_integer_sum(const ops::KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Block block = *block_of(x, std::get<ops::ReduceAttrs>(call.attrs).dims);  // the selector checked it
  sum_block(static_cast<const X*>(x.raw_data()), static_cast<int64_t*>(call.outputs[0].raw_data()), block);
}

}  // namespace

ops::Kernel integer_sum_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const ops::Attrs& attrs) {
  const Tensor& x = inputs[0];
  const Tensor& out = outputs[0];
  if (op != ops::OpId::sum || !x.is_contiguous() || !out.is_contiguous() || out.dtype() != DType::i64) return nullptr;
  if (x.numel() == 0 || !block_of(x, std::get<ops::ReduceAttrs>(attrs).dims)) return nullptr;
  switch (x.dtype()) {
    case DType::i64: return &run_integer_sum<int64_t>;
    case DType::i32: return &run_integer_sum<int32_t>;
    case DType::boolean: return &run_integer_sum<uint8_t>;
    default: return nullptr;
  }
}

}  // namespace nabla::cpu
