// In-place ops that write op(self, …) straight into self: the dispatcher hands self over as the output, so
// the out-of-place op's kernel (fast or reference) fills it and no temporary the size of self is made.
// Their backward passes are the out-of-place ones: self's value before the write is what the dispatcher
// clones for ops that save inputs (div_, clamp_, masked_fill_), and only while autograd records.
//   sub_          self, other (broadcast to self)  → self ← self − other
//   div_          self (floating), other           → self ← self / other
//   clamp_        self (floating)                  → self ← min(max(self, min), max)
//   relu_         self                             → self ← max(self, 0)
//   masked_fill_  self, mask (bool, broadcast)     → self ← value where mask
// Every in-place function of nabla/ops.h is defined here (add_, mul_ and copy_ are ops of their own elsewhere;
// fill_ and zero_ are copy_ of a number).
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/ops.h"
#include "ops/checks.h"
#include "ops/elementwise.h"

namespace nabla::ops {
namespace {

// Self's shape and dtype, after checking that op's result fits there: `result` is the out-of-place op's
// output spec for the same inputs.
std::vector<OutputSpec> fits_in_self(const char* op, const Tensor& self, const OutputSpec& result) {
  NABLA_CHECK(result.shape == self.shape(), "{}: the result of shape {} does not fit in-place into self {}", op,
              shape_string(result.shape), self.describe());
  NABLA_CHECK(!(is_floating(result.dtype) && !is_floating(self.dtype())),
              "{}: result type {} can't be cast to self's type {} in place", op, dtype_name(result.dtype),
              dtype_name(self.dtype()));
  return {{self.shape(), self.dtype()}};
}

}  // namespace

// sub_: self ← self − other
std::vector<OutputSpec> shape_sub_(const OpCall& call) { return fits_in_self("sub_", call.inputs[0], shape_sub(call)[0]); }
void reference_sub_(const KernelCall& call) { reference_sub(call); }
std::vector<Tensor> backward_sub_(const BackwardCall& call) { return backward_sub(call); }

// div_: self ← self / other (true division, so self must be floating)
std::vector<OutputSpec> shape_div_(const OpCall& call) { return fits_in_self("div_", call.inputs[0], shape_div(call)[0]); }
void reference_div_(const KernelCall& call) { reference_div(call); }
std::vector<Tensor> backward_div_(const BackwardCall& call) { return backward_div(call); }

// clamp_: the bounds are C++ doubles, so an integer self can't hold the float result (as torch's clamp_(min=1.0)).
// Backward reads self as it was before the write (a saved copy), unlike clamp, which reads its result: a
// later in-place op on self (clamp_ then relu_) must not invalidate what this one saved.
std::vector<OutputSpec> shape_clamp_(const OpCall& call) {
  return fits_in_self("clamp_", call.inputs[0], shape_clamp(call)[0]);
}
void reference_clamp_(const KernelCall& call) { reference_clamp(call); }
std::vector<Tensor> backward_clamp_(const BackwardCall& call) {
  return {clamp_gradient(call.grads[0], call.inputs[0], std::get<ClampAttrs>(call.attrs))};
}

// relu_: self ← max(self, 0); backward reads the result, as relu's
std::vector<OutputSpec> shape_relu_(const OpCall& call) { return fits_in_self("relu_", call.inputs[0], shape_relu(call)[0]); }
void reference_relu_(const KernelCall& call) { reference_relu(call); }
std::vector<Tensor> backward_relu_(const BackwardCall& call) { return backward_relu(call); }

// masked_fill_: self ← value where mask (mask broadcasts to self's shape)
std::vector<OutputSpec> shape_masked_fill_(const OpCall& call) {
  return fits_in_self("masked_fill_", call.inputs[0], shape_masked_fill(call)[0]);
}
void reference_masked_fill_(const KernelCall& call) { reference_masked_fill(call); }
std::vector<Tensor> backward_masked_fill_(const BackwardCall& call) { return backward_masked_fill(call); }

}  // namespace nabla::ops

namespace nabla {
using ops::OpId;

namespace {

// An operand that shares self's storage with another layout (x.sub_(x.t())) would be read after parts of
// it were written: it is copied first. The same layout (x.sub_(x)) reads each element before writing it.
Tensor read_before_write(const Tensor& self, const Tensor& other) {
  bool same_layout = other.shape() == self.shape() && other.strides() == self.strides() && other.offset() == self.offset();
  return other.storage() == self.storage() && !same_layout ? other.clone() : other;
}

Tensor& write(OpId op, Tensor& self, std::vector<Tensor> inputs, ops::Attrs attrs = ops::NoAttrs{}) {
  ops::call(op, std::move(inputs), std::move(attrs));
  return self;
}

}  // namespace

Tensor& add_(Tensor& self, const Tensor& other) { return write(OpId::add_, self, {self, read_before_write(self, other)}); }
Tensor& mul_(Tensor& self, const Tensor& other) { return write(OpId::mul_, self, {self, read_before_write(self, other)}); }
Tensor& copy_(Tensor& self, const Tensor& src) { return write(OpId::copy_, self, {self, read_before_write(self, src)}); }
Tensor& fill_(Tensor& self, double value) {
  ops::check_writable("fill_", self);
  NABLA_CHECK(holds_value(self.dtype(), value), "fill_: value {} does not fit self {} without truncation; convert "
              "self to a floating type first", value, self.describe());
  return copy_(self, wrapped_scalar(value));
}
Tensor& zero_(Tensor& self) {
  ops::check_writable("zero_", self);
  return copy_(self, wrapped_scalar(0.0)); }
Tensor& sub_(Tensor& self, const Tensor& other) { return write(OpId::sub_, self, {self, read_before_write(self, other)}); }
Tensor& div_(Tensor& self, const Tensor& other) { return write(OpId::div_, self, {self, read_before_write(self, other)}); }
Tensor& clamp_(Tensor& self, std::optional<double> min, std::optional<double> max) {
  return write(OpId::clamp_, self, {self}, ops::ClampAttrs{min, max});
}
Tensor& relu_(Tensor& self) { return write(OpId::relu_, self, {self}); }
Tensor& masked_fill_(Tensor& self, const Tensor& mask, double value) {
  return write(OpId::masked_fill_, self, {self, read_before_write(self, mask)}, ops::ScalarAttrs{value});
}

}  // namespace nabla
