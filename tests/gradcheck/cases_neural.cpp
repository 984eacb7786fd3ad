// Gradcheck cases: dropout, layer/batch/group norm, scaled_dot_product_attention, cross_entropy with class
// weights and label smoothing, and the composite losses. Random ops draw from a generator made inside the
// function, so every evaluation sees the same mask and the function is deterministic.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;
namespace F = functional;

namespace {

Tensor fixed_normal(const Shape& shape, uint64_t seed) {
  Generator generator(seed);
  return randn(shape, {.dtype = DType::f64}, &generator);
}

Tensor attention(const std::vector<Tensor>& x, F::AttentionOptions options = {}) {
  return F::scaled_dot_product_attention(x[0], x[1], x[2], options);
}

}  // namespace

NABLA_GRADCHECK_CASES(neural) {
  using In = InputSpec;
  const In labels{{6}, In::index, 4};
  // Weights of 4 classes, and the products below keep the second-order checks non-trivial.
  auto class_weight = [] { return tensor({0.5, 2.0, 1.0, 1.5}, {.dtype = DType::f64}); };
  return {
      {"dropout", {OpId::dropout}, {{{4, 5}}},
       [](auto& x) {
         Generator generator(3);
         return F::dropout(x[0], 0.4, true, &generator) * x[0];
       }},
      {"layer_norm_affine", {OpId::layer_norm}, {{{3, 5}}, {{5}}, {{5}}},
       [](auto& x) { return F::layer_norm(x[0], {5}, x[1], x[2]); }},
      {"layer_norm_two_dims", {OpId::layer_norm}, {{{2, 3, 4}}, {{3, 4}}, {{3, 4}}},
       [](auto& x) { return F::layer_norm(x[0], {3, 4}, x[1], x[2]); }},
      {"layer_norm_no_affine", {OpId::layer_norm}, {{{4, 6}}},
       [](auto& x) { return F::layer_norm(x[0], {6}) * x[0]; }},
      // First order goes through the fused batch_norm_backward/group_norm_backward ops; the second order
      // (create_graph) through the composite of differentiable ops.
      {"batch_norm_training_2d", {OpId::batch_norm, OpId::batch_norm_backward}, {{{5, 3}}, {{3}}, {{3}}},
       [](auto& x) { return F::batch_norm(x[0], {}, {}, x[1], x[2], true); }},
      {"batch_norm_training_4d", {OpId::batch_norm, OpId::batch_norm_backward}, {{{2, 3, 2, 2}}, {{3}}, {{3}}},
       [](auto& x) {
         Tensor running_mean = zeros({3}, {.dtype = DType::f64}), running_var = ones({3}, {.dtype = DType::f64});
         return F::batch_norm(x[0], running_mean, running_var, x[1], x[2], true);
       }},
      {"batch_norm_eval", {OpId::batch_norm, OpId::batch_norm_backward}, {{{4, 3, 2}}, {{3}}, {{3}}},
       [](auto& x) {
         Tensor running_mean = tensor({0.1, -0.2, 0.3}, {.dtype = DType::f64});
         Tensor running_var = tensor({0.5, 1.5, 2.0}, {.dtype = DType::f64});
         return F::batch_norm(x[0], running_mean, running_var, x[1], x[2], false) * x[0];
       }},
      {"group_norm_3d", {OpId::group_norm, OpId::group_norm_backward}, {{{2, 6, 3}}, {{6}}, {{6}}},
       [](auto& x) { return F::group_norm(x[0], 3, x[1], x[2]); }},
      {"group_norm_2d_no_affine", {OpId::group_norm, OpId::group_norm_backward}, {{{3, 4}}},
       [](auto& x) { return F::group_norm(x[0], 2) * x[0]; }},
      // attention_backward is a fused kernel marked non-differentiable (ops.def): double backward through
      // attention is refused, so these cases check first order only.
      {"attention_plain", {OpId::scaled_dot_product_attention}, {{{2, 3, 4}}, {{2, 5, 4}}, {{2, 5, 3}}},
       [](auto& x) { return attention(x); }, false},
      {"attention_causal_longer_keys", {OpId::scaled_dot_product_attention}, {{{3, 4}}, {{5, 4}}, {{5, 2}}},
       [](auto& x) { return attention(x, {.is_causal = true}); }, false},
      {"attention_causal_longer_queries", {OpId::scaled_dot_product_attention}, {{{5, 3}}, {{3, 3}}, {{3, 3}}},
       [](auto& x) { return attention(x, {.is_causal = true}); }, false},
      {"attention_bool_mask_heads", {OpId::scaled_dot_product_attention},
       {{{2, 2, 3, 4}}, {{2, 2, 4, 4}}, {{2, 2, 4, 3}}, {{3, 4}, In::mask}},
       [](auto& x) { return F::scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = x[3]}); }, false},
      {"attention_float_mask_scale", {OpId::scaled_dot_product_attention}, {{{2, 3, 4}}, {{2, 4, 4}}, {{2, 4, 2}}},
       [](auto& x) { return attention(x, {.attn_mask = fixed_normal({2, 1, 4}, 5), .scale = 0.7}); }, false},
      {"attention_dropout", {OpId::scaled_dot_product_attention}, {{{2, 3, 4}}, {{2, 4, 4}}, {{2, 4, 3}}},
       [](auto& x) {
         Generator generator(11);
         return attention(x, {.dropout_p = 0.3, .generator = &generator});
       }, false},
      {"attention_broadcast_batch", {OpId::scaled_dot_product_attention}, {{{2, 3, 4}}, {{1, 4, 4}}, {{4, 3}}},
       [](auto& x) { return attention(x); }, false},
      {"cross_entropy_weight_mean", {OpId::cross_entropy}, {{{6, 4}}, labels},
       [class_weight](auto& x) { return F::cross_entropy(x[0], x[1], {.weight = class_weight()}); }},
      {"cross_entropy_smoothing_none", {OpId::cross_entropy}, {{{6, 4}}, labels},
       [](auto& x) { return F::cross_entropy(x[0], x[1], {.reduction = Reduction::none, .label_smoothing = 0.3}); }},
      {"cross_entropy_weight_smoothing_ignore", {OpId::cross_entropy}, {{{6, 4}}, labels},
       [class_weight](auto& x) {
         return F::cross_entropy(x[0], x[1], {.weight = class_weight(), .ignore_index = 2, .label_smoothing = 0.2});
       }},
      {"cross_entropy_spatial_sum", {OpId::cross_entropy}, {{{2, 4, 3}}, {{2, 3}, In::index, 4}},
       [](auto& x) { return F::cross_entropy(x[0], x[1], {.reduction = Reduction::sum, .label_smoothing = 0.1}); }},
      {"cross_entropy_probabilities", {}, {{{3, 4}}, {{3, 4}, In::positive}},
       [](auto& x) { return F::cross_entropy(x[0], x[1] / sum(x[1], {1}, true), {.label_smoothing = 0.1}); }},
      {"nll_loss_weight", {}, {{{6, 4}}, labels},
       [class_weight](auto& x) { return F::nll_loss(log_softmax(x[0], 1), x[1], class_weight(), 3); }},
      {"mse_loss", {}, {{{3, 4}}, {{3, 4}}}, [](auto& x) { return F::mse_loss(x[0], x[1]); }},
      {"l1_loss", {}, {{{3, 4}}, {{3, 4}}}, [](auto& x) { return F::l1_loss(x[0], x[1], Reduction::sum) * x[0]; }},
      {"smooth_l1_loss", {}, {{{3, 4}}, {{3, 4}}},
       [](auto& x) { return F::smooth_l1_loss(x[0], x[1], Reduction::none, 0.5); }},
      {"huber_loss", {}, {{{3, 4}}, {{3, 4}}}, [](auto& x) { return F::huber_loss(x[0], x[1], Reduction::mean, 0.4); }},
      {"binary_cross_entropy", {}, {{{3, 4}}, {{3, 4}, In::positive}, {{4}, In::positive}},
       [](auto& x) { return F::binary_cross_entropy(sigmoid(x[0]), x[1] / 2.0, x[2]); }},
      {"binary_cross_entropy_with_logits", {}, {{{3, 4}}, {{3, 4}, In::positive}, {{4}, In::positive}},
       [](auto& x) {
         return F::binary_cross_entropy_with_logits(x[0] * 4.0, x[1] / 2.0, {}, x[2], Reduction::none);
       }},
      {"kl_div", {}, {{{3, 4}}, {{3, 4}, In::positive}},
       [](auto& x) { return F::kl_div(log_softmax(x[0], 1), x[1], Reduction::sum); }},
      {"kl_div_log_target", {}, {{{3, 4}}, {{3, 4}}},
       [](auto& x) { return F::kl_div(x[0], x[1], Reduction::mean, true); }},
  };
}

}  // namespace nabla::testing
