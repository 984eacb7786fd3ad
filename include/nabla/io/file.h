#pragma once
// Whole-file reads and atomic writes: write to `path.tmp`, fsync, rename onto `path`, fsync the directory.
// A crash at any moment leaves either the old file or the new one, never half of one.
#include <string>
#include <string_view>

namespace nabla::io {

void write_file_atomic(const std::string& path, std::string_view contents);
std::string read_file(const std::string& path);  // errors name the file

}  // namespace nabla::io
