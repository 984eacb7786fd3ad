// Fast f32 recurrent_sequence and recurrent_sequence_backward (the formulas: src/ops/recurrent.cpp). Per step,
// one oneDNN sgemm computes the recurrent part p = h_prev·W_hhᵀ + b_hh for the whole batch, and one vectorised
// pass over the batch rows does every gate's activation, the cell update and the workspace writes: where the
// composite of ops wrote each gate's pre-activation, activation and product to memory separately. Backward
// walks the steps in reverse with the same pattern (gate gradients in one pass, then dh_next = dp·W_hh), and
// finds dW_hh with two GEMMs over all steps at the end instead of one small GEMM per step.
#include <dnnl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "backend/cpu/fast.h"
#include "backend/cpu/simd.h"
#include "nabla/factory.h"
#include "ops/kernel_rules.h"

namespace nabla::cpu {
namespace {

using ops::RecurrentMode;

// The gate math is written once over `Lanes`: 16 floats with AVX-512 (GCC's vector arithmetic on __m512,
// masked loads and stores for a row's tail), else one float.
#ifdef __AVX512F__
using Lanes = __m512;
constexpr int64_t lane_count = 16;
Lanes load(const float* p, int64_t count) { return _mm512_maskz_loadu_ps(simd::tail_mask16(count), p); }
void store(float* p, Lanes value, int64_t count) { _mm512_mask_storeu_ps(p, simd::tail_mask16(count), value); }
Lanes sigmoid(Lanes x) { return simd::sigmoid_times(x, simd::splat(1.0f)); }
Lanes tanh_of(Lanes x) { return simd::tanh(x); }
Lanes relu_of(Lanes x) { return _mm512_max_ps(x, _mm512_setzero_ps()); }
// dh where h > 0, else 0 (relu's gradient; 0 at h = 0, as PyTorch)
Lanes where_positive(Lanes h, Lanes dh) {
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(h, _mm512_setzero_ps(), _CMP_GT_OQ), dh);
}
#else
using Lanes = float;
constexpr int64_t lane_count = 1;
Lanes load(const float* p, int64_t) { return *p; }
void store(float* p, Lanes value, int64_t) { *p = value; }
Lanes sigmoid(Lanes x) { return 1.0f / (1.0f + std::exp(-x)); }
Lanes tanh_of(Lanes x) { return std::tanh(x); }
Lanes relu_of(Lanes x) { return std::max(x, 0.0f); }
Lanes where_positive(Lanes h, Lanes dh) { return h > 0 ? dh : 0.0f; }
#endif

// Calls body(j, count) for lane blocks [j, j + count) of a row of `hidden` values.
template <typename Body>
inline void for_each_block(int64_t hidden, Body&& body) {
  for (int64_t j = 0; j < hidden; j += lane_count) body(j, std::min(lane_count, hidden - j));
}

const float* data_of(const Tensor& tensor) { return static_cast<const float*>(tensor.raw_data()); }
float* mutable_data_of(const Tensor& tensor) { return static_cast<float*>(tensor.raw_data()); }

// Row-major sgemm: c = alpha·op(a)·op(b) + beta·c.
void gemm(char transpose_a, char transpose_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const dnnl_status_t status = dnnl_sgemm(transpose_a, transpose_b, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
  NABLA_CHECK(status == dnnl_success, "recurrent_sequence: dnnl_sgemm failed ({}×{}·{}×{})", m, k, k, n);
}

struct Sizes {
  int64_t steps, batch, hidden, gates;  // gates: G·H values per batch row and step
  bool reverse;
  int64_t time_of(int64_t step) const { return reverse ? steps - 1 - step : step; }
};

// Whether the batch rows of one step are worth a parallel region (a fork/join costs about a small step).
bool parallel_rows(const Sizes& sizes) { return sizes.batch > 1 && sizes.batch * sizes.gates >= parallel_threshold; }

// Whether a step's recurrent GEMM (B × G·H × H multiply-adds) is too small to split over threads: at batch 1
// (latency) OpenMP's fork/join each step would cost more than the product, and far more on a busy machine.
bool small_steps(const Sizes& sizes) { return sizes.batch * sizes.gates * sizes.hidden < small_gemm; }

// ---- forward: one batch row of one step. x: x_gates row, p: recurrent part row (b_hh included).
template <RecurrentMode mode>
void forward_row(int64_t H, const float* x, const float* p, const float* h_prev, const float* c_prev, float* h,
                 float* c, float* workspace) {
  for_each_block(H, [&](int64_t j, int64_t count) {
    if constexpr (mode == RecurrentMode::rnn_tanh) {
      store(h + j, tanh_of(load(x + j, count) + load(p + j, count)), count);
    } else if constexpr (mode == RecurrentMode::rnn_relu) {
      store(h + j, relu_of(load(x + j, count) + load(p + j, count)), count);
    } else if constexpr (mode == RecurrentMode::lstm) {
      const Lanes i = sigmoid(load(x + j, count) + load(p + j, count));
      const Lanes f = sigmoid(load(x + H + j, count) + load(p + H + j, count));
      const Lanes g = tanh_of(load(x + 2 * H + j, count) + load(p + 2 * H + j, count));
      const Lanes o = sigmoid(load(x + 3 * H + j, count) + load(p + 3 * H + j, count));
      const Lanes cell = f * load(c_prev + j, count) + i * g;
      store(c + j, cell, count);
      store(h + j, o * tanh_of(cell), count);
      store(workspace + j, i, count);
      store(workspace + H + j, f, count);
      store(workspace + 2 * H + j, g, count);
      store(workspace + 3 * H + j, o, count);
    } else {  // gru
      const Lanes r = sigmoid(load(x + j, count) + load(p + j, count));
      const Lanes z = sigmoid(load(x + H + j, count) + load(p + H + j, count));
      const Lanes p_n = load(p + 2 * H + j, count);
      const Lanes n = tanh_of(load(x + 2 * H + j, count) + r * p_n);
      store(h + j, n + z * (load(h_prev + j, count) - n), count);  // (1 − z)·n + z·h_prev
      store(workspace + j, r, count);
      store(workspace + H + j, z, count);
      store(workspace + 2 * H + j, n, count);
      store(workspace + 3 * H + j, p_n, count);
    }
  });
}

template <RecurrentMode mode>
void forward(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::RecurrentAttrs>(call.attrs);
  const Tensor& x_gates = call.inputs[0];
  const Sizes sizes{x_gates.shape()[0], x_gates.shape()[1], call.inputs[1].shape()[1], call.inputs[1].shape()[0],
                    attrs.reverse};
  const int64_t B = sizes.batch, H = sizes.hidden, G = sizes.gates;
  const int64_t width = ops::recurrent_workspace_width(mode, H);
  const float *x = data_of(x_gates), *w = data_of(call.inputs[1]), *bias = data_of(call.inputs[2]);
  const float* h0 = data_of(call.inputs[3]);
  const float* c0 = mode == RecurrentMode::lstm ? data_of(call.inputs[4]) : nullptr;
  float* h_all = mutable_data_of(call.outputs[0]);
  float* c_all = mode == RecurrentMode::lstm ? mutable_data_of(call.outputs[1]) : nullptr;
  float* workspace = width ? mutable_data_of(call.outputs[2]) : nullptr;
  const Tensor recurrent = empty({B, G});  // p of the current step
  float* p = mutable_data_of(recurrent);
  // W_hhᵀ [H, G], laid out once per call: oneDNN's sgemm with a transposed B operand ran 1.3–2× slower than
  // with a plain one at the language model's size (B 32, H 256, G 1024), and the product repeats every step.
  // At batch 1 the product is a matrix-vector one that reads W_hh's rows as they are: no layout to make.
  const bool vector_steps = B == 1;
  const Tensor transposed = vector_steps ? Tensor() : empty({H, G});
  float* w_t = vector_steps ? nullptr : mutable_data_of(transposed);
  for (int64_t j = 0; w_t && j < G; ++j) {
    for (int64_t k = 0; k < H; ++k) w_t[k * G + j] = w[j * H + k];
  }
  std::optional<OneThread> serial;
  if (small_steps(sizes)) serial.emplace();
  for (int64_t s = 0; s < sizes.steps; ++s) {
    const int64_t t = sizes.time_of(s), previous = s == 0 ? -1 : sizes.time_of(s - 1);
    const float* h_prev = previous < 0 ? h0 : h_all + previous * B * H;
    const float* c_prev = mode != RecurrentMode::lstm ? nullptr : previous < 0 ? c0 : c_all + previous * B * H;
    for (int64_t b = 0; b < B; ++b) std::memcpy(p + b * G, bias, static_cast<size_t>(G) * sizeof(float));
    if (vector_steps) gemm('N', 'T', B, G, H, h_prev, H, w, H, 1.0f, p, G);
    else gemm('N', 'N', B, G, H, h_prev, H, w_t, G, 1.0f, p, G);
#pragma omp parallel for schedule(static) if (parallel_rows(sizes))
    for (int64_t b = 0; b < B; ++b) {
      const int64_t row = t * B + b;
      forward_row<mode>(H, x + row * G, p + b * G, h_prev + b * H, c_prev ? c_prev + b * H : nullptr,
                        h_all + row * H, c_all ? c_all + row * H : nullptr, workspace + row * width);
    }
  }
}

// ---- backward: one batch row of one step. dh_next (and dc_next) hold the gradient from the step after and
// are overwritten with this step's part that does not go through W_hh (lstm: dc·f; gru: dh·z).
template <RecurrentMode mode>
void backward_row(int64_t H, const float* dh_in, const float* h, const float* workspace, const float* dc_in,
                  const float* c, const float* c_prev, const float* h_prev, float* dh_next, float* dc_next, float* dx,
                  float* dp) {
  for_each_block(H, [&](int64_t j, int64_t count) {
    const Lanes dh = load(dh_in + j, count) + load(dh_next + j, count);
    if constexpr (mode == RecurrentMode::rnn_tanh) {
      const Lanes y = load(h + j, count);
      store(dx + j, dh * (1.0f - y * y), count);
    } else if constexpr (mode == RecurrentMode::rnn_relu) {
      store(dx + j, where_positive(load(h + j, count), dh), count);
    } else if constexpr (mode == RecurrentMode::lstm) {
      const Lanes i = load(workspace + j, count), f = load(workspace + H + j, count);
      const Lanes g = load(workspace + 2 * H + j, count), o = load(workspace + 3 * H + j, count);
      const Lanes tanh_c = tanh_of(load(c + j, count));
      const Lanes dc = load(dc_in + j, count) + load(dc_next + j, count) + dh * o * (1.0f - tanh_c * tanh_c);
      store(dx + j, dc * g * i * (1.0f - i), count);
      store(dx + H + j, dc * load(c_prev + j, count) * f * (1.0f - f), count);
      store(dx + 2 * H + j, dc * i * (1.0f - g * g), count);
      store(dx + 3 * H + j, dh * tanh_c * o * (1.0f - o), count);
      store(dc_next + j, dc * f, count);
    } else {  // gru
      const Lanes r = load(workspace + j, count), z = load(workspace + H + j, count);
      const Lanes n = load(workspace + 2 * H + j, count), p_n = load(workspace + 3 * H + j, count);
      const Lanes da_n = dh * (1.0f - z) * (1.0f - n * n);
      const Lanes da_z = dh * (load(h_prev + j, count) - n) * z * (1.0f - z);
      const Lanes da_r = da_n * p_n * r * (1.0f - r);
      store(dx + j, da_r, count);
      store(dx + H + j, da_z, count);
      store(dx + 2 * H + j, da_n, count);
      store(dp + j, da_r, count);
      store(dp + H + j, da_z, count);
      store(dp + 2 * H + j, da_n * r, count);
      store(dh_next + j, dh * z, count);
    }
  });
}

template <RecurrentMode mode>
void backward(const ops::KernelCall& call) {
  const auto& attrs = std::get<ops::RecurrentAttrs>(call.attrs);
  constexpr bool lstm = mode == RecurrentMode::lstm, gru = mode == RecurrentMode::gru;
  const Tensor& dh_all = call.inputs[0];
  const Sizes sizes{dh_all.shape()[0], dh_all.shape()[1], dh_all.shape()[2], call.inputs[1].shape()[0], attrs.reverse};
  const int64_t T = sizes.steps, B = sizes.batch, H = sizes.hidden, G = sizes.gates;
  const int64_t width = ops::recurrent_workspace_width(mode, H);
  const float *dh_in = data_of(dh_all), *w = data_of(call.inputs[1]), *h0 = data_of(call.inputs[2]),
              *h_all = data_of(call.inputs[3]);
  const float* workspace = width ? data_of(call.inputs[4]) : nullptr;
  const float* dc_in = lstm ? data_of(call.inputs[5]) : nullptr;
  const float* c0 = lstm ? data_of(call.inputs[6]) : nullptr;
  const float* c_all = lstm ? data_of(call.inputs[7]) : nullptr;
  float *dx = mutable_data_of(call.outputs[0]), *dw = mutable_data_of(call.outputs[1]),
        *db = mutable_data_of(call.outputs[2]), *dh_next = mutable_data_of(call.outputs[3]);
  float* dc_next = lstm ? mutable_data_of(call.outputs[4]) : nullptr;
  // The recurrent part's gradient differs from x's only for gru (its n gate is gated by r).
  const Tensor recurrent_gradient = gru ? empty({T, B, G}) : Tensor();
  float* dp = gru ? mutable_data_of(recurrent_gradient) : dx;
  std::fill(dh_next, dh_next + B * H, 0.0f);
  if (lstm) std::fill(dc_next, dc_next + B * H, 0.0f);
  std::optional<OneThread> serial;
  if (small_steps(sizes)) serial.emplace();
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = sizes.time_of(s), previous = s == 0 ? -1 : sizes.time_of(s - 1);
    const float* h_prev = previous < 0 ? h0 : h_all + previous * B * H;
    const float* c_prev = !lstm ? nullptr : previous < 0 ? c0 : c_all + previous * B * H;
#pragma omp parallel for schedule(static) if (parallel_rows(sizes))
    for (int64_t b = 0; b < B; ++b) {
      const int64_t row = t * B + b;
      backward_row<mode>(H, dh_in + row * H, h_all + row * H, workspace + row * width, lstm ? dc_in + row * H : nullptr,
                         lstm ? c_all + row * H : nullptr, c_prev ? c_prev + b * H : nullptr, h_prev + b * H,
                         dh_next + b * H, lstm ? dc_next + b * H : nullptr, dx + row * G, dp + row * G);
    }
    // dh_next = dp_t·W_hh (+ gru's dh·z already there)
    gemm('N', 'N', B, H, G, dp + t * B * G, G, w, H, gru ? 1.0f : 0.0f, dh_next, H);
  }
  serial.reset();  // the weight gradient's GEMMs below span every step: worth the threads
  // dW_hh = Σ_t dp[t]ᵀ·h_prev(t): the steps after the first read h_all shifted by one step, the first reads h0.
  const int64_t first = sizes.time_of(0);
  if (T > 1) {
    const int64_t rows = (T - 1) * B;
    if (attrs.reverse) gemm('T', 'N', G, H, rows, dp, G, h_all + B * H, H, 0.0f, dw, H);
    else gemm('T', 'N', G, H, rows, dp + B * G, G, h_all, H, 0.0f, dw, H);
  }
  gemm('T', 'N', G, H, B, dp + first * B * G, G, h0, H, T > 1 ? 1.0f : 0.0f, dw, H);
  // db_hh = Σ dp over steps and batch rows, accumulated in double (thousands of rows).
  std::vector<double> totals(static_cast<size_t>(G), 0.0);
  for (int64_t row = 0; row < T * B; ++row) {
    const float* values = dp + row * G;
#pragma omp simd
    for (int64_t j = 0; j < G; ++j) totals[static_cast<size_t>(j)] += values[j];
  }
  for (int64_t j = 0; j < G; ++j) db[j] = static_cast<float>(totals[static_cast<size_t>(j)]);
}

ops::Kernel forward_for(RecurrentMode mode) {
  switch (mode) {
    case RecurrentMode::rnn_tanh: return forward<RecurrentMode::rnn_tanh>;
    case RecurrentMode::rnn_relu: return forward<RecurrentMode::rnn_relu>;
    case RecurrentMode::lstm: return forward<RecurrentMode::lstm>;
    case RecurrentMode::gru: return forward<RecurrentMode::gru>;
  }
  return nullptr;
}

ops::Kernel backward_for(RecurrentMode mode) {
  switch (mode) {
    case RecurrentMode::rnn_tanh: return backward<RecurrentMode::rnn_tanh>;
    case RecurrentMode::rnn_relu: return backward<RecurrentMode::rnn_relu>;
    case RecurrentMode::lstm: return backward<RecurrentMode::lstm>;
    case RecurrentMode::gru: return backward<RecurrentMode::gru>;
  }
  return nullptr;
}

}  // namespace

ops::Kernel recurrent_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                           const ops::Attrs& attrs) {
  for (const std::vector<Tensor>* list : {&inputs, &outputs}) {
    for (const Tensor& tensor : *list) {
      if (tensor.dtype() != DType::f32 || !tensor.is_contiguous()) return nullptr;
    }
  }
  const auto mode = std::get<ops::RecurrentAttrs>(attrs).mode;
  return op == ops::OpId::recurrent_sequence ? forward_for(mode) : backward_for(mode);
}

}  // namespace nabla::cpu
