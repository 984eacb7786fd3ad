#pragma once
// Recurrent layers as PyTorch's: RNN (tanh or relu), LSTM and GRU — several layers, one or two directions,
// dropout between layers, batch_first — and their one-step cells RNNCell, LSTMCell and GRUCell.
//
// Parameters have PyTorch's names, shapes and gate order, so a PyTorch state dict loads as it is: for layer k
// (and `_reverse` for the second direction) weight_ih_l{k} [G·hidden, input], weight_hh_l{k} [G·hidden, hidden],
// bias_ih_l{k} and bias_hh_l{k} [G·hidden], with G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n). Every
// parameter starts as U(−1/√hidden, 1/√hidden), as PyTorch.
//
// A layer computes each direction's input projection for all steps with one GEMM, then runs the recurrence
// as one fused op over the sequence (recurrent_sequence, src/ops/recurrent.cpp), whose backward is one
// fused op as well.
//
// Shapes (seq-first; batch_first swaps the first two dims of input and output, never of the states):
//   input [T, B, input_size] (or [T, input_size] unbatched)
//   output [T, B, D·hidden] (D = 2 when bidirectional: the forward direction's features first)
//   h_0, h_n, c_0, c_n [num_layers·D, B, hidden] (unbatched: [num_layers·D, hidden]); a state not given is zero.
#include "nabla/nn/module.h"

namespace nabla::nn {

enum class RNNNonlinearity { tanh, relu };
enum class RecurrentKind { rnn, lstm, gru };

struct RecurrentOptions {
  int64_t input_size = 0, hidden_size = 0;
  int64_t num_layers = 1;
  RNNNonlinearity nonlinearity = RNNNonlinearity::tanh;  // RNN only
  bool bias = true;
  bool batch_first = false;
  double dropout = 0;  // on each layer's output but the last, in training mode
  bool bidirectional = false;
  DType dtype = DType::f32;  // of the parameters (f64 for gradient checks)
};
using RNNOptions = RecurrentOptions;
using LSTMOptions = RecurrentOptions;
using GRUOptions = RecurrentOptions;

// What RNN and GRU return: the last layer's output at every step and the final state of every layer and
// direction. LSTM adds the final cell state c_n.
struct RecurrentOutput {
  Tensor output, h_n;
};
struct LSTMOutput {
  Tensor output, h_n, c_n;
};

// The computation of RNN, LSTM and GRU layers with explicit weights, as the modules run it (they pass their
// parameters): weights[layer·D + direction] = {weight_ih, weight_hh, bias_ih, bias_hh} (biases undefined
// without bias). c_0 is read, and c_n returned, for LSTM only. For functional use and for checks against other
// frameworks' weights.
LSTMOutput recurrent(RecurrentKind kind, const RecurrentOptions& options,
                     const std::vector<std::vector<Tensor>>& weights, const Tensor& input, const Tensor& h_0,
                     const Tensor& c_0, bool training = false);

// The common part of RNN, LSTM and GRU: options, parameters, and the layer loop.
class RecurrentBase : public Module {
 public:
  RecurrentOptions options;

  // The parameters of layer `layer` and direction `direction` (1: reverse): weight_ih, weight_hh, bias_ih,
  // bias_hh (the biases undefined without bias).
  std::vector<Tensor> layer_parameters(int64_t layer, int64_t direction) const;
  void reset_parameters(Generator* generator = nullptr);
  std::string describe() const override;

 protected:
  RecurrentBase(const char* name, const RecurrentOptions& options, RecurrentKind kind, Generator* generator);
  // Runs every layer; c_0 is used (and c_n returned) by LSTM only.
  LSTMOutput run(const Tensor& input, const Tensor& h_0, const Tensor& c_0);

 private:
  RecurrentKind kind_;
  std::vector<std::vector<Tensor>> parameters_;  // per layer and direction, as layer_parameters returns them
};

class RNN : public RecurrentBase {
 public:
  using Options = RecurrentOptions;
  explicit RNN(const RecurrentOptions& options, Generator* generator = nullptr);
  RecurrentOutput forward(const Tensor& input, const Tensor& h_0);
  Tensor forward(const Tensor& input) override;  // the output only, from zero states
  template <typename... Args>
  auto operator()(Args&&... args) { return call(*this, std::forward<Args>(args)...); }
};

class LSTM : public RecurrentBase {
 public:
  using Options = RecurrentOptions;
  explicit LSTM(const RecurrentOptions& options, Generator* generator = nullptr);
  LSTMOutput forward(const Tensor& input, const Tensor& h_0, const Tensor& c_0);
  Tensor forward(const Tensor& input) override;  // the output only, from zero states
  template <typename... Args>
  auto operator()(Args&&... args) { return call(*this, std::forward<Args>(args)...); }
};

class GRU : public RecurrentBase {
 public:
  using Options = RecurrentOptions;
  explicit GRU(const RecurrentOptions& options, Generator* generator = nullptr);
  RecurrentOutput forward(const Tensor& input, const Tensor& h_0);
  Tensor forward(const Tensor& input) override;  // the output only, from zero states
  template <typename... Args>
  auto operator()(Args&&... args) { return call(*this, std::forward<Args>(args)...); }
};

// ---- cells: one step. input [B, input_size] (or [input_size]), states [B, hidden] (or [hidden]); a state not
// given is zero. Parameters weight_ih, weight_hh, bias_ih, bias_hh as PyTorch's cells.
struct RecurrentCellOptions {
  int64_t input_size = 0, hidden_size = 0;
  bool bias = true;
  RNNNonlinearity nonlinearity = RNNNonlinearity::tanh;  // RNNCell only
  DType dtype = DType::f32;                              // of the parameters
};

struct LSTMState {
  Tensor h, c;
};

class RecurrentCellBase : public Module {
 public:
  RecurrentCellOptions options;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
  void reset_parameters(Generator* generator = nullptr);
  std::string describe() const override;

 protected:
  RecurrentCellBase(const char* name, const RecurrentCellOptions& options, RecurrentKind kind, Generator* generator);
  LSTMState step(const Tensor& input, const Tensor& h, const Tensor& c);

 private:
  RecurrentKind kind_;
};

class RNNCell : public RecurrentCellBase {
 public:
  using Options = RecurrentCellOptions;
  explicit RNNCell(const RecurrentCellOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& input, const Tensor& h);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  template <typename... Args>
  auto operator()(Args&&... args) { return call(*this, std::forward<Args>(args)...); }
};

class LSTMCell : public RecurrentCellBase {
 public:
  using Options = RecurrentCellOptions;
  explicit LSTMCell(const RecurrentCellOptions& options, Generator* generator = nullptr);
  LSTMState forward(const Tensor& input, const Tensor& h, const Tensor& c);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor(), Tensor()).h; }
  template <typename... Args>
  auto operator()(Args&&... args) { return call(*this, std::forward<Args>(args)...); }
};

class GRUCell : public RecurrentCellBase {
 public:
  using Options = RecurrentCellOptions;
  explicit GRUCell(const RecurrentCellOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& input, const Tensor& h);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  template <typename... Args>
  auto operator()(Args&&... args) { return call(*this, std::forward<Args>(args)...); }
};

}  // namespace nabla::nn
