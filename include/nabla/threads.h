#pragma once
// The kernel threads: one OpenMP pool, shared with oneDNN. NABLA_NUM_THREADS sets its size at start-up;
// these change it from a program (as torch::set_num_threads).
namespace nabla {

void set_num_threads(int threads);  // 1 to 1024; anything else is an error naming the value
int num_threads();

}  // namespace nabla
