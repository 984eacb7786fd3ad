// Image files, image folders and CSV files: files are written here with libpng and libjpeg directly (every
// bit depth and colour type nabla must read), read back, then damaged; each error must name its file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

extern "C" {
#include <jpeglib.h>
#include <png.h>
}

#include "nabla/data/csv.h"
#include "nabla/data/image.h"
#include "nabla/data/image_folder.h"
#include "nabla/data/loader.h"
#include "nabla/nabla.h"
#include "nabla/nn/functional.h"

namespace nabla::data {
namespace {

namespace fs = std::filesystem;

class TempDirectory {
 public:
  TempDirectory() {
    static int counter = 0;
    path_ = fs::temp_directory_path() / fmt::format("nabla_test_image_{}_{}", ::getpid(), counter++);
    fs::create_directories(path_);
  }
  ~TempDirectory() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

template <typename Action>
void expect_error(Action&& action, std::initializer_list<std::string> fragments) {
  try {
    action();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    const std::string message = error.what();
    for (const std::string& fragment : fragments) EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// ---- files written with the libraries themselves (their default error handling is fine for valid input)
struct PngSpec {
  int width = 0, height = 0, bit_depth = 8, color_type = PNG_COLOR_TYPE_GRAY;
  std::vector<std::vector<unsigned char>> rows;  // packed as the PNG stores them (16-bit: big-endian)
  std::vector<png_color> palette;
  std::vector<unsigned char> transparency;  // palette alpha
  bool interlaced = false;
};

void write_png_file(const std::string& path, const PngSpec& spec) {
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_TRUE(file);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, file);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  if (!spec.transparency.empty()) {
    png_set_tRNS(png, info, spec.transparency.data(), static_cast<int>(spec.transparency.size()), nullptr);
  }
  png_write_info(png, info);
  std::vector<png_bytep> rows;
  for (const auto& row : spec.rows) rows.push_back(const_cast<png_bytep>(row.data()));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(file);
}

// interleaved [H, W, components] bytes
void write_jpeg_file(const std::string& path, int width, int height, int components,
                     const std::vector<unsigned char>& pixels, int quality = 95) {
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_TRUE(file);
  jpeg_compress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, file);
  info.image_width = width;
  info.image_height = height;
  info.input_components = components;
  info.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels.data() + info.next_scanline * width * components);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(file);
}

// A smooth test picture (JPEG keeps smooth pictures close): value of channel c at (y, x).
unsigned char smooth(int y, int x, int c) { return static_cast<unsigned char>(40 + 6 * y + 5 * x + 30 * c); }

std::vector<unsigned char> smooth_pixels(int height, int width, int channels) {
  std::vector<unsigned char> pixels;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) pixels.push_back(smooth(y, x, c));
    }
  }
  return pixels;
}

std::vector<double> planar_values(const std::vector<unsigned char>& interleaved, int height, int width, int channels) {
  std::vector<double> values;
  for (int c = 0; c < channels; ++c) {
    for (int i = 0; i < height * width; ++i) values.push_back(interleaved[static_cast<size_t>(i * channels + c)]);
  }
  return values;
}

PngSpec eight_bit(int height, int width, int channels) {
  PngSpec spec{.width = width, .height = height, .color_type = channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB};
  std::vector<unsigned char> pixels = smooth_pixels(height, width, channels);
  for (int y = 0; y < height; ++y) {
    spec.rows.emplace_back(pixels.begin() + y * width * channels, pixels.begin() + (y + 1) * width * channels);
  }
  return spec;
}

// ---- PNG
TEST(Png, GrayAndRgbExact) {
  TempDirectory directory;
  for (int channels : {1, 3}) {
    std::string path = directory / fmt::format("c{}.png", channels);
    write_png_file(path, eight_bit(5, 7, channels));
    Tensor image = read_image(path);
    EXPECT_EQ(image.shape(), (Shape{channels, 5, 7}));
    EXPECT_EQ(image.dtype(), DType::u8);
    EXPECT_EQ(image.to_vector(), planar_values(smooth_pixels(5, 7, channels), 5, 7, channels));
  }
}

TEST(Png, InterlacedReadsTheSame) {
  TempDirectory directory;
  PngSpec spec = eight_bit(11, 13, 3);
  write_png_file(directory / "plain.png", spec);
  spec.interlaced = true;
  write_png_file(directory / "adam7.png", spec);
  EXPECT_EQ(read_image(directory / "adam7.png").to_vector(), read_image(directory / "plain.png").to_vector());
}

TEST(Png, SixteenBitIsScaledToEight) {
  TempDirectory directory;
  const std::vector<int> samples = {0, 257 * 1, 257 * 100, 257 * 254, 65535, 32768};  // 32768 → 127.5 → 128
  PngSpec spec{.width = static_cast<int>(samples.size()), .height = 1, .bit_depth = 16,
               .color_type = PNG_COLOR_TYPE_RGB};
  spec.rows.emplace_back();
  for (int sample : samples) {
    for (int c = 0; c < 3; ++c) {
      spec.rows[0].push_back(static_cast<unsigned char>(sample >> 8));
      spec.rows[0].push_back(static_cast<unsigned char>(sample & 0xff));
    }
  }
  write_png_file(directory / "deep.png", spec);
  Tensor image = read_image(directory / "deep.png");
  EXPECT_EQ(image.shape(), (Shape{3, 1, 6}));
  EXPECT_EQ(image.select(0, 1).to_vector(), (std::vector<double>{0, 1, 100, 254, 255, 128}));
}

TEST(Png, PaletteIsExpandedAndAlphaDropped) {
  TempDirectory directory;
  PngSpec spec{.width = 4, .height = 2, .bit_depth = 2, .color_type = PNG_COLOR_TYPE_PALETTE};
  spec.palette = {{255, 0, 0}, {0, 128, 0}, {1, 2, 3}, {250, 251, 252}};
  spec.transparency = {0, 128};                         // alpha of entries 0 and 1: dropped
  spec.rows = {{0b00011011}, {0b11100100}};             // indices 0 1 2 3 / 3 2 1 0, four to a byte
  write_png_file(directory / "palette.png", spec);
  Tensor image = read_image(directory / "palette.png");
  ASSERT_EQ(image.shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(image.select(0, 0).to_vector(), (std::vector<double>{255, 0, 1, 250, 250, 1, 0, 255}));
  EXPECT_EQ(image.select(0, 1).to_vector(), (std::vector<double>{0, 128, 2, 251, 251, 2, 128, 0}));
}

TEST(Png, AlphaChannelsAndLowBitDepths) {
  TempDirectory directory;
  PngSpec gray_alpha{.width = 2, .height = 1, .color_type = PNG_COLOR_TYPE_GRAY_ALPHA, .rows = {{10, 255, 200, 0}}};
  write_png_file(directory / "ga.png", gray_alpha);
  EXPECT_EQ(read_image(directory / "ga.png").to_vector(), (std::vector<double>{10, 200}));
  PngSpec rgba{.width = 1, .height = 1, .color_type = PNG_COLOR_TYPE_RGB_ALPHA, .rows = {{1, 2, 3, 4}}};
  write_png_file(directory / "rgba.png", rgba);
  Tensor color = read_image(directory / "rgba.png");
  EXPECT_EQ(color.shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(color.to_vector(), (std::vector<double>{1, 2, 3}));
  PngSpec bits{.width = 8, .height = 1, .bit_depth = 1, .rows = {{0b10110000}}};
  write_png_file(directory / "bits.png", bits);
  EXPECT_EQ(read_image(directory / "bits.png").to_vector(), (std::vector<double>{255, 0, 255, 255, 0, 0, 0, 0}));
}

TEST(Png, WritePngRoundTripsAndRefusesBadShapes) {
  TempDirectory directory;
  Tensor rgb = randint(0, 256, {3, 9, 6}, {.dtype = DType::u8});
  write_png(directory / "rgb.png", rgb);
  EXPECT_EQ(read_image(directory / "rgb.png").to_vector(), rgb.to_vector());
  Tensor gray = randint(0, 256, {4, 5}, {.dtype = DType::u8});
  write_png(directory / "gray.png", gray);
  EXPECT_EQ(read_image(directory / "gray.png").to_vector(), gray.to_vector());
  write_png(directory / "unit.png", tensor({{0.0, 0.5, 1.0, 2.0}}));  // f32 in [0, 1], clamped
  EXPECT_EQ(read_image(directory / "unit.png").to_vector(), (std::vector<double>{0, 128, 255, 255}));
  EXPECT_FALSE(fs::exists(directory / "unit.png.tmp"));
  expect_error([&] { write_png(directory / "bad.png", zeros({2, 4, 4}, {.dtype = DType::u8})); },
               {"bad.png", "[1 or 3, H, W]"});
  expect_error([&] { write_png(directory / "bad.png", zeros({1, 4, 4}, {.dtype = DType::i64})); }, {"bad.png", "u8"});
}

// ---- JPEG
TEST(Jpeg, GrayAndRgbWithinTolerance) {
  TempDirectory directory;
  for (int channels : {1, 3}) {
    std::string path = directory / fmt::format("c{}.jpg", channels);
    write_jpeg_file(path, 16, 12, channels, smooth_pixels(12, 16, channels));
    Tensor image = read_image(path);
    ASSERT_EQ(image.shape(), (Shape{channels, 12, 16}));
    std::vector<double> got = image.to_vector(), expected = planar_values(smooth_pixels(12, 16, channels), 12, 16, channels);
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - expected[i]));
    EXPECT_LE(worst, 8) << channels << " channels";  // lossy at quality 95 (chroma subsampled for RGB)
  }
}

TEST(Formats, MagicBytesDecideNotTheExtension) {
  TempDirectory directory;
  write_jpeg_file(directory / "really_a_jpeg.png", 8, 8, 1, smooth_pixels(8, 8, 1));
  write_png_file(directory / "really_a_png.jpg", eight_bit(8, 8, 1));
  EXPECT_EQ(read_image(directory / "really_a_jpeg.png").shape(), (Shape{1, 8, 8}));
  EXPECT_EQ(read_image(directory / "really_a_png.jpg").to_vector(), planar_values(smooth_pixels(8, 8, 1), 8, 8, 1));
}

TEST(Formats, BadFilesAreNamed) {
  TempDirectory directory;
  expect_error([&] { read_image(directory / "missing.png"); }, {"missing.png", "does not exist"});
  expect_error([&] { read_image(directory.path().string()); }, {"is a directory"});
  write_bytes(directory / "text.png", "hello, I am not a picture");
  expect_error([&] { read_image(directory / "text.png"); }, {"text.png", "not a PNG or JPEG", "68 65 6c 6c"});
  write_bytes(directory / "anim.png", "GIF89a....");
  expect_error([&] { read_image(directory / "anim.png"); }, {"anim.png", "GIF"});
  write_bytes(directory / "empty.jpg", "");
  expect_error([&] { read_image(directory / "empty.jpg"); }, {"empty.jpg", "empty"});
}

TEST(Formats, TruncatedAndCorruptFilesAreNamed) {
  TempDirectory directory;
  write_png_file(directory / "good.png", eight_bit(32, 32, 3));
  write_jpeg_file(directory / "good.jpg", 32, 32, 3, smooth_pixels(32, 32, 3));
  const std::string png = read_bytes(directory / "good.png"), jpeg = read_bytes(directory / "good.jpg");
  for (size_t keep : {size_t{20}, size_t{60}, png.size() / 2, png.size() - 5}) {
    write_bytes(directory / "cut.png", png.substr(0, keep));
    expect_error([&] { read_image(directory / "cut.png"); }, {"cut.png", "corrupt or truncated PNG"});
  }
  std::string flipped = png;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);  // inside IDAT: CRC fails
  write_bytes(directory / "flipped.png", flipped);
  expect_error([&] { read_image(directory / "flipped.png"); }, {"flipped.png", "corrupt or truncated PNG"});
  for (size_t keep : {size_t{3}, size_t{40}, jpeg.size() / 2}) {
    write_bytes(directory / "cut.jpg", jpeg.substr(0, keep));
    expect_error([&] { read_image(directory / "cut.jpg"); }, {"cut.jpg", "corrupt or truncated JPEG"});
  }
  std::string scrambled = jpeg;
  for (size_t i = 4; i < 200 && i < scrambled.size(); ++i) scrambled[i] = static_cast<char>(0x5a);  // headers gone
  write_bytes(directory / "scrambled.jpg", scrambled);
  expect_error([&] { read_image(directory / "scrambled.jpg"); }, {"scrambled.jpg", "corrupt or truncated JPEG"});
}

// ---- conversions
TEST(Convert, GrayscaleUsesPilLumaWeights) {
  Tensor rgb = from_vector({255, 0, 0, 10, 0, 255, 0, 200, 0, 0, 255, 77}, {3, 1, 4}, {.dtype = DType::u8});
  // Pillow 13: Image.convert("L") of (255,0,0) (0,255,0) (0,0,255) (10,200,77)
  EXPECT_EQ(to_grayscale(rgb).to_vector(), (std::vector<double>{76, 150, 29, 129}));
  Tensor unit = to_grayscale(rgb.to(DType::f32) / 255.0);
  EXPECT_NEAR(unit.to_vector()[0], 0.299, 1e-6);
  EXPECT_EQ(to_grayscale(zeros({1, 2, 2})).shape(), (Shape{1, 2, 2}));
  expect_error([] { to_grayscale(zeros({2, 2, 2})); }, {"1 or 3 channels"});
}

Tensor test_pattern() {  // 5×7: (37y + 101x + 13xy) mod 256
  std::vector<double> values;
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 7; ++x) values.push_back((37 * y + 101 * x + 13 * x * y) % 256);
  }
  return from_vector(values, {1, 5, 7}, {.dtype = DType::u8});
}

TEST(Convert, ResizeMatchesPillowBilinear) {
  // Pillow 13: Image.resize((w, h), Image.BILINEAR) of the pattern. Pillow rounds to 8 bits between its
  // horizontal and vertical passes and nabla does not, hence the tolerance of 1.
  const std::vector<std::pair<Shape, std::vector<double>>> cases = {
      {{3, 4}, {67, 108, 156, 162, 128, 117, 134, 131, 134, 133, 147, 107}},
      {{2, 7}, {37, 151, 90, 111, 167, 165, 139, 111, 170, 135, 89, 171, 113, 113}},
      {{9, 11}, {0,   46,  110, 174, 146, 47,  111, 176, 240, 164, 94,  12,  60,  119, 132, 114, 72,  139, 183, 196,
                 162, 132, 33,  84,  135, 62,  61,  115, 187, 196, 123, 158, 196, 53,  108, 161, 74,  80,  157, 161,
                 157, 142, 144, 146, 74,  132, 189, 107, 118, 199, 117, 105, 185, 127, 68,  95,  156, 217, 140, 104,
                 99,  112, 117, 112, 123, 132, 115, 167, 220, 166, 101, 27,  117, 137, 65,  116, 167, 136, 126, 119,
                 160, 138, 70,  164, 189, 121, 99,  89,  148, 101, 59,  156, 161, 95,  192, 220, 154, 89,  42}},
  };
  for (const auto& [size, expected] : cases) {
    std::vector<double> got = resize_bilinear(test_pattern(), size[0], size[1]).to_vector();
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1.0) << shape_string(size) << " at " << i;
  }
}

TEST(Convert, EnlargingEqualsInterpolateAndSameSizeIsIdentity) {
  Tensor image = rand({3, 6, 5});
  Tensor ours = resize_bilinear(image, 13, 8);
  Tensor theirs =
      functional::interpolate(image.unsqueeze(0), {.size = Size2{13, 8}, .mode = UpsampleMode::bilinear}).squeeze(0);
  EXPECT_LT(max(abs(ours - theirs)).item(), 1e-5);
  EXPECT_EQ(resize_bilinear(test_pattern(), 5, 7).to_vector(), test_pattern().to_vector());
  expect_error([] { resize_bilinear(zeros({4, 4}), 2, 2); }, {"[C, H, W]"});
  expect_error([] { resize_bilinear(zeros({1, 4, 4}), 0, 2); }, {"positive"});
}

// ---- image folders
struct Folder {
  TempDirectory directory;
  std::string root = directory / "root";
};

TEST(ImageFolder, LabelsFromSortedClassFolders) {
  Folder folder;
  fs::create_directories(folder.root + "/sandal");
  fs::create_directories(folder.root + "/bag");
  write_png_file(folder.root + "/sandal/b.png", eight_bit(6, 4, 1));
  write_png_file(folder.root + "/sandal/a.PNG", eight_bit(6, 4, 1));
  write_jpeg_file(folder.root + "/bag/x.jpeg", 4, 6, 3, smooth_pixels(6, 4, 3));
  write_bytes(folder.root + "/sandal/notes.txt", "not an image: skipped");
  write_bytes(folder.root + "/sandal/.hidden.png", "skipped too");
  write_bytes(folder.root + "/README", "files beside the class folders are skipped");
  ImageFolderDataset dataset(folder.root);
  EXPECT_EQ(dataset.class_names(), (std::vector<std::string>{"bag", "sandal"}));
  EXPECT_EQ(dataset.labels(), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(fs::path(dataset.files()[1]).filename(), "a.PNG");
  EXPECT_EQ(dataset.inputs().shape(), (Shape{3, 3, 6, 4}));  // one image has colour: all get 3 channels
  EXPECT_EQ(dataset.inputs().dtype(), DType::u8);
  // the gray image, copied into each channel
  EXPECT_EQ(dataset.inputs().select(0, 1).select(0, 2).to_vector(), planar_values(smooth_pixels(6, 4, 1), 6, 4, 1));

  auto shared = std::make_shared<ImageFolderDataset>(folder.root, ImageFolderOptions{.channels = 1, .height = 8,
                                                                                      .width = 8});
  DataLoader loader(shared, {.batch_size = 2, .shuffle = false});
  auto epoch = loader.epoch(0);
  auto batch = epoch->next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->inputs.shape(), (Shape{2, 1, 8, 8}));
  EXPECT_EQ(batch->inputs.dtype(), DType::f32);
  EXPECT_LE(max(batch->inputs).item(), 1.0);
  EXPECT_EQ(batch->targets.to_vector(), (std::vector<double>{0, 1}));
  EXPECT_EQ(epoch->next()->targets.to_vector(), (std::vector<double>{1}));
}

TEST(ImageFolder, ProblemsAreNamed) {
  Folder folder;
  expect_error([&] { ImageFolderDataset{folder.root}; }, {folder.root, "does not exist"});
  fs::create_directories(folder.root);
  expect_error([&] { ImageFolderDataset{folder.root}; }, {folder.root, "no class folders"});
  fs::create_directories(folder.root + "/coat");
  fs::create_directories(folder.root + "/dress");
  write_png_file(folder.root + "/coat/1.png", eight_bit(6, 4, 1));
  write_bytes(folder.root + "/dress/readme.txt", "no images here");
  expect_error([&] { ImageFolderDataset{folder.root}; }, {folder.root + "/dress", "no .png"});
  write_png_file(folder.root + "/dress/big.png", eight_bit(7, 4, 1));
  expect_error([&] { ImageFolderDataset{folder.root}; }, {"big.png", "4×7", "1.png", "height and width"});
  EXPECT_EQ(ImageFolderDataset(folder.root, {.height = 5, .width = 5}).inputs().shape(), (Shape{2, 1, 5, 5}));
  write_bytes(folder.root + "/dress/broken.jpg", "\xff\xd8\xff garbage");
  expect_error([&] { ImageFolderDataset(folder.root, {.height = 5, .width = 5}); }, {"broken.jpg", "JPEG"});
  expect_error([&] { ImageFolderDataset(folder.root, {.height = 5}); }, {"height and width"});
  expect_error([&] { ImageFolderDataset(folder.root, {.channels = 2}); }, {"channels"});
}

// ---- CSV
struct CsvFile {
  TempDirectory directory;
  std::string path = directory / "table.csv";
  explicit CsvFile(const std::string& text) { write_bytes(path, text); }
};

TEST(Csv, ClassificationWithTheLastColumnAsTarget) {
  CsvFile file("\xEF\xBB\xBFlength,\"width, cm\",label\r\n1.5,2,0\r\n\r\n-3e1, \"+4\" ,2\r\n0.25,.5,1\r\n");
  CsvDataset dataset(file.path);
  EXPECT_EQ(dataset.feature_names(), (std::vector<std::string>{"length", "width, cm"}));
  EXPECT_EQ(dataset.target_name(), "label");
  EXPECT_EQ(dataset.inputs().shape(), (Shape{3, 2}));
  EXPECT_EQ(dataset.inputs().to_vector(), (std::vector<double>{1.5, 2, -30, 4, 0.25, 0.5}));
  EXPECT_EQ(dataset.targets().dtype(), DType::i64);
  EXPECT_EQ(dataset.labels(), (std::vector<int64_t>{0, 2, 1}));
  DataLoader loader(std::make_shared<CsvDataset>(file.path), {.batch_size = 2, .shuffle = false});
  EXPECT_EQ(loader.epoch(0)->next()->inputs.shape(), (Shape{2, 2}));
}

TEST(Csv, RegressionOnANamedColumn) {
  CsvFile file("price,rooms,area\n100.5,3,70\n80,2,55\n");
  CsvDataset dataset(file.path, {.target = "price", .regression = true});
  EXPECT_EQ(dataset.feature_names(), (std::vector<std::string>{"rooms", "area"}));
  EXPECT_EQ(dataset.inputs().to_vector(), (std::vector<double>{3, 70, 2, 55}));
  EXPECT_EQ(dataset.targets().shape(), (Shape{2, 1}));
  EXPECT_EQ(dataset.targets().to_vector(), (std::vector<double>{100.5, 80}));
  CsvFile semicolons("a;b\n1;2\n");
  EXPECT_EQ(CsvDataset(semicolons.path, {.delimiter = ';'}).inputs().to_vector(), (std::vector<double>{1}));
}

TEST(Csv, ErrorsNameTheFileLineAndColumn) {
  auto expect_csv_error = [](const std::string& text, std::initializer_list<std::string> fragments,
                             const CsvOptions& options = {}) {
    CsvFile file(text);
    std::vector<std::string> all = fragments;
    all.push_back(file.path);
    try {
      CsvDataset dataset(file.path, options);
      ADD_FAILURE() << "expected an error for: " << text;
    } catch (const Error& error) {
      const std::string message = error.what();
      for (const std::string& fragment : all) EXPECT_NE(message.find(fragment), std::string::npos) << message;
    }
  };
  expect_csv_error("", {"is empty"});
  expect_csv_error("\n \n", {"is empty"});
  expect_csv_error("a,b\n", {"no data rows"});
  expect_csv_error("a,b\n1,2\n3\n", {"line 3", "1 fields", "has 2"});
  expect_csv_error("a,b\n1,2\nx1,2\n", {"line 3", "column 'a' (1)", "'x1' is not a number"});
  expect_csv_error("a,b,c\n1,,2\n", {"line 2", "column 'b' (2)", "empty"});
  expect_csv_error("a,b\n1,nan\n", {"line 2", "finite"});
  expect_csv_error("a,b\n1,0.5\n", {"line 2", "column 'b' (2)", "not a class label", "regression"});
  expect_csv_error("a,b\n1,-1\n", {"not a class label"});
  expect_csv_error("a,b\n1,2\n", {"no column 'price'", "a, b"}, {.target = "price"});
  expect_csv_error("only\n1\n", {"1 column"});
  expect_csv_error("a,b\n\"1,2\n", {"line 2", "quoted field"});
  expect_error([] { CsvDataset("/nonexistent/table.csv"); }, {"/nonexistent/table.csv", "does not exist"});
}

}  // namespace
}  // namespace nabla::data
