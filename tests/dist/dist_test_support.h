#pragma once
// What the distributed tests share: the job's process group, or a skip that says why there is none.
#include <gtest/gtest.h>

#include "nabla/dist/environment.h"
#include "nabla/dist/process_group.h"

namespace nabla::dist::testing {

// Every rank takes the same branch (the conditions are the same on all), so no rank skips alone.
#define NABLA_DIST_GROUP_OR_SKIP(group)                                                                   \
  if (!::nabla::dist::mpi_available()) GTEST_SKIP() << "nabla was built without MPI";                    \
  if (::nabla::dist::environment().world_size < 2) GTEST_SKIP() << "needs 2 ranks: run under mpirun -np 2"; \
  ::nabla::dist::ProcessGroupPtr group = ::nabla::dist::init_process_group()

}  // namespace nabla::dist::testing
