#pragma once
// A vector in parameter space: one tensor per parameter, each of that parameter's shape (a Hessian-vector
// product, a landscape direction, an eigenvector, a saved copy of the weights). The analysis tools share
// these few operations on such vectors, done per tensor, plus a flat float64 form for the eigensolvers.
#include <functional>
#include <vector>

#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::analysis {

using ParameterVector = std::vector<Tensor>;
// The loss to analyse, recomputed from the current parameter values on each call (a 0-dim tensor).
using LossFunction = std::function<Tensor()>;

// Σ over tensors of Σ a·b, accumulated in double. Both vectors must have the same shapes.
double parameter_dot(const ParameterVector& a, const ParameterVector& b);
double parameter_norm(const ParameterVector& a);
// a + scale·b, per tensor (out of place, no autograd history).
ParameterVector parameter_axpy(const ParameterVector& a, double scale, const ParameterVector& b);
// Standard normal tensors shaped like `like`, in `dtype`.
ParameterVector parameter_randn(const ParameterVector& like, DType dtype, Generator& generator);
// Every tensor flattened and joined into one float64 vector [Σ numel], and back into `like`'s shapes and
// dtypes (the Hessian eigensolvers work on the flat form).
Tensor parameter_flatten(const ParameterVector& a);
ParameterVector parameter_unflatten(const Tensor& flat, const ParameterVector& like);
// Detached copies of the current values.
ParameterVector parameter_clone(const ParameterVector& a);
// Writes `values` into `params` in place (no autograd history; handles held elsewhere stay valid).
void parameter_assign(const std::vector<Tensor>& params, const ParameterVector& values);
// Throws a one-line error naming `caller` unless a and b have the same number of tensors and shapes.
void check_same_shapes(const ParameterVector& a, const ParameterVector& b, const char* caller);

// Saves the parameters' values and writes them back, bit for bit, when it goes out of scope (also when
// the analysis in between throws).
class ParameterSnapshot {
 public:
  explicit ParameterSnapshot(std::vector<Tensor> params);
  ~ParameterSnapshot();
  ParameterSnapshot(const ParameterSnapshot&) = delete;
  ParameterSnapshot& operator=(const ParameterSnapshot&) = delete;
  const ParameterVector& values() const { return saved_; }

 private:
  std::vector<Tensor> params_;
  ParameterVector saved_;
};

}  // namespace nabla::analysis
