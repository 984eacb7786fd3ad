#pragma once
// nabla::functional: the neural-network ops, as torch.nn.functional. Options are structs with
// designated initializers: conv2d(x, w, b, {.stride = 2, .padding = 1}).
#include <array>
#include <cstdint>
#include <optional>

#include "nabla/ops.h"

namespace nabla {

// A pair of sizes (height, width) that a single number also gives: `.stride = 2` or `.stride = {2, 1}`.
struct Size2 {
  int64_t height = 0, width = 0;
  Size2() = default;
  Size2(int64_t both) : height(both), width(both) {}  // NOLINT: implicit on purpose
  Size2(int64_t h, int64_t w) : height(h), width(w) {}
  std::array<int64_t, 2> array() const { return {height, width}; }
};

// ---- convolution options: one struct per layer kind, shared by the layer (nn::Conv2d) and the function
// (functional::conv2d), with PyTorch's field names. The function reads stride, padding, dilation,
// groups (and output_padding); in_channels, out_channels, kernel_size and bias describe the layer's
// weight, which the function takes as an argument instead.
namespace nn {

struct Conv2dOptions {
  int64_t in_channels = 0, out_channels = 0;
  Size2 kernel_size = 1, stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

struct Conv1dOptions {
  int64_t in_channels = 0, out_channels = 0, kernel_size = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
  bool bias = true;
};

struct ConvTranspose2dOptions {
  int64_t in_channels = 0, out_channels = 0;
  Size2 kernel_size = 1, stride = 1, padding = 0, output_padding = 0, dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

}  // namespace nn

namespace functional {

using nn::Conv1dOptions;
using nn::Conv2dOptions;
using nn::ConvTranspose2dOptions;

// ---- activations (the others are in nabla/ops.h)
// ReLU6, min(max(x, 0), 6): clamp(x, 0, 6), whose gradient is 0 at the bounds as PyTorch's relu6 (hardtanh).
Tensor relu6(const Tensor& x);

// ---- linear and convolution
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});  // x·Wᵀ + b

// x [N, C, H, W], weight [O, C/groups, kh, kw], bias [O] → [N, O, H', W']
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, const Conv2dOptions& options = {});

// x [N, C, L], weight [O, C/groups, k] → [N, O, L']
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, const Conv1dOptions& options = {});

// x [N, C, H, W], weight [C, O/groups, kh, kw] → [N, O, H', W']
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
                        const ConvTranspose2dOptions& options = {});

struct UnfoldOptions {
  Size2 kernel_size = 1, dilation = 1, padding = 0, stride = 1;
};
// im2col: [N, C, H, W] → [N, C·kh·kw, L]; fold is its adjoint (sums overlaps) back to `output_size`.
Tensor unfold(const Tensor& x, const UnfoldOptions& options);
Tensor fold(const Tensor& columns, Size2 output_size, const UnfoldOptions& options);

// ---- pooling and resampling
struct Pool2dOptions {
  Size2 kernel_size = 1;
  std::optional<Size2> stride;  // default: kernel_size
  Size2 padding = 0, dilation = 1;
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg_pool2d
};
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options);
// As PyTorch's max_pool2d(x, kernel_size, stride=None, padding=0): the stride defaults to the kernel size.
Tensor max_pool2d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride = {}, int64_t padding = 0);
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const Pool2dOptions& options);  // first max on ties
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options);
Tensor avg_pool2d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride = {}, int64_t padding = 0);
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
Tensor adaptive_max_pool2d(const Tensor& x, Size2 output_size);

struct InterpolateOptions {
  std::optional<Size2> size;
  std::optional<double> scale_factor;
  UpsampleMode mode = UpsampleMode::nearest;
  bool align_corners = false;  // bilinear only
};
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);

// pad is an op (nabla/ops.h: the ops' backward formulas use it); named here too, as torch.nn.functional.pad.
using nabla::pad;

// ---- embedding, dropout
// indices (int) of any shape, weight [num_embeddings, dim] → [..., dim]; rows at padding_idx get no gradient.
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx = {});
// Zeroes each element with probability p and scales the rest by 1/(1−p); the identity when !training.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* generator = nullptr);

// ---- normalization
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);
// In training, uses the batch statistics and updates running_mean/running_var in place (if given) with
// `momentum`; in eval, normalises with the running statistics.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight = {},
                  const Tensor& bias = {}, bool training = true, double momentum = 0.1, double eps = 1e-5);
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);

// ---- attention: softmax(q·kᵀ·scale + attn_mask)·v, q [.., L, E], k [.., S, E], v [.., S, Ev].
// A bool attn_mask keeps where true; a float one is added to the scores.
struct AttentionOptions {
  Tensor attn_mask;
  double dropout_p = 0;
  bool is_causal = false;
  std::optional<double> scale;
  Generator* generator = nullptr;
};
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

// ---- losses
struct CrossEntropyOptions {
  Tensor weight;  // [C] class weights
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
  double label_smoothing = 0;
};
// logits [N, C] or [C], target int [N] or 0-dim
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& options);
Tensor nll_loss(const Tensor& log_probabilities, const Tensor& target, const Tensor& weight = {},
                int64_t ignore_index = -100, Reduction reduction = Reduction::mean);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                      double beta = 1.0);
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                  double delta = 1.0);
Tensor binary_cross_entropy(const Tensor& probabilities, const Tensor& target, const Tensor& weight = {},
                            Reduction reduction = Reduction::mean);
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, const Tensor& weight = {},
                                        const Tensor& pos_weight = {}, Reduction reduction = Reduction::mean);
// input holds log-probabilities; target probabilities (or log-probabilities with log_target).
// Reduction::mean averages over elements, as PyTorch's 'mean'; use batchmean by dividing a sum yourself.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
              bool log_target = false);

}  // namespace functional
}  // namespace nabla
