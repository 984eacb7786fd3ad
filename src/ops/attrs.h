#pragma once
// The attribute structs of the ops (the last column of ops.def), held in one variant so that the
// dispatcher, the profiler and later tracing can carry any op's attributes without knowing its type.
#include <array>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "nabla/dtype.h"
#include "nabla/ops.h"
#include "nabla/shape.h"

namespace nabla::ops {

struct NoAttrs {};
struct CastAttrs { DType dtype = DType::f32; };
struct ShapeAttrs { Shape shape; };  // view/expand: the new shape; permute: the dim order
struct SliceAttrs {
  int64_t dim = 0, start = 0, end = 0, step = 1;
  Shape input_shape;  // slice_backward: the shape of the tensor that was sliced
};
struct DimAttrs { int64_t dim = 0; bool keepdim = false; };
struct ReduceAttrs { std::vector<int64_t> dims; bool keepdim = false; };  // dims wrapped, sorted; empty = all
struct LossAttrs {
  Reduction reduction = Reduction::mean;
  int64_t ignore_index = -100;
  double label_smoothing = 0;  // cross_entropy
  bool has_weight = false;     // cross_entropy: a third input holds the class weights
};
struct ScalarAttrs { double value = 0; };  // leaky_relu's slope, elu's alpha, masked_fill's value, addcmul/addcdiv's scale
struct GeluAttrs { bool tanh_approximation = false; };
struct SoftplusAttrs { double beta = 1, threshold = 20; };
struct ClampAttrs { std::optional<double> min, max; };
struct VarianceAttrs { std::vector<int64_t> dims; double correction = 1; bool keepdim = false; };
struct TopkAttrs { int64_t k = 1, dim = -1; bool largest = true, sorted = true; };
struct SortAttrs { int64_t dim = -1; bool descending = false; };  // stable: ties keep their order
struct BincountAttrs { int64_t minlength = 0; };                   // a second input, if any, holds weights
struct DiagonalAttrs { int64_t offset = 0, dim1 = 0, dim2 = 1; };  // tril/triu use offset only
struct PadAttrs {
  std::vector<int64_t> pads;  // PyTorch's order: (left, right) of the last dim, then of the one before, …
  PadMode mode = PadMode::constant;
  double value = 0;
};
struct RollAttrs { std::vector<int64_t> shifts, dims; };  // no dims: roll the flattened tensor
// Sliding 2-D windows: im2col/col2im, pooling. Backward ops carry the forward input's shape.
struct WindowAttrs {
  std::array<int64_t, 2> kernel{1, 1}, stride{1, 1}, padding{0, 0}, dilation{1, 1};
  bool ceil_mode = false, count_include_pad = true;
  std::array<int64_t, 2> output_size{0, 0};  // adaptive pools; col2im: the image's height and width
  Shape input_shape;
};
// Random ops draw from Philox(seed, offset + i): the generator's state is taken when the op is called.
struct RandomAttrs {
  double p = 0.5;           // bernoulli: unused (p is the input); dropout: the drop probability
  int64_t samples = 1;      // multinomial
  bool replacement = false; // multinomial
  uint64_t seed = 0, offset = 0;
};
struct ConvAttrs {
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0}, dilation{1, 1}, output_padding{0, 0};
  int64_t groups = 1;
  Shape weight_shape;  // conv2d_backward_weight: the shape of the weight gradient to produce
  bool transposed = false;  // conv2d_backward_weight: the weight belongs to a conv_transpose2d
};
struct UpsampleAttrs {
  std::array<int64_t, 2> output_size{0, 0};
  UpsampleMode mode = UpsampleMode::nearest;
  bool align_corners = false;
  Shape input_shape;  // upsample2d_backward
  std::array<double, 2> scales{0, 0};  // interpolate's scale_factor, used by PyTorch's index rule (0: input/output)
};
// layer_norm: inputs (x, weight, bias) normalise the last `normalized_dims` dims.
// batch_norm: (x, weight, bias) in training, (x, weight, bias, running_mean, running_var) in eval.
// group_norm: (x, weight, bias) with `groups` groups. Outputs: (y, mean, rstd), mean/rstd for backward.
struct NormAttrs {
  int64_t normalized_dims = 1;
  int64_t groups = 1;
  double eps = 1e-5;
  bool training = true;
};
// scaled_dot_product_attention: (q, k, v[, mask]) → (out, logsumexp of each query's scores).
// attention_backward: (grad_out, q, k, v, out, logsumexp[, mask]) → (dq, dk, dv).
struct AttentionAttrs {
  bool causal = false, has_mask = false;
  double dropout_p = 0;
  std::optional<double> scale;  // default 1/√head_dim
  uint64_t seed = 0, offset = 0;
};

// recurrent_sequence: one direction of one recurrent layer over a whole sequence (src/ops/recurrent.cpp).
// The mode fixes the gates per step (rnn 1, lstm 4 in PyTorch's order i,f,g,o, gru 3 in r,z,n); reverse runs
// the steps from the last time step to the first (a bidirectional layer's second direction).
enum class RecurrentMode : uint8_t { rnn_tanh, rnn_relu, lstm, gru };
struct RecurrentAttrs {
  RecurrentMode mode = RecurrentMode::lstm;
  bool reverse = false;
};

// adam_step_: (param, grad, exp_avg, exp_avg_sq[, max_exp_avg_sq]) take one Adam step in place, the `step`th
// update of this parameter (bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ); `decoupled` is AdamW's weight decay.
struct AdamStepAttrs {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false, amsgrad = false;
  int64_t step = 1;
};

using Attrs = std::variant<NoAttrs, CastAttrs, ShapeAttrs, SliceAttrs, DimAttrs, ReduceAttrs, LossAttrs, ScalarAttrs,
                           GeluAttrs, SoftplusAttrs, ClampAttrs, VarianceAttrs, TopkAttrs, SortAttrs, BincountAttrs,
                           DiagonalAttrs, PadAttrs, RollAttrs, WindowAttrs, RandomAttrs, ConvAttrs, UpsampleAttrs,
                           NormAttrs, AttentionAttrs, AdamStepAttrs, RecurrentAttrs>;

}  // namespace nabla::ops
