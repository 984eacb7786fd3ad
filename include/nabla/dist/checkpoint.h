#pragma once
// Files of a data-parallel run: every replica holds the same weights, so rank 0 alone writes (atomically:
// a temporary file, fsynced and renamed), and the others wait at a barrier until the file is complete, so
// no rank runs ahead of a checkpoint that a resumed run would start from.
#include <map>
#include <string>
#include <string_view>

#include "nabla/dist/process_group.h"

namespace nabla::dist {

void save_safetensors_from_rank0(ProcessGroup& group, const std::string& path,
                                 const std::map<std::string, Tensor>& tensors);
void write_file_from_rank0(ProcessGroup& group, const std::string& path, std::string_view contents);

}  // namespace nabla::dist
