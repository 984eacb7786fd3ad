#pragma once
// Starting the ranks of a job from inside nabla (`nabla train --nproc N`, lab Q37): finding MPI's launcher
// and telling it what the project, not the user, is responsible for.
#include <string>

namespace nabla::dist {

// NABLA_MPIRUN when set, else the first mpirun or mpiexec on PATH; "" when there is none.
std::string find_mpirun();

// OpenMPI refuses to start as root (containers, CI) and to start more ranks than cores unless told; this sets
// those permissions in this process's environment (unless already set), which mpirun started from here
// inherits. Other MPIs ignore the variables.
void allow_mpirun_as_root_and_oversubscribed();

}  // namespace nabla::dist
