// k-means++ seeding and Lloyd iterations (see nabla/analysis/kmeans.h).
#include "nabla/analysis/kmeans.h"

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::analysis {
namespace {

Tensor as_float64_matrix(const Tensor& data, const char* caller) {
  NABLA_CHECK(data.defined() && data.dim() == 2, "{}: data must be a matrix [samples, features], got {}", caller,
              data.defined() ? data.describe() : std::string("an undefined tensor"));
  NABLA_CHECK(is_floating(data.dtype()), "{}: data must be floating point, got {}", caller, data.describe());
  return data.detach().to(DType::f64);
}

// [N, K] squared Euclidean distances, as |x|² − 2x·c + |c|² (one GEMM instead of an [N, K, D] temporary),
// clamped at 0 where rounding makes them slightly negative.
Tensor squared_distances(const Tensor& points, const Tensor& centers) {
  Tensor point_norms = sum(points * points, {1}, /*keepdim=*/true);
  Tensor center_norms = sum(centers * centers, {1});
  return clamp(point_norms - 2.0 * matmul(points, centers.t()) + center_norms, 0.0, std::nullopt);
}

struct Assignment {
  Tensor labels;  // int64 [N]
  double inertia = 0;
};

Assignment assign(const Tensor& points, const Tensor& centers) {
  auto [nearest, labels] = min(squared_distances(points, centers), 1);
  return {labels, sum(nearest).item()};
}

// Each centre moves to the mean of its points; a centre left without points stays where it was.
Tensor updated_centers(const Tensor& points, const Tensor& labels, const Tensor& centers) {
  const int64_t clusters = centers.size(0);
  Tensor sums = index_add(zeros_like(centers), 0, labels, points);
  Tensor counts = bincount(labels, {}, clusters).to(DType::f64).unsqueeze(1);
  Tensor has_points = gt(counts, scalar_tensor(0, DType::f64));
  return where(has_points, sums / maximum(counts, ones_like(counts)), centers);
}

// k-means++: the first centre uniformly, each next one with probability proportional to the squared
// distance to the nearest centre chosen so far.
Tensor seed_centers(const Tensor& points, int64_t clusters, Generator& generator) {
  const int64_t samples = points.size(0);
  std::vector<Tensor> chosen = {points.select(0, randint(0, samples, {1}, {.dtype = DType::i64}, &generator).item<int64_t>())};
  Tensor nearest = squared_distances(points, chosen[0].unsqueeze(0)).squeeze(1);
  while (static_cast<int64_t>(chosen.size()) < clusters) {
    NABLA_CHECK(sum(nearest).item() > 0, "KMeans::fit: the data has fewer than {} distinct points", clusters);
    const int64_t index = multinomial(nearest, 1, false, &generator).item<int64_t>();
    chosen.push_back(points.select(0, index));
    nearest = minimum(nearest, squared_distances(points, chosen.back().unsqueeze(0)).squeeze(1));
  }
  return stack(chosen);
}

}  // namespace

KMeans::KMeans(KMeansOptions options) : options_(options) {
  NABLA_CHECK(options.clusters >= 1, "KMeans: clusters must be at least 1, got {}", options.clusters);
  NABLA_CHECK(options.max_iterations >= 0, "KMeans: max_iterations must be 0 or more, got {}", options.max_iterations);
  NABLA_CHECK(options.tolerance >= 0, "KMeans: tolerance must be 0 or more, got {}", options.tolerance);
}

KMeans& KMeans::fit(const Tensor& data, Generator& generator) {
  Tensor points = as_float64_matrix(data, "KMeans::fit");
  NABLA_CHECK(points.size(0) >= options_.clusters, "KMeans::fit: {} clusters need at least as many samples, got {}",
              options_.clusters, data.describe());
  autograd::NoGradGuard no_grad;
  centers_ = seed_centers(points, options_.clusters, generator);
  Assignment current = assign(points, centers_);
  inertia_history_ = {current.inertia};
  for (int64_t iteration = 0; iteration < options_.max_iterations; ++iteration) {
    centers_ = updated_centers(points, current.labels, centers_);
    Assignment next = assign(points, centers_);
    const bool unchanged = all(eq(next.labels, current.labels)).item() != 0;
    const bool small_gain = current.inertia - next.inertia <= options_.tolerance * current.inertia;
    current = next;
    inertia_history_.push_back(current.inertia);
    if (unchanged || small_gain) break;
  }
  labels_ = current.labels;
  return *this;
}

void KMeans::check_fitted(const char* caller) const {
  NABLA_CHECK(centers_.defined(), "KMeans::{}: call fit() first", caller);
}

Tensor KMeans::predict(const Tensor& data) const {
  check_fitted("predict");
  Tensor points = as_float64_matrix(data, "KMeans::predict");
  NABLA_CHECK(points.size(1) == centers_.size(1), "KMeans::predict: data {} has {} features, the centres have {}",
              data.describe(), points.size(1), centers_.size(1));
  autograd::NoGradGuard no_grad;
  return assign(points, centers_).labels;
}

const Tensor& KMeans::centers() const { check_fitted("centers"); return centers_; }
const Tensor& KMeans::labels() const { check_fitted("labels"); return labels_; }
double KMeans::inertia() const { check_fitted("inertia"); return inertia_history_.back(); }

}  // namespace nabla::analysis
