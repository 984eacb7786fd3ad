// Choosing and keeping the job's process group. The MPI backend exists only when CMake found MPI; a build
// without it still compiles every caller and says, at the first use, what is missing.
#include "nabla/dist/process_group.h"

#include <cstdlib>
#include <mutex>

#include "nabla/error.h"
#ifdef NABLA_HAVE_MPI
#include "dist/mpi_process_group.h"
#endif
#ifdef NABLA_HAVE_NCCL
#include "dist/nccl_process_group.h"
#endif

namespace nabla::dist {
namespace {

std::mutex group_mutex;
ProcessGroupPtr& default_group() {
  static ProcessGroupPtr group;
  return group;
}

double timeout_from_environment() {
  const char* text = std::getenv("NABLA_DIST_TIMEOUT");
  if (!text || !*text) return 300;
  char* end = nullptr;
  double seconds = std::strtod(text, &end);
  NABLA_CHECK(*end == '\0' && seconds > 0, "distributed: NABLA_DIST_TIMEOUT={} is not a positive number of seconds",
              text);
  return seconds;
}

}  // namespace

bool mpi_available() {
#ifdef NABLA_HAVE_MPI
  return true;
#else
  return false;
#endif
}

const char* reduce_op_name(ReduceOp op) { return op == ReduceOp::sum ? "sum" : "mean"; }

ProcessGroupPtr init_process_group(const ProcessGroupOptions& options) {
  std::lock_guard lock(group_mutex);
  ProcessGroupPtr& group = default_group();
  if (group) {
    NABLA_CHECK(group->backend() == options.backend, "init_process_group: a {} group exists already; asked for {}",
                group->backend(), options.backend);
    return group;
  }
  NABLA_CHECK(options.timeout_seconds >= 0, "init_process_group: timeout_seconds must be >= 0, got {}",
              options.timeout_seconds);
  double timeout = options.timeout_seconds > 0 ? options.timeout_seconds : timeout_from_environment();
  if (options.backend == "mpi") {
#ifdef NABLA_HAVE_MPI
    group = make_mpi_process_group(timeout);
    return group;
#else
    throw Error("init_process_group: this nabla was built without MPI; install libopenmpi-dev "
                "(scripts/install-deps.sh) and configure again");
#endif
  }
  if (options.backend == "nccl") {
#ifdef NABLA_HAVE_NCCL
    group = make_nccl_process_group(timeout);
    return group;
#else
    throw Error("init_process_group: this nabla was built without the nccl backend (configure with -DNABLA_NCCL=ON "
                "where CUDA and NCCL are installed), use mpi");
#endif
  }
  throw Error(fmt::format("init_process_group: unknown backend '{}' (mpi)", options.backend));
}

ProcessGroupPtr default_process_group() {
  std::lock_guard lock(group_mutex);
  return default_group();
}

}  // namespace nabla::dist
