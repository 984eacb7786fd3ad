// Reads the launcher's variables once. OpenMPI's mpirun, MPICH's Hydra and Slurm each announce the rank in
// their own names; the first set found wins, and a process with none is a job of one.
#include "nabla/dist/environment.h"

#include <cstdlib>
#include <string>

#include "nabla/error.h"

namespace nabla::dist {
namespace {

struct LauncherVariables {
  const char* launcher;
  const char* rank;
  const char* world_size;
  const char* local_rank;
  const char* local_world_size;
};

constexpr LauncherVariables launchers[] = {
    {"openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
     "OMPI_COMM_WORLD_LOCAL_SIZE"},
    {"mpich", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"},
    {"slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"},
};

int read_integer(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  NABLA_CHECK(*end == '\0' && value >= 0 && value < (1L << 30), "distributed: environment variable {}={} is not a "
              "non-negative integer", name, text);
  return static_cast<int>(value);
}

Environment read_environment() {
  for (const LauncherVariables& variables : launchers) {
    if (!std::getenv(variables.rank)) continue;
    Environment result;
    result.launcher = variables.launcher;
    result.rank = read_integer(variables.rank, 0);
    result.world_size = read_integer(variables.world_size, 1);
    result.local_rank = read_integer(variables.local_rank, result.rank);
    result.local_world_size = read_integer(variables.local_world_size, result.world_size);
    NABLA_CHECK(result.world_size >= 1 && result.rank < result.world_size,
                "distributed: {} says rank {} of a world of {}", variables.rank, result.rank, result.world_size);
    return result;
  }
  return Environment{.launcher = "none"};
}

}  // namespace

const Environment& environment() {
  static const Environment value = read_environment();
  return value;
}

}  // namespace nabla::dist
