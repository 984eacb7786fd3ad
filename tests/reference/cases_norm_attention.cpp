// Fast-vs-reference cases for the kernels of a training step that used to run only on reference kernels:
// batch_norm and group_norm (forward and their fused backward ops), scaled_dot_product_attention and
// attention_backward, upsample2d and its backward, pad, im2col/col2im. Shapes of size 1, primes, beyond
// L2 (> 2 MiB); non-contiguous inputs, which the fast paths decline (both runs take the reference) except
// pad's, which reads any strides.
// Backward cases return every gradient flattened into one tensor. Each case that a fast path covers also
// checks, in its fast run, that every op it watches ran on a fast kernel (through the dispatch observer).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "backend/cpu/kernels.h"
#include "ops/observer.h"
#include "tests/reference/cases.h"

namespace nabla::testing {

namespace {

namespace F = functional;
using Inputs = std::vector<Tensor>;
using Function = std::function<Tensor(Inputs)>;
using ops::OpId;

// Whether this run is the driver's reference run: a fast kernel for a plain f32 add is then withheld.
bool reference_forced() {
  Tensor a = zeros({1});
  return cpu::fast_kernel(OpId::add, {a, a}, {a}, ops::NoAttrs{}) == nullptr;
}

// `function`, checking in the fast run that each op of `watched` ran at least once, always on a fast kernel.
Function on_fast_kernels(std::vector<OpId> watched, Function function) {
  return [watched, function](Inputs x) {
    if (reference_forced()) return function(std::move(x));
    std::set<OpId> seen;
    Tensor result;
    {
      ops::ObserveDispatch observer([&](const ops::Dispatched& call) {
        if (std::find(watched.begin(), watched.end(), call.op) == watched.end()) return;
        seen.insert(call.op);
        EXPECT_TRUE(call.kernel == ops::KernelKind::fast)
            << ops::op_name(call.op) << " ran on the " << ops::kernel_kind_name(call.kernel) << " kernel, not a fast one";
      });
      result = function(std::move(x));
    }
    for (OpId op : watched) EXPECT_EQ(seen.count(op), 1u) << ops::op_name(op) << " did not run";
    return result;
  };
}

// The gradients of Σ f(inputs)·weights with respect to the first `differentiable` inputs, flattened and joined;
// the last input is the weights (the upstream gradient).
Function gradients(size_t differentiable, std::function<Tensor(const Inputs&)> f) {
  return [differentiable, f](Inputs x) {
    for (size_t i = 0; i < differentiable; ++i) x[i].requires_grad_();
    sum(f(x) * x.back()).backward();
    Inputs grads;
    for (size_t i = 0; i < differentiable; ++i) grads.push_back(x[i].grad().flatten());
    return cat(grads, 0);
  };
}

Tensor batch_norm_training(const Inputs& x) { return F::batch_norm(x[0], {}, {}, x[1], x[2], true); }
// Running statistics from inputs 3 and 4 (the variance made positive).
Tensor batch_norm_evaluation(const Inputs& x) {
  return F::batch_norm(x[0], x[3], x[4] * 0.5 + 1.0, x[1], x[2], false);
}
std::function<Tensor(const Inputs&)> group_norm_of(int64_t groups) {
  return [groups](const Inputs& x) { return F::group_norm(x[0], groups, x[1], x[2]); };
}

Tensor attention(const Inputs& x, F::AttentionOptions options = {}) {
  return F::scaled_dot_product_attention(x[0], x[1], x[2], options);
}

// A fixed bool mask [L, S]: every third score dropped, and the first query row fully masked.
Tensor fixed_mask(int64_t queries, int64_t keys) {
  std::vector<double> keep(static_cast<size_t>(queries * keys));
  for (int64_t i = 0; i < queries * keys; ++i) keep[static_cast<size_t>(i)] = i >= keys && i % 3 != 0;
  return from_vector(keep, {queries, keys}, {.dtype = DType::boolean});
}

std::function<Tensor(const Inputs&)> interpolate_with(F::InterpolateOptions options) {
  return [options](const Inputs& x) { return F::interpolate(x[0], options); };
}

}  // namespace

NABLA_REFERENCE_CASES(norm_attention) {
  const std::vector<OpId> batch_norm_ops{OpId::batch_norm, OpId::batch_norm_backward};
  const std::vector<OpId> group_norm_ops{OpId::group_norm, OpId::group_norm_backward};
  const std::vector<OpId> attention_ops{OpId::scaled_dot_product_attention, OpId::attention_backward};
  const std::vector<OpId> upsample_ops{OpId::upsample2d, OpId::upsample2d_backward};
  const std::vector<OpId> unfold_ops{OpId::im2col, OpId::col2im};
  auto on_fast = [](std::vector<OpId> watched, std::function<Tensor(const Inputs&)> f) {
    return on_fast_kernels(std::move(watched), [f](Inputs x) { return f(x); });
  };
  auto unfold_with = [](F::UnfoldOptions options) {
    return [options](const Inputs& x) { return F::unfold(x[0], options); };
  };
  ReferenceCaseList cases = {
      // ---- batch_norm
      {"batch_norm_train_4d", {{8, 5, 7, 9}, {5}, {5}}, on_fast({OpId::batch_norm}, batch_norm_training)},
      {"batch_norm_train_2d", {{33, 17}, {17}, {17}}, on_fast({OpId::batch_norm}, batch_norm_training)},
      {"batch_norm_one_channel", {{4, 1, 3, 3}, {1}, {1}}, on_fast({OpId::batch_norm}, batch_norm_training)},
      {"batch_norm_offset", {{6, 3, 11}, {3}, {3}},
       on_fast({OpId::batch_norm}, [](const Inputs& x) { return F::batch_norm(x[0] * 5.0 + 20.0, {}, {}, x[1], x[2], true); })},
      {"batch_norm_beyond_l2", {{16, 64, 32, 32}, {64}, {64}}, on_fast({OpId::batch_norm}, batch_norm_training)},
      {"batch_norm_eval", {{5, 7, 3, 3}, {7}, {7}, {7}, {7}}, on_fast({OpId::batch_norm}, batch_norm_evaluation)},
      {"batch_norm_transposed", {{4, 3, 5, 6}, {3}, {3}},
       [](Inputs x) { return F::batch_norm(x[0].transpose(2, 3), {}, {}, x[1], x[2], true); }},
      {"batch_norm_backward_4d", {{8, 5, 7, 9}, {5}, {5}, {8, 5, 7, 9}},
       on_fast(batch_norm_ops, gradients(3, batch_norm_training))},
      {"batch_norm_backward_2d", {{33, 17}, {17}, {17}, {33, 17}}, on_fast(batch_norm_ops, gradients(3, batch_norm_training))},
      {"batch_norm_backward_beyond_l2", {{16, 64, 32, 32}, {64}, {64}, {16, 64, 32, 32}},
       on_fast(batch_norm_ops, gradients(3, batch_norm_training))},
      {"batch_norm_backward_eval", {{5, 7, 3, 3}, {7}, {7}, {7}, {7}, {5, 7, 3, 3}},
       on_fast(batch_norm_ops, gradients(3, batch_norm_evaluation))},
      // ---- group_norm
      {"group_norm_4d", {{6, 12, 5, 7}, {12}, {12}}, on_fast({OpId::group_norm}, group_norm_of(4))},
      {"group_norm_one_group", {{3, 5, 13}, {5}, {5}}, on_fast({OpId::group_norm}, group_norm_of(1))},
      {"group_norm_group_per_channel_2d", {{7, 6}, {6}, {6}}, on_fast({OpId::group_norm}, group_norm_of(6))},
      {"group_norm_beyond_l2", {{8, 32, 64, 64}, {32}, {32}}, on_fast({OpId::group_norm}, group_norm_of(8))},
      {"group_norm_sliced", {{4, 6, 9}, {6}, {6}},
       [](Inputs x) { return F::group_norm(x[0].slice(2, 0, 9, 2), 3, x[1], x[2]); }},
      {"group_norm_backward_4d", {{6, 12, 5, 7}, {12}, {12}, {6, 12, 5, 7}},
       on_fast(group_norm_ops, gradients(3, group_norm_of(4)))},
      {"group_norm_backward_2d", {{7, 6}, {6}, {6}, {7, 6}}, on_fast(group_norm_ops, gradients(3, group_norm_of(3)))},
      // one group over [rows, features]: the row path (row_norm_backward), also layer_norm's first-order backward
      {"group_norm_backward_one_group_2d", {{37, 29}, {29}, {29}, {37, 29}},
       on_fast(group_norm_ops, gradients(3, group_norm_of(1)))},
      {"group_norm_backward_layer_norm_rows", {{3, 130, 128}, {128}, {128}, {3, 130, 128}},
       on_fast({OpId::layer_norm, OpId::group_norm_backward},
               gradients(3, [](const Inputs& x) { return F::layer_norm(x[0] * 3.0 + 1.0, {128}, x[1], x[2]); }))},
      {"group_norm_backward_layer_norm_two_dims", {{6, 5, 7}, {5, 7}, {5, 7}, {6, 5, 7}},
       on_fast({OpId::layer_norm, OpId::group_norm_backward},
               gradients(3, [](const Inputs& x) { return F::layer_norm(x[0], {5, 7}, x[1], x[2]); }))},
      {"group_norm_backward_beyond_l2", {{8, 32, 64, 64}, {32}, {32}, {8, 32, 64, 64}},
       on_fast(group_norm_ops, gradients(3, group_norm_of(8)))},
      // ---- scaled_dot_product_attention (f32 products and e^x in float: 1e-5)
      {"attention_plain", {{2, 3, 17, 8}, {2, 3, 19, 8}, {2, 3, 19, 5}},
       on_fast({OpId::scaled_dot_product_attention}, [](const Inputs& x) { return attention(x); }), false, 1e-5},
      {"attention_size1", {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}},
       on_fast({OpId::scaled_dot_product_attention}, [](const Inputs& x) { return attention(x); }), false, 1e-5},
      {"attention_causal", {{3, 70, 16}, {3, 70, 16}, {3, 70, 16}},
       on_fast({OpId::scaled_dot_product_attention}, [](const Inputs& x) { return attention(x, {.is_causal = true}); }),
       false, 1e-5},
      {"attention_bool_mask", {{2, 2, 9, 4}, {2, 2, 11, 4}, {2, 2, 11, 3}},
       on_fast({OpId::scaled_dot_product_attention},
               [](const Inputs& x) { return attention(x, {.attn_mask = fixed_mask(9, 11)}); }), false, 1e-5},
      {"attention_float_mask_scale", {{2, 5, 4}, {2, 6, 4}, {2, 6, 3}, {2, 1, 6}},
       on_fast({OpId::scaled_dot_product_attention},
               [](const Inputs& x) { return attention(x, {.attn_mask = x[3] * 3.0, .scale = 0.7}); }), false, 1e-5},
      {"attention_dropout", {{2, 7, 8}, {2, 9, 8}, {2, 9, 8}},
       on_fast({OpId::scaled_dot_product_attention},
               [](const Inputs& x) {
                 Generator generator(11);
                 return attention(x, {.dropout_p = 0.3, .generator = &generator});
               }), false, 1e-5},
      {"attention_broadcast_batch", {{2, 3, 5, 4}, {1, 3, 6, 4}, {6, 4}},
       on_fast({OpId::scaled_dot_product_attention}, [](const Inputs& x) { return attention(x); }), false, 1e-5},
      {"attention_transposed_query", {{2, 8, 6}, {2, 7, 8}, {2, 7, 8}},
       [](Inputs x) { return attention({x[0].transpose(1, 2), x[1], x[2]}); }, false, 1e-5},
      {"attention_beyond_l2", {{8, 4, 128, 64}, {8, 4, 128, 64}, {8, 4, 128, 64}},
       on_fast({OpId::scaled_dot_product_attention}, [](const Inputs& x) { return attention(x); }), false, 1e-5},
      {"attention_backward_plain", {{2, 3, 17, 8}, {2, 3, 19, 8}, {2, 3, 19, 5}, {2, 3, 17, 5}},
       on_fast(attention_ops, gradients(3, [](const Inputs& x) { return attention(x); })), false, 1e-5},
      {"attention_backward_causal_mask", {{3, 70, 16}, {3, 70, 16}, {3, 70, 16}, {3, 70, 16}},
       on_fast(attention_ops, gradients(3, [](const Inputs& x) { return attention(x, {.is_causal = true}); })), false,
       1e-5},
      {"attention_backward_bool_mask", {{2, 9, 4}, {2, 11, 4}, {2, 11, 3}, {2, 9, 3}},
       on_fast(attention_ops, gradients(3, [](const Inputs& x) { return attention(x, {.attn_mask = fixed_mask(9, 11)}); })),
       false, 1e-5},
      {"attention_backward_dropout_broadcast", {{2, 7, 8}, {9, 8}, {2, 9, 6}, {2, 7, 6}},
       on_fast(attention_ops, gradients(3,
                                        [](const Inputs& x) {
                                          Generator generator(5);
                                          return attention(x, {.dropout_p = 0.2, .generator = &generator});
                                        })),
       false, 1e-5},
      {"attention_backward_beyond_l2", {{4, 4, 128, 64}, {4, 4, 128, 64}, {4, 4, 128, 64}, {4, 4, 128, 64}},
       on_fast(attention_ops, gradients(3, [](const Inputs& x) { return attention(x); })), false, 1e-5},
      // Causal blocks that stop at the diagonal: more queries than keys (the last blocks see every key), fewer
      // (each block stops before the end), and dropout, whose factors are indexed by absolute position.
      {"attention_causal_more_queries", {{2, 150, 8}, {2, 130, 8}, {2, 130, 6}},
       on_fast({OpId::scaled_dot_product_attention}, [](const Inputs& x) { return attention(x, {.is_causal = true}); }),
       false, 1e-5},
      {"attention_backward_causal_blocks", {{2, 70, 8}, {2, 140, 8}, {2, 140, 6}, {2, 70, 6}},
       on_fast(attention_ops, gradients(3, [](const Inputs& x) { return attention(x, {.is_causal = true}); })), false,
       1e-5},
      {"attention_backward_causal_more_queries_dropout", {{2, 150, 8}, {2, 130, 8}, {2, 130, 6}, {2, 150, 6}},
       on_fast(attention_ops, gradients(3,
                                        [](const Inputs& x) {
                                          Generator generator(7);
                                          return attention(x, {.dropout_p = 0.2, .is_causal = true, .generator = &generator});
                                        })),
       false, 1e-5},
      // ---- upsample2d
      {"upsample_nearest_double", {{4, 3, 13, 17}},
       on_fast({OpId::upsample2d}, interpolate_with({.scale_factor = 2.0}))},
      {"upsample_nearest_down_size", {{2, 3, 9, 11}}, on_fast({OpId::upsample2d}, interpolate_with({.size = Size2{7, 5}}))},
      {"upsample_bilinear_scale", {{3, 2, 7, 5}},
       on_fast({OpId::upsample2d}, interpolate_with({.scale_factor = 1.7, .mode = UpsampleMode::bilinear}))},
      {"upsample_bilinear_align_corners", {{2, 2, 1, 6}},
       on_fast({OpId::upsample2d},
               interpolate_with({.size = Size2{4, 11}, .mode = UpsampleMode::bilinear, .align_corners = true}))},
      {"upsample_bilinear_beyond_l2", {{8, 16, 64, 64}},
       on_fast({OpId::upsample2d}, interpolate_with({.scale_factor = 2.0, .mode = UpsampleMode::bilinear}))},
      {"upsample_transposed", {{2, 3, 5, 7}},
       [](Inputs x) { return F::interpolate(x[0].transpose(2, 3), {.scale_factor = 2.0}); }},
      {"upsample_backward_nearest", {{4, 3, 13, 17}, {4, 3, 19, 25}},
       on_fast(upsample_ops, gradients(1, interpolate_with({.size = Size2{19, 25}})))},
      {"upsample_backward_bilinear", {{3, 2, 7, 5}, {3, 2, 11, 8}},
       on_fast(upsample_ops, gradients(1, interpolate_with({.scale_factor = 1.7, .mode = UpsampleMode::bilinear})))},
      {"upsample_backward_bilinear_beyond_l2", {{8, 16, 64, 64}, {8, 16, 128, 128}},
       on_fast(upsample_ops, gradients(1, interpolate_with({.scale_factor = 2.0, .mode = UpsampleMode::bilinear,
                                                            .align_corners = true})))},
      // ---- pad
      {"pad_constant", {{3, 5, 7, 9}},
       on_fast({OpId::pad}, [](const Inputs& x) { return F::pad(x[0], {1, 2, 3, 0, 0, 1}, PadMode::constant, 0.5); })},
      {"pad_crop", {{3, 5, 7, 9}}, on_fast({OpId::pad}, [](const Inputs& x) { return F::pad(x[0], {-1, 2, 0, -3}); })},
      {"pad_reflect", {{2, 3, 17, 19}},
       on_fast({OpId::pad}, [](const Inputs& x) { return F::pad(x[0], {3, 3, 2, 5}, PadMode::reflect); })},
      {"pad_replicate_1d", {{4, 33, 5}},
       on_fast({OpId::pad}, [](const Inputs& x) { return F::pad(x[0], {4, 1}, PadMode::replicate); })},
      {"pad_size1", {{1}}, on_fast({OpId::pad}, [](const Inputs& x) { return F::pad(x[0], {2, 3}); })},
      {"pad_beyond_l2", {{16, 16, 64, 64}}, on_fast({OpId::pad}, [](const Inputs& x) { return F::pad(x[0], {2, 2, 2, 2}); })},
      {"pad_transposed", {{3, 4, 5}},
       on_fast({OpId::pad}, [](const Inputs& x) { return F::pad(x[0].transpose(1, 2), {1, 1}, PadMode::reflect); })},
      // ResNet's option-A shortcut: a stride-2 subsample, then zero channels appended
      {"pad_strided_subsample", {{4, 16, 15, 15}}, on_fast({OpId::pad}, [](const Inputs& x) {
         return F::pad(x[0].slice(2, 0, 15, 2).slice(3, 0, 15, 2), {0, 0, 0, 0, 0, 16});
       })},
      {"pad_strided_beyond_l2", {{16, 32, 64, 64}}, on_fast({OpId::pad}, [](const Inputs& x) {
         return F::pad(x[0].slice(3, 1, 64, 3), {2, 1, 1, 0}, PadMode::replicate);
       })},
      {"pad_backward_replicate", {{2, 3, 6, 7}, {2, 3, 9, 8}},
       on_fast({OpId::pad}, gradients(1, [](const Inputs& x) { return F::pad(x[0], {1, 0, 2, 1}, PadMode::replicate); }))},
      {"pad_backward_constant", {{2, 3, 6, 7}, {2, 3, 9, 8}},
       on_fast({OpId::pad}, gradients(1, [](const Inputs& x) { return F::pad(x[0], {1, 0, 2, 1}); }))},
      // ---- im2col / col2im
      {"unfold_padding_stride", {{2, 3, 11, 13}},
       on_fast({OpId::im2col}, unfold_with({.kernel_size = 3, .padding = 1, .stride = 2}))},
      {"unfold_dilation_3d", {{5, 7, 9}}, on_fast({OpId::im2col}, unfold_with({.kernel_size = {2, 3}, .dilation = 2}))},
      {"unfold_size1", {{1, 1, 1, 1}}, on_fast({OpId::im2col}, unfold_with({.kernel_size = 1}))},
      {"unfold_beyond_l2", {{8, 16, 32, 32}}, on_fast({OpId::im2col}, unfold_with({.kernel_size = 3, .padding = 1}))},
      {"unfold_transposed", {{2, 3, 6, 5}},
       [](Inputs x) { return F::unfold(x[0].transpose(2, 3), {.kernel_size = 2}); }},
      {"fold_overlapping", {{2, 12, 30}},
       on_fast({OpId::col2im}, [](const Inputs& x) { return F::fold(x[0], {6, 7}, {.kernel_size = 2}); })},
      {"fold_padding_dilation", {{3, 8, 9}},
       on_fast({OpId::col2im},
               [](const Inputs& x) { return F::fold(x[0], {5, 6}, {.kernel_size = 2, .dilation = 2, .padding = 1, .stride = 2}); })},
      {"unfold_backward", {{2, 3, 11, 13}, {2, 27, 42}},
       on_fast(unfold_ops, gradients(1, unfold_with({.kernel_size = 3, .padding = 1, .stride = 2})))},
      {"unfold_backward_beyond_l2", {{8, 16, 32, 32}, {8, 144, 1024}},
       on_fast(unfold_ops, gradients(1, unfold_with({.kernel_size = 3, .padding = 1})))},
  };
  // Names that do not begin with their op's name say which ops they test; the fast kernels other than pad's
  // take contiguous f32 operands only, so a case on a strided view compares the reference with itself, and
  // says so.
  for (ReferenceCase& test_case : cases) {
    auto starts = [&test_case](const char* prefix) { return test_case.name.rfind(prefix, 0) == 0; };
    if (starts("attention_") && !starts("attention_backward")) test_case.ops = {OpId::scaled_dot_product_attention};
    else if (starts("upsample_backward")) test_case.ops = {OpId::upsample2d_backward};
    else if (starts("upsample_")) test_case.ops = {OpId::upsample2d};
    else if (starts("unfold_backward") || starts("fold_")) test_case.ops = {OpId::col2im};
    else if (starts("unfold_")) test_case.ops = {OpId::im2col};
    const std::string& name = test_case.name;
    if ((name.find("_transposed") != std::string::npos || name.ends_with("_sliced")) && !starts("pad_")) {
      test_case.expect = Expect::reference;
      test_case.reason = "the fast kernel takes contiguous f32 operands only";
    }
  }
  return cases;
}

}  // namespace nabla::testing
