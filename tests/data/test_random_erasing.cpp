// data::random_erasing against its sampling rule (torchvision's RandomErasing): the erased area's mean
// and the share of images erased match what the rule implies, computed here independently by integrating
// over its two uniform draws; p = 0 changes nothing, p = 1 erases whenever a rectangle can fit, the value
// is written as a rectangle through every channel, and the same keys give the same images.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "nabla/data/loader.h"
#include "nabla/nabla.h"

namespace nabla::data {
namespace {

struct ErasingRule {
  int64_t height, width;
  std::pair<double, double> scale, ratio;
};

// The law of one image's erased fraction under the rule, with p = 1: each try draws the area fraction and
// the log-ratio uniformly; it fits when the rounded rectangle is smaller than the image; up to 10 tries.
struct ErasedLaw {
  double erased_probability;  // some pixel is erased
  double mean_fraction;       // E[erased pixels / pixels]
  double mean_square_fraction;
};

ErasedLaw law_of(const ErasingRule& rule) {
  const int grid = 1500;  // midpoint rule over the two uniform draws of one try
  const double pixels = static_cast<double>(rule.height * rule.width);
  double fits = 0, nonempty = 0, fraction = 0, square = 0;
  for (int i = 0; i < grid; ++i) {
    const double area = pixels * (rule.scale.first + (i + 0.5) / grid * (rule.scale.second - rule.scale.first));
    for (int j = 0; j < grid; ++j) {
      const double log_ratio = std::log(rule.ratio.first) + (j + 0.5) / grid * std::log(rule.ratio.second / rule.ratio.first);
      const double aspect = std::exp(log_ratio);
      const double height = std::nearbyint(std::sqrt(area * aspect)), width = std::nearbyint(std::sqrt(area / aspect));
      if (height >= static_cast<double>(rule.height) || width >= static_cast<double>(rule.width)) continue;
      const double share = height * width / pixels;
      fits += 1;
      nonempty += share > 0;
      fraction += share;
      square += share * share;
    }
  }
  const double cells = static_cast<double>(grid) * grid;
  const double accept = fits / cells;
  // The first fitting try decides: P(some try fits) = 1 − (1 − accept)^10, and given that, the rectangle is
  // distributed as one try conditioned on fitting.
  const double any_fit = 1 - std::pow(1 - accept, 10);
  return {any_fit * nonempty / fits, any_fit * fraction / fits, any_fit * square / fits};
}

Tensor constant_images(int64_t count, int64_t channels, int64_t height, int64_t width) {
  return full({count, channels, height, width}, 1.0);
}

std::vector<uint64_t> keys_for(int64_t count, uint64_t seed) {
  std::vector<uint64_t> keys;
  for (int64_t i = 0; i < count; ++i) keys.push_back(sample_key(seed, 0, i));
  return keys;
}

// Per image: the number of pixels (of channel 0) equal to `value`.
std::vector<double> erased_counts(const Tensor& images, double value) {
  const int64_t count = images.size(0), plane = images.size(2) * images.size(3);
  std::vector<double> values = images.select(1, 0).contiguous().to_vector(), counts(static_cast<size_t>(count), 0);
  for (int64_t n = 0; n < count; ++n) {
    for (int64_t k = 0; k < plane; ++k) counts[static_cast<size_t>(n)] += values[static_cast<size_t>(n * plane + k)] == value;
  }
  return counts;
}

void expect_statistics_match(const ErasingRule& rule, double p) {
  const int64_t count = 20000;
  const double value = -3;
  Tensor erased = random_erasing(p, rule.scale, rule.ratio, value)
                      ->apply(constant_images(count, 1, rule.height, rule.width), keys_for(count, 11));
  const std::vector<double> counts = erased_counts(erased, value);
  const double pixels = static_cast<double>(rule.height * rule.width);
  double fraction = 0, touched = 0;
  for (double c : counts) {
    fraction += c / pixels;
    touched += c > 0;
  }
  fraction /= static_cast<double>(count);
  touched /= static_cast<double>(count);

  const ErasedLaw law = law_of(rule);
  const double expected_fraction = p * law.mean_fraction;
  const double variance = p * law.mean_square_fraction - expected_fraction * expected_fraction;
  const double expected_touched = p * law.erased_probability;
  // Five standard errors: a correct sampler fails this about once in 1.7 million runs.
  const double n = static_cast<double>(count);
  EXPECT_NEAR(fraction, expected_fraction, 5 * std::sqrt(variance / n))
      << rule.height << "x" << rule.width << " p " << p;
  EXPECT_NEAR(touched, expected_touched, 5 * std::sqrt(expected_touched * (1 - expected_touched) / n) + 1e-12)
      << rule.height << "x" << rule.width << " p " << p;
}

TEST(RandomErasing, ErasedAreaMatchesTheSamplingRule) {
  // torchvision's defaults on Fashion-MNIST's size: nearly every try fits.
  expect_statistics_match({28, 28, {0.02, 0.33}, {0.3, 3.3}}, 1.0);
  expect_statistics_match({28, 28, {0.02, 0.33}, {0.3, 3.3}}, 0.5);
  // Large, elongated rectangles on a small image: many tries fail, so the retries and the give-up count.
  const ErasingRule crowded{8, 8, {0.3, 0.9}, {0.2, 5.0}};
  const ErasedLaw law = law_of(crowded);
  EXPECT_LT(law.erased_probability, 0.999);  // the case really exercises giving up
  EXPECT_GT(law.erased_probability, 0.5);
  expect_statistics_match(crowded, 1.0);
}

TEST(RandomErasing, ProbabilityZeroIsTheIdentity) {
  Tensor images = rand({64, 3, 12, 12});
  Tensor result = random_erasing(0.0)->apply(images, keys_for(64, 5));
  EXPECT_EQ(result.to_vector(), images.to_vector());
}

TEST(RandomErasing, ProbabilityOneErasesWheneverARectangleFits) {
  // Square rectangles of 10 % to 20 % of the area always fit: every image is erased.
  const int64_t count = 500;
  Tensor erased = random_erasing(1.0, {0.1, 0.2}, {1.0, 1.0}, 7.0)->apply(constant_images(count, 1, 10, 10), keys_for(count, 2));
  for (double c : erased_counts(erased, 7.0)) EXPECT_GT(c, 0);
  // A rectangle as large as the image never fits (it must be smaller in both sides): nothing is erased.
  Tensor images = rand({count, 1, 10, 10});
  Tensor untouched = random_erasing(1.0, {1.0, 1.0}, {1.0, 1.0})->apply(images, keys_for(count, 2));
  EXPECT_EQ(untouched.to_vector(), images.to_vector());
}

TEST(RandomErasing, WritesTheValueAsOneRectangleThroughEveryChannel) {
  const int64_t count = 200, channels = 3, size = 16;
  const double value = -0.5;
  Tensor images = rand({count, channels, size, size}) + 1.0;  // in [1, 2): never equal to value
  Tensor erased = random_erasing(1.0, {0.05, 0.3}, {0.3, 3.3}, value)->apply(images, keys_for(count, 9));
  std::vector<double> before = images.to_vector(), after = erased.to_vector();
  for (int64_t n = 0; n < count; ++n) {
    int64_t top = size, bottom = -1, left = size, right = -1, marked = 0;
    for (int64_t y = 0; y < size; ++y) {
      for (int64_t x = 0; x < size; ++x) {
        const size_t at = static_cast<size_t>((n * channels * size + y) * size + x);
        if (after[at] != value) continue;
        ++marked;
        top = std::min(top, y), bottom = std::max(bottom, y), left = std::min(left, x), right = std::max(right, x);
      }
    }
    ASSERT_GT(marked, 0) << "image " << n;
    EXPECT_EQ(marked, (bottom - top + 1) * (right - left + 1)) << "image " << n << ": not a filled rectangle";
    EXPECT_LT(bottom - top + 1, size);
    EXPECT_LT(right - left + 1, size);
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t y = 0; y < size; ++y) {
        for (int64_t x = 0; x < size; ++x) {
          const size_t at = static_cast<size_t>(((n * channels + c) * size + y) * size + x);
          const bool inside = y >= top && y <= bottom && x >= left && x <= right;
          EXPECT_EQ(after[at], inside ? value : before[at]) << "image " << n << " channel " << c;
        }
      }
    }
  }
}

TEST(RandomErasing, SeededAndReproducible) {
  Tensor images = rand({32, 1, 28, 28});
  TransformPtr erasing = random_erasing(0.5);
  EXPECT_EQ(erasing->apply(images, keys_for(32, 4)).to_vector(), erasing->apply(images, keys_for(32, 4)).to_vector());
  EXPECT_NE(erasing->apply(images, keys_for(32, 4)).to_vector(), erasing->apply(images, keys_for(32, 5)).to_vector());
}

TEST(RandomErasing, BadArgumentsAreNamed) {
  EXPECT_THROW(random_erasing(-0.1), Error);
  EXPECT_THROW(random_erasing(1.5), Error);
  EXPECT_THROW(random_erasing(0.5, {0.4, 0.2}), Error);
  EXPECT_THROW(random_erasing(0.5, {0.1, 1.2}), Error);
  EXPECT_THROW(random_erasing(0.5, {0.1, 0.3}, {0.0, 3.3}), Error);
  EXPECT_THROW(random_erasing(0.5, {0.1, 0.3}, {0.3, 3.3}, NAN), Error);
  EXPECT_THROW(random_erasing(0.5)->apply(rand({2, 28, 28}), {1, 2}), Error);  // not [B, C, H, W]
}

}  // namespace
}  // namespace nabla::data
