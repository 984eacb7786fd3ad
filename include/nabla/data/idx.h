#pragma once
// The IDX format (MNIST, Fashion-MNIST): big-endian magic (0, 0, type, rank), rank sizes, then the data.
// Raw or gzip-compressed (read through zlib). Everything is validated before the data is allocated.
#include <string>

#include "nabla/tensor.h"

namespace nabla::data {

// Reads an IDX file of unsigned bytes into a uint8 tensor of its shape. Errors name the file and what is
// wrong (missing, not IDX, unsupported type, sizes that disagree with the file's length, truncation).
Tensor read_idx(const std::string& path);

}  // namespace nabla::data
