// Gradcheck cases: convolution (conv2d, conv1d, conv_transpose2d, unfold/fold), pooling and resampling.
// Shapes are small (float64 reference kernels, central differences on every element) but cover strides,
// padding, dilation, groups, output padding, ceil_mode and count_include_pad. Results are squared so that
// the second-order check has a non-constant gradient to follow; the backward ops (avg_pool2d_backward,
// adaptive_avg_pool2d_backward, upsample2d_backward) also get cases of their own.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;
namespace F = functional;

namespace {

Tensor square(const Tensor& x) { return x.pow(2.0); }

Tensor avg_pool_backward(const Tensor& grad, const Shape& input_shape, ops::WindowAttrs attrs) {
  attrs.input_shape = input_shape;
  return ops::call1(OpId::avg_pool2d_backward, {grad}, attrs);
}

}  // namespace

NABLA_GRADCHECK_CASES(conv_pool) {
  using In = InputSpec;
  const In::Kind distinct = In::distinct;
  return {
      // ---- convolution
      {"conv2d_padding_bias", {OpId::conv2d}, {{{2, 3, 5, 5}}, {{4, 3, 3, 3}}, {{4}}},
       [](auto& x) { return square(F::conv2d(x[0], x[1], x[2], {.padding = 1})); }},
      {"conv2d_stride_dilation", {OpId::conv2d}, {{{1, 2, 7, 6}}, {{3, 2, 2, 3}}},
       [](auto& x) { return square(F::conv2d(x[0], x[1], {}, {.stride = {2, 1}, .padding = {1, 2}, .dilation = {2, 1}})); }},
      // H = 8 with stride 3 leaves rows that no window reads: dx needs output padding 1.
      {"conv2d_stride_leftover", {OpId::conv2d}, {{{1, 2, 8, 5}}, {{2, 2, 2, 2}}, {{2}}},
       [](auto& x) { return square(F::conv2d(x[0], x[1], x[2], {.stride = 3})); }},
      {"conv2d_groups", {OpId::conv2d}, {{{2, 4, 5, 5}}, {{6, 2, 3, 3}}, {{6}}},
       [](auto& x) { return square(F::conv2d(x[0], x[1], x[2], {.stride = 2, .padding = 1, .groups = 2})); }},
      {"conv2d_depthwise", {OpId::conv2d}, {{{1, 3, 4, 5}}, {{3, 1, 3, 3}}},
       [](auto& x) { return square(F::conv2d(x[0], x[1], {}, {.padding = 1, .groups = 3})); }},
      {"conv2d_unbatched", {OpId::conv2d}, {{{2, 4, 4}}, {{3, 2, 2, 2}}},
       [](auto& x) { return square(F::conv2d(x[0], x[1])); }},
      {"conv1d", {OpId::conv2d}, {{{2, 3, 7}}, {{4, 3, 3}}, {{4}}},
       [](auto& x) { return square(F::conv1d(x[0], x[1], x[2], {.stride = 2, .padding = 1})); }},
      {"conv_transpose2d_stride_output_padding", {OpId::conv_transpose2d}, {{{2, 3, 3, 3}}, {{3, 2, 3, 3}}, {{2}}},
       [](auto& x) {
         return square(F::conv_transpose2d(x[0], x[1], x[2], {.stride = 2, .padding = 1, .output_padding = 1}));
       }},
      // output_padding 1 ≥ stride 1 (allowed because < dilation 2): dx is cut from a larger conv2d.
      {"conv_transpose2d_groups_dilation", {OpId::conv_transpose2d}, {{{1, 4, 3, 3}}, {{4, 3, 2, 2}}},
       [](auto& x) {
         return square(F::conv_transpose2d(x[0], x[1], {}, {.output_padding = 1, .dilation = 2, .groups = 2}));
       }},
      {"unfold", {OpId::im2col, OpId::col2im}, {{{2, 2, 4, 5}}},
       [](auto& x) { return square(F::unfold(x[0], {.kernel_size = {2, 3}, .padding = 1, .stride = {2, 1}})); }},
      {"unfold_dilation", {OpId::im2col, OpId::col2im}, {{{3, 5, 5}}},
       [](auto& x) { return square(F::unfold(x[0], {.kernel_size = 2, .dilation = 2, .stride = 2})); }},
      // fold of overlapping blocks sums them: [1, 2·2·2, 3·4] → [1, 2, 4, 5]
      {"fold_overlapping", {OpId::col2im, OpId::im2col}, {{{1, 8, 12}}},
       [](auto& x) { return square(F::fold(x[0], {4, 5}, {.kernel_size = 2})); }},

      // ---- pooling (distinct values: no ties at the maxima)
      {"max_pool2d_padding", {OpId::max_pool2d}, {{{2, 2, 5, 6}, distinct}},
       [](auto& x) { return square(F::max_pool2d(x[0], {.kernel_size = 3, .stride = 2, .padding = 1})); }},
      {"max_pool2d_dilation_ceil", {OpId::max_pool2d}, {{{1, 2, 7, 7}, distinct}},
       [](auto& x) {
         return square(F::max_pool2d(x[0], {.kernel_size = 2, .stride = 2, .dilation = 2, .ceil_mode = true}));
       }},
      {"max_pool2d_unbatched_overlap", {OpId::max_pool2d}, {{{2, 4, 5}, distinct}},
       [](auto& x) { return square(F::max_pool2d(x[0], {.kernel_size = {2, 3}, .stride = 1})); }},
      {"avg_pool2d_exclude_pad_ceil", {OpId::avg_pool2d, OpId::avg_pool2d_backward}, {{{2, 2, 5, 6}}},
       [](auto& x) {
         return square(F::avg_pool2d(
             x[0], {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false}));
       }},
      {"avg_pool2d_include_pad", {OpId::avg_pool2d, OpId::avg_pool2d_backward}, {{{1, 3, 5, 5}}},
       [](auto& x) { return square(F::avg_pool2d(x[0], {.kernel_size = {2, 3}, .stride = Size2{1, 2}, .padding = 1})); }},
      {"avg_pool2d_backward", {OpId::avg_pool2d_backward, OpId::avg_pool2d}, {{{1, 2, 3, 4}}},
       [](auto& x) {
         ops::WindowAttrs attrs;
         attrs.kernel = {3, 3};
         attrs.stride = {2, 2};
         attrs.padding = {1, 1};
         attrs.ceil_mode = true;
         return square(avg_pool_backward(x[0], {1, 2, 5, 6}, attrs));
       }},
      {"adaptive_avg_pool2d", {OpId::adaptive_avg_pool2d, OpId::adaptive_avg_pool2d_backward}, {{{2, 3, 5, 7}}},
       [](auto& x) { return square(F::adaptive_avg_pool2d(x[0], {3, 4})); }},
      {"adaptive_avg_pool2d_backward", {OpId::adaptive_avg_pool2d_backward, OpId::adaptive_avg_pool2d},
       {{{1, 2, 3, 4}}},
       [](auto& x) {
         ops::WindowAttrs attrs;
         attrs.output_size = {3, 4};
         attrs.input_shape = {1, 2, 5, 7};
         return square(ops::call1(OpId::adaptive_avg_pool2d_backward, {x[0]}, attrs));
       }},
      {"adaptive_max_pool2d", {OpId::adaptive_max_pool2d}, {{{1, 2, 5, 7}, distinct}},
       [](auto& x) { return square(F::adaptive_max_pool2d(x[0], {2, 3})); }},

      // ---- resampling
      {"interpolate_nearest_scale", {OpId::upsample2d, OpId::upsample2d_backward}, {{{1, 2, 3, 4}}},
       [](auto& x) { return square(F::interpolate(x[0], {.scale_factor = 1.7})); }},
      {"interpolate_nearest_down", {OpId::upsample2d, OpId::upsample2d_backward}, {{{2, 1, 5, 6}}},
       [](auto& x) { return square(F::interpolate(x[0], {.size = Size2{3, 4}})); }},
      {"interpolate_bilinear", {OpId::upsample2d, OpId::upsample2d_backward}, {{{1, 2, 3, 4}}},
       [](auto& x) { return square(F::interpolate(x[0], {.size = Size2{5, 7}, .mode = UpsampleMode::bilinear})); }},
      {"interpolate_bilinear_align_corners", {OpId::upsample2d, OpId::upsample2d_backward}, {{{1, 2, 4, 3}}},
       [](auto& x) {
         return square(F::interpolate(
             x[0], {.scale_factor = 1.5, .mode = UpsampleMode::bilinear, .align_corners = true}));
       }},
      {"upsample2d_backward", {OpId::upsample2d_backward, OpId::upsample2d}, {{{1, 2, 5, 7}}},
       [](auto& x) {
         ops::UpsampleAttrs attrs;
         attrs.output_size = {5, 7};
         attrs.mode = UpsampleMode::bilinear;
         attrs.input_shape = {1, 2, 3, 4};
         return square(ops::call1(OpId::upsample2d_backward, {x[0]}, attrs));
       }},
  };
}

}  // namespace nabla::testing
