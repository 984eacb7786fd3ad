#include "nabla/data/idx.h"

#include <zlib.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "nabla/factory.h"

namespace nabla::data {
namespace {

// gzread reads raw files as well as gzip ones, so one reader covers both.
struct GzipFile {
  std::string path;
  gzFile handle;
  explicit GzipFile(const std::string& name) : path(name), handle(gzopen(name.c_str(), "rb")) {}
  ~GzipFile() {
    if (handle) gzclose(handle);
  }
  // Bytes read: fewer than asked only at the end of the file. A damaged gzip stream (bad deflate data, or a
  // checksum that fails when the end is reached) is an error, not an early end: its bytes can't be trusted.
  int64_t read(void* buffer, int64_t bytes) {
    int64_t total = 0;
    auto* out = static_cast<char*>(buffer);
    while (total < bytes) {
      unsigned chunk = static_cast<unsigned>(std::min<int64_t>(bytes - total, 1 << 30));
      int got = gzread(handle, out + total, chunk);
      if (got < 0) {
        int code = 0;
        std::string message = gzerror(handle, &code);
        if (message.rfind(path + ": ", 0) == 0) message.erase(0, path.size() + 2);  // zlib prefixes the path
        throw Error(fmt::format("read_idx: {} is corrupt ({}); download or reinstall the file", path, message));
      }
      if (got == 0) break;
      total += got;
    }
    return total;
  }
};

uint32_t big_endian(const unsigned char* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | uint32_t{bytes[3]};
}

}  // namespace

Tensor read_idx(const std::string& path) {
  NABLA_CHECK(std::filesystem::exists(path), "read_idx: {} does not exist", path);
  GzipFile file(path);
  NABLA_CHECK(file.handle, "read_idx: can't open {}", path);
  std::array<unsigned char, 4> magic{};
  NABLA_CHECK(file.read(magic.data(), 4) == 4, "read_idx: {} is shorter than an IDX header (4 bytes)", path);
  NABLA_CHECK(magic[0] == 0 && magic[1] == 0, "read_idx: {} is not an IDX file (magic {:02x} {:02x} {:02x} {:02x})", path,
              magic[0], magic[1], magic[2], magic[3]);
  NABLA_CHECK(magic[2] == 0x08, "read_idx: {} holds element type 0x{:02x}; only unsigned bytes (0x08) are supported",
              path, magic[2]);
  const int rank = magic[3];
  NABLA_CHECK(rank >= 1 && rank <= 4, "read_idx: {} declares rank {}; expected 1 to 4", path, rank);
  std::array<unsigned char, 16> size_bytes{};
  NABLA_CHECK(file.read(size_bytes.data(), 4 * rank) == 4 * rank, "read_idx: {} is truncated inside its header", path);
  Shape shape;
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    int64_t size = big_endian(size_bytes.data() + 4 * d);
    NABLA_CHECK(size > 0 && size < (int64_t{1} << 31), "read_idx: {} declares dim {} of size {}", path, d, size);
    shape.push_back(size);
    count *= size;
    NABLA_CHECK(count <= (int64_t{1} << 34), "read_idx: {} declares {} elements, more than nabla will read", path,
                shape_string(shape));
  }
  Tensor result = empty(shape, {.dtype = DType::u8});
  int64_t got = file.read(result.raw_data(), count);
  NABLA_CHECK(got == count, "read_idx: {} is truncated: its header declares {} ({} bytes) but it holds {}", path,
              shape_string(shape), count, got);
  unsigned char extra;
  NABLA_CHECK(file.read(&extra, 1) == 0, "read_idx: {} has bytes after the {} its header declares", path,
              shape_string(shape));
  return result;
}

}  // namespace nabla::data
