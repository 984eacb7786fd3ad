// safetensors reading and writing. Loading checks the whole header (length, JSON, dtypes, shapes,
// offsets) against the file before it allocates a tensor, so a corrupt or hostile file costs nothing
// and fails with one line that names the file and the fault.
#include "nabla/io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/factory.h"

namespace nabla {

// The format is little-endian; tensors in memory are stored in host order and copied byte for byte.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

// The format's own cap on the header; it also stops a garbage length from allocating gigabytes.
constexpr uint64_t max_header_bytes = 100'000'000;
constexpr const char* metadata_key = "__metadata__";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(fmt::format("safetensors: {}: {}", path, what));
}

// Names come from the file: escape control characters so that every message stays on one line.
std::string quote_name(std::string_view text) {
  std::string result = "'";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    result += byte < 0x20 || byte == 0x7f ? fmt::format("\\x{:02x}", byte) : std::string(1, c);
  }
  return result + "'";
}

std::string one_line(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

std::string system_error(const std::string& what) { return fmt::format("{}: {}", what, std::strerror(errno)); }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (int i = 0; i < dtype_count; ++i) {
    auto dtype = static_cast<DType>(i);
    if (name == safetensors_dtype_name(dtype)) return dtype;
  }
  return std::nullopt;
}

// A file descriptor closed on every exit path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { close(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  bool close() {
    if (fd_ < 0) return true;
    int result = ::close(fd_);
    fd_ = -1;
    return result == 0;
  }

 private:
  int fd_;
};

// ---------------------------------------------------------------- reading

void read_exact(const FileDescriptor& file, void* buffer, uint64_t bytes, uint64_t offset, const std::string& path) {
  auto* out = static_cast<char*>(buffer);
  while (bytes > 0) {
    ssize_t got = ::pread(file.get(), out, bytes, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(path, system_error("read failed"));
    if (got == 0) fail(path, "file ended while reading (was it truncated while being read?)");
    out += got;
    bytes -= static_cast<uint64_t>(got);
    offset += static_cast<uint64_t>(got);
  }
}

struct Entry {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;
  uint64_t begin = 0, end = 0;  // within the data section
};

std::string entry_description(const Entry& entry) {
  return fmt::format("tensor {} has data_offsets [{}, {}] but shape {} {}", quote_name(entry.name), entry.begin,
                     entry.end, shape_string(entry.shape), dtype_name(entry.dtype));
}

DType parse_dtype(const nlohmann::json& value, const std::string& name, const std::string& path) {
  if (!value.is_string()) fail(path, fmt::format("tensor {} has no \"dtype\" string", quote_name(name)));
  std::string text = value.get<std::string>();
  std::optional<DType> dtype = dtype_from_name(text);
  if (!dtype) {
    fail(path, fmt::format("tensor {} has dtype {}, which nabla does not support (F32 F64 BF16 F16 I64 I32 U8 BOOL)",
                           quote_name(name), quote_name(text)));
  }
  return *dtype;
}

// A JSON array of `count` (or any number, when count is 0) non-negative integers that fit in int64.
std::vector<uint64_t> parse_counts(const nlohmann::json& value, size_t count, const char* field,
                                   const std::string& name, const std::string& path) {
  bool valid = value.is_array() && (count == 0 || value.size() == count);
  std::vector<uint64_t> result;
  for (size_t i = 0; valid && i < value.size(); ++i) {
    const auto& item = value[i];
    valid = item.is_number_unsigned() && item.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX);
    if (valid) result.push_back(item.get<uint64_t>());
  }
  if (!valid) {
    fail(path, fmt::format("tensor {} has an invalid \"{}\": expected {} non-negative integers, got {}", quote_name(name),
                           field, count == 0 ? std::string("a list of") : std::to_string(count),
                           one_line(value.dump())));
  }
  return result;
}

// Bytes a tensor needs, or nothing when the count overflows 64 bits.
std::optional<uint64_t> byte_count(const Shape& shape, DType dtype) {
  uint64_t bytes = dtype_size(dtype);
  for (int64_t size : shape) {
    if (size != 0 && bytes > UINT64_MAX / static_cast<uint64_t>(size)) return std::nullopt;
    bytes *= static_cast<uint64_t>(size);
  }
  return bytes;
}

// A member of a JSON object, or null when it is missing.
const nlohmann::json& field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json missing;
  auto it = object.find(key);
  return it == object.end() ? missing : *it;
}

Entry parse_entry(const std::string& name, const nlohmann::json& value, uint64_t data_bytes,
                  const std::string& path) {
  if (!value.is_object()) fail(path, fmt::format("tensor {}: its header entry is not a JSON object", quote_name(name)));
  Entry entry;
  entry.name = name;
  entry.dtype = parse_dtype(field(value, "dtype"), name, path);
  for (uint64_t size : parse_counts(field(value, "shape"), 0, "shape", name, path)) {
    entry.shape.push_back(static_cast<int64_t>(size));
  }
  auto offsets = parse_counts(field(value, "data_offsets"), 2, "data_offsets", name, path);
  entry.begin = offsets[0];
  entry.end = offsets[1];
  if (entry.begin > entry.end) {
    fail(path, fmt::format("tensor {} has data_offsets [{}, {}]: begin is after end", quote_name(name), entry.begin,
                           entry.end));
  }
  if (entry.end > data_bytes) {
    fail(path, fmt::format("tensor {} has data_offsets [{}, {}] beyond the data section's {} bytes", quote_name(name),
                           entry.begin, entry.end, data_bytes));
  }
  std::optional<uint64_t> needed = byte_count(entry.shape, entry.dtype);
  if (!needed) fail(path, fmt::format("tensor {} has shape {}, too large to address", quote_name(name), shape_string(entry.shape)));
  if (*needed != entry.end - entry.begin) {
    fail(path, fmt::format("{} needs {} bytes", entry_description(entry), *needed));
  }
  return entry;
}

std::map<std::string, std::string> parse_metadata(const nlohmann::json& value, const std::string& path) {
  std::map<std::string, std::string> metadata;
  bool valid = value.is_object();
  for (auto it = valid ? value.begin() : value.end(); valid && it != value.end(); ++it) {
    valid = it.value().is_string();
    if (valid) metadata[it.key()] = it.value().get<std::string>();
  }
  if (!valid) fail(path, "\"__metadata__\" must be an object whose values are strings");
  return metadata;
}

// Ranges may leave gaps (other writers pad), but two tensors must never share bytes.
void check_no_overlap(std::vector<Entry>& entries, const std::string& path) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const Entry* previous = nullptr;
  for (const Entry& entry : entries) {
    if (entry.begin == entry.end) continue;  // an empty tensor occupies no bytes
    if (previous && entry.begin < previous->end) {
      fail(path, fmt::format("tensors {} [{}, {}] and {} [{}, {}] overlap", quote_name(previous->name), previous->begin,
                             previous->end, quote_name(entry.name), entry.begin, entry.end));
    }
    previous = &entry;
  }
}

uint64_t file_size(const FileDescriptor& file, const std::string& path) {
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) fail(path, system_error("can't stat the file"));
  if (!S_ISREG(info.st_mode)) fail(path, "not a regular file");
  return static_cast<uint64_t>(info.st_size);
}

// Reads and checks the length prefix and the JSON header; returns the header and the data section's size.
std::pair<nlohmann::json, uint64_t> read_header(const FileDescriptor& file, const std::string& path) {
  uint64_t size = file_size(file, path);
  if (size < 8) fail(path, fmt::format("file is {} bytes, too short for the 8-byte header length", size));
  uint64_t header_bytes = 0;
  read_exact(file, &header_bytes, 8, 0, path);  // little-endian on a little-endian host
  if (header_bytes > max_header_bytes || header_bytes > size - 8) {
    fail(path, fmt::format("header length {} does not fit in the file's {} bytes (is it a safetensors file?)",
                           header_bytes, size));
  }
  std::string text(header_bytes, '\0');
  read_exact(file, text.data(), header_bytes, 8, path);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    fail(path, "header is not valid JSON: " + one_line(error.what()));
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  return {std::move(header), size - 8 - header_bytes};
}

// Booleans must be 0 or 1: any other byte would make kernels that test `== 1` and `!= 0` disagree.
void check_booleans(const Tensor& tensor, const std::string& name, const std::string& path) {
  const auto* bytes = static_cast<const uint8_t*>(tensor.raw_data());
  for (int64_t i = 0; i < tensor.numel(); ++i) {
    if (bytes[i] > 1) fail(path, fmt::format("tensor {} is BOOL but element {} holds byte {}", quote_name(name), i, bytes[i]));
  }
}

// ---------------------------------------------------------------- writing

void write_all(const FileDescriptor& file, const void* buffer, size_t bytes, const std::string& path) {
  const auto* in = static_cast<const char*>(buffer);
  while (bytes > 0) {
    ssize_t written = ::write(file.get(), in, bytes);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) fail(path, system_error("write failed"));
    in += written;
    bytes -= static_cast<size_t>(written);
  }
}

void check_savable(const std::string& name, const Tensor& tensor, const std::string& path) {
  if (name == metadata_key) fail(path, fmt::format("a tensor can't be named {}", quote_name(name)));
  if (!tensor.defined()) fail(path, fmt::format("tensor {} is undefined", quote_name(name)));
  if (tensor.device() != Device::cpu) fail(path, fmt::format("tensor {} is not on the CPU", quote_name(name)));
}

// The JSON header, padded with spaces to a multiple of 8 bytes so that the data section stays aligned.
std::string make_header(const std::map<std::string, Tensor>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[metadata_key] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    uint64_t bytes = static_cast<uint64_t>(tensor.numel()) * dtype_size(tensor.dtype());
    header[name] = {{"dtype", safetensors_dtype_name(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

void write_tensor(const FileDescriptor& file, const Tensor& tensor, const std::string& path) {
  if (tensor.numel() == 0) return;
  Tensor data = tensor.detach().contiguous();  // detach: saving never records autograd history
  write_all(file, data.raw_data(), static_cast<size_t>(data.numel()) * dtype_size(data.dtype()), path);
}

// After the rename, syncing the directory makes the new name itself durable.
void sync_directory(const std::string& path) {
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  FileDescriptor handle(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (handle.get() >= 0) ::fsync(handle.get());  // best effort: some file systems refuse directory fsync
}

void write_file(const std::string& temporary, const std::string& header, const std::map<std::string, Tensor>& tensors) {
  FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (file.get() < 0) fail(temporary, system_error("can't create the file"));
  uint64_t header_bytes = header.size();
  write_all(file, &header_bytes, 8, temporary);
  write_all(file, header.data(), header.size(), temporary);
  for (const auto& [name, tensor] : tensors) write_tensor(file, tensor, temporary);
  if (::fsync(file.get()) != 0) fail(temporary, system_error("fsync failed"));
  if (!file.close()) fail(temporary, system_error("close failed"));
}

}  // namespace

const char* safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::bf16: return "BF16";
    case DType::f16: return "F16";
    case DType::i64: return "I64";
    case DType::i32: return "I32";
    case DType::u8: return "U8";
    case DType::boolean: return "BOOL";
  }
  return "?";
}

SafetensorsContents read_safetensors(const std::string& path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) fail(path, system_error("can't open the file"));
  auto [header, data_bytes] = read_header(file, path);
  uint64_t data_start = file_size(file, path) - data_bytes;

  SafetensorsContents contents;
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == metadata_key) {
      contents.metadata = parse_metadata(it.value(), path);
    } else {
      entries.push_back(parse_entry(it.key(), it.value(), data_bytes, path));
    }
  }
  check_no_overlap(entries, path);

  // Everything is valid: only now allocate and read.
  for (const Entry& entry : entries) {
    Tensor tensor = empty(entry.shape, {.dtype = entry.dtype});
    if (entry.end > entry.begin) read_exact(file, tensor.raw_data(), entry.end - entry.begin, data_start + entry.begin, path);
    if (entry.dtype == DType::boolean) check_booleans(tensor, entry.name, path);
    contents.tensors.emplace(entry.name, std::move(tensor));
  }
  return contents;
}

std::map<std::string, Tensor> load_safetensors(const std::string& path) { return read_safetensors(path).tensors; }

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  for (const auto& [name, tensor] : tensors) check_savable(name, tensor, path);
  std::string header = make_header(tensors, metadata);
  std::string temporary = path + ".tmp";
  try {
    write_file(temporary, header, tensors);
  } catch (...) {
    ::unlink(temporary.c_str());  // never leave a half-written file behind
    throw;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string message = system_error(fmt::format("can't rename {} into place", temporary));
    ::unlink(temporary.c_str());
    fail(path, message);
  }
  sync_directory(path);
}

}  // namespace nabla
