// Gradcheck cases: scatter, masked_fill, masked_select, diagonal, pad (three modes), repeat, flip, roll,
// tril/triu, and the composites built on them and on matmul (einsum, outer, bmm, cdist, linear, embedding).
// Linear ops are squared (or multiplied by their input) so the second-order check has a gradient to follow.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

namespace {

// scatter's index: different rows in each column, so no element is written twice (with duplicates only the
// last write counts, and the gradient of an overwritten source element is, as in PyTorch, still gathered).
Tensor scatter_index() { return tensor({{2, 0, 1}, {0, 3, 2}}, {.dtype = DType::i64}); }

}  // namespace

NABLA_GRADCHECK_CASES(shape_index) {
  using In = InputSpec;
  const double infinity = std::numeric_limits<double>::infinity();
  return {
      // ---- indexing
      {"scatter_dim0", {OpId::scatter, OpId::masked_fill, OpId::gather}, {{{4, 3}}, {{2, 3}}},
       [](auto& x) { return scatter(x[0], 0, scatter_index(), x[1]).pow(2.0); }},
      {"scatter_dim1_src_larger", {OpId::scatter, OpId::pad}, {{{3, 4}}, {{3, 3}}},
       [](auto& x) { return scatter(x[0], 1, scatter_index().t(), x[1]).pow(2.0); }},
      {"masked_fill", {OpId::masked_fill}, {{{3, 4}}, {{3, 4}, In::mask}},
       [](auto& x) { return masked_fill(x[0], x[1], 2.0) * x[0]; }},
      {"masked_fill_broadcast_mask", {OpId::masked_fill}, {{{3, 4}}, {{4}, In::mask}},
       [](auto& x) { return masked_fill(x[0], x[1], -1.0).pow(2.0); }},
      {"masked_fill_broadcast_self", {OpId::masked_fill}, {{{4}}, {{3, 4}, In::mask}},
       [](auto& x) { return masked_fill(x[0], x[1], 0.5).pow(2.0); }},
      {"masked_select", {OpId::masked_select, OpId::index_add}, {{{3, 4}}, {{3, 4}, In::mask}},
       [](auto& x) { return masked_select(x[0], x[1]).pow(2.0); }},
      {"masked_select_broadcast", {OpId::masked_select}, {{{3, 4}}, {{4}, In::mask}},
       [](auto& x) { return masked_select(x[0], x[1]).pow(2.0); }},
      {"masked_select_broadcast_input", {OpId::masked_select}, {{{4}}, {{2, 4}, In::mask}},
       [](auto& x) { return masked_select(x[0], x[1]).exp(); }},
      // ---- diagonal
      {"diagonal", {OpId::diagonal}, {{{3, 4}}}, [](auto& x) { return diagonal(x[0]).pow(2.0); }},
      {"diagonal_offset", {OpId::diagonal}, {{{4, 3}}}, [](auto& x) { return diagonal(x[0], 1).pow(2.0); }},
      {"diagonal_negative_offset", {OpId::diagonal}, {{{4, 3}}}, [](auto& x) { return diagonal(x[0], -2).exp(); }},
      {"diagonal_3d_dims", {OpId::diagonal}, {{{3, 2, 4}}},
       [](auto& x) { return diagonal(x[0], 1, 2, 0).pow(2.0); }},
      {"diagonal_of_diagonal_sum", {OpId::diagonal}, {{{3, 3}}},
       [](auto& x) { return diagonal(x[0] * x[0]).sum() * diagonal(x[0]); }},
      // ---- pad
      {"pad_constant", {OpId::pad}, {{{2, 3, 4}}},
       [](auto& x) { return functional::pad(x[0], {1, 2, 0, 1}, PadMode::constant, 0.5).pow(2.0); }},
      {"pad_constant_crop", {OpId::pad}, {{{3, 5}}},
       [](auto& x) { return functional::pad(x[0], {-1, 2, 1, -1}).pow(2.0); }},
      {"pad_reflect", {OpId::pad, OpId::index_add}, {{{2, 3, 5}}},
       [](auto& x) { return functional::pad(x[0], {2, 4, 1, 2}, PadMode::reflect).pow(2.0); }},
      {"pad_reflect_1d", {OpId::pad}, {{{2, 4}}},
       [](auto& x) { return functional::pad(x[0], {3, 1}, PadMode::reflect) * functional::pad(x[0], {3, 1}, PadMode::reflect); }},
      {"pad_replicate", {OpId::pad}, {{{2, 3, 4}}},
       [](auto& x) { return functional::pad(x[0], {2, 1, 3, 0}, PadMode::replicate).pow(2.0); }},
      {"pad_replicate_3_dims", {OpId::pad}, {{{1, 2, 2, 3}}},
       [](auto& x) { return functional::pad(x[0], {1, 1, 2, 0, 0, 1}, PadMode::replicate).exp(); }},
      {"pad_reflect_crop", {OpId::pad}, {{{2, 6}}},
       [](auto& x) { return functional::pad(x[0], {-2, 3}, PadMode::reflect).pow(2.0); }},
      // ---- repeat, flip, roll, tril, triu
      {"repeat", {OpId::repeat}, {{{2, 3}}}, [](auto& x) { return repeat(x[0], {2, 3}).pow(2.0); }},
      {"repeat_new_dims", {OpId::repeat}, {{{2, 3}}}, [](auto& x) { return repeat(x[0], {2, 1, 2}).exp(); }},
      {"flip", {OpId::flip}, {{{3, 4}}}, [](auto& x) { return flip(x[0], {1}) * x[0]; }},
      {"flip_dims", {OpId::flip}, {{{2, 3, 4}}}, [](auto& x) { return flip(x[0], {0, -1}).pow(2.0); }},
      {"roll", {OpId::roll}, {{{3, 4}}}, [](auto& x) { return roll(x[0], {1, -3}, {0, 1}) * x[0]; }},
      {"roll_flattened", {OpId::roll}, {{{3, 4}}}, [](auto& x) { return roll(x[0], {5}) * x[0]; }},
      {"tril", {OpId::tril}, {{{4, 4}}}, [](auto& x) { return tril(x[0]).pow(2.0); }},
      {"tril_offset_batched", {OpId::tril}, {{{2, 3, 4}}}, [](auto& x) { return tril(x[0], -1) * x[0]; }},
      {"triu", {OpId::triu}, {{{3, 4}}}, [](auto& x) { return triu(x[0], 1).pow(2.0); }},
      {"triu_negative_offset", {OpId::triu}, {{{4, 3}}}, [](auto& x) { return triu(x[0], -1).exp(); }},
      // ---- composites
      {"einsum_matmul", {OpId::matmul}, {{{3, 4}}, {{4, 5}}}, [](auto& x) { return einsum("ij,jk->ik", {x[0], x[1]}); }},
      {"einsum_batched", {OpId::matmul}, {{{2, 3, 4}}, {{2, 4, 5}}},
       [](auto& x) { return einsum("bij,bjk->bik", {x[0], x[1]}); }},
      {"einsum_batched_transposed", {OpId::matmul}, {{{2, 3, 4}}, {{2, 5, 4}}},
       [](auto& x) { return einsum("bij,bkj->bik", {x[0], x[1]}); }},
      {"einsum_trace", {OpId::diagonal}, {{{4, 4}}}, [](auto& x) { return einsum("ii->", {x[0] * x[0]}); }},
      {"einsum_diagonal", {OpId::diagonal}, {{{4, 4}}}, [](auto& x) { return einsum("ii->i", {x[0]}).pow(2.0); }},
      {"einsum_transpose_sum", {OpId::sum}, {{{3, 4}}}, [](auto& x) { return einsum("ij->j", {x[0] * x[0]}); }},
      {"einsum_outer", {OpId::matmul}, {{{3}}, {{4}}}, [](auto& x) { return einsum("i,j->ij", {x[0], x[1]}); }},
      {"einsum_hadamard", {OpId::matmul}, {{{3, 4}}, {{3, 4}}}, [](auto& x) { return einsum("ij,ij->ij", {x[0], x[1]}); }},
      {"einsum_ellipsis", {OpId::matmul}, {{{2, 3, 4}}, {{4, 2}}},
       [](auto& x) { return einsum("...ij,jk->...ik", {x[0], x[1]}); }},
      {"einsum_three_operands", {OpId::matmul}, {{{2, 3}}, {{3, 4}}, {{4, 2}}},
       [](auto& x) { return einsum("ij,jk,kl->il", {x[0], x[1], x[2]}); }},
      {"outer", {OpId::mul}, {{{3}}, {{4}}}, [](auto& x) { return outer(x[0], x[1]); }},
      {"bmm", {OpId::matmul}, {{{2, 3, 4}}, {{2, 4, 5}}}, [](auto& x) { return bmm(x[0], x[1]); }},
      {"cdist_2", {OpId::sum}, {{{3, 4}}, {{5, 4}}}, [](auto& x) { return cdist(x[0], x[1]); }},
      {"cdist_2_matmul_path", {OpId::matmul}, {{{27, 3}}, {{4, 3}}}, [](auto& x) { return cdist(x[0], x[1]); }},
      {"cdist_1_batched", {OpId::sum}, {{{2, 3, 4}}, {{2, 2, 4}}}, [](auto& x) { return cdist(x[0], x[1], 1); }},
      {"cdist_3", {OpId::sum}, {{{3, 2}}, {{4, 2}}}, [](auto& x) { return cdist(x[0], x[1], 3); }},
      // The infinity norm is an autograd function (Amax) whose gradient is a mask of ties, not max's backward.
      {"cdist_infinity", {}, {{{3, 2}}, {{4, 2}}}, [=](auto& x) { return cdist(x[0], x[1], infinity); }},
      {"linear", {OpId::matmul}, {{{3, 4}}, {{5, 4}}, {{5}}},
       [](auto& x) { return functional::linear(x[0], x[1], x[2]).pow(2.0); }},
      {"linear_no_bias_1d", {OpId::matmul}, {{{4}}, {{5, 4}}}, [](auto& x) { return functional::linear(x[0], x[1]).exp(); }},
      {"embedding", {OpId::index_select}, {{{2, 3}, In::index, 5}, {{5, 4}}},
       [](auto& x) { return functional::embedding(x[0], x[1]).pow(2.0); }},
  };
}

}  // namespace nabla::testing
