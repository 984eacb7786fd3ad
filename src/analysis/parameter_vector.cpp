// Operations on vectors in parameter space (see nabla/analysis/parameter_vector.h).
#include "nabla/analysis/parameter_vector.h"

#include <cmath>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::analysis {

void check_same_shapes(const ParameterVector& a, const ParameterVector& b, const char* caller) {
  NABLA_CHECK(a.size() == b.size(), "{}: expected {} tensors (one per parameter), got {}", caller, a.size(),
              b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    NABLA_CHECK(a[i].defined() && b[i].defined(), "{}: tensor {} is undefined", caller, i);
    NABLA_CHECK(a[i].shape() == b[i].shape(), "{}: tensor {} is {}, its parameter is {}", caller, i,
                b[i].describe(), a[i].describe());
  }
}

double parameter_dot(const ParameterVector& a, const ParameterVector& b) {
  check_same_shapes(a, b, "parameter_dot");
  autograd::NoGradGuard no_grad;
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) total += sum(mul(a[i].to(DType::f64), b[i].to(DType::f64))).item();
  return total;
}

double parameter_norm(const ParameterVector& a) { return std::sqrt(parameter_dot(a, a)); }

ParameterVector parameter_axpy(const ParameterVector& a, double scale, const ParameterVector& b) {
  check_same_shapes(a, b, "parameter_axpy");
  autograd::NoGradGuard no_grad;
  ParameterVector result;
  for (size_t i = 0; i < a.size(); ++i) result.push_back(add(a[i].detach(), b[i].detach() * scale));
  return result;
}

ParameterVector parameter_randn(const ParameterVector& like, DType dtype, Generator& generator) {
  ParameterVector result;
  for (const Tensor& tensor : like) result.push_back(randn(tensor.shape(), {.dtype = dtype}, &generator));
  return result;
}

Tensor parameter_flatten(const ParameterVector& a) {
  NABLA_CHECK(!a.empty(), "parameter_flatten: no tensors given");
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> pieces;
  for (const Tensor& tensor : a) pieces.push_back(tensor.detach().to(DType::f64).flatten());
  return cat(pieces);
}

ParameterVector parameter_unflatten(const Tensor& flat, const ParameterVector& like) {
  int64_t total = 0;
  for (const Tensor& tensor : like) total += tensor.numel();
  NABLA_CHECK(flat.dim() == 1 && flat.numel() == total,
              "parameter_unflatten: expected a vector of {} elements (the parameters' total), got {}", total,
              flat.describe());
  autograd::NoGradGuard no_grad;
  ParameterVector result;
  int64_t offset = 0;
  for (const Tensor& tensor : like) {
    result.push_back(flat.narrow(0, offset, tensor.numel()).reshape(tensor.shape()).to(tensor.dtype()));
    offset += tensor.numel();
  }
  return result;
}

ParameterVector parameter_clone(const ParameterVector& a) {
  autograd::NoGradGuard no_grad;
  ParameterVector result;
  for (const Tensor& tensor : a) result.push_back(tensor.detach().clone());
  return result;
}

void parameter_assign(const std::vector<Tensor>& params, const ParameterVector& values) {
  check_same_shapes(params, values, "parameter_assign");
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor target = params[i];
    copy_(target, values[i]);
  }
}

ParameterSnapshot::ParameterSnapshot(std::vector<Tensor> params)
    : params_(std::move(params)), saved_(parameter_clone(params_)) {}

ParameterSnapshot::~ParameterSnapshot() {
  // copy_ of same-shaped, same-dtype tensors cannot fail, so nothing escapes this destructor.
  parameter_assign(params_, saved_);
}

}  // namespace nabla::analysis
