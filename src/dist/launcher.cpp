#include "nabla/dist/launcher.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace nabla::dist {

std::string find_mpirun() {
  if (const char* chosen = std::getenv("NABLA_MPIRUN"); chosen && *chosen) return chosen;
  const char* path = std::getenv("PATH");
  const std::string directories = path ? path : "/usr/bin:/bin";
  for (const char* name : {"mpirun", "mpiexec"}) {
    size_t begin = 0;
    while (begin < directories.size()) {
      size_t end = directories.find(':', begin);
      if (end == std::string::npos) end = directories.size();
      const std::string directory = directories.substr(begin, end - begin);
      const std::filesystem::path candidate = std::filesystem::path(directory.empty() ? "." : directory) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      begin = end + 1;
    }
  }
  return "";
}

void allow_mpirun_as_root_and_oversubscribed() {
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  ::setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
}

}  // namespace nabla::dist
