// Gradcheck cases: matmul (2-D, batched with broadcasting, torch.matmul's 1-D cases) and the indexing ops.
// Index inputs are drawn in [0, index_high) with repeats, so the add ops' accumulation is exercised.
#include "tests/gradcheck/cases.h"

namespace nabla::testing {
using ops::OpId;

NABLA_GRADCHECK_CASES(matmul_index) {
  using In = InputSpec;
  auto product = [](auto& x) { return matmul(x[0], x[1]); };
  // The linear ops are squared so that the second-order check has a non-constant gradient to follow.
  return {
      {"matmul_2d", {OpId::matmul}, {{{3, 4}}, {{4, 5}}}, product},
      {"matmul_batched", {OpId::matmul}, {{{2, 3, 4}}, {{2, 4, 5}}}, product},
      {"matmul_broadcast_matrix", {OpId::matmul}, {{{2, 3, 4}}, {{4, 2}}}, product},
      {"matmul_broadcast_batch", {OpId::matmul}, {{{2, 1, 3, 4}}, {{3, 4, 2}}}, product},
      {"matmul_vector_vector", {OpId::matmul}, {{{4}}, {{4}}}, product},
      {"matmul_matrix_vector", {OpId::matmul}, {{{3, 4}}, {{4}}}, product},
      {"matmul_vector_matrix", {OpId::matmul}, {{{4}}, {{4, 3}}}, product},
      {"matmul_batched_vector", {OpId::matmul}, {{{2, 3, 4}}, {{4}}}, product},
      {"matmul_vector_batched", {OpId::matmul}, {{{4}}, {{2, 4, 3}}}, product},
      {"matmul_square", {OpId::matmul}, {{{3, 3}}}, [](auto& x) { return matmul(x[0], x[0]).tanh(); }},
      {"index_select_dim0", {OpId::index_select, OpId::index_add}, {{{5, 3}}, {{6}, In::index, 5}},
       [](auto& x) { return index_select(x[0], 0, x[1]).pow(2.0); }},
      {"index_select_dim1", {OpId::index_select, OpId::index_add}, {{{3, 4}}, {{5}, In::index, 4}},
       [](auto& x) { return index_select(x[0], -1, x[1]).pow(2.0); }},
      {"gather_dim1", {OpId::gather, OpId::scatter_add}, {{{3, 4}}, {{3, 5}, In::index, 4}},
       [](auto& x) { return gather(x[0], 1, x[1]).pow(2.0); }},
      {"gather_dim0_smaller", {OpId::gather, OpId::scatter_add}, {{{4, 3}}, {{2, 2}, In::index, 4}},
       [](auto& x) { return gather(x[0], 0, x[1]).pow(2.0); }},
      {"index_add", {OpId::index_add, OpId::index_select}, {{{5, 3}}, {{4}, In::index, 5}, {{4, 3}}},
       [](auto& x) { return index_add(x[0], 0, x[1], x[2]).pow(2.0); }},
      {"index_add_dim1", {OpId::index_add, OpId::index_select}, {{{3, 4}}, {{6}, In::index, 4}, {{3, 6}}},
       [](auto& x) { return index_add(x[0], 1, x[1], x[2]).pow(2.0); }},
      {"scatter_add", {OpId::scatter_add, OpId::gather}, {{{3, 4}}, {{5, 4}, In::index, 3}, {{5, 4}}},
       [](auto& x) { return scatter_add(x[0], 0, x[1], x[2]).pow(2.0); }},
      // src larger than index: only its leading block is read, the rest gets zero gradient.
      {"scatter_add_src_larger", {OpId::scatter_add, OpId::gather}, {{{4, 3}}, {{2, 2}, In::index, 3}, {{3, 4}}},
       [](auto& x) { return scatter_add(x[0], 1, x[1], x[2]).pow(2.0); }},
  };
}

}  // namespace nabla::testing
