// Gradcheck cases: max, logsumexp, softmax, log_softmax and cross_entropy.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_GRADCHECK_CASES(softmax) {
  using In = InputSpec;
  // cross_entropy's target: 6 class indices in [0, 4); the logits are [6, 4].
  const In logits{{6, 4}};
  const In target{{6}, In::index, 4};
  return {
      // max: distinct values, so no finite-difference step crosses a tie.
      {"max_dim", {OpId::max}, {{{3, 4}, In::distinct}}, [](auto& x) { return max(x[0], 1).first; }},
      {"max_dim0_keepdim", {OpId::max}, {{{3, 4}, In::distinct}}, [](auto& x) { return max(x[0], 0, true).first * x[0]; }},
      {"max_negative_dim_3d", {OpId::max}, {{{2, 3, 4}, In::distinct}}, [](auto& x) { return max(x[0], -2).first.exp(); }},
      // max() is an autograd function (MaxAll) around the max op, run without grad: its gradient is a mask
      // of ties, never max's backward, so it covers no op of ops.def.
      {"max_all", {}, {{{3, 4}, In::distinct}}, [](auto& x) { return max(x[0]) * max(x[0]); }},
      {"logsumexp_dim", {OpId::logsumexp}, {{{3, 4}}}, [](auto& x) { return logsumexp(x[0], {1}); }},
      {"logsumexp_dims_keepdim", {OpId::logsumexp}, {{{2, 3, 4}}},
       [](auto& x) { return logsumexp(x[0], {0, -1}, true) * x[0]; }},
      {"logsumexp_all", {OpId::logsumexp}, {{{3, 4}}}, [](auto& x) { return logsumexp(x[0] * 3.0, {}); }},
      {"softmax_last", {OpId::softmax}, {{{3, 4}}}, [](auto& x) { return softmax(x[0], -1); }},
      {"softmax_dim0", {OpId::softmax}, {{{3, 4}}}, [](auto& x) { return softmax(x[0] * 2.0, 0); }},
      {"softmax_3d", {OpId::softmax}, {{{2, 3, 4}}}, [](auto& x) { return softmax(x[0], 1); }},
      {"log_softmax_last", {OpId::log_softmax}, {{{3, 4}}}, [](auto& x) { return log_softmax(x[0], 1); }},
      {"log_softmax_dim0", {OpId::log_softmax}, {{{2, 3, 4}}}, [](auto& x) { return log_softmax(x[0], 0); }},
      {"cross_entropy_mean", {OpId::cross_entropy}, {logits, target},
       [](auto& x) { return cross_entropy(x[0], x[1]); }},
      {"cross_entropy_sum", {OpId::cross_entropy}, {logits, target},
       [](auto& x) { return cross_entropy(x[0], x[1], Reduction::sum); }},
      {"cross_entropy_none", {OpId::cross_entropy}, {logits, target},
       [](auto& x) { return cross_entropy(x[0], x[1], Reduction::none); }},
      // Class 0 is ignored: those rows get no gradient and mean divides by the rows that remain.
      {"cross_entropy_ignore_index_mean", {OpId::cross_entropy}, {logits, {{6}, In::index, 2}},
       [](auto& x) { return cross_entropy(x[0], x[1], Reduction::mean, 0); }},
      {"cross_entropy_ignore_index_none", {OpId::cross_entropy}, {logits, {{6}, In::index, 2}},
       [](auto& x) { return cross_entropy(x[0], x[1], Reduction::none, 1); }},
      {"cross_entropy_unbatched", {OpId::cross_entropy}, {{{5}}, {{}, In::index, 5}},
       [](auto& x) { return cross_entropy(x[0], x[1]); }},
  };
}

}  // namespace nabla::testing
