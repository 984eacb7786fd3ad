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

}  // namespace nabla::data
