#pragma once
// Where this process stands in a job of several: rank, world size and the rank on this machine, as the
// launcher (mpirun, srun, or `nabla train --nproc`) announced them in the environment. Read once, at the
// first call, so every part of nabla sees the same values even if the environment changes afterwards.
#include <string>

namespace nabla::dist {

struct Environment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;        // rank among the processes on this machine
  int local_world_size = 1;  // processes on this machine
  std::string launcher;      // "openmpi", "mpich", "slurm", or "none" (a single process)
  bool launched() const { return launcher != "none"; }
};

const Environment& environment();

}  // namespace nabla::dist
