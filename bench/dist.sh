#!/usr/bin/env bash
# Data-parallel speed on this machine (under a minute): the all-reduce's bandwidth by message size in 2 ranks,
# and LeNet training as 2 ranks x 1 thread against 1 rank x 2 threads. Usage: bench/dist.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
binary=$build/bench/bench_dist
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## all-reduce, 2 ranks"
NABLA_NUM_THREADS=1 mpirun -n 2 "$binary" allreduce
echo "## training"
NABLA_NUM_THREADS=1 mpirun -n 2 "$binary" train 40
NABLA_NUM_THREADS=2 mpirun -n 1 "$binary" train 40
