// RNN, LSTM, GRU and their cells (include/nabla/nn/recurrent.h). Each direction of each layer is one input
// projection (matmul over all steps) and one recurrent_sequence op; a cell is the same op over one step.
#include "nabla/nn/recurrent.h"

#include <cmath>

#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/init.h"
#include "nabla/ops.h"
#include "ops/op.h"

namespace nabla::nn {
namespace {

using ops::RecurrentMode;

RecurrentMode mode_of(RecurrentKind kind, RNNNonlinearity nonlinearity) {
  switch (kind) {
    case RecurrentKind::lstm: return RecurrentMode::lstm;
    case RecurrentKind::gru: return RecurrentMode::gru;
    case RecurrentKind::rnn: break;
  }
  return nonlinearity == RNNNonlinearity::relu ? RecurrentMode::rnn_relu : RecurrentMode::rnn_tanh;
}
int64_t gate_count(RecurrentKind kind) { return kind == RecurrentKind::lstm ? 4 : kind == RecurrentKind::gru ? 3 : 1; }
const char* kind_name(RecurrentKind kind) {
  return kind == RecurrentKind::lstm ? "LSTM" : kind == RecurrentKind::gru ? "GRU" : "RNN";
}

// The sequence of h (and c) of one direction: x_gates [T, B, G·H] = the input projection (gate_inputs below);
// the op adds bias_hh (zeros when the layer has no bias) at every step.
struct Sequence {
  Tensor h_all, c_all;
};
Sequence run_sequence(RecurrentMode mode, bool reverse, const Tensor& x_gates, const Tensor& weight_hh,
                      const Tensor& bias_hh, const Tensor& h0, const Tensor& c0) {
  const Tensor bias = bias_hh.defined() ? bias_hh : zeros({weight_hh.shape()[0]}, {.dtype = weight_hh.dtype()});
  std::vector<Tensor> inputs{x_gates, weight_hh, bias, h0};
  if (mode == RecurrentMode::lstm) inputs.push_back(c0);
  std::vector<Tensor> outputs = ops::call(ops::OpId::recurrent_sequence, std::move(inputs),
                                          ops::RecurrentAttrs{.mode = mode, .reverse = reverse});
  return {outputs[0], outputs[1]};
}

// The input projection x_gates [T, B, G·H] and the bias the op adds at every step. RNN and LSTM: b_ih and b_hh
// enter the gates the same way, so the op takes them as one bias b_ih + b_hh, and its backward's one sum of the
// gate gradients serves both, where a bias in the input projection would cost a second sum over all [T·B, G·H]
// of them. GRU's b_hh sits inside r·(…): kept apart.
struct GateInputs {
  Tensor x_gates, bias_hh;
};
GateInputs gate_inputs(RecurrentMode mode, const Tensor& x, const Tensor& weight_ih, const Tensor& bias_ih,
                       const Tensor& bias_hh) {
  const bool fold = mode != RecurrentMode::gru && bias_ih.defined() && bias_hh.defined();
  return {functional::linear(x, weight_ih, fold ? Tensor() : bias_ih).contiguous(), fold ? bias_ih + bias_hh : bias_hh};
}

Tensor zero_state(const Tensor& like, const Shape& shape) { return zeros(shape, {.dtype = like.dtype()}); }


}  // namespace

// ---- layers

RecurrentBase::RecurrentBase(const char* name, const RecurrentOptions& options_, RecurrentKind kind,
                             Generator* generator)
    : Module(name), options(options_), kind_(kind) {
  NABLA_CHECK(options.input_size > 0 && options.hidden_size > 0 && options.num_layers > 0,
              "{}: input_size, hidden_size and num_layers must be positive, got {}, {}, {}", name, options.input_size,
              options.hidden_size, options.num_layers);
  NABLA_CHECK(options.dropout >= 0 && options.dropout <= 1, "{}: dropout must be in [0, 1], got {}", name,
              options.dropout);
  const int64_t directions = options.bidirectional ? 2 : 1, G = gate_count(kind) * options.hidden_size;
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    const int64_t input = layer == 0 ? options.input_size : directions * options.hidden_size;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const std::string suffix = fmt::format("_l{}{}", layer, direction ? "_reverse" : "");
      std::vector<Tensor>& p = parameters_.emplace_back(4);
      p[0] = register_parameter("weight_ih" + suffix, empty({G, input}, options.dtype));
      p[1] = register_parameter("weight_hh" + suffix, empty({G, options.hidden_size}, options.dtype));
      if (options.bias) {
        p[2] = register_parameter("bias_ih" + suffix, empty({G}, options.dtype));
        p[3] = register_parameter("bias_hh" + suffix, empty({G}, options.dtype));
      }
    }
  }
  reset_parameters(generator);
}

std::vector<Tensor> RecurrentBase::layer_parameters(int64_t layer, int64_t direction) const {
  const int64_t directions = options.bidirectional ? 2 : 1;
  NABLA_CHECK(layer >= 0 && layer < options.num_layers && direction >= 0 && direction < directions,
              "{}: no layer {} direction {} (num_layers={}, directions={})", name(), layer, direction,
              options.num_layers, directions);
  return parameters_[static_cast<size_t>(layer * directions + direction)];
}

void RecurrentBase::reset_parameters(Generator* generator) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.hidden_size));
  for (auto& [name, parameter] : named_parameters(false)) init::uniform_(parameter, -bound, bound, generator);
}

std::string RecurrentBase::describe() const {
  std::string text = fmt::format("{}({}, {}", name(), options.input_size, options.hidden_size);
  if (options.num_layers != 1) text += fmt::format(", num_layers={}", options.num_layers);
  if (mode_of(kind_, options.nonlinearity) == RecurrentMode::rnn_relu) text += ", nonlinearity='relu'";
  if (!options.bias) text += ", bias=False";
  if (options.batch_first) text += ", batch_first=True";
  if (options.dropout != 0) text += fmt::format(", dropout={}", options.dropout);
  if (options.bidirectional) text += ", bidirectional=True";
  return text + ")";
}

LSTMOutput recurrent(RecurrentKind kind, const RecurrentOptions& options,
                     const std::vector<std::vector<Tensor>>& weights, const Tensor& input, const Tensor& h_0,
                     const Tensor& c_0, bool training) {
  const RecurrentMode mode = mode_of(kind, options.nonlinearity);
  const bool lstm = kind == RecurrentKind::lstm;
  const char* name = kind_name(kind);
  const int64_t directions = options.bidirectional ? 2 : 1;
  NABLA_CHECK(static_cast<int64_t>(weights.size()) == options.num_layers * directions,
              "{}: expected weights for {} layers × {} directions, got {}", name, options.num_layers, directions,
              weights.size());
  NABLA_CHECK((input.dim() == 2 || input.dim() == 3) && input.size(-1) == options.input_size,
              "{}: expected input [T, B, {}] ([B, T, {}] with batch_first, or [T, {}] unbatched), got {}", name,
              options.input_size, options.input_size, options.input_size, input.describe());
  const bool unbatched = input.dim() == 2;
  // Seq-first inside, [T, B, features], contiguous (a batch_first input is copied once): the input projection
  // then writes each step's rows adjacently, as the fused op reads them.
  Tensor x = (unbatched ? input.unsqueeze(1) : options.batch_first ? input.transpose(0, 1) : input).contiguous();
  const int64_t B = x.shape()[1], H = options.hidden_size;
  const Shape state_shape{options.num_layers * directions, B, H};
  auto state = [&](const Tensor& given, const char* what) {
    if (!given.defined()) return zero_state(x, state_shape);
    const Tensor batched = unbatched ? given.unsqueeze(1) : given;
    NABLA_CHECK(batched.shape() == state_shape, "{}: {} must be [num_layers·directions, batch, hidden] = {}, got {}",
                name, what, shape_string(unbatched ? Shape{state_shape[0], H} : state_shape), given.describe());
    return batched;
  };
  const Tensor h_start = state(h_0, "h_0");
  const Tensor c_start = lstm ? state(c_0, "c_0") : Tensor();
  std::vector<Tensor> h_n, c_n;
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    std::vector<Tensor> outputs;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const int64_t index = layer * directions + direction;
      const std::vector<Tensor>& p = weights[static_cast<size_t>(index)];
      NABLA_CHECK(p.size() == 4, "{}: the weights of layer {} direction {} must be (weight_ih, weight_hh, bias_ih, "
                  "bias_hh), got {} tensors", name, layer, direction, p.size());
      const GateInputs gates = gate_inputs(mode, x, p[0], p[2], p[3]);
      Sequence sequence = run_sequence(mode, direction == 1, gates.x_gates, p[1], gates.bias_hh,
                                       h_start.select(0, index).contiguous(),
                                       lstm ? c_start.select(0, index).contiguous() : Tensor());
      const int64_t last = direction == 1 ? 0 : x.shape()[0] - 1;  // the reverse direction ends at step 0
      h_n.push_back(sequence.h_all.select(0, last));
      if (lstm) c_n.push_back(sequence.c_all.select(0, last));
      outputs.push_back(sequence.h_all);
    }
    x = directions == 2 ? cat(outputs, -1) : outputs[0];
    if (options.dropout > 0 && layer + 1 < options.num_layers && training) {
      x = functional::dropout(x, options.dropout, true);
    }
  }
  LSTMOutput result{x, stack(h_n, 0), lstm ? stack(c_n, 0) : Tensor()};
  if (unbatched) {
    result.output = result.output.squeeze(1);
    result.h_n = result.h_n.squeeze(1);
    if (lstm) result.c_n = result.c_n.squeeze(1);
  } else if (options.batch_first) {
    result.output = result.output.transpose(0, 1);
  }
  return result;
}

LSTMOutput RecurrentBase::run(const Tensor& input, const Tensor& h_0, const Tensor& c_0) {
  return recurrent(kind_, options, parameters_, input, h_0, c_0, is_training());
}

RNN::RNN(const RecurrentOptions& options_, Generator* generator)
    : RecurrentBase("RNN", options_, RecurrentKind::rnn, generator) {}
RecurrentOutput RNN::forward(const Tensor& input, const Tensor& h_0) {
  LSTMOutput result = run(input, h_0, Tensor());
  return {result.output, result.h_n};
}
Tensor RNN::forward(const Tensor& input) { return run(input, Tensor(), Tensor()).output; }

LSTM::LSTM(const RecurrentOptions& options_, Generator* generator)
    : RecurrentBase("LSTM", options_, RecurrentKind::lstm, generator) {}
LSTMOutput LSTM::forward(const Tensor& input, const Tensor& h_0, const Tensor& c_0) { return run(input, h_0, c_0); }
Tensor LSTM::forward(const Tensor& input) { return run(input, Tensor(), Tensor()).output; }

GRU::GRU(const RecurrentOptions& options_, Generator* generator)
    : RecurrentBase("GRU", options_, RecurrentKind::gru, generator) {}
RecurrentOutput GRU::forward(const Tensor& input, const Tensor& h_0) {
  LSTMOutput result = run(input, h_0, Tensor());
  return {result.output, result.h_n};
}
Tensor GRU::forward(const Tensor& input) { return run(input, Tensor(), Tensor()).output; }

// ---- cells

RecurrentCellBase::RecurrentCellBase(const char* name, const RecurrentCellOptions& options_, RecurrentKind kind,
                                     Generator* generator)
    : Module(name), options(options_), kind_(kind) {
  NABLA_CHECK(options.input_size > 0 && options.hidden_size > 0, "{}: input_size and hidden_size must be positive, got {}, {}",
              name, options.input_size, options.hidden_size);
  const int64_t G = gate_count(kind) * options.hidden_size;
  weight_ih = register_parameter("weight_ih", empty({G, options.input_size}, options.dtype));
  weight_hh = register_parameter("weight_hh", empty({G, options.hidden_size}, options.dtype));
  if (options.bias) {
    bias_ih = register_parameter("bias_ih", empty({G}, options.dtype));
    bias_hh = register_parameter("bias_hh", empty({G}, options.dtype));
  }
  reset_parameters(generator);
}

void RecurrentCellBase::reset_parameters(Generator* generator) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.hidden_size));
  for (auto& [name, parameter] : named_parameters(false)) init::uniform_(parameter, -bound, bound, generator);
}

std::string RecurrentCellBase::describe() const {
  std::string text = fmt::format("{}({}, {}", name(), options.input_size, options.hidden_size);
  if (!options.bias) text += ", bias=False";
  if (mode_of(kind_, options.nonlinearity) == RecurrentMode::rnn_relu) text += ", nonlinearity='relu'";
  return text + ")";
}

LSTMState RecurrentCellBase::step(const Tensor& input, const Tensor& h, const Tensor& c) {
  const RecurrentMode mode = mode_of(kind_, options.nonlinearity);
  NABLA_CHECK((input.dim() == 1 || input.dim() == 2) && input.size(-1) == options.input_size,
              "{}: expected input [B, {}] or [{}], got {}", name(), options.input_size, options.input_size,
              input.describe());
  const bool unbatched = input.dim() == 1;
  const Tensor x = unbatched ? input.unsqueeze(0) : input;
  const Shape state_shape{x.shape()[0], options.hidden_size};
  auto state = [&](const Tensor& given, const char* what) {
    if (!given.defined()) return zero_state(x, state_shape);
    const Tensor batched = unbatched ? given.unsqueeze(0) : given;
    NABLA_CHECK(batched.shape() == state_shape, "{}: {} must be {} for input {}, got {}", name(), what,
                shape_string(unbatched ? Shape{options.hidden_size} : state_shape), input.describe(), given.describe());
    return batched.contiguous();
  };
  const GateInputs gates = gate_inputs(mode, x.unsqueeze(0), weight_ih, bias_ih, bias_hh);  // one step
  Sequence sequence = run_sequence(mode, false, gates.x_gates, weight_hh, gates.bias_hh, state(h, "h"),
                                   mode == RecurrentMode::lstm ? state(c, "c") : Tensor());
  LSTMState result{sequence.h_all.select(0, 0), mode == RecurrentMode::lstm ? sequence.c_all.select(0, 0) : Tensor()};
  if (unbatched) {
    result.h = result.h.squeeze(0);
    if (result.c.defined()) result.c = result.c.squeeze(0);
  }
  return result;
}

RNNCell::RNNCell(const RecurrentCellOptions& options_, Generator* generator)
    : RecurrentCellBase("RNNCell", options_, RecurrentKind::rnn, generator) {}
Tensor RNNCell::forward(const Tensor& input, const Tensor& h) { return step(input, h, Tensor()).h; }

LSTMCell::LSTMCell(const RecurrentCellOptions& options_, Generator* generator)
    : RecurrentCellBase("LSTMCell", options_, RecurrentKind::lstm, generator) {}
LSTMState LSTMCell::forward(const Tensor& input, const Tensor& h, const Tensor& c) { return step(input, h, c); }

GRUCell::GRUCell(const RecurrentCellOptions& options_, Generator* generator)
    : RecurrentCellBase("GRUCell", options_, RecurrentKind::gru, generator) {}
Tensor GRUCell::forward(const Tensor& input, const Tensor& h) { return step(input, h, Tensor()).h; }

}  // namespace nabla::nn
