// First-order backward of batch_norm and group_norm as fused ops, so a training step's backward is a
// handful of passes over x and dy instead of a dozen broadcasting ops (and so it can have a fast kernel).
//   batch_norm_backward  (dy, x, weight, mean [C], rstd [C])       → dx [x's shape], dweight, dbias [C]
//   group_norm_backward  (dy, x, weight, mean [N, G], rstd [N, G]) → dx, dweight, dbias
// With x̂ = (x − mean)·rstd, M the count each statistic was taken over, and sums over that count:
//   dbias = Σ dy,  dweight = Σ dy·x̂ (per channel)
//   training batch_norm: dx = w·rstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M)
//   evaluation batch_norm (attrs.training false: mean and rstd are constants): dx = dy·w·rstd
//   group_norm: dx = rstd·(w·dy − Σ(w·dy)/M − x̂·Σ(w·dy·x̂)/M)   (sums over a sample's group)
// These ops are not differentiable (`refused` in ops.def): with create_graph, backward_batch_norm and
// backward_group_norm (src/ops/norm.cpp) compose differentiable ops instead.
// The reference kernels read every operand as row-major doubles (any strides) and loop over [N, C, inner].
#include <vector>

#include "core/element.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

std::vector<OutputSpec> norm_backward_shape(const OpCall& call, bool grouped) {
  const char* op = op_name(call.op);
  NABLA_CHECK(call.inputs.size() == 5, "{}: expected inputs (dy, x, weight, mean, rstd), got {} tensors", op,
              call.inputs.size());
  const Tensor& grad = call.inputs[0];
  const Tensor& x = call.inputs[1];
  const Tensor& weight = call.inputs[2];
  NABLA_CHECK(x.dim() >= 2 && is_floating(x.dtype()), "{}: input must be floating point [N, C, …], got {}", op,
              x.describe());
  NABLA_CHECK(grad.shape() == x.shape() && grad.dtype() == x.dtype(),
              "{}: gradient {} must have the shape and dtype of input {}", op, grad.describe(), x.describe());
  const int64_t channels = x.shape()[1];
  NABLA_CHECK(weight.shape() == Shape{channels} && is_floating(weight.dtype()),
              "{}: weight {} must be floating point of shape [{}] (the channels of input {})", op, weight.describe(),
              channels, x.describe());
  const int64_t groups = std::get<NormAttrs>(call.attrs).groups;
  NABLA_CHECK(!grouped || (groups >= 1 && channels % groups == 0),
              "{}: the {} channels of input {} do not divide into {} groups", op, channels, x.describe(), groups);
  const Shape statistics = grouped ? Shape{x.shape()[0], groups} : Shape{channels};
  for (size_t i = 3; i < 5; ++i) {
    NABLA_CHECK(call.inputs[i].shape() == statistics && is_floating(call.inputs[i].dtype()),
                "{}: {} {} must be floating point of shape {} (input {})", op, i == 3 ? "mean" : "rstd",
                call.inputs[i].describe(), shape_string(statistics), x.describe());
  }
  return {{x.shape(), x.dtype()}, {weight.shape(), weight.dtype()}, {weight.shape(), weight.dtype()}};
}

void store_all(const Tensor& out, const std::vector<double>& values) {
  void* data = out.raw_data();
  for (size_t i = 0; i < values.size(); ++i) store_double(out.dtype(), data, static_cast<int64_t>(i), values[i]);
}

// Both reference kernels: `statistic(n, c)` is the index into mean/rstd of sample n, channel c.
template <typename Statistic>
void reference_norm_backward(const KernelCall& call, bool grouped, Statistic statistic) {
  const Tensor& x = call.inputs[1];
  const auto& attrs = std::get<NormAttrs>(call.attrs);
  const std::vector<double> dy = call.inputs[0].to_vector(), xs = x.to_vector(), weight = call.inputs[2].to_vector(),
                            mean = call.inputs[3].to_vector(), rstd = call.inputs[4].to_vector();
  const int64_t batch = x.shape()[0], channels = x.shape()[1];
  const int64_t inner = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  // Per (sample, channel): Σ dy and Σ dy·(x − mean).
  std::vector<double> grad_sums(static_cast<size_t>(batch * channels)), product_sums(grad_sums.size());
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t plane = n * channels + c;
      const double average = mean[statistic(n, c)];
      double grad_sum = 0, product_sum = 0;
      for (int64_t i = plane * inner; i < (plane + 1) * inner; ++i) {
        grad_sum += dy[i];
        product_sum += dy[i] * (xs[i] - average);
      }
      grad_sums[plane] = grad_sum;
      product_sums[plane] = product_sum;
    }
  }
  std::vector<double> dweight(static_cast<size_t>(channels), 0.0), dbias(dweight.size(), 0.0);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      dweight[c] += product_sums[n * channels + c] * rstd[statistic(n, c)];
      dbias[c] += grad_sums[n * channels + c];
    }
  }
  // The sums dx needs, per statistic: Σ w·dy and Σ w·dy·(x − mean) (batch_norm: w is one per statistic).
  std::vector<double> weighted_grad(mean.size(), 0.0), weighted_product(mean.size(), 0.0);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t s = statistic(n, c);
      weighted_grad[s] += weight[c] * grad_sums[n * channels + c];
      weighted_product[s] += weight[c] * product_sums[n * channels + c];
    }
  }
  const double count = static_cast<double>(grouped ? channels / attrs.groups * inner : batch * inner);
  std::vector<double> dx(dy.size());
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t s = statistic(n, c), plane = n * channels + c;
      const double r = rstd[s], average = mean[s];
      for (int64_t i = plane * inner; i < (plane + 1) * inner; ++i) {
        dx[i] = grouped || attrs.training
                    ? r * (weight[c] * dy[i] - weighted_grad[s] / count -
                           (xs[i] - average) * r * r * weighted_product[s] / count)
                    : dy[i] * weight[c] * r;
      }
    }
  }
  store_all(call.outputs[0], dx);
  store_all(call.outputs[1], dweight);
  store_all(call.outputs[2], dbias);
}

}  // namespace

std::vector<OutputSpec> shape_batch_norm_backward(const OpCall& call) { return norm_backward_shape(call, false); }
void reference_batch_norm_backward(const KernelCall& call) {
  reference_norm_backward(call, false, [](int64_t, int64_t c) { return c; });
}
NABLA_NO_BACKWARD(batch_norm_backward)

std::vector<OutputSpec> shape_group_norm_backward(const OpCall& call) { return norm_backward_shape(call, true); }
void reference_group_norm_backward(const KernelCall& call) {
  const int64_t groups = std::get<NormAttrs>(call.attrs).groups;
  const int64_t per_group = call.inputs[1].shape()[1] / groups;
  reference_norm_backward(call, true, [=](int64_t n, int64_t c) { return n * groups + c / per_group; });
}
NABLA_NO_BACKWARD(group_norm_backward)

}  // namespace nabla::ops
