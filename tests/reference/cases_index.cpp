// Fast-vs-reference cases for the indexing, joining, choosing and ordering kernels (src/backend/cpu/index.cpp,
// copy.cpp, select.cpp, order.cpp): index_select and index_add (Embedding forward and backward, repeated
// indices), gather, cat, slice_backward, clone, cast, where, masked_fill, cumsum, sort/argsort and topk.
// Odd sizes, size-1 dims, non-contiguous inputs and sizes beyond L2. Each case also checks, through the
// dispatch observer, that the op under test ran its fast kernel on the fast pass (not a silent fallback).
#include <gtest/gtest.h>

#include "backend/cpu/kernels.h"
#include "ops/observer.h"
#include "tests/reference/cases.h"

namespace nabla::testing {
namespace F = functional;

namespace {
using Inputs = std::vector<Tensor>;
using Function = std::function<Tensor(Inputs)>;
using ops::OpId;

// Wraps a case so that, when fast kernels are on, every call of `op` it makes must run the fast kernel.
Function runs_fast(OpId op, Function function) {
  return [op, function](Inputs t) {
    int fast = 0, other = 0;
    Tensor result;
    {
      ops::ObserveDispatch observer([&](const ops::Dispatched& call) {
        if (call.op == op) ++(call.kernel == ops::KernelKind::fast ? fast : other);
      });
      result = function(std::move(t));
    }
    if (cpu::fast_kernels_enabled()) {
      EXPECT_GT(fast, 0) << ops::op_name(op) << " was never called";
      EXPECT_EQ(other, 0) << ops::op_name(op) << " ran its reference kernel " << other << " times";
    }
    return result;
  };
}

// Indices in [0, size) from U(-1, 1) values: many repeats when there are more values than size.
Tensor indices_from(const Tensor& x, int64_t size, DType dtype = DType::i64) {
  return clamp(floor((x * 0.5 + 0.5) * static_cast<double>(size)), 0.0, static_cast<double>(size - 1)).to(dtype);
}

// Embedding: rows of t[0] chosen by indices from t[1]; with a gradient t[2] of the output, weight's gradient
// (index_add of repeated rows).
Function embedding_forward(DType index_dtype = DType::i64) {
  return [index_dtype](Inputs t) { return index_select(t[0], 0, indices_from(t[1], t[0].size(0), index_dtype)); };
}
Tensor embedding_backward(Inputs t) {
  Tensor weight = t[0].requires_grad_();
  Tensor y = F::embedding(indices_from(t[1], weight.size(0)), weight);
  y.backward(t[2]);
  return weight.grad();
}

// Halves of [-1, 1) (so many ties) with NaN where x < -0.9: the ordering rules (stable; NaN largest).
Tensor ties_and_nans(const Tensor& x) { return floor(x * 2.0) + sqrt(x + 0.9) * 0.0; }

Tensor as_f64(const Tensor& x) { return x.to(DType::f64); }
}  // namespace

NABLA_REFERENCE_CASES(index) {
  ReferenceCaseList cases = {
      // ---- index_select (any dtype: bytes move) and Embedding
      {"index_select_embedding", {{1000, 64}, {37}}, runs_fast(OpId::index_select, embedding_forward())},
      {"index_select_int32_index", {{97, 13}, {200}}, runs_fast(OpId::index_select, embedding_forward(DType::i32))},
      {"index_select_size1", {{1, 1}, {1}}, runs_fast(OpId::index_select, embedding_forward())},
      {"index_select_beyond_l2", {{4096, 512}, {3001}}, runs_fast(OpId::index_select, embedding_forward())},
      {"index_select_middle_dim_transposed", {{5, 9, 7}, {11}},
       runs_fast(OpId::index_select, [](Inputs t) {
         Tensor x = t[0].transpose(0, 2);  // [7, 9, 5], no dim contiguous but the middle
         return index_select(x, 1, indices_from(t[1], 9));
       })},
      {"index_select_last_dim_f64", {{6, 31}, {40}},
       runs_fast(OpId::index_select, [](Inputs t) { return index_select(as_f64(t[0]), 1, indices_from(t[1], 31)); })},
      {"index_select_int64_values", {{50, 3}, {17}},
       runs_fast(OpId::index_select,
                 [](Inputs t) { return index_select((t[0] * 1000.0).to(DType::i64), 0, indices_from(t[1], 50)); })},
      // ---- index_add: repeated destinations add in index order
      {"embedding_backward", {{1000, 64}, {257}, {257, 64}}, runs_fast(OpId::index_add, embedding_backward)},
      {"embedding_backward_beyond_l2", {{8192, 128}, {9000}, {9000, 128}}, runs_fast(OpId::index_add, embedding_backward)},
      {"index_add_repeats", {{7, 5}, {61}, {61, 5}},
       runs_fast(OpId::index_add, [](Inputs t) { return index_add(t[0], 0, indices_from(t[1], 7), t[2]); })},
      {"index_add_size1", {{1}, {1}, {1}},
       runs_fast(OpId::index_add, [](Inputs t) { return index_add(t[0], 0, indices_from(t[1], 1), t[2]); })},
      {"index_add_dim1_transposed_f64", {{4, 9, 3}, {20}, {3, 20, 4}},
       runs_fast(OpId::index_add, [](Inputs t) {
         Tensor source = as_f64(t[2]).transpose(0, 2);  // [4, 20, 3], strided
         return index_add(as_f64(t[0]), 1, indices_from(t[1], 9, DType::i32), source);
       })},
      {"index_add_last_dim", {{6, 11}, {30}, {6, 30}},
       runs_fast(OpId::index_add, [](Inputs t) { return index_add(t[0], -1, indices_from(t[1], 11), t[2]); })},
      // ---- gather
      {"gather_target_lookup", {{64, 1000}, {64, 1}},
       runs_fast(OpId::gather, [](Inputs t) { return gather(t[0], 1, indices_from(t[1], 1000)); })},
      {"gather_dim0_smaller_index_transposed", {{13, 8}, {5, 4}},
       runs_fast(OpId::gather, [](Inputs t) {
         Tensor x = t[0].t();  // [8, 13]
         return gather(x, 0, indices_from(t[1], 8).t());  // index [4, 5], strided
       })},
      {"gather_int32_middle_dim", {{3, 17, 5}, {3, 40, 5}},
       runs_fast(OpId::gather, [](Inputs t) { return gather(t[0], 1, indices_from(t[1], 17, DType::i32)); })},
      {"gather_beyond_l2", {{256, 4096}, {256, 2048}},
       runs_fast(OpId::gather, [](Inputs t) { return gather(t[0], 1, indices_from(t[1], 4096)); })},
      // ---- cat, slice_backward, clone, cast
      {"cat_dim0", {{3, 7}, {1, 7}, {5, 7}}, runs_fast(OpId::cat, [](Inputs t) { return cat(t, 0); })},
      {"cat_last_dim", {{4, 3}, {4, 1}, {4, 10}}, runs_fast(OpId::cat, [](Inputs t) { return cat(t, -1); })},
      {"cat_middle_dim_strided", {{2, 5, 3}, {3, 2, 2}},
       runs_fast(OpId::cat, [](Inputs t) { return cat({t[0], t[1].permute({2, 1, 0})}, 1); })},
      {"cat_beyond_l2", {{512, 1024}, {300, 1024}}, runs_fast(OpId::cat, [](Inputs t) { return cat(t, 0); })},
      {"cat_int64", {{3, 4}, {3, 2}},
       runs_fast(OpId::cat, [](Inputs t) { return cat({(t[0] * 100.0).to(DType::i64), (t[1] * 100.0).to(DType::i64)}, 1); })},
      {"slice_backward_step", {{9, 20}, {9, 7}},
       runs_fast(OpId::slice_backward, [](Inputs t) {
         Tensor x = t[0].requires_grad_();
         x.slice(1, 1, 20, 3).backward(t[1]);
         return x.grad();
       })},
      {"slice_backward_dim0_strided_grad", {{10, 6}, {6, 4}},
       runs_fast(OpId::slice_backward, [](Inputs t) {
         Tensor x = t[0].requires_grad_();
         x.narrow(0, 3, 4).backward(t[1].t());
         return x.grad();
       })},
      {"clone_transposed", {{37, 53}}, runs_fast(OpId::clone, [](Inputs t) { return t[0].t().contiguous(); })},
      {"clone_heads_beyond_l2", {{8, 256, 4, 128}},
       runs_fast(OpId::clone, [](Inputs t) { return t[0].transpose(1, 2).contiguous(); })},
      {"cast_f32_to_f64_strided", {{9, 4}}, runs_fast(OpId::cast, [](Inputs t) { return as_f64(t[0].t()); })},
      {"cast_f64_to_f32", {{1, 33}},
       runs_fast(OpId::cast, [](Inputs t) { return (as_f64(t[0]) * (1.0 / 3.0)).to(DType::f32); })},
      {"cast_i64_to_f32", {{5, 6}},
       runs_fast(OpId::cast, [](Inputs t) { return (t[0] * 1e6).to(DType::i64).to(DType::f32); })},
      // ---- where, masked_fill (broadcast operands read in place)
      {"where_same_shape", {{7, 13}, {7, 13}, {7, 13}},
       runs_fast(OpId::where, [](Inputs t) { return where(gt(t[0], scalar_tensor(0.0)), t[1], t[2]); })},
      {"where_broadcast_condition_scalar_other", {{1, 9}, {4, 9}, {}},
       runs_fast(OpId::where, [](Inputs t) { return where(lt(t[0], scalar_tensor(0.2)), t[1], t[2]); })},
      {"where_transposed_beyond_l2", {{1024, 1024}, {1024, 1024}, {1024, 1}},
       runs_fast(OpId::where, [](Inputs t) { return where(gt(t[0], scalar_tensor(0.0)), t[1].t(), t[2]); })},
      {"masked_fill_causal", {{2, 3, 17, 17}, {17, 17}},
       runs_fast(OpId::masked_fill, [](Inputs t) { return masked_fill(t[0], gt(t[1], scalar_tensor(0.0)), -1e9); })},
      {"masked_fill_transposed_f64", {{11, 6}, {6, 1}},
       runs_fast(OpId::masked_fill, [](Inputs t) { return masked_fill(as_f64(t[0]).t(), lt(t[1], scalar_tensor(0.0)), 2.5); })},
      {"masked_fill_size1", {{1}, {1}}, runs_fast(OpId::masked_fill, [](Inputs t) { return masked_fill(t[0], ge(t[1], scalar_tensor(0.0)), 7.0); })},
      // ---- cumsum
      {"cumsum_last_dim", {{5, 1001}}, runs_fast(OpId::cumsum, [](Inputs t) { return cumsum(t[0], -1); })},
      {"cumsum_dim0", {{300, 7}}, runs_fast(OpId::cumsum, [](Inputs t) { return cumsum(t[0], 0); })},
      {"cumsum_middle_dim_transposed_f64", {{6, 5, 300}},
       runs_fast(OpId::cumsum, [](Inputs t) { return cumsum(as_f64(t[0]).transpose(0, 2), 1); })},
      {"cumsum_size1", {{1}}, runs_fast(OpId::cumsum, [](Inputs t) { return cumsum(t[0], 0); })},
      {"cumsum_beyond_l2", {{1024, 1024}}, runs_fast(OpId::cumsum, [](Inputs t) { return cumsum(t[0], 1); })},
      // ---- sort, argsort, topk (ties stable, NaN largest)
      {"sort_values_ties_nans", {{9, 101}}, runs_fast(OpId::sort, [](Inputs t) { return sort(ties_and_nans(t[0])).first; })},
      {"sort_indices_ties_nans_descending", {{9, 101}},
       runs_fast(OpId::sort, [](Inputs t) { return sort(ties_and_nans(t[0]), -1, true).second; })},
      {"argsort_dim0_transposed", {{40, 33}},
       runs_fast(OpId::sort, [](Inputs t) { return argsort(ties_and_nans(t[0]).t(), 0); })},
      {"sort_size1_f64", {{3, 1}}, runs_fast(OpId::sort, [](Inputs t) { return sort(as_f64(t[0])).first; })},
      {"sort_beyond_l2", {{1024, 1024}}, runs_fast(OpId::sort, [](Inputs t) { return argsort(t[0]); })},
      {"topk_largest_indices", {{16, 1000}},
       runs_fast(OpId::topk, [](Inputs t) { return topk(ties_and_nans(t[0]), 5).second; })},
      {"topk_smallest_values_middle_dim", {{4, 50, 3}},
       runs_fast(OpId::topk, [](Inputs t) { return topk(t[0], 7, 1, false).first; })},
      {"topk_all", {{2, 9}}, runs_fast(OpId::topk, [](Inputs t) { return topk(ties_and_nans(t[0]), 9).second; })},
  };
  // Names that do not begin with their op's name say which ops they test.
  for (ReferenceCase& test_case : cases) {
    if (test_case.name.rfind("embedding_backward", 0) == 0) test_case.ops = {OpId::index_add};
    if (test_case.name.rfind("argsort", 0) == 0) test_case.ops = {OpId::sort};
  }
  return cases;
}

}  // namespace nabla::testing
