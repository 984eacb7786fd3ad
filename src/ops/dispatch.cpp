// The one dispatch path every op call takes: validate and infer shapes (shape rule) → allocate or alias
// the outputs → run the backend kernel (timed by the profiler when it is on) → record the autograd node.
// Autograd recording is decided before the kernel runs, so in-place ops can keep what backward needs.
#include "autograd/graph.h"
#include "autograd/op_node.h"
#include "backend/cpu/kernels.h"
#include "ops/profiler.h"
#include "nabla/autograd.h"
#include "ops/checks.h"
#include "ops/observer.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

Tensor allocate(const OutputSpec& spec) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = spec.shape;
  impl->strides = contiguous_strides(spec.shape);
  impl->dtype = spec.dtype;
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(numel(spec.shape)) * dtype_size(spec.dtype), Device::cpu);
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, const OutputSpec& spec) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = spec.shape;
  impl->strides = spec.strides;
  impl->offset = spec.offset;
  impl->dtype = base.dtype();
  impl->storage = base.storage();
  impl->view_base = base.is_view() ? base.impl()->view_base : base.impl_ptr();
  return Tensor(std::move(impl));
}

void check_arity(OpId op, const Schema& schema, const std::vector<Tensor>& inputs, const Attrs& attrs) {
  if (schema.inputs == variadic) {
    NABLA_CHECK(!inputs.empty(), "{}: expected at least one tensor", schema.name);
  } else {
    NABLA_CHECK(static_cast<int>(inputs.size()) == schema.inputs, "{}: expected {} inputs, got {}", schema.name,
                schema.inputs, inputs.size());
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    NABLA_CHECK(inputs[i].defined(), "{}: input {} is an undefined tensor", schema.name, i);
  }
  NABLA_CHECK(attrs.index() == schema.attrs_index, "{}: called with the wrong attribute struct (internal error)",
              op_name(op));
}

// In-place writes that autograd could not account for are refused before anything is written.
void check_inplace(const Schema& schema, const Tensor& self, bool record) {
  if (!autograd::grad_enabled()) return;
  check_writable(schema.name, self);
  if (record && self.is_view()) {
    Tensor base(self.impl()->view_base);
    NABLA_CHECK(!base.requires_grad(),
                "{}: in-place operation on a view of a tensor that requires grad is not supported; use the "
                "out-of-place op or clone the view first", schema.name);
  }
}

}  // namespace

std::vector<Tensor> call(OpId op, std::vector<Tensor> inputs, Attrs attrs) {
  const Schema& schema = ops::schema(op);
  check_arity(op, schema, inputs, attrs);
  OpCall op_call{op, inputs, attrs};
  std::vector<OutputSpec> specs = shape_rule(op)(op_call);

  if (schema.differentiable == refused && autograd::any_requires_grad(inputs)) {
    throw Error(fmt::format("{}: nabla does not compute this op's gradient, but an input requires grad (a "
                            "backward pass under create_graph, or a differentiable input); run it under "
                            "NoGradGuard or detach the inputs",
                            schema.name));
  }
  const bool record = schema.differentiable != 0 && schema.differentiable != refused &&
                      autograd::any_requires_grad(inputs);
  std::vector<Tensor> outputs;
  Tensor saved_self;
  KernelKind kind = KernelKind::none;
  const int depth = detail::kernel_depth();
  if (schema.alias == Alias::view) {
    outputs.push_back(make_view(inputs[0], specs[0]));
  } else {
    if (schema.alias == Alias::inplace) {
      check_inplace(schema, inputs[0], record);
      for (size_t i = 1; i < inputs.size(); ++i) {
        if (also_written_inputs(op) >> i & 1u) check_inplace(schema, inputs[i], record);
      }
      // The value before the write, for backward. Cloned with grad mode on, so that the clone keeps
      // self's history and a backward pass through it is itself differentiable.
      if (record && saves_inputs(schema.saves)) saved_self = inputs[0].clone();
      outputs.push_back(inputs[0]);
    } else {
      for (const OutputSpec& spec : specs) outputs.push_back(allocate(spec));
    }
    Kernel kernel = cpu::fast_kernel(op, inputs, outputs, attrs);
    kind = KernelKind::fast;
    if (!kernel) {
      kernel = reference_kernel(op);
      kind = KernelKind::reference;
    }
    {
      profiler::Scope scope(op, kind == KernelKind::reference);
      detail::KernelDepth nested;
      kernel(KernelCall{inputs, outputs, attrs});
    }
    if (schema.alias == Alias::inplace) inputs[0].storage()->bump_version();
    for (size_t i = 1; i < inputs.size(); ++i) {
      if (also_written_inputs(op) >> i & 1u) inputs[i].storage()->bump_version();
    }
  }
  if (record) autograd::record_op(op, inputs, outputs, attrs, saved_self);
  if (detail::observing()) detail::notify(Dispatched{op, inputs, outputs, attrs, kind, depth});
  return outputs;
}

Tensor call1(OpId op, std::vector<Tensor> inputs, Attrs attrs) {
  return std::move(call(op, std::move(inputs), std::move(attrs))[0]);
}

}  // namespace nabla::ops
