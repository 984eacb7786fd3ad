#!/usr/bin/env bash
# Data-parallel speed on this machine (under a minute): the all-reduce's bandwidth by message size in 2 ranks
# (nabla's ProcessGroup and MPI_Allreduce called directly, side by side), and LeNet training as 2 ranks x 1
# thread against 1 rank x 2 threads. Usage: bench/dist.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
binary=$build/bench/bench_dist
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## all-reduce, 2 ranks: the process group against MPI_Allreduce called directly (same MPI, same loop)"
NABLA_NUM_THREADS=1 mpirun -n 2 "$binary" allreduce | tee "$work/group.txt"
NABLA_NUM_THREADS=1 mpirun -n 2 "$binary" mpi_allreduce | tee "$work/mpi.txt"
echo "## time per call: ProcessGroup, MPI_Allreduce, MPI_Iallreduce + MPI_Wait; ratios of the group to each"
paste <(awk 'NR > 2 { print $1, $2 }' "$work/group.txt") <(awk 'NR > 2 && NR <= 14 { print $2 }' "$work/mpi.txt") \
      <(awk 'NR > 16 { print $2 }' "$work/mpi.txt") |
  awk '{ printf "%10s B %10.2f us %10.2f us %10.2f us  x%.2f x%.2f\n", $1, $2, $3, $4, $2 / $3, $2 / $4 }'
echo "## ZeRO-1: optimizer state per rank"
NABLA_NUM_THREADS=1 mpirun -n 2 "$binary" zero
echo "## training"
NABLA_NUM_THREADS=1 mpirun -n 2 "$binary" train 40
NABLA_NUM_THREADS=2 mpirun -n 1 "$binary" train 40
