#include "nabla/dist/checkpoint.h"

#include "nabla/io/file.h"
#include "nabla/io/safetensors.h"

namespace nabla::dist {

void save_safetensors_from_rank0(ProcessGroup& group, const std::string& path,
                                 const std::map<std::string, Tensor>& tensors) {
  if (group.rank() == 0) save_safetensors(path, tensors);  // atomic: see io/safetensors.cpp
  group.barrier();
}

void write_file_from_rank0(ProcessGroup& group, const std::string& path, std::string_view contents) {
  if (group.rank() == 0) io::write_file_atomic(path, contents);
  group.barrier();
}

}  // namespace nabla::dist
