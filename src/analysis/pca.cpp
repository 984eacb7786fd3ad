// PCA by SVD of the centred data: X − μ = U·S·Vᵀ, components = rows of Vᵀ, variances = S² / (N − 1).
#include "nabla/analysis/pca.h"

#include <algorithm>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/linalg.h"
#include "nabla/ops.h"

namespace nabla::analysis {
namespace {

void check_data(const Tensor& data, const char* caller) {
  NABLA_CHECK(data.defined() && data.dim() == 2, "{}: data must be a matrix [samples, features], got {}", caller,
              data.defined() ? data.describe() : std::string("an undefined tensor"));
  NABLA_CHECK(data.dtype() == DType::f32 || data.dtype() == DType::f64, "{}: data must be float32 or float64, got {}",
              caller, data.describe());
}

// Flips each row so that its entry of largest magnitude is positive (SVD leaves the sign free).
Tensor with_fixed_signs(const Tensor& rows) {
  Tensor largest = argmax(abs(rows), 1, /*keepdim=*/true);
  Tensor signs = sign(gather(rows, 1, largest));
  return rows * where(eq(signs, scalar_tensor(0, DType::f64)), ones_like(signs), signs);
}

}  // namespace

PCA::PCA(int64_t components) : requested_(components) {
  NABLA_CHECK(components >= 0, "PCA: components must be 0 (all) or positive, got {}", components);
}

PCA& PCA::fit(const Tensor& data) {
  check_data(data, "PCA::fit");
  const int64_t samples = data.size(0), features = data.size(1);
  NABLA_CHECK(samples >= 2, "PCA::fit: needs at least 2 samples, got {}", data.describe());
  const int64_t available = std::min(samples, features);
  NABLA_CHECK(requested_ <= available, "PCA::fit: asked for {} components, but data {} has at most {}", requested_,
              data.describe(), available);
  const int64_t kept = requested_ == 0 ? available : requested_;

  autograd::NoGradGuard no_grad;
  Tensor values = data.detach().to(DType::f64);
  mean_ = nabla::mean(values, {0});
  linalg::SVD svd = linalg::svd(values - mean_);
  Tensor variances = svd.S * svd.S / static_cast<double>(samples - 1);
  const double total_variance = sum(variances).item();
  components_ = with_fixed_signs(svd.Vh.narrow(0, 0, kept)).contiguous();
  explained_variance_ = variances.narrow(0, 0, kept).contiguous();
  // Constant data has no variance to share out: every ratio is 0.
  explained_variance_ratio_ = total_variance > 0 ? explained_variance_ / total_variance : zeros_like(explained_variance_);
  return *this;
}

void PCA::check_fitted(const char* caller) const {
  NABLA_CHECK(components_.defined(), "PCA::{}: call fit() first", caller);
}

void PCA::check_input(const Tensor& input, const Tensor& sized_like, const char* caller) const {
  check_fitted(caller);
  const int64_t columns = sized_like.size(0);
  const std::string name = fmt::format("PCA::{}", caller);
  check_data(input, name.c_str());
  NABLA_CHECK(input.size(1) == columns, "{}: {} has {} columns, expected {}", name, input.describe(), input.size(1),
              columns);
}

Tensor PCA::transform(const Tensor& data) const {
  check_input(data, mean_, "transform");
  autograd::NoGradGuard no_grad;
  return matmul(data.detach().to(DType::f64) - mean_, components_.t()).to(data.dtype());
}

Tensor PCA::inverse_transform(const Tensor& scores) const {
  check_input(scores, components_, "inverse_transform");
  autograd::NoGradGuard no_grad;
  return (matmul(scores.detach().to(DType::f64), components_) + mean_).to(scores.dtype());
}

double PCA::reconstruction_error(const Tensor& data) const {
  check_input(data, mean_, "reconstruction_error");
  autograd::NoGradGuard no_grad;
  Tensor values = data.detach().to(DType::f64);
  Tensor residual = values - inverse_transform(transform(values));
  return sum(residual * residual).item() / static_cast<double>(data.size(0));
}

const Tensor& PCA::components() const { check_fitted("components"); return components_; }
const Tensor& PCA::explained_variance() const { check_fitted("explained_variance"); return explained_variance_; }
const Tensor& PCA::explained_variance_ratio() const {
  check_fitted("explained_variance_ratio");
  return explained_variance_ratio_;
}
const Tensor& PCA::mean() const { check_fitted("mean"); return mean_; }

}  // namespace nabla::analysis
