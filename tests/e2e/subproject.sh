#!/usr/bin/env bash
# The tutorial's CMake recipe, as a user follows it: a project of their own that adds nabla with
# add_subdirectory and links nabla_core. Configuring must not touch the user's build type nor look for
# nabla's test and benchmark libraries, and the user's program must compile with nabla's public headers
# (C++20 comes from nabla_core; src/ stays private). Only the user's object file is compiled, to keep
# this test from building nabla a second time.
set -euo pipefail
nabla_source=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/user"
cat > "$work/user/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(user_program CXX)
add_subdirectory("$nabla_source" nabla EXCLUDE_FROM_ALL)
add_executable(user_program main.cpp)
target_link_libraries(user_program PRIVATE nabla_core)
CMAKE
cat > "$work/user/main.cpp" <<'CPP'
#include <iostream>

#include "nabla/nabla.h"

int main() {
  nabla::Tensor x = nabla::randn({2, 3}).requires_grad_();
  (x * x).sum().backward();
  std::cout << x.grad().to_string() << "\n";
}
CPP
cat > "$work/user/private.cpp" <<'CPP'
#include "ops/op.h"  // an internal header: a user's program must not see it
CPP

cmake -S "$work/user" -B "$work/build" -G Ninja > "$work/configure.log" 2>&1 || {
  cat "$work/configure.log"; echo "FAIL: the user's project does not configure"; exit 1; }
cache="$work/build/CMakeCache.txt"
grep -q '^CMAKE_BUILD_TYPE:STRING=$' "$cache" || {
  grep '^CMAKE_BUILD_TYPE' "$cache"; echo "FAIL: nabla set the user's CMAKE_BUILD_TYPE"; exit 1; }
grep -q '^NABLA_BUILD_TESTS:BOOL=OFF' "$cache" || { echo "FAIL: nabla's tests are on in a subproject"; exit 1; }
grep -q '^NABLA_BUILD_BENCH:BOOL=OFF' "$cache" || { echo "FAIL: nabla's benchmarks are on in a subproject"; exit 1; }
if grep -q '^GTest_DIR\|^benchmark_DIR' "$cache"; then echo "FAIL: configuring looked for GoogleTest or Benchmark"; exit 1; fi

object=CMakeFiles/user_program.dir/main.cpp.o
cmake --build "$work/build" --target "$object" > "$work/compile.log" 2>&1 || {
  cat "$work/compile.log"; echo "FAIL: the user's program does not compile against nabla_core"; exit 1; }
# The same flags on a file that includes an internal header must fail: src/ is not on the user's path.
flags=$(sed -n 's/^CXX_FLAGS = //p; s/^CXX_INCLUDES = //p; s/^CXX_DEFINES = //p' \
        "$work/build/CMakeFiles/user_program.dir/flags.make" 2>/dev/null || true)
if [ -z "$flags" ]; then
  flags=$(grep -A6 "build $object" "$work/build/build.ninja" | sed -n 's/^ *\(FLAGS\|INCLUDES\|DEFINES\) = //p' | tr '\n' ' ')
fi
if ${CXX:-c++} $flags -fsyntax-only "$work/user/private.cpp" 2>/dev/null; then
  echo "FAIL: a user's program can include nabla's internal header ops/op.h"; exit 1
fi
echo "subproject: configures without touching the user's cache, compiles with nabla's public headers only"
