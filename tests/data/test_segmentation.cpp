// The segmentation data: generated canvases (reproducible, masks exactly the items' silhouettes), the PNG
// folder form (written and read back unchanged), and the one-line errors for bad pairs.
#include <gtest/gtest.h>

#include <filesystem>

#include "nabla/data/image.h"
#include "nabla/data/segmentation.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"
#include "tests/common/temporary_directory.h"

namespace nabla::data {
namespace {

using testing::expect_error;

// Two classes of flat squares: class 0 at gray 200, class 1 at gray 240. Clutter never reaches 200
// (its shades are below 0.7 of white), so an item's pixels are exactly those with its gray level.
std::shared_ptr<TensorDataset> flat_items() {
  Tensor images = empty({4, 1, 28, 28}, DType::u8);
  for (int64_t i = 0; i < 4; ++i) images.select(0, i).fill_(i % 2 == 0 ? 200 : 240);
  return std::make_shared<TensorDataset>(images, tensor({0, 1, 0, 1}, {.dtype = DType::i64}),
                                         std::vector<std::string>{"dark", "light"});
}

bool equal(const Tensor& a, const Tensor& b) { return a.shape() == b.shape() && a.to_vector() == b.to_vector(); }

TEST(SegmentationCanvases, MasksAreExactlyTheItemsVisiblePixels) {
  auto canvases = make_segmentation_canvases(*flat_items(), {.count = 20, .seed = 3});
  ASSERT_EQ(canvases->classes(), 3);
  EXPECT_EQ(canvases->class_names(), (std::vector<std::string>{"background", "dark", "light"}));
  std::vector<double> images = canvases->images().to_vector(), masks = canvases->masks().to_vector();
  int64_t item_pixels = 0;
  for (size_t i = 0; i < masks.size(); ++i) {
    const double expected = images[i] == 200 ? 1 : images[i] == 240 ? 2 : 0;
    ASSERT_EQ(masks[i], expected) << "pixel " << i << " gray " << images[i];
    item_pixels += masks[i] > 0;
  }
  // Every canvas holds at least one item of at least 20×20 pixels (the smallest scale): later items may
  // cover earlier ones but never all of the last one.
  EXPECT_GE(item_pixels, 20 * 20 * 20);
}

TEST(SegmentationCanvases, EachCanvasDependsOnlyOnTheSeedAndItsIndex) {
  auto five = make_segmentation_canvases(*flat_items(), {.count = 5, .seed = 7});
  auto eight = make_segmentation_canvases(*flat_items(), {.count = 8, .seed = 7});
  auto other = make_segmentation_canvases(*flat_items(), {.count = 5, .seed = 8});
  EXPECT_TRUE(equal(five->images(), eight->images().slice(0, 0, 5)));
  EXPECT_TRUE(equal(five->masks(), eight->masks().slice(0, 0, 5)));
  EXPECT_FALSE(equal(five->images(), other->images()));
}

TEST(SegmentationCanvases, BatchesAreScaledImagesAndInt64Masks) {
  auto canvases = make_segmentation_canvases(*flat_items(), {.count = 4, .size = 32, .max_scale = 28});
  Batch batch = canvases->get_batch({2, 0});
  EXPECT_EQ(batch.inputs.shape(), (Shape{2, 1, 32, 32}));
  EXPECT_EQ(batch.inputs.dtype(), DType::f32);
  EXPECT_EQ(batch.targets.shape(), (Shape{2, 32, 32}));
  EXPECT_EQ(batch.targets.dtype(), DType::i64);
  EXPECT_TRUE(equal(batch.targets.select(0, 0), canvases->masks().select(0, 2).to(DType::i64)));
  const std::vector<double> scaled = batch.inputs.select(0, 1).to_vector(), bytes = canvases->images().select(0, 0).to_vector();
  for (size_t i = 0; i < bytes.size(); ++i) ASSERT_FLOAT_EQ(static_cast<float>(scaled[i]), static_cast<float>(bytes[i] / 255.0));
}

TEST(SegmentationCanvases, RefusesImpossibleOptions) {
  expect_error([] { make_segmentation_canvases(*flat_items(), {.size = 32, .max_scale = 40}); },
               {"make_segmentation_canvases", "max_scale", "32"});
  expect_error([] { make_segmentation_canvases(*flat_items(), {.min_items = 3, .max_items = 2}); },
               {"make_segmentation_canvases", "min_items"});
}

TEST(ResizeMask, TakesTheNearestSourcePixelAndNeverBlends) {
  Tensor mask = tensor({{0, 1}, {2, 3}}, {.dtype = DType::u8});
  EXPECT_EQ(resize_mask(mask, 4, 4).to_vector(),
            (std::vector<double>{0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}));
  EXPECT_EQ(resize_mask(resize_mask(mask, 4, 4), 2, 2).to_vector(), mask.to_vector());
}

class SegmentationFolder : public testing::TemporaryDirectoryTest {
 protected:
  SegmentationFolder() : TemporaryDirectoryTest("segmentation") {}
};

TEST_F(SegmentationFolder, ReadsBackWhatWasWritten) {
  auto canvases = make_segmentation_canvases(*flat_items(), {.count = 6, .seed = 1});
  write_segmentation_folder(path("set"), *canvases);
  auto read = SegmentationDataset::read_folder(path("set"));
  EXPECT_TRUE(equal(read->images(), canvases->images()));
  EXPECT_TRUE(equal(read->masks(), canvases->masks()));
  EXPECT_EQ(read->class_names(), canvases->class_names());
  // Resizing brings images (bilinear) and masks (nearest) to the requested size together.
  auto resized = SegmentationDataset::read_folder(path("set"), {.height = 32, .width = 32});
  EXPECT_EQ(resized->images().shape(), (Shape{6, 1, 32, 32}));
  EXPECT_TRUE(equal(resized->masks().select(0, 0), resize_mask(canvases->masks().select(0, 0), 32, 32)));
}

TEST_F(SegmentationFolder, ABadPairIsOneErrorNamingTheFile) {
  namespace fs = std::filesystem;
  auto canvases = make_segmentation_canvases(*flat_items(), {.count = 3});
  write_segmentation_folder(path("set"), *canvases);
  expect_error([&] { SegmentationDataset::read_folder(path("set"), {.classes = 1}); }, {"segmentation folder", "masks/", "classes"});

  fs::remove(path("set/masks/00001.png"));
  expect_error([&] { SegmentationDataset::read_folder(path("set")); }, {"segmentation folder", "images/00001.png", "no mask"});

  write_png(path("set/masks/00001.png"), zeros({1, 10, 10}, DType::u8));
  expect_error([&] { SegmentationDataset::read_folder(path("set")); }, {"segmentation folder", "00001.png", "10×10"});

  write_png(path("set/masks/00001.png"), zeros({3, 64, 64}, DType::u8));
  expect_error([&] { SegmentationDataset::read_folder(path("set")); }, {"segmentation folder", "00001.png", "colour"});

  fs::remove(path("set/masks/00001.png"));
  fs::rename(path("set/images/00001.png"), path("set/images/extra.png"));
  write_png(path("set/masks/00001.png"), zeros({1, 64, 64}, DType::u8));
  expect_error([&] { SegmentationDataset::read_folder(path("set")); }, {"segmentation folder", "extra.png", "no mask"});

  expect_error([&] { SegmentationDataset::read_folder(path("missing")); }, {"segmentation folder", "missing/images", "does not exist"});
}

}  // namespace
}  // namespace nabla::data
