#include "backend/cpu/kernels.h"

#include <omp.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "backend/cpu/fast.h"

namespace nabla::cpu {
namespace {
thread_local bool reference_only = false;

// Reads NABLA_NUM_THREADS once, before the first kernel runs. This runs before main, where nothing can
// report an error: a value that is not a whole number from 1 to max_threads is named on stderr and ignored.
const bool threads_configured = [] {
  const char* value = std::getenv("NABLA_NUM_THREADS");
  if (!value || !*value) return true;
  char* end = nullptr;
  errno = 0;
  long threads = std::strtol(value, &end, 10);
  if (errno == 0 && *end == '\0' && threads >= 1 && threads <= max_threads) {
    omp_set_num_threads(static_cast<int>(threads));
  } else {
    std::fprintf(stderr, "nabla: warning: ignoring NABLA_NUM_THREADS=%s (expected a whole number from 1 to %d)\n",
                 value, max_threads);
  }
  return true;
}();
// Multiply-adds of a conv2d: each output element sums in_channels/groups × kernel taps (weight [out, in/groups, kh, kw]).
bool small_convolution(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  const Tensor& weight = inputs[1];
  if (weight.dim() == 0 || weight.size(0) == 0) return false;
  return outputs[0].numel() * (weight.numel() / weight.size(0)) <= small_gemm;
}

// A small conv2d (batch-1 inference) runs on the calling thread: see OneThread.
void run_small_conv2d(const ops::KernelCall& call) {
  OneThread serial;
  conv_fast(ops::OpId::conv2d, call.inputs, call.outputs, call.attrs)(call);
}

}  // namespace

ReferenceOnlyGuard::ReferenceOnlyGuard() : previous_(reference_only) { reference_only = true; }
ReferenceOnlyGuard::~ReferenceOnlyGuard() { reference_only = previous_; }

void set_num_threads(int threads) {
  NABLA_CHECK(threads >= 1 && threads <= max_threads, "set_num_threads: expected a count from 1 to {}, got {}",
              max_threads, threads);
  omp_set_num_threads(threads);
}
int num_threads() { return omp_get_max_threads(); }

ops::Kernel fast_kernel(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                        const ops::Attrs& attrs) {
  (void)threads_configured;
  if (reference_only) return nullptr;
  switch (op) {
    case ops::OpId::add: case ops::OpId::sub: case ops::OpId::mul: case ops::OpId::div:
    case ops::OpId::add_: case ops::OpId::mul_: case ops::OpId::sub_: case ops::OpId::div_:
    case ops::OpId::minimum: case ops::OpId::maximum:
      return binary_fast(op, inputs, outputs);
    case ops::OpId::eq: case ops::OpId::ne: case ops::OpId::lt: case ops::OpId::le: case ops::OpId::gt:
    case ops::OpId::ge:
      return compare_fast(op, inputs, outputs);
    case ops::OpId::neg: case ops::OpId::exp: case ops::OpId::log: case ops::OpId::sqrt: case ops::OpId::tanh:
    case ops::OpId::sigmoid: case ops::OpId::relu: case ops::OpId::abs: case ops::OpId::sign: case ops::OpId::log1p:
    case ops::OpId::rsqrt: case ops::OpId::sin: case ops::OpId::cos: case ops::OpId::floor: case ops::OpId::ceil:
    case ops::OpId::round: case ops::OpId::isfinite: case ops::OpId::isnan: case ops::OpId::logical_not:
    case ops::OpId::leaky_relu: case ops::OpId::elu: case ops::OpId::gelu: case ops::OpId::silu:
    case ops::OpId::softplus: case ops::OpId::clamp: case ops::OpId::relu_: case ops::OpId::clamp_:
      return elementwise_fast(op, inputs, outputs, attrs);
    case ops::OpId::copy_:
      return copy_fast(inputs, outputs);
    case ops::OpId::scatter_add:
      return scatter_add_fast(inputs, outputs, attrs);
    case ops::OpId::matmul:
      return matmul_fast(inputs, outputs);
    case ops::OpId::sum: case ops::OpId::mean: case ops::OpId::max:
      return reduce_fast(op, inputs, outputs, attrs);
    case ops::OpId::softmax: case ops::OpId::log_softmax:
      return softmax_fast(op, inputs, outputs, attrs);
    case ops::OpId::cross_entropy:
      return cross_entropy_fast(inputs, outputs, attrs);
    case ops::OpId::layer_norm:
      return layer_norm_fast(inputs, outputs);
    case ops::OpId::conv2d:
      if (small_convolution(inputs, outputs)) {
        OneThread serial;  // oneDNN fixes a primitive's thread count when the plan is made, here
        return conv_fast(op, inputs, outputs, attrs) ? &run_small_conv2d : nullptr;
      }
      return conv_fast(op, inputs, outputs, attrs);
    case ops::OpId::conv_transpose2d: case ops::OpId::conv2d_backward_weight:
      return conv_fast(op, inputs, outputs, attrs);
    case ops::OpId::max_pool2d: case ops::OpId::avg_pool2d: case ops::OpId::avg_pool2d_backward:
    case ops::OpId::adaptive_avg_pool2d: case ops::OpId::adaptive_avg_pool2d_backward:
      return pool_fast(op, inputs, outputs, attrs);
    default:
      (void)attrs;
      return nullptr;
  }
}

}  // namespace nabla::cpu
