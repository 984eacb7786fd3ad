// HOG (src/vision/hog.cpp) against scikit-image's `hog` on the images of tests/vision/hog_fixture.json
// (make_hog_fixture.py): every feature within 1e-5, in f64 and f32; wrong inputs are one-line errors.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "nabla/factory.h"
#include "nabla/ops.h"
#include "nabla/vision/hog.h"
#include "tests/common/expect_error.h"

namespace nabla::vision {
namespace {

nlohmann::json fixture() {
  std::ifstream file(std::string(NABLA_VISION_TEST_DIR) + "/hog_fixture.json");
  EXPECT_TRUE(file.good()) << "cannot read hog_fixture.json";
  return nlohmann::json::parse(file);
}

TEST(Hog, EqualsScikitImage) {
  const nlohmann::json cases = fixture()["cases"];
  ASSERT_EQ(cases.size(), 3u);
  for (const nlohmann::json& entry : cases) {
    SCOPED_TRACE(entry["name"].get<std::string>());
    const HogOptions options{.orientations = entry["orientations"], .pixels_per_cell = entry["pixels_per_cell"],
                             .cells_per_block = entry["cells_per_block"]};
    const Shape shape = entry["shape"].get<Shape>();
    const Tensor images = from_vector(entry["images"].get<std::vector<double>>(), shape, {.dtype = DType::f64});
    const std::vector<double> expected = entry["features"];
    const int64_t count = entry["feature_count"];
    EXPECT_EQ(hog_feature_count(shape[1], shape[2], options), count);
    for (DType dtype : {DType::f64, DType::f32}) {
      const Tensor features = hog(images.to(dtype), options).to(DType::f64).contiguous();
      ASSERT_EQ(features.shape(), (Shape{shape[0], count}));
      double worst = 0;
      for (int64_t i = 0; i < features.numel(); ++i)
        worst = std::max(worst, std::abs(features.data<double>()[i] - expected[static_cast<size_t>(i)]));
      EXPECT_LE(worst, 1e-5) << dtype_name(dtype);
    }
  }
}

TEST(Hog, WrongInputsAreOneLineErrors) {
  testing::expect_error([] { hog(zeros({2, 28})); }, {"hog_cells", "[N, H, W]"});
  testing::expect_error([] { hog(zeros({1, 12, 12}), {.pixels_per_cell = 8, .cells_per_block = 2}); },
                        {"1×1 cells", "one block of 2×2"});
}

}  // namespace
}  // namespace nabla::vision
