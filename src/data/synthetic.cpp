#include "nabla/data/synthetic.h"

#include <cmath>

#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::data {

Labeled two_spirals(int64_t per_class, double noise, Generator& generator) {
  NABLA_CHECK(per_class > 0, "two_spirals: per_class must be positive, got {}", per_class);
  NABLA_CHECK(noise >= 0, "two_spirals: noise must be non-negative, got {}", noise);
  std::vector<double> points, labels;
  Tensor jitter = randn({2 * per_class, 2}, {.dtype = DType::f64}, &generator);
  std::vector<double> offsets = jitter.to_vector();
  for (int64_t label = 0; label < 2; ++label) {
    for (int64_t i = 0; i < per_class; ++i) {
      // Radius grows with the angle; the second spiral is the first turned by half a circle.
      double fraction = static_cast<double>(i) / static_cast<double>(per_class);
      double angle = 1.75 * 2 * M_PI * fraction + M_PI * static_cast<double>(label);
      double radius = 0.1 + 0.9 * fraction;
      size_t row = static_cast<size_t>(label * per_class + i);
      points.push_back(radius * std::cos(angle) + noise * offsets[2 * row]);
      points.push_back(radius * std::sin(angle) + noise * offsets[2 * row + 1]);
      labels.push_back(static_cast<double>(label));
    }
  }
  return {from_vector(points, {2 * per_class, 2}), from_vector(labels, {2 * per_class}, {.dtype = DType::i64})};
}

Labeled gaussian_blobs(int64_t per_class, int64_t classes, int64_t features, double spread, double std,
                       Generator& generator) {
  NABLA_CHECK(per_class > 0 && classes > 0 && features > 0, "gaussian_blobs: counts must be positive");
  NABLA_CHECK(spread >= 0 && std >= 0, "gaussian_blobs: spread and std must be non-negative");
  Tensor centres = rand({classes, features}, {.dtype = DType::f64}, &generator) * (2 * spread) - spread;
  Tensor labels = arange(static_cast<double>(classes)).unsqueeze(1).expand({classes, per_class}).reshape({-1});
  Tensor points = index_select(centres, 0, labels) + randn({classes * per_class, features}, {.dtype = DType::f64}, &generator) * std;
  return {points.to(DType::f32), labels};
}

Labeled regression_1d(int64_t count, double low, double high, double (*function)(double), double noise,
                      Generator& generator) {
  NABLA_CHECK(count > 0 && high > low && noise >= 0, "regression_1d: need count > 0, high > low and noise ≥ 0");
  std::vector<double> x = (rand({count}, {.dtype = DType::f64}, &generator) * (high - low) + low).to_vector();
  std::vector<double> jitter = randn({count}, {.dtype = DType::f64}, &generator).to_vector();
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = function(x[i]) + noise * jitter[i];
  return {from_vector(x, {count, 1}), from_vector(y, {count, 1})};
}

}  // namespace nabla::data
