// recurrent_sequence: one direction of one RNN, LSTM or GRU layer over a whole sequence, and its fused backward
// recurrent_sequence_backward. The caller (nn::RNN/LSTM/GRU, src/nn/recurrent.cpp) projects the inputs of every
// step with one GEMM first: x_gates = x·W_ihᵀ + b_ih. Keeping the whole sequence in one op, rather than one op
// per step, lets backward write each step's gate gradient into one [T, B, G·H] tensor (per-step slices of
// x_gates would each give back a zero-filled [T, B, G·H] gradient: quadratic in T) and compute dW_hh with one
// GEMM over all steps.
//
// Step s runs time t = s (t = T−1−s in reverse); h_prev is h0 at the first step, else the state of the step
// before (c likewise). With p = h_prev·W_hhᵀ + b_hh                                    [B, G·H]
//   rnn:  h = tanh(x_t + p) or relu(x_t + p)
//   lstm: a = x_t + p; i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o); c = f·c_prev + i·g; h = o·tanh(c)
//   gru:  r = σ(x_r + p_r), z = σ(x_z + p_z), n = tanh(x_n + r·p_n), h = (1 − z)·n + z·h_prev
// Backward, from the last step to the first, dh = dh_all[t] + the gradient the step after sent back:
//   rnn:  da = dh·(1 − h²) (tanh) or dh·[h > 0] (relu)
//   lstm: dc = dc_all[t] + dc_next + dh·o·(1 − tanh²c); da_i = dc·g·i(1−i), da_f = dc·c_prev·f(1−f),
//         da_g = dc·i·(1−g²), da_o = dh·tanh(c)·o(1−o); dc_next = dc·f
//   gru:  da_n = dh·(1−z)·(1−n²), da_z = dh·(h_prev − n)·z(1−z), da_r = da_n·p_n·r(1−r); x's gradient is
//         (da_r, da_z, da_n), p's is dp = (da_r, da_z, da_n·r), and dh_next also gets dh·z
//   dh_next += dp·W_hh (dp = da for rnn and lstm); dW_hh = Σ_t dp[t]ᵀ·h_prev(t); db_hh = Σ_t,b dp.
#include <cmath>
#include <vector>

#include "core/element.h"
#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/ops.h"
#include "ops/iterate.h"
#include "ops/kernel_rules.h"
#include "ops/op.h"

namespace nabla::ops {

int64_t recurrent_gate_count(RecurrentMode mode) {
  switch (mode) {
    case RecurrentMode::lstm: return 4;
    case RecurrentMode::gru: return 3;
    default: return 1;
  }
}

int64_t recurrent_workspace_width(RecurrentMode mode, int64_t hidden) {
  return mode == RecurrentMode::lstm || mode == RecurrentMode::gru ? 4 * hidden : 0;
}

namespace {

const char* mode_name(RecurrentMode mode) {
  switch (mode) {
    case RecurrentMode::rnn_tanh: return "rnn (tanh)";
    case RecurrentMode::rnn_relu: return "rnn (relu)";
    case RecurrentMode::lstm: return "lstm";
    case RecurrentMode::gru: return "gru";
  }
  return "?";
}

struct Sizes {
  int64_t steps, batch, hidden, gates;  // gates: G·H values per batch row and step
};

// The step → time index map: reverse runs the sequence from its end.
int64_t time_of(int64_t step, int64_t steps, bool reverse) { return reverse ? steps - 1 - step : step; }

// Checks x_gates [T, B, G·H], w_hh [G·H, H], b_hh [G·H], h0 (and c0) [B, H], all of one floating dtype.
Sizes check_sequence(const char* op, RecurrentMode mode, const Tensor& x_gates, const Tensor& w_hh, const Tensor& b_hh,
                     const Tensor& h0, const Tensor* c0) {
  const int64_t gate_count = recurrent_gate_count(mode);
  NABLA_CHECK(w_hh.dim() == 2 && w_hh.shape()[1] > 0 && w_hh.shape()[0] == gate_count * w_hh.shape()[1],
              "{}: {} w_hh must be [{}·hidden, hidden], got {}", op, mode_name(mode), gate_count, w_hh.describe());
  const int64_t hidden = w_hh.shape()[1], gates = gate_count * hidden;
  NABLA_CHECK(x_gates.dim() == 3 && x_gates.shape()[0] >= 1 && x_gates.shape()[2] == gates,
              "{}: x_gates must be [steps ≥ 1, batch, {}] for w_hh {}, got {}", op, gates, w_hh.describe(),
              x_gates.describe());
  const int64_t batch = x_gates.shape()[1];
  NABLA_CHECK(b_hh.shape() == Shape{gates}, "{}: b_hh must be [{}], got {}", op, gates, b_hh.describe());
  NABLA_CHECK(h0.shape() == (Shape{batch, hidden}), "{}: h0 must be [batch, hidden] = [{}, {}], got {}", op, batch,
              hidden, h0.describe());
  if (c0) {
    NABLA_CHECK(c0->shape() == (Shape{batch, hidden}), "{}: c0 must be [batch, hidden] = [{}, {}], got {}", op, batch,
                hidden, c0->describe());
  }
  NABLA_CHECK(is_floating(x_gates.dtype()), "{}: x_gates must be floating point, got {}", op, x_gates.describe());
  for (const Tensor* other : {&w_hh, &b_hh, &h0, c0}) {
    if (!other) continue;
    NABLA_CHECK(other->dtype() == x_gates.dtype(), "{}: every operand must have x_gates' dtype ({}), got {}", op,
                x_gates.describe(), other->describe());
  }
  return {x_gates.shape()[0], batch, hidden, gates};
}

// A tensor's values in row-major order, in double (reference kernels read any strides and dtypes).
std::vector<double> values_of(const Tensor& x) {
  std::vector<double> values(static_cast<size_t>(x.numel()));
  const void* base = x.storage()->data();
  size_t position = 0;
  for_each_offset<1>(x.shape(), {x.strides()}, {x.offset()},
                     [&](const std::array<int64_t, 1>& offset) { values[position++] = load_double(x.dtype(), base, offset[0]); });
  return values;
}

void store_values(const Tensor& out, const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); ++i) store_double(out.dtype(), out.raw_data(), static_cast<int64_t>(i), values[i]);
}

double sigmoid_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// out[b, j] = bias[j] + Σ_k h[b, k]·w[j, k]: the recurrent projection of one step.
void project(const Sizes& sizes, const double* h, const std::vector<double>& w, const std::vector<double>& bias,
             std::vector<double>& out) {
  for (int64_t b = 0; b < sizes.batch; ++b) {
    for (int64_t j = 0; j < sizes.gates; ++j) {
      double total = bias[j];
      for (int64_t k = 0; k < sizes.hidden; ++k) total += h[b * sizes.hidden + k] * w[j * sizes.hidden + k];
      out[b * sizes.gates + j] = total;
    }
  }
}

}  // namespace

// recurrent_sequence: (x_gates, w_hh, b_hh, h0[, c0]) → (h_all [T,B,H], c_all [T,B,H] or [0], workspace
// [T,B,W] or [0])
std::vector<OutputSpec> shape_recurrent_sequence(const OpCall& call) {
  const auto& attrs = std::get<RecurrentAttrs>(call.attrs);
  const bool lstm = attrs.mode == RecurrentMode::lstm;
  const size_t expected = lstm ? 5 : 4;
  NABLA_CHECK(call.inputs.size() == expected, "recurrent_sequence: {} takes {} inputs (x_gates, w_hh, b_hh, h0{}), got {}",
              mode_name(attrs.mode), expected, lstm ? ", c0" : "", call.inputs.size());
  const Sizes sizes = check_sequence("recurrent_sequence", attrs.mode, call.inputs[0], call.inputs[1], call.inputs[2],
                                     call.inputs[3], lstm ? &call.inputs[4] : nullptr);
  const DType dtype = call.inputs[0].dtype();
  const Shape states{sizes.steps, sizes.batch, sizes.hidden};
  const int64_t width = recurrent_workspace_width(attrs.mode, sizes.hidden);
  return {{states, dtype},
          {lstm ? states : Shape{0}, dtype},
          {width ? Shape{sizes.steps, sizes.batch, width} : Shape{0}, dtype}};
}

void reference_recurrent_sequence(const KernelCall& call) {
  const auto& attrs = std::get<RecurrentAttrs>(call.attrs);
  const Sizes sizes{call.inputs[0].shape()[0], call.inputs[0].shape()[1], call.inputs[1].shape()[1],
                    call.inputs[1].shape()[0]};
  const int64_t H = sizes.hidden, B = sizes.batch, T = sizes.steps, width = recurrent_workspace_width(attrs.mode, H);
  const std::vector<double> x = values_of(call.inputs[0]), w = values_of(call.inputs[1]), bias = values_of(call.inputs[2]),
                            h0 = values_of(call.inputs[3]);
  const bool lstm = attrs.mode == RecurrentMode::lstm;
  const std::vector<double> c0 = lstm ? values_of(call.inputs[4]) : std::vector<double>{};
  std::vector<double> h_all(static_cast<size_t>(T * B * H)), c_all(lstm ? h_all.size() : 0),
      workspace(static_cast<size_t>(T * B * width)), p(static_cast<size_t>(B * sizes.gates));
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = time_of(s, T, attrs.reverse);
    const int64_t previous = s == 0 ? -1 : time_of(s - 1, T, attrs.reverse);
    const double* h_prev = previous < 0 ? h0.data() : &h_all[static_cast<size_t>(previous * B * H)];
    const double* c_prev = !lstm ? nullptr : previous < 0 ? c0.data() : &c_all[static_cast<size_t>(previous * B * H)];
    project(sizes, h_prev, w, bias, p);
    for (int64_t b = 0; b < B; ++b) {
      const double* xt = &x[static_cast<size_t>((t * B + b) * sizes.gates)];
      const double* pb = &p[static_cast<size_t>(b * sizes.gates)];
      double* ws = workspace.empty() ? nullptr : &workspace[static_cast<size_t>((t * B + b) * width)];
      for (int64_t j = 0; j < H; ++j) {
        const size_t out = static_cast<size_t>((t * B + b) * H + j);
        switch (attrs.mode) {
          case RecurrentMode::rnn_tanh: h_all[out] = std::tanh(xt[j] + pb[j]); break;
          case RecurrentMode::rnn_relu: h_all[out] = std::max(xt[j] + pb[j], 0.0); break;
          case RecurrentMode::lstm: {
            const double i = sigmoid_of(xt[j] + pb[j]), f = sigmoid_of(xt[H + j] + pb[H + j]);
            const double g = std::tanh(xt[2 * H + j] + pb[2 * H + j]), o = sigmoid_of(xt[3 * H + j] + pb[3 * H + j]);
            const double c = f * c_prev[b * H + j] + i * g;
            c_all[out] = c;
            h_all[out] = o * std::tanh(c);
            ws[j] = i, ws[H + j] = f, ws[2 * H + j] = g, ws[3 * H + j] = o;
            break;
          }
          case RecurrentMode::gru: {
            const double r = sigmoid_of(xt[j] + pb[j]), z = sigmoid_of(xt[H + j] + pb[H + j]);
            const double n = std::tanh(xt[2 * H + j] + r * pb[2 * H + j]);
            h_all[out] = (1 - z) * n + z * h_prev[b * H + j];
            ws[j] = r, ws[H + j] = z, ws[2 * H + j] = n, ws[3 * H + j] = pb[2 * H + j];
            break;
          }
        }
      }
    }
  }
  store_values(call.outputs[0], h_all);
  store_values(call.outputs[1], c_all);
  store_values(call.outputs[2], workspace);
}

// The fused backward runs only for first-order gradients: it is not differentiable itself.
std::vector<Tensor> backward_recurrent_sequence(const BackwardCall& call) {
  const auto& attrs = std::get<RecurrentAttrs>(call.attrs);
  const bool lstm = attrs.mode == RecurrentMode::lstm;
  const Tensor &h_all = call.outputs[0], &c_all = call.outputs[1], &workspace = call.outputs[2];
  // Grad mode is on in a backward only under create_graph, which would need a differentiable backward.
  NABLA_CHECK(!autograd::grad_enabled(), "recurrent_sequence: double backward is not supported (its backward, "
                                         "recurrent_sequence_backward, is a fused kernel without a derivative)");
  // A gradient that never arrived is zero; the fused kernel reads contiguous ones.
  auto gradient = [&](size_t output, const Tensor& like) {
    return call.grads[output].defined() ? call.grads[output].contiguous() : zeros(like.shape(), {.dtype = like.dtype()});
  };
  std::vector<Tensor> inputs{gradient(0, h_all), call.inputs[1], call.inputs[3], h_all, workspace};
  if (lstm) {
    inputs.push_back(gradient(1, c_all));
    inputs.push_back(call.inputs[4]);
    inputs.push_back(c_all);
  }
  std::vector<Tensor> grads = ops::call(OpId::recurrent_sequence_backward, std::move(inputs), attrs);
  std::vector<Tensor> result{grads[0], grads[1], grads[2], grads[3]};
  if (lstm) result.push_back(grads[4]);
  return result;
}

// recurrent_sequence_backward: (dh_all, w_hh, h0, h_all, workspace[, dc_all, c0, c_all]) → (dx_gates
// [T,B,G·H], dw_hh [G·H,H], db_hh [G·H], dh0 [B,H], dc0 [B,H] or [0])
std::vector<OutputSpec> shape_recurrent_sequence_backward(const OpCall& call) {
  const auto& attrs = std::get<RecurrentAttrs>(call.attrs);
  const bool lstm = attrs.mode == RecurrentMode::lstm;
  const size_t expected = lstm ? 8 : 5;
  NABLA_CHECK(call.inputs.size() == expected,
              "recurrent_sequence_backward: {} takes {} inputs (dh_all, w_hh, h0, h_all, workspace{}), got {}",
              mode_name(attrs.mode), expected, lstm ? ", dc_all, c0, c_all" : "", call.inputs.size());
  const Tensor &dh_all = call.inputs[0], &w_hh = call.inputs[1], &h0 = call.inputs[2], &h_all = call.inputs[3];
  NABLA_CHECK(dh_all.dim() == 3 && dh_all.shape() == h_all.shape() && w_hh.dim() == 2 && h0.dim() == 2,
              "recurrent_sequence_backward: dh_all {} and h_all {} must be [steps, batch, hidden] alike", dh_all.describe(),
              h_all.describe());
  const int64_t T = dh_all.shape()[0], B = dh_all.shape()[1], H = dh_all.shape()[2];
  const int64_t gates = recurrent_gate_count(attrs.mode) * H, width = recurrent_workspace_width(attrs.mode, H);
  NABLA_CHECK(w_hh.shape() == (Shape{gates, H}) && h0.shape() == (Shape{B, H}),
              "recurrent_sequence_backward: w_hh {} and h0 {} do not fit h_all {}", w_hh.describe(), h0.describe(),
              h_all.describe());
  NABLA_CHECK(call.inputs[4].shape() == (width ? Shape{T, B, width} : Shape{0}),
              "recurrent_sequence_backward: workspace {} does not fit h_all {}", call.inputs[4].describe(),
              h_all.describe());
  if (lstm) {
    NABLA_CHECK(call.inputs[5].shape() == h_all.shape() && call.inputs[6].shape() == h0.shape() &&
                    call.inputs[7].shape() == h_all.shape(),
                "recurrent_sequence_backward: dc_all {}, c0 {} and c_all {} do not fit h_all {}",
                call.inputs[5].describe(), call.inputs[6].describe(), call.inputs[7].describe(), h_all.describe());
  }
  const DType dtype = dh_all.dtype();
  return {{{T, B, gates}, dtype}, {{gates, H}, dtype}, {{gates}, dtype}, {{B, H}, dtype}, {lstm ? Shape{B, H} : Shape{0}, dtype}};
}

void reference_recurrent_sequence_backward(const KernelCall& call) {
  const auto& attrs = std::get<RecurrentAttrs>(call.attrs);
  const bool lstm = attrs.mode == RecurrentMode::lstm, gru = attrs.mode == RecurrentMode::gru;
  const int64_t T = call.inputs[0].shape()[0], B = call.inputs[0].shape()[1], H = call.inputs[0].shape()[2];
  const Sizes sizes{T, B, H, recurrent_gate_count(attrs.mode) * H};
  const int64_t G = sizes.gates, width = recurrent_workspace_width(attrs.mode, H);
  const std::vector<double> dh_all = values_of(call.inputs[0]), w = values_of(call.inputs[1]),
                            h0 = values_of(call.inputs[2]), h_all = values_of(call.inputs[3]),
                            workspace = values_of(call.inputs[4]);
  std::vector<double> dc_all, c0, c_all;
  if (lstm) dc_all = values_of(call.inputs[5]), c0 = values_of(call.inputs[6]), c_all = values_of(call.inputs[7]);
  std::vector<double> dx(static_cast<size_t>(T * B * G)), dp(dx.size()), dw(static_cast<size_t>(G * H)),
      db(static_cast<size_t>(G)), dh_next(static_cast<size_t>(B * H)), dc_next(lstm ? dh_next.size() : 0);
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = time_of(s, T, attrs.reverse);
    const int64_t previous = s == 0 ? -1 : time_of(s - 1, T, attrs.reverse);
    const double* h_prev = previous < 0 ? h0.data() : &h_all[static_cast<size_t>(previous * B * H)];
    const double* c_prev = !lstm ? nullptr : previous < 0 ? c0.data() : &c_all[static_cast<size_t>(previous * B * H)];
    std::vector<double> dh_direct(static_cast<size_t>(B * H), 0.0);  // gru: dh·z, the gradient that skips W_hh
    for (int64_t b = 0; b < B; ++b) {
      const size_t row = static_cast<size_t>(t * B + b);
      double* dxr = &dx[row * G];
      double* dpr = &dp[row * G];
      const double* ws = width ? &workspace[row * width] : nullptr;
      for (int64_t j = 0; j < H; ++j) {
        const size_t at = row * H + j, state = static_cast<size_t>(b * H + j);
        const double dh = dh_all[at] + dh_next[state];
        switch (attrs.mode) {
          case RecurrentMode::rnn_tanh: dxr[j] = dpr[j] = dh * (1 - h_all[at] * h_all[at]); break;
          case RecurrentMode::rnn_relu: dxr[j] = dpr[j] = h_all[at] > 0 ? dh : 0.0; break;
          case RecurrentMode::lstm: {
            const double i = ws[j], f = ws[H + j], g = ws[2 * H + j], o = ws[3 * H + j];
            const double tanh_c = std::tanh(c_all[at]);
            const double dc = dc_all[at] + dc_next[state] + dh * o * (1 - tanh_c * tanh_c);
            dxr[j] = dpr[j] = dc * g * i * (1 - i);
            dxr[H + j] = dpr[H + j] = dc * c_prev[state] * f * (1 - f);
            dxr[2 * H + j] = dpr[2 * H + j] = dc * i * (1 - g * g);
            dxr[3 * H + j] = dpr[3 * H + j] = dh * tanh_c * o * (1 - o);
            dc_next[state] = dc * f;
            break;
          }
          case RecurrentMode::gru: {
            const double r = ws[j], z = ws[H + j], n = ws[2 * H + j], p_n = ws[3 * H + j];
            const double da_n = dh * (1 - z) * (1 - n * n);
            const double da_z = dh * (h_prev[state] - n) * z * (1 - z);
            const double da_r = da_n * p_n * r * (1 - r);
            dxr[j] = dpr[j] = da_r;
            dxr[H + j] = dpr[H + j] = da_z;
            dxr[2 * H + j] = da_n;
            dpr[2 * H + j] = da_n * r;
            dh_direct[state] = dh * z;
            break;
          }
        }
      }
    }
    for (int64_t b = 0; b < B; ++b) {
      const double* dpr = &dp[static_cast<size_t>((t * B + b) * G)];
      for (int64_t k = 0; k < H; ++k) {
        double total = gru ? dh_direct[static_cast<size_t>(b * H + k)] : 0.0;
        for (int64_t j = 0; j < G; ++j) total += dpr[j] * w[static_cast<size_t>(j * H + k)];
        dh_next[static_cast<size_t>(b * H + k)] = total;
      }
      for (int64_t j = 0; j < G; ++j) {
        db[static_cast<size_t>(j)] += dpr[j];
        for (int64_t k = 0; k < H; ++k) dw[static_cast<size_t>(j * H + k)] += dpr[j] * h_prev[b * H + k];
      }
    }
  }
  store_values(call.outputs[0], dx);
  store_values(call.outputs[1], dw);
  store_values(call.outputs[2], db);
  store_values(call.outputs[3], dh_next);
  store_values(call.outputs[4], dc_next);
}
NABLA_NO_BACKWARD(recurrent_sequence_backward)

}  // namespace nabla::ops
