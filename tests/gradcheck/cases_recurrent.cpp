// Gradcheck cases for recurrent_sequence in every mode and direction: the gradients of x_gates, w_hh, b_hh,
// h0 (and c0) through the fused backward op recurrent_sequence_backward. That backward is not differentiable
// (ops.def), so double backward is refused and these cases check first order only. LSTM cases return h_all and
// c_all side by side, so that both outputs' gradients are checked. The layers and cells built on the op are
// checked in tests/nn/test_recurrent.cpp.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;
using ops::RecurrentMode;

namespace {

// T = 3 steps, B = 2 rows, H = 3 hidden: x_gates [3, 2, G·3], w_hh [G·3, 3], b_hh [G·3], h0 [2, 3] (c0 [2, 3]).
std::vector<InputSpec> inputs_of(int64_t gates, bool lstm) {
  std::vector<InputSpec> result{{{3, 2, gates * 3}}, {{gates * 3, 3}}, {{gates * 3}}, {{2, 3}}};
  if (lstm) result.push_back({{2, 3}});
  return result;
}

std::function<Tensor(const std::vector<Tensor>&)> sequence(RecurrentMode mode, bool reverse) {
  return [mode, reverse](const std::vector<Tensor>& x) {
    std::vector<Tensor> outputs = ops::call(OpId::recurrent_sequence, x, ops::RecurrentAttrs{.mode = mode, .reverse = reverse});
    return mode == RecurrentMode::lstm ? cat({outputs[0], outputs[1]}, -1) : outputs[0];
  };
}

}  // namespace

NABLA_GRADCHECK_CASES(recurrent) {
  const std::vector<OpId> covers{OpId::recurrent_sequence};
  return {
      {"recurrent_sequence_lstm", covers, inputs_of(4, true), sequence(RecurrentMode::lstm, false), false},
      {"recurrent_sequence_lstm_reverse", covers, inputs_of(4, true), sequence(RecurrentMode::lstm, true), false},
      {"recurrent_sequence_gru", covers, inputs_of(3, false), sequence(RecurrentMode::gru, false), false},
      {"recurrent_sequence_gru_reverse", covers, inputs_of(3, false), sequence(RecurrentMode::gru, true), false},
      {"recurrent_sequence_rnn_tanh", covers, inputs_of(1, false), sequence(RecurrentMode::rnn_tanh, false), false},
      {"recurrent_sequence_rnn_relu_reverse", covers, inputs_of(1, false), sequence(RecurrentMode::rnn_relu, true),
       false},
  };
}

}  // namespace nabla::testing
