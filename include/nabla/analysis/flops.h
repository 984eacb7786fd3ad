#pragma once
// FLOPs counted per op as it runs: flops(call) is what one dispatched op costs, from its shapes and
// attributes only (never its data), and FlopCounter adds them up for every op a scope runs on its thread.
// Counting ops rather than known module types means composite modules (attention blocks, residual adds,
// a user's own layer) are counted as what they compute. The formulas, all in src/analysis/flops.cpp:
//
//   matmul                      2·M·K·N per matrix product (a multiply-add is two FLOPs), times the batch
//   conv2d                      2·N·Cout·Hout·Wout·(Cin/groups)·kh·kw, + N·Cout·Hout·Wout for the bias
//   conv_transpose2d            2·N·Cin·Hin·Win·(Cout/groups)·kh·kw, + the output's size for the bias
//   scaled_dot_product_attention  per batch and head: 2·L·S·E (scores) + 2·L·S·Ev (weighted values)
//                               + L·S (scaling) + 5·L·S (softmax) [+ L·S for a mask, + L·S for dropout]
//   elementwise ops             one per output element (lerp, addcmul, addcdiv: three)
//   reductions, pooling         one per element read (a max-pool 2×2 reads four inputs per output)
//   softmax, log_softmax        five per element (max, subtract, exp, sum, divide or log)
//   layer/group/batch norm      five per element for the statistics and normalisation (two in eval batch
//                               norm, whose statistics are given), + two per element with weight and bias
//   views, copies, indexing, random sampling   zero: they move data but compute nothing
//
// A composite op whose kernel dispatches other ops is counted once: FlopCounter counts only ops called
// from outside any kernel (nesting depth 0). Backward ops have formulas too, so a counter around a
// backward pass counts it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nabla::ops {
struct Dispatched;
}

namespace nabla::analysis {

// Forward FLOPs of one op call.
int64_t flops(const ops::Dispatched& call);

struct OpFlops {
  std::string op;  // the op's name in ops.def
  int64_t calls = 0;
  int64_t flops = 0;
};

// Counts the FLOPs of every op dispatched at depth 0 on this thread while it lives.
class FlopCounter {
 public:
  FlopCounter();
  ~FlopCounter();
  FlopCounter(const FlopCounter&) = delete;
  FlopCounter& operator=(const FlopCounter&) = delete;

  int64_t total() const;
  // One row per op that ran, most FLOPs first (ties by name); views and copies appear with 0 FLOPs.
  std::vector<OpFlops> by_op() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace nabla::analysis
