#include "cli/mpi_launch.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "nabla/dist/launcher.h"
#include "nabla/error.h"
#include "nabla/io/file.h"

namespace nabla::cli {
namespace {

namespace fs = std::filesystem;

// This process's own command line, as the kernel recorded it (NUL-separated).
std::vector<std::string> own_arguments() {
  const std::string text = io::read_file("/proc/self/cmdline");
  std::vector<std::string> arguments;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\0', begin);
    if (end == std::string::npos) end = text.size();
    arguments.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return arguments;
}

}  // namespace

void relaunch_under_mpirun(int processes) {
  const std::string mpirun = dist::find_mpirun();
  NABLA_CHECK(!mpirun.empty(), "train: --nproc needs MPI's launcher, and neither mpirun nor mpiexec is on PATH; install "
              "OpenMPI (apt-get install openmpi-bin libopenmpi-dev, as scripts/install-deps.sh does) or set NABLA_MPIRUN");
  std::vector<std::string> arguments = own_arguments();
  NABLA_CHECK(!arguments.empty(), "train: --nproc could not read this process's command line");
  arguments[0] = fs::read_symlink("/proc/self/exe").string();  // the same binary, wherever PATH would lead
  // Each rank gets its share of the cores as threads (unless NABLA_NUM_THREADS or --threads says otherwise),
  // and is not bound to a single core, which would put all of its threads on one.
  dist::allow_mpirun_as_root_and_oversubscribed();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (!std::getenv("NABLA_NUM_THREADS")) {
    ::setenv("NABLA_NUM_THREADS", std::to_string(std::max(1u, cores / static_cast<unsigned>(processes))).c_str(), 1);
  }
  if (std::atoi(std::getenv("NABLA_NUM_THREADS")) > 1) ::setenv("OMPI_MCA_hwloc_base_binding_policy", "none", 0);
  std::vector<std::string> command = {mpirun, "-n", std::to_string(processes)};
  command.insert(command.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : command) argv.push_back(argument.data());
  argv.push_back(nullptr);
  ::execv(mpirun.c_str(), argv.data());
  throw Error(fmt::format("train: could not start {}: {}", mpirun, std::strerror(errno)));
}

}  // namespace nabla::cli
