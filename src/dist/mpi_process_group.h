#pragma once
// The MPI backend of ProcessGroup (OpenMPI on Debian). Only compiled when CMake found MPI.
#include "nabla/dist/process_group.h"

namespace nabla::dist {

// Initialises MPI on the group's own communication thread and returns the group of MPI_COMM_WORLD.
ProcessGroupPtr make_mpi_process_group(double timeout_seconds);

}  // namespace nabla::dist
