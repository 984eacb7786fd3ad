// PNG and JPEG through libpng and libjpeg. Both libraries report errors by never returning (libpng longjmps,
// libjpeg's default error_exit calls exit()). Here each one jumps back to a setjmp in a small C-style
// function whose frame holds no C++ object with a destructor: every such object (the library's struct
// guard, the file's bytes, the pixel buffer) lives in the caller, so a jump skips no destructor. The caller
// turns a false return into a nabla::Error naming the file. No C++ exception ever crosses a C frame.
#include "nabla/data/image.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <vector>

extern "C" {
#include <jpeglib.h>  // needs <cstdio> first
#include <jerror.h>
#include <png.h>
}

#include "nabla/error.h"
#include "nabla/factory.h"
#include "nabla/io/file.h"

namespace nabla::data {
namespace {

// Nothing larger is decoded: a hostile header must not make us allocate terabytes.
constexpr int64_t max_pixels = int64_t{1} << 28;

// Decoded pixels, interleaved [H, W, C].
struct Pixels {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<unsigned char> values;
};

// The C-side state of one libpng read or write: the bytes, and the message of the error that jumped.
struct PngStream {
  const unsigned char* input = nullptr;
  size_t size = 0, position = 0;
  std::string* output = nullptr;
  bool out_of_memory = false;
  char message[256] = {};
};

// ---- PNG reading
void png_read_bytes(png_structp png, png_bytep out, size_t count) {
  auto* stream = static_cast<PngStream*>(png_get_io_ptr(png));
  if (count > stream->size - stream->position) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, stream->input + stream->position, count);
  stream->position += count;
}

[[noreturn]] void png_fail(png_structp png, png_const_charp message) {
  auto* stream = static_cast<PngStream*>(png_get_error_ptr(png));
  std::snprintf(stream->message, sizeof stream->message, "%s", message);
  png_longjmp(png, 1);
}

// Warnings ("known incorrect sRGB profile", a bad ancillary chunk) concern files that decode fine.
void png_ignore_warning(png_structp, png_const_charp) {}

struct PngReadGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReadGuard() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

// Reads the header and asks for 8-bit gray or RGB without alpha. Plain values only in this frame.
bool png_read_header(png_structp png, png_infop info, Pixels& pixels) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  png_set_expand(png);      // palette → RGB, gray below 8 bits → 8, a transparency chunk → alpha
  png_set_scale_16(png);    // 16 → 8 bits, rounded (png_set_strip_16 would just keep the high byte)
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  pixels.height = png_get_image_height(png, info);
  pixels.width = png_get_image_width(png, info);
  pixels.channels = png_get_channels(png, info);
  return true;
}

// Reads every row (all passes of an interlaced file) into the buffer the caller sized, then the chunks
// after the image data, so a file cut short after its pixels is caught too.
bool png_read_pixels(png_structp png, png_infop info, Pixels& pixels) {
  if (setjmp(png_jmpbuf(png))) return false;
  const int passes = png_set_interlace_handling(png);
  const size_t row_bytes = static_cast<size_t>(pixels.width * pixels.channels);
  for (int pass = 0; pass < passes; ++pass) {
    for (int64_t row = 0; row < pixels.height; ++row) {
      png_read_row(png, pixels.values.data() + static_cast<size_t>(row) * row_bytes, nullptr);
    }
  }
  png_read_end(png, nullptr);
  return true;
}

void allocate(Pixels& pixels, const std::string& path) {
  NABLA_CHECK(pixels.height > 0 && pixels.width > 0 && (pixels.channels == 1 || pixels.channels == 3),
              "read_image: {} decodes to {}×{} pixels with {} channels; expected gray or RGB", path, pixels.width,
              pixels.height, pixels.channels);
  NABLA_CHECK(pixels.height * pixels.width <= max_pixels, "read_image: {} declares {}×{} pixels, more than nabla reads",
              path, pixels.width, pixels.height);
  pixels.values.resize(static_cast<size_t>(pixels.height * pixels.width * pixels.channels));
}

Pixels decode_png(const std::string& bytes, const std::string& path) {
  PngStream stream{.input = reinterpret_cast<const unsigned char*>(bytes.data()), .size = bytes.size()};
  PngReadGuard guard;
  guard.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &stream, png_fail, png_ignore_warning);
  NABLA_CHECK(guard.png, "read_image: libpng could not start reading {}", path);
  guard.info = png_create_info_struct(guard.png);
  NABLA_CHECK(guard.info, "read_image: libpng could not start reading {}", path);
  png_set_read_fn(guard.png, &stream, png_read_bytes);
  Pixels pixels;
  bool ok = png_read_header(guard.png, guard.info, pixels);
  if (ok) {
    allocate(pixels, path);
    ok = png_read_pixels(guard.png, guard.info, pixels);
  }
  NABLA_CHECK(ok, "read_image: {} is a corrupt or truncated PNG: {}", path, stream.message);
  return pixels;
}

// ---- JPEG reading
struct JpegErrors {
  jpeg_error_mgr base;  // first member: libjpeg's pointer to it is a pointer to this struct
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// libjpeg only warns about a file that ends early, and pads the picture with gray; that is an error here.
// Other warnings ("extraneous bytes before marker") concern files that still decode, and are dropped
// rather than printed to stderr.
void jpeg_message(j_common_ptr info, int level) {
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) jpeg_fail(info);
}

struct JpegGuard {
  jpeg_decompress_struct info{};
  ~JpegGuard() { jpeg_destroy_decompress(&info); }  // safe on a struct that was never created (zeroed)
};

bool jpeg_read_header_and_start(jpeg_decompress_struct& info, JpegErrors& errors, const std::string& bytes,
                                Pixels& pixels) {
  if (setjmp(errors.jump)) return false;
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    std::snprintf(errors.message, sizeof errors.message, "CMYK JPEGs are not supported; save it as RGB");
    return false;
  }
  info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_calc_output_dimensions(&info);
  pixels.height = info.output_height;
  pixels.width = info.output_width;
  pixels.channels = info.output_components;
  return true;
}

bool jpeg_read_pixels(jpeg_decompress_struct& info, JpegErrors& errors, Pixels& pixels) {
  if (setjmp(errors.jump)) return false;
  jpeg_start_decompress(&info);
  const size_t row_bytes = static_cast<size_t>(pixels.width * pixels.channels);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels.values.data() + static_cast<size_t>(info.output_scanline) * row_bytes;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  return true;
}

Pixels decode_jpeg(const std::string& bytes, const std::string& path) {
  JpegErrors errors{};
  JpegGuard guard;
  guard.info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = jpeg_fail;
  errors.base.emit_message = jpeg_message;
  Pixels pixels;
  bool ok = jpeg_read_header_and_start(guard.info, errors, bytes, pixels);
  if (ok) {
    allocate(pixels, path);
    ok = jpeg_read_pixels(guard.info, errors, pixels);
  }
  NABLA_CHECK(ok, "read_image: {} is a corrupt or truncated JPEG: {}", path, errors.message);
  return pixels;
}

// ---- formats
bool starts_with(const std::string& bytes, std::initializer_list<unsigned char> magic) {
  if (bytes.size() < magic.size()) return false;
  return std::equal(magic.begin(), magic.end(), bytes.begin(),
                    [](unsigned char expected, char actual) { return expected == static_cast<unsigned char>(actual); });
}
bool is_png(const std::string& bytes) { return starts_with(bytes, {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}); }
bool is_jpeg(const std::string& bytes) { return starts_with(bytes, {0xff, 0xd8, 0xff}); }

// A hint for the formats people most often have instead.
std::string guess_format(const std::string& bytes) {
  if (bytes.empty()) return "it is empty";
  if (starts_with(bytes, {'G', 'I', 'F', '8'})) return "it is a GIF";
  if (starts_with(bytes, {'B', 'M'})) return "it looks like a BMP";
  if (bytes.size() >= 12 && starts_with(bytes, {'R', 'I', 'F', 'F'}) && bytes.compare(8, 4, "WEBP") == 0) {
    return "it is a WebP";
  }
  std::string start;
  for (size_t i = 0; i < std::min<size_t>(bytes.size(), 4); ++i) {
    start += fmt::format("{}{:02x}", i ? " " : "", static_cast<unsigned char>(bytes[i]));
  }
  return "it starts with bytes " + start;
}

// Interleaved [H, W, C] → u8 [C, H, W].
Tensor planar(const Pixels& pixels) {
  Tensor image = empty({pixels.channels, pixels.height, pixels.width}, {.dtype = DType::u8});
  auto* out = image.data<uint8_t>();
  const int64_t plane = pixels.height * pixels.width;
  for (int64_t position = 0; position < plane; ++position) {
    for (int64_t channel = 0; channel < pixels.channels; ++channel) {
      out[channel * plane + position] = pixels.values[static_cast<size_t>(position * pixels.channels + channel)];
    }
  }
  return image;
}

// ---- PNG writing
void png_write_bytes(png_structp png, png_bytep data, size_t count) {
  auto* stream = static_cast<PngStream*>(png_get_io_ptr(png));
  try {
    stream->output->append(reinterpret_cast<const char*>(data), count);
  } catch (const std::bad_alloc&) {
    stream->out_of_memory = true;  // png_error must not be called inside the handler: it never returns
  }
  if (stream->out_of_memory) png_error(png, "out of memory");
}
void png_flush(png_structp) {}

struct PngWriteGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngWriteGuard() { png_destroy_write_struct(&png, info ? &info : nullptr); }
};

bool png_encode(png_structp png, png_infop info, const Pixels& pixels) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_IHDR(png, info, static_cast<png_uint_32>(pixels.width), static_cast<png_uint_32>(pixels.height), 8,
               pixels.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t row_bytes = static_cast<size_t>(pixels.width * pixels.channels);
  for (int64_t row = 0; row < pixels.height; ++row) {
    png_write_row(png, pixels.values.data() + static_cast<size_t>(row) * row_bytes);
  }
  png_write_end(png, nullptr);
  return true;
}

// u8 or f32 (in [0, 1]) [C, H, W] → interleaved 8-bit pixels.
Pixels interleaved(const Tensor& image, const std::string& path) {
  NABLA_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3) && image.size(1) > 0 && image.size(2) > 0,
              "write_png: {}: expected an image [1 or 3, H, W] or [H, W], got {}", path, image.describe());
  NABLA_CHECK(image.dtype() == DType::u8 || image.dtype() == DType::f32,
              "write_png: {}: expected u8 or f32 pixels, got {}", path, image.describe());
  Pixels pixels{.height = image.size(1), .width = image.size(2), .channels = image.size(0)};
  std::vector<double> values = image.contiguous().to_vector();
  const bool unit = image.dtype() == DType::f32;
  const int64_t plane = pixels.height * pixels.width;
  pixels.values.resize(values.size());
  for (int64_t channel = 0; channel < pixels.channels; ++channel) {
    for (int64_t position = 0; position < plane; ++position) {
      double value = values[static_cast<size_t>(channel * plane + position)];
      if (unit) value = std::round(std::clamp(value, 0.0, 1.0) * 255.0);
      pixels.values[static_cast<size_t>(position * pixels.channels + channel)] = static_cast<unsigned char>(value);
    }
  }
  return pixels;
}

// ---- resizing: PIL's precompute_coeffs for its bilinear (triangle) filter
struct AxisTaps {
  int64_t first = 0;
  std::vector<float> weights;  // for sources first, first + 1, …; they sum to 1
};

double triangle(double x) {
  x = std::abs(x);
  return x < 1 ? 1 - x : 0;
}

std::vector<AxisTaps> axis_taps(int64_t input, int64_t output) {
  const double scale = static_cast<double>(input) / static_cast<double>(output);
  const double filter_scale = std::max(scale, 1.0);  // shrinking stretches the filter over every source pixel
  const double support = filter_scale;               // the triangle's support is 1, stretched
  std::vector<AxisTaps> taps(static_cast<size_t>(output));
  for (int64_t position = 0; position < output; ++position) {
    const double centre = (static_cast<double>(position) + 0.5) * scale;
    const int64_t begin = std::max<int64_t>(static_cast<int64_t>(std::floor(centre - support + 0.5)), 0);
    const int64_t end = std::min<int64_t>(static_cast<int64_t>(std::floor(centre + support + 0.5)), input);
    AxisTaps& tap = taps[static_cast<size_t>(position)];
    tap.first = begin;
    double total = 0;
    std::vector<double> weights;
    for (int64_t source = begin; source < end; ++source) {
      weights.push_back(triangle((static_cast<double>(source) - centre + 0.5) / filter_scale));
      total += weights.back();
    }
    for (double weight : weights) tap.weights.push_back(static_cast<float>(total > 0 ? weight / total : 0));
  }
  return taps;
}

// [rows, width] → [rows, taps.size()], reading T (u8 or float) and writing float.
template <typename T>
std::vector<float> resize_rows(const T* in, int64_t rows, int64_t width, const std::vector<AxisTaps>& taps) {
  const auto out_width = static_cast<int64_t>(taps.size());
  std::vector<float> out(static_cast<size_t>(rows * out_width));
  for (int64_t row = 0; row < rows; ++row) {
    const T* source = in + row * width;
    for (int64_t column = 0; column < out_width; ++column) {
      const AxisTaps& tap = taps[static_cast<size_t>(column)];
      float sum = 0;
      for (size_t k = 0; k < tap.weights.size(); ++k) sum += tap.weights[k] * static_cast<float>(source[tap.first + k]);
      out[static_cast<size_t>(row * out_width + column)] = sum;
    }
  }
  return out;
}

// [channels, height, width] → [channels, taps.size(), width].
std::vector<float> resize_columns(const std::vector<float>& in, int64_t channels, int64_t height, int64_t width,
                                  const std::vector<AxisTaps>& taps) {
  const auto out_height = static_cast<int64_t>(taps.size());
  std::vector<float> out(static_cast<size_t>(channels * out_height * width), 0.0f);
  for (int64_t channel = 0; channel < channels; ++channel) {
    for (int64_t row = 0; row < out_height; ++row) {
      const AxisTaps& tap = taps[static_cast<size_t>(row)];
      float* target = out.data() + (channel * out_height + row) * width;
      for (size_t k = 0; k < tap.weights.size(); ++k) {
        const float* source = in.data() + (channel * height + tap.first + static_cast<int64_t>(k)) * width;
        for (int64_t column = 0; column < width; ++column) target[column] += tap.weights[k] * source[column];
      }
    }
  }
  return out;
}

void check_image(const char* function, const Tensor& image) {
  NABLA_CHECK(image.dim() == 3 && image.size(1) > 0 && image.size(2) > 0,
              "{}: expected an image [C, H, W], got {}", function, image.describe());
  NABLA_CHECK(image.dtype() == DType::u8 || image.dtype() == DType::f32, "{}: expected u8 or f32 pixels, got {}",
              function, image.describe());
}

// float values → a tensor of `dtype`: u8 rounded and clamped to 0…255.
Tensor from_floats(const std::vector<float>& values, const Shape& shape, DType dtype) {
  Tensor result = empty(shape, {.dtype = dtype});
  if (dtype == DType::f32) {
    std::copy(values.begin(), values.end(), result.data<float>());
    return result;
  }
  auto* out = result.data<uint8_t>();
  for (size_t i = 0; i < values.size(); ++i) {
    out[i] = static_cast<uint8_t>(std::clamp(std::lround(values[i]), 0L, 255L));
  }
  return result;
}

}  // namespace

Tensor read_image(const std::string& path) {
  namespace fs = std::filesystem;
  NABLA_CHECK(fs::exists(path), "read_image: {} does not exist", path);
  NABLA_CHECK(!fs::is_directory(path), "read_image: {} is a directory, not an image file", path);
  const std::string bytes = io::read_file(path);
  if (is_png(bytes)) return planar(decode_png(bytes, path));
  if (is_jpeg(bytes)) return planar(decode_jpeg(bytes, path));
  throw Error(fmt::format("read_image: {} is not a PNG or JPEG file ({})", path, guess_format(bytes)));
}

void write_png(const std::string& path, const Tensor& image) {
  const Pixels pixels = interleaved(image.dim() == 2 ? image.unsqueeze(0) : image, path);
  std::string encoded;
  PngStream stream{.output = &encoded};
  PngWriteGuard guard;
  guard.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &stream, png_fail, png_ignore_warning);
  NABLA_CHECK(guard.png, "write_png: libpng could not start writing {}", path);
  guard.info = png_create_info_struct(guard.png);
  NABLA_CHECK(guard.info, "write_png: libpng could not start writing {}", path);
  png_set_write_fn(guard.png, &stream, png_write_bytes, png_flush);
  NABLA_CHECK(png_encode(guard.png, guard.info, pixels), "write_png: encoding {} failed: {}", path, stream.message);
  io::write_file_atomic(path, encoded);
}

Tensor to_grayscale(const Tensor& image) {
  check_image("to_grayscale", image);
  NABLA_CHECK(image.size(0) == 1 || image.size(0) == 3, "to_grayscale: expected 1 or 3 channels, got {}",
              image.describe());
  if (image.size(0) == 1) return image;
  const Tensor source = image.contiguous();
  const int64_t plane = image.size(1) * image.size(2);
  Tensor gray = empty({1, image.size(1), image.size(2)}, {.dtype = image.dtype()});
  if (image.dtype() == DType::u8) {
    // PIL's fixed-point form of 0.299, 0.587, 0.114 (weights out of 2¹⁶, rounded), so results match PIL's.
    const uint8_t* in = source.data<uint8_t>();
    uint8_t* out = gray.data<uint8_t>();
    for (int64_t i = 0; i < plane; ++i) {
      const uint32_t luma = in[i] * 19595u + in[plane + i] * 38470u + in[2 * plane + i] * 7471u + 0x8000u;
      out[i] = static_cast<uint8_t>(luma >> 16);
    }
    return gray;
  }
  const float* in = source.data<float>();
  float* out = gray.data<float>();
  for (int64_t i = 0; i < plane; ++i) out[i] = 0.299f * in[i] + 0.587f * in[plane + i] + 0.114f * in[2 * plane + i];
  return gray;
}

Tensor resize_bilinear(const Tensor& image, int64_t height, int64_t width) {
  check_image("resize_bilinear", image);
  NABLA_CHECK(height > 0 && width > 0, "resize_bilinear: the size must be positive, got {}×{}", height, width);
  const Tensor source = image.contiguous();
  const int64_t channels = image.size(0), in_height = image.size(1), in_width = image.size(2);
  const std::vector<AxisTaps> columns = axis_taps(in_width, width), rows = axis_taps(in_height, height);
  // Rows first, as PIL: the horizontal pass shrinks the data the vertical pass reads.
  std::vector<float> across = image.dtype() == DType::u8
                                  ? resize_rows(source.data<uint8_t>(), channels * in_height, in_width, columns)
                                  : resize_rows(source.data<float>(), channels * in_height, in_width, columns);
  std::vector<float> resized = resize_columns(across, channels, in_height, width, rows);
  return from_floats(resized, {channels, height, width}, image.dtype());
}

}  // namespace nabla::data
