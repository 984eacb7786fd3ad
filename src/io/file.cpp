#include "nabla/io/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nabla/error.h"

namespace nabla::io {
namespace {

std::string reason() { return std::strerror(errno); }

}  // namespace

void write_file_atomic(const std::string& path, std::string_view contents) {
  std::string temporary = path + ".tmp";
  int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  NABLA_CHECK(descriptor >= 0, "write: can't create {}: {}", temporary, reason());
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t count = ::write(descriptor, contents.data() + written, contents.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      std::string why = reason();
      ::close(descriptor);
      ::unlink(temporary.c_str());
      throw Error(fmt::format("write: writing {} failed: {}", temporary, why));
    }
    written += static_cast<size_t>(count);
  }
  bool synced = ::fsync(descriptor) == 0;
  bool closed = ::close(descriptor) == 0;
  if (!synced || !closed || ::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string why = reason();
    ::unlink(temporary.c_str());
    throw Error(fmt::format("write: can't put {} in place: {}", path, why));
  }
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  int handle = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (handle >= 0) {
    ::fsync(handle);  // best effort: makes the rename itself durable
    ::close(handle);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  NABLA_CHECK(file.good(), "read: can't open {}: {}", path, std::filesystem::exists(path) ? "permission or I/O error" : "no such file");
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace nabla::io
