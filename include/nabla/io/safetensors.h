#pragma once
// safetensors files (https://github.com/huggingface/safetensors), readable by other tools as they are:
//   8 bytes   little-endian u64 N, the header's length
//   N bytes   JSON: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …,
//                    "__metadata__": {"key": "value", …}}   (offsets relative to the data section)
//   rest      the data section: every tensor's bytes, row-major, little-endian
// Dtypes: F32 F64 BF16 F16 I64 I32 U8 BOOL (nabla's dtypes). Saving is atomic (temporary file, fsync,
// rename); loading validates the whole header against the file size before it allocates anything.
#include <map>
#include <string>

#include "nabla/tensor.h"

namespace nabla {

struct SafetensorsContents {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;  // the "__metadata__" entry (string to string)
};

// Reads every tensor (contiguous, on the CPU, not requiring grad) and the metadata. Any problem with
// the file is a one-line nabla::Error that names the file and what is wrong.
SafetensorsContents read_safetensors(const std::string& path);
std::map<std::string, Tensor> load_safetensors(const std::string& path);

// Writes the tensors (in name order; non-contiguous ones are written contiguously) to `path + ".tmp"`,
// fsyncs it and renames it onto `path`, so a crash never leaves a half-written file at `path`.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The format's dtype names ("F32", "BOOL", …); the reverse throws on a name nabla has no dtype for.
const char* safetensors_dtype_name(DType dtype);

}  // namespace nabla
