// Fast-vs-reference cases for recurrent_sequence and its fused backward (src/backend/cpu/recurrent.cpp), in
// every mode and both directions: a hidden size that is not a multiple of 16 (the masked lane tail), one
// batch row and one step, and an LSTM layer of the language model's size (its rows run in parallel). The
// weights are scaled to keep the gates off saturation, where every gradient would be near zero. Forward cases
// return every output flattened (states and workspace); backward cases every input's gradient.
#include "tests/reference/cases.h"

namespace nabla::testing {
namespace {

using Inputs = std::vector<Tensor>;
using ops::OpId;
using ops::RecurrentMode;

int64_t gates_of(RecurrentMode mode) {
  return mode == RecurrentMode::lstm ? 4 : mode == RecurrentMode::gru ? 3 : 1;
}

// Inputs of one call: x_gates [T, B, G·H], w_hh [G·H, H], b_hh [G·H], h0 [B, H] (and c0 for lstm), then the
// upstream gradients of h_all (and c_all).
std::vector<Shape> shapes(RecurrentMode mode, int64_t steps, int64_t batch, int64_t hidden) {
  const int64_t gates = gates_of(mode) * hidden;
  std::vector<Shape> result{{steps, batch, gates}, {gates, hidden}, {gates}, {batch, hidden}};
  if (mode == RecurrentMode::lstm) result.push_back({batch, hidden});
  result.push_back({steps, batch, hidden});
  if (mode == RecurrentMode::lstm) result.push_back({steps, batch, hidden});
  return result;
}

std::vector<Tensor> run(RecurrentMode mode, bool reverse, const Inputs& x) {
  const size_t operands = mode == RecurrentMode::lstm ? 5 : 4;
  std::vector<Tensor> inputs(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(operands));
  inputs[0] = inputs[0] * 2.0;
  inputs[1] = inputs[1] * (1.0 / static_cast<double>(inputs[1].shape()[1]));
  return ops::call(OpId::recurrent_sequence, inputs, ops::RecurrentAttrs{.mode = mode, .reverse = reverse});
}

std::function<Tensor(Inputs)> forward_of(RecurrentMode mode, bool reverse) {
  return [mode, reverse](Inputs x) {
    std::vector<Tensor> outputs = run(mode, reverse, x);
    return cat({outputs[0].flatten(), outputs[1].flatten(), outputs[2].flatten()}, 0);
  };
}

std::function<Tensor(Inputs)> backward_of(RecurrentMode mode, bool reverse) {
  return [mode, reverse](Inputs x) {
    const size_t operands = mode == RecurrentMode::lstm ? 5 : 4;
    for (size_t i = 0; i < operands; ++i) x[i].requires_grad_();
    std::vector<Tensor> outputs = run(mode, reverse, x);
    Tensor loss = sum(outputs[0] * x[operands]);
    if (mode == RecurrentMode::lstm) loss = loss + sum(outputs[1] * x[operands + 1]);
    loss.backward();
    std::vector<Tensor> grads;
    for (size_t i = 0; i < operands; ++i) grads.push_back(x[i].grad().flatten());
    return cat(grads, 0);
  };
}

// float32 GEMMs against sums in double: sums of `hidden` products per gate, and of steps × batch products per
// weight gradient, hence a tolerance that grows with them.
double tolerance_for(int64_t steps, int64_t batch, int64_t hidden) {
  return steps * batch * hidden > 10000 ? 1e-4 : 1e-5;
}

ReferenceCase forward_case(const std::string& name, RecurrentMode mode, bool reverse, int64_t steps, int64_t batch,
                           int64_t hidden) {
  return about({OpId::recurrent_sequence}, {name, shapes(mode, steps, batch, hidden), forward_of(mode, reverse), false,
                                            tolerance_for(steps, batch, hidden)});
}

ReferenceCase backward_case(const std::string& name, RecurrentMode mode, bool reverse, int64_t steps, int64_t batch,
                            int64_t hidden) {
  return about({OpId::recurrent_sequence, OpId::recurrent_sequence_backward},
               {name, shapes(mode, steps, batch, hidden), backward_of(mode, reverse), false,
                tolerance_for(steps, batch, hidden)});
}

}  // namespace

NABLA_REFERENCE_CASES(recurrent) {
  using Mode = RecurrentMode;
  return {
      forward_case("recurrent_sequence_lstm", Mode::lstm, false, 6, 5, 19),
      forward_case("recurrent_sequence_lstm_reverse", Mode::lstm, true, 6, 5, 19),
      forward_case("recurrent_sequence_gru", Mode::gru, false, 6, 5, 19),
      forward_case("recurrent_sequence_gru_reverse", Mode::gru, true, 6, 5, 19),
      forward_case("recurrent_sequence_rnn_tanh", Mode::rnn_tanh, false, 6, 5, 19),
      forward_case("recurrent_sequence_rnn_relu_reverse", Mode::rnn_relu, true, 6, 5, 19),
      forward_case("recurrent_sequence_lstm_one_step_one_row", Mode::lstm, false, 1, 1, 16),
      forward_case("recurrent_sequence_lstm_language_model", Mode::lstm, false, 8, 32, 256),
      // batch 1: each step a matrix-vector product reading W_hh in place (no transposed copy)
      forward_case("recurrent_sequence_lstm_batch1_language_model", Mode::lstm, false, 9, 1, 256),
      forward_case("recurrent_sequence_gru_batch1_reverse", Mode::gru, true, 7, 1, 19),
      backward_case("recurrent_sequence_backward_lstm", Mode::lstm, false, 6, 5, 19),
      backward_case("recurrent_sequence_backward_lstm_reverse", Mode::lstm, true, 6, 5, 19),
      backward_case("recurrent_sequence_backward_gru", Mode::gru, false, 6, 5, 19),
      backward_case("recurrent_sequence_backward_gru_reverse", Mode::gru, true, 6, 5, 19),
      backward_case("recurrent_sequence_backward_rnn_tanh_reverse", Mode::rnn_tanh, true, 6, 5, 19),
      backward_case("recurrent_sequence_backward_rnn_relu", Mode::rnn_relu, false, 6, 5, 19),
      backward_case("recurrent_sequence_backward_gru_one_step_one_row", Mode::gru, false, 1, 1, 16),
      backward_case("recurrent_sequence_backward_lstm_language_model", Mode::lstm, false, 8, 32, 256),
      backward_case("recurrent_sequence_backward_gru_language_model", Mode::gru, true, 8, 32, 256),
  };
}

}  // namespace nabla::testing
