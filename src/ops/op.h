#pragma once
// The op table: ids, schemas, and for each op its shape rule, reference kernel and backward, all
// generated from ops.def. See docs/architecture.md, "How to add an op".
#include <cstdint>
#include <vector>

#include "nabla/tensor.h"
#include "ops/attrs.h"

namespace nabla::ops {

enum class OpId : uint16_t {
#define NABLA_OP(name, ...) name,
#include "ops/ops.def"
#undef NABLA_OP
  count_
};
inline constexpr int op_count = static_cast<int>(OpId::count_);
// Adding an op? Update this count as well: it keeps the table, the docs and the test lists honest.
static_assert(op_count == 128, "ops.def changed: update op_count's check in src/ops/op.h");

inline constexpr int variadic = -1;

// Inputs after input 0 that an op also writes in place, as a bit mask (bit i: input i). ops.def's `inplace`
// says only that output 0 is input 0; an optimizer step also updates its state, and the dispatcher bumps
// the version of every tensor written, so autograd still notices a write to a tensor it saved.
inline constexpr uint32_t also_written_inputs(OpId op) {
  return op == OpId::adam_step_ ? 0b11100u : 0u;  // exp_avg, exp_avg_sq, max_exp_avg_sq
}
inline constexpr uint32_t refused = 0x80000000u;  // ops.def: "this op's gradient is not implemented"
enum class Alias : uint8_t { none, view, inplace };
enum class Sync : uint8_t { device, host };
// inputs_statistics: the inputs and every output but the first — a normalisation's mean and rstd. Its
// normalised result is not kept: the backward recomputes x̂ from x and the statistics, and the result is
// usually the next op's input anyway (an activation saves its own copy only if it needs it).
enum class Saves : uint8_t { nothing, inputs, outputs, inputs_outputs, inputs_statistics };
inline constexpr bool saves_inputs(Saves saves) {
  return saves == Saves::inputs || saves == Saves::inputs_outputs || saves == Saves::inputs_statistics;
}

struct Schema {
  const char* name;
  int inputs;               // or variadic
  int outputs;
  uint32_t differentiable;  // bit i: output i carries gradients; or `refused`
  Alias alias;
  Sync sync;
  Saves saves;
  size_t attrs_index;       // index of its struct in the Attrs variant
};
const Schema& schema(OpId op);
const char* op_name(OpId op);

// What a shape rule returns for each output. Views also fill strides and offset (into input 0's storage).
struct OutputSpec {
  Shape shape;
  DType dtype;
  Shape strides;
  int64_t offset = 0;
};

struct OpCall {
  OpId op;
  const std::vector<Tensor>& inputs;
  const Attrs& attrs;
};

struct KernelCall {
  const std::vector<Tensor>& inputs;
  std::vector<Tensor>& outputs;  // allocated by the dispatcher from the shape rule
  const Attrs& attrs;
};

struct InputMeta {
  Shape shape;
  DType dtype;
};

struct BackwardCall {
  const Attrs& attrs;
  const std::vector<Tensor>& inputs;      // saved inputs (undefined when the op saves none)
  const std::vector<Tensor>& outputs;     // saved outputs (undefined when the op saves none)
  const std::vector<Tensor>& grads;       // one per output; undefined for outputs that got no gradient
  const std::vector<InputMeta>& input_meta;
  const std::vector<bool>& needs_grad;    // one per input
};

using ShapeRule = std::vector<OutputSpec> (*)(const OpCall&);
using Kernel = void (*)(const KernelCall&);
using Backward = std::vector<Tensor> (*)(const BackwardCall&);

#define NABLA_OP(name, ...)                                  \
  std::vector<OutputSpec> shape_##name(const OpCall& call);  \
  void reference_##name(const KernelCall& call);             \
  std::vector<Tensor> backward_##name(const BackwardCall& call);
#include "ops/ops.def"
#undef NABLA_OP

// Ops with no differentiable output still get an entry in the backward table; it is never called.
#define NABLA_NO_BACKWARD(name)                                        \
  std::vector<Tensor> backward_##name(const BackwardCall&) {           \
    throw ::nabla::Error(#name " has no backward: it is not differentiable"); \
  }

ShapeRule shape_rule(OpId op);
Kernel reference_kernel(OpId op);
Backward backward_function(OpId op);

// The one dispatch path: shape rule → autograd recording → profiling → backend kernel.
std::vector<Tensor> call(OpId op, std::vector<Tensor> inputs, Attrs attrs = NoAttrs{});
Tensor call1(OpId op, std::vector<Tensor> inputs, Attrs attrs = NoAttrs{});

}  // namespace nabla::ops
