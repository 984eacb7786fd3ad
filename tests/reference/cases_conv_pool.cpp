// Fast-vs-reference cases for the oneDNN convolutions (forward, backward data, backward weights) and the
// fast pooling kernels, on the zoo's layer shapes — LeNet (1×28×28 → 6 ch 5×5 pad 2; 6 → 16 5×5) and
// ResNet-20 (16/32/64 ch 3×3 pad 1, stride-2 downsampling, 1×1 shortcuts) at batches 2..8 — and on odd
// sizes, size 1, non-contiguous inputs and inputs beyond L2. Backward cases run a backward pass inside
// the case (the last input is the upstream gradient) and return the gradient.
#include <algorithm>
#include <cmath>

#include "tests/reference/cases.h"

namespace nabla::testing {
namespace F = functional;
using ops::OpId;

namespace {

using Inputs = std::vector<Tensor>;

// Output shape of conv2d along one dim.
int64_t out_size(int64_t size, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation = 1) {
  return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

struct ConvShape {
  std::string name;
  int64_t batch, in, height, width, out, kernel, stride, padding;
};

Shape output_shape(const ConvShape& s) {
  return {s.batch, s.out, out_size(s.height, s.kernel, s.stride, s.padding), out_size(s.width, s.kernel, s.stride, s.padding)};
}

// Forward (with bias), dx and dw of one conv2d layer.
void add_conv_cases(ReferenceCaseList& cases, const ConvShape& s) {
  const Shape x{s.batch, s.in, s.height, s.width}, w{s.out, s.in, s.kernel, s.kernel}, b{s.out};
  const F::Conv2dOptions options{.stride = s.stride, .padding = s.padding};
  cases.push_back(about({OpId::conv2d}, {s.name + "_forward", {x, w, b},
                                          [options](Inputs t) { return F::conv2d(t[0], t[1], t[2], options); }, false, 1e-4}));
  // conv2d's gradient with respect to its input is a transposed convolution of the upstream gradient.
  cases.push_back(about({OpId::conv_transpose2d}, {s.name + "_backward_data", {x, w, output_shape(s)}, [options](Inputs t) {
                     t[0].requires_grad_();
                     F::conv2d(t[0], t[1], {}, options).backward(t[2]);
                     return t[0].grad();
                   }, false, 1e-4}));
  // dw sums N·OH·OW products: float32's rounding grows with the square root of that count.
  const Shape y = output_shape(s);
  const double terms = static_cast<double>(y[0] * y[2] * y[3]);
  cases.push_back(about({OpId::conv2d_backward_weight}, {s.name + "_backward_weight", {x, w, b, y}, [options](Inputs t) {
                     t[1].requires_grad_();
                     F::conv2d(t[0], t[1], t[2], options).backward(t[3]);
                     return t[1].grad();
                   }, false, 1e-4 * std::max(1.0, std::sqrt(terms) / 16)}));
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool begins_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// The ops a case of this file is about, read from its name (the names are systematic; add_conv_cases names
// its own). conv2d's input gradient is a transposed convolution and its weight gradient an op of its own;
// conv_transpose2d's input gradient is a convolution.
std::vector<OpId> ops_named_by(const std::string& name) {
  const bool backward = name.find("_backward") != std::string::npos;
  if (begins_with(name, "conv_transpose_")) {
    if (backward) return {OpId::conv2d, OpId::conv2d_backward_weight};
    return {OpId::conv_transpose2d};
  }
  if (begins_with(name, "conv")) {
    if (ends_with(name, "_backward_weight")) return {OpId::conv2d_backward_weight};
    if (ends_with(name, "_backward_data")) return {OpId::conv_transpose2d};
    if (backward) return {OpId::conv_transpose2d, OpId::conv2d_backward_weight};
    return {OpId::conv2d};
  }
  if (begins_with(name, "max_pool")) return {OpId::max_pool2d};
  if (begins_with(name, "avg_pool")) return {backward ? OpId::avg_pool2d_backward : OpId::avg_pool2d};
  if (begins_with(name, "adaptive_avg")) {
    return {backward ? OpId::adaptive_avg_pool2d_backward : OpId::adaptive_avg_pool2d};
  }
  return {};
}

}  // namespace

NABLA_REFERENCE_CASES(conv_pool) {
  ReferenceCaseList cases;
  // ---- the zoo's layers
  for (const ConvShape& s : {ConvShape{"lenet_conv1_b2", 2, 1, 28, 28, 6, 5, 1, 2},
                             ConvShape{"lenet_conv2_b8", 8, 6, 14, 14, 16, 5, 1, 0},
                             ConvShape{"resnet_stem_b2", 2, 3, 32, 32, 16, 3, 1, 1},
                             ConvShape{"resnet_16_b4", 4, 16, 32, 32, 16, 3, 1, 1},
                             ConvShape{"resnet_16_to_32_stride2_b3", 3, 16, 32, 32, 32, 3, 2, 1},
                             ConvShape{"resnet_32_b2", 2, 32, 16, 16, 32, 3, 1, 1},
                             ConvShape{"resnet_32_to_64_stride2_b2", 2, 32, 16, 16, 64, 3, 2, 1},
                             ConvShape{"resnet_64_b8", 8, 64, 8, 8, 64, 3, 1, 1},
                             ConvShape{"resnet_shortcut_16_to_32_b4", 4, 16, 32, 32, 32, 1, 2, 0},
                             ConvShape{"resnet_shortcut_32_to_64_b5", 5, 32, 16, 16, 64, 1, 2, 0},
                             // MobileNetV2's pointwise expansion and projection (plain layouts, oneDNN's GEMM)
                             ConvShape{"mobilenet_expand_24_to_144_b4", 4, 24, 14, 14, 144, 1, 1, 0},
                             ConvShape{"mobilenet_project_384_to_64_b8", 8, 384, 4, 4, 64, 1, 1, 0},
                             // odd and tiny sizes
                             ConvShape{"conv_prime_sizes", 3, 5, 13, 11, 7, 3, 2, 1},
                             ConvShape{"conv_size1", 1, 1, 1, 1, 1, 1, 1, 0},
                             // beyond L2: a 4 MiB input
                             ConvShape{"conv_beyond_l2", 4, 16, 64, 64, 8, 3, 1, 1}}) {
    add_conv_cases(cases, s);
  }
  // ---- strides, dilation, groups, non-contiguous inputs
  const F::Conv2dOptions odd{.stride = {2, 3}, .padding = {1, 0}, .dilation = {2, 1}};
  cases.push_back({"conv_dilation_asymmetric", {{3, 5, 13, 11}, {7, 5, 3, 2}, {7}},
                   [odd](Inputs t) { return F::conv2d(t[0], t[1], t[2], odd); }, false, 1e-4});
  cases.push_back({"conv_dilation_backward_weight", {{3, 5, 13, 11}, {7, 5, 3, 2}, {3, 7, 6, 4}},
                   [odd](Inputs t) {
                     t[1].requires_grad_();
                     F::conv2d(t[0], t[1], {}, odd).backward(t[2]);
                     return t[1].grad();
                   }, false, 1e-4});
  cases.push_back({"conv_dilation_backward_data", {{3, 5, 13, 11}, {7, 5, 3, 2}, {3, 7, 6, 4}},
                   [odd](Inputs t) {
                     t[0].requires_grad_();
                     F::conv2d(t[0], t[1], {}, odd).backward(t[2]);
                     return t[0].grad();
                   }, false, 1e-4});
  cases.push_back({"conv_groups", {{2, 6, 9, 10}, {9, 2, 3, 3}, {9}},
                   [](Inputs t) { return F::conv2d(t[0], t[1], t[2], {.padding = 1, .groups = 3}); }, false, 1e-4});
  cases.push_back({"conv_groups_backward", {{2, 6, 9, 10}, {9, 2, 3, 3}, {2, 9, 5, 5}},
                   [](Inputs t) {
                     t[0].requires_grad_();
                     t[1].requires_grad_();
                     F::conv2d(t[0], t[1], {}, {.stride = 2, .padding = 1, .groups = 3}).backward(t[2]);
                     return cat({t[0].grad().flatten(), t[1].grad().flatten()});
                   }, false, 1e-4});
  cases.push_back({"conv_depthwise", {{2, 8, 12, 12}, {8, 1, 3, 3}},
                   [](Inputs t) { return F::conv2d(t[0], t[1], {}, {.padding = 1, .groups = 8}); }, false, 1e-4});
  cases.push_back({"conv_transposed_input", {{2, 4, 11, 9}, {6, 4, 3, 3}},
                   [](Inputs t) { return F::conv2d(t[0].transpose(2, 3), t[1], {}, {.padding = 1}); }, false, 1e-4});
  cases.push_back({"conv_sliced_input_and_weight", {{2, 8, 10, 10}, {6, 4, 3, 6}},
                   [](Inputs t) {
                     return F::conv2d(t[0].slice(1, 0, 8, 2), t[1].slice(3, 0, 6, 2), {}, {.stride = 2});
                   }, false, 1e-4});
  cases.push_back({"conv_stride_leftover_backward_data", {{2, 3, 8, 8}, {4, 3, 2, 2}, {2, 4, 3, 3}},
                   [](Inputs t) {
                     t[0].requires_grad_();
                     F::conv2d(t[0], t[1], {}, {.stride = 3}).backward(t[2]);
                     return t[0].grad();
                   }, false, 1e-4});
  // ---- conv_transpose2d (oneDNN backward data, plus the bias) and its weight gradient
  cases.push_back({"conv_transpose_stride2", {{3, 8, 7, 7}, {8, 4, 3, 3}, {4}},
                   [](Inputs t) {
                     return F::conv_transpose2d(t[0], t[1], t[2], {.stride = 2, .padding = 1, .output_padding = 1});
                   }, false, 1e-4});
  cases.push_back({"conv_transpose_groups_backward", {{2, 6, 5, 5}, {6, 2, 3, 3}, {2, 4, 7, 7}},
                   [](Inputs t) {
                     t[0].requires_grad_();
                     t[1].requires_grad_();
                     F::conv_transpose2d(t[0], t[1], {}, {.groups = 2}).backward(t[2]);
                     return cat({t[0].grad().flatten(), t[1].grad().flatten()});
                   }, false, 1e-4});
  // ---- 1×1 strided convolutions, which run as stride-1 convolutions of a subsampled view of the image:
  // unequal strides, output planes above and below the 256 pixels that switch the forward layout, groups,
  // conv_transpose2d (whose image is zeroed between the taps); and the cases that keep the strided
  // primitive: sizes whose last sampled row or column is followed by fewer than stride − 1, a transposed input
  auto both_gradients = [](F::Conv2dOptions options) {
    return [options](Inputs t) {
      t[0].requires_grad_();
      t[1].requires_grad_();
      F::conv2d(t[0], t[1], {}, options).backward(t[2]);
      return cat({t[0].grad().flatten(), t[1].grad().flatten()});
    };
  };
  const F::Conv2dOptions skip_2x3{.stride = {2, 3}};
  cases.insert(cases.end(), {
      {"conv_1x1_stride_2x3", {{3, 5, 14, 12}, {7, 5, 1, 1}, {7}},
       [skip_2x3](Inputs t) { return F::conv2d(t[0], t[1], t[2], skip_2x3); }, false, 1e-4},
      {"conv_1x1_stride_2x3_backward", {{3, 5, 14, 12}, {7, 5, 1, 1}, {3, 7, 7, 4}}, both_gradients(skip_2x3), false, 1e-4},
      {"conv_1x1_stride_2x3_odd_sizes", {{3, 5, 13, 11}, {7, 5, 1, 1}, {7}},
       [skip_2x3](Inputs t) { return F::conv2d(t[0], t[1], t[2], skip_2x3); }, false, 1e-4},
      {"conv_1x1_stride_2x3_odd_sizes_backward", {{3, 5, 13, 11}, {7, 5, 1, 1}, {3, 7, 7, 4}}, both_gradients(skip_2x3),
       false, 1e-4},
      {"conv_1x1_stride2_wide_plane", {{2, 6, 34, 36}, {10, 6, 1, 1}, {10}},
       [](Inputs t) { return F::conv2d(t[0], t[1], t[2], {.stride = 2}); }, false, 1e-4},
      {"conv_1x1_stride2_wide_plane_backward", {{2, 6, 34, 36}, {10, 6, 1, 1}, {2, 10, 17, 18}},
       both_gradients({.stride = 2}), false, 1e-4},
      {"conv_1x1_stride2_transposed_input", {{2, 8, 12, 10}, {6, 8, 1, 1}},
       [](Inputs t) { return F::conv2d(t[0].transpose(2, 3), t[1], {}, {.stride = 2}); }, false, 1e-4},
      {"conv_1x1_stride2_groups_backward", {{2, 6, 10, 10}, {9, 2, 1, 1}, {2, 9, 5, 5}},
       both_gradients({.stride = 2, .groups = 3}), false, 1e-4},
      {"conv_transpose_1x1_stride2", {{3, 8, 7, 7}, {8, 4, 1, 1}, {4}},
       [](Inputs t) { return F::conv_transpose2d(t[0], t[1], t[2], {.stride = 2, .output_padding = 1}); }, false, 1e-4},
      // its gradients: a subsampled conv2d (dx) and a subsampled weight gradient with the sides swapped (dw)
      {"conv_transpose_1x1_stride2_backward", {{3, 8, 7, 7}, {8, 4, 1, 1}, {3, 4, 14, 14}},
       [](Inputs t) {
         t[0].requires_grad_();
         t[1].requires_grad_();
         F::conv_transpose2d(t[0], t[1], {}, {.stride = 2, .output_padding = 1}).backward(t[2]);
         return cat({t[0].grad().flatten(), t[1].grad().flatten()});
       }, false, 1e-4},
  });

  // ---- pooling
  auto max_values = [](F::Pool2dOptions options) {
    return [options](Inputs t) { return F::max_pool2d(t[0], options); };
  };
  auto max_indices = [](F::Pool2dOptions options) {
    return [options](Inputs t) { return F::max_pool2d_with_indices(t[0], options).second; };
  };
  auto average = [](F::Pool2dOptions options) {
    return [options](Inputs t) { return F::avg_pool2d(t[0], options); };
  };
  auto average_backward = [](F::Pool2dOptions options) {
    return [options](Inputs t) {
      t[0].requires_grad_();
      Tensor y = F::avg_pool2d(t[0], options);
      y.backward(t[1].narrow(0, 0, y.numel()).reshape(y.shape()));
      return t[0].grad();
    };
  };
  const F::Pool2dOptions two{.kernel_size = 2};
  const F::Pool2dOptions overlap{.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true};
  const F::Pool2dOptions exclude{.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false};
  const F::Pool2dOptions dilated{.kernel_size = 2, .stride = 1, .dilation = 2};
  cases.insert(cases.end(), {
      {"max_pool_lenet1_b8", {{8, 6, 28, 28}}, max_values(two)},
      {"max_pool_lenet2_b4", {{4, 16, 10, 10}}, max_values(two)},
      {"max_pool_lenet1_indices", {{2, 6, 28, 28}}, max_indices(two)},
      {"max_pool_overlap_ceil", {{3, 5, 13, 11}}, max_values(overlap)},
      {"max_pool_overlap_indices", {{3, 5, 13, 11}}, max_indices(overlap)},
      {"max_pool_dilated_indices", {{2, 3, 9, 7}}, max_indices(dilated)},
      {"max_pool_size1", {{1, 1, 1, 1}}, max_values({.kernel_size = 1})},
      // a row of 151 outputs: padded edges around interior runs of several chunks
      {"max_pool_wide_rows_indices", {{2, 3, 5, 301}}, max_indices(overlap)},
      {"max_pool_wide_rows_dilated", {{2, 3, 9, 257}}, max_values({.kernel_size = 3, .stride = 1, .padding = 1, .dilation = 2})},
      {"max_pool_beyond_l2", {{4, 16, 128, 128}}, max_values(two)},
      {"max_pool_unbatched", {{6, 28, 28}}, max_values(two)},
      {"avg_pool_lenet1_b8", {{8, 6, 28, 28}}, average(two)},
      {"avg_pool_lenet2_b4", {{4, 16, 10, 10}}, average(two)},
      {"avg_pool_overlap_include_pad_ceil", {{3, 5, 13, 11}}, average(overlap)},
      {"avg_pool_overlap_exclude_pad", {{3, 5, 13, 11}}, average(exclude)},
      // ceil_mode adds a window that reaches past the padded input: oneDNN (exclude) vs reference (include).
      {"avg_pool_ceil_extends_exclude_pad", {{3, 5, 12, 10}}, average(exclude)},
      on_reference("oneDNN cannot count padding in a window that reaches past the padded input",
                   {"avg_pool_ceil_extends_include_pad", {{3, 5, 12, 10}}, average(overlap)}),
      {"max_pool_ceil_extends_indices", {{3, 5, 12, 10}}, max_indices(overlap)},
      {"avg_pool_padding_no_ceil", {{3, 5, 13, 11}}, average({.kernel_size = 3, .stride = 2, .padding = 1})},
      {"avg_pool_beyond_l2", {{4, 16, 128, 128}}, average(two)},
      {"avg_pool_unbatched", {{6, 28, 28}}, average(two)},
      {"avg_pool_backward_lenet1", {{8, 6, 28, 28}, {8 * 6 * 14 * 14}}, average_backward(two)},
      {"avg_pool_backward_exclude_pad", {{3, 5, 13, 11}, {3 * 5 * 7 * 6}}, average_backward(exclude)},
      {"avg_pool_backward_ceil_extends_exclude_pad", {{3, 5, 12, 10}, {3 * 5 * 7 * 6}}, average_backward(exclude)},
      {"avg_pool_backward_padding", {{3, 5, 13, 11}, {3 * 5 * 7 * 6}},
       average_backward({.kernel_size = 3, .stride = 2, .padding = 1})},
      // adaptive average pooling: oneDNN when the windows tile the input (ResNet's global pooling)
      {"adaptive_avg_global_resnet_b8", {{8, 64, 8, 8}}, [](Inputs t) { return F::adaptive_avg_pool2d(t[0], 1); }},
      {"adaptive_avg_uniform", {{4, 16, 10, 10}}, [](Inputs t) { return F::adaptive_avg_pool2d(t[0], {5, 2}); }},
      on_reference("oneDNN pools only windows that tile the input; uneven adaptive windows run the reference",
                   {"adaptive_avg_uneven", {{3, 5, 13, 11}}, [](Inputs t) { return F::adaptive_avg_pool2d(t[0], {4, 3}); }}),
      {"adaptive_avg_global_backward", {{8, 64, 8, 8}, {8, 64, 1, 1}},
       [](Inputs t) {
         t[0].requires_grad_();
         F::adaptive_avg_pool2d(t[0], 1).backward(t[1]);
         return t[0].grad();
       }},
      {"adaptive_avg_uniform_backward", {{4, 16, 10, 10}, {4, 16, 5, 2}},
       [](Inputs t) {
         t[0].requires_grad_();
         F::adaptive_avg_pool2d(t[0], {5, 2}).backward(t[1]);
         return t[0].grad();
       }},
  });
  for (ReferenceCase& test_case : cases) {
    if (test_case.ops.empty()) test_case.ops = ops_named_by(test_case.name);
  }
  return cases;
}

}  // namespace nabla::testing
