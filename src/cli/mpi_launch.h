#pragma once
// `nabla train --nproc N` started by hand: the process replaces itself with `mpirun -n N` running the same
// command line, so the N ranks it starts see the launcher's environment (dist::environment()) and train
// data-parallel. Started by mpirun already, nabla does not launch again.
namespace nabla::cli {

// Finds mpirun (NABLA_MPIRUN, else mpirun or mpiexec on PATH; an error of one line says to install OpenMPI
// when there is none) and execs it; returns only by throwing.
[[noreturn]] void relaunch_under_mpirun(int processes);

}  // namespace nabla::cli
