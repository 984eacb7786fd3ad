#pragma once
// The NCCL backend of ProcessGroup (one GPU per rank). Only compiled with -DNABLA_NCCL=ON where CMake finds
// CUDA's runtime, NCCL and MPI (which starts the ranks and bootstraps NCCL). Untested: see the .cpp.
#include "nabla/dist/process_group.h"

namespace nabla::dist {

ProcessGroupPtr make_nccl_process_group(double timeout_seconds);

}  // namespace nabla::dist
