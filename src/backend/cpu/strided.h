#pragma once
// The general loop of the fast two-operand elementwise kernels (strided_binary.cpp, strided_compare.cpp):
// out[i] = op(a[i], b[i]) over any broadcasting and any strides. Dims are first collapsed where every
// operand allows it, so a broadcast bias or a column vector still leaves a long innermost run; the output
// is then walked in row-major order, one innermost row at a time, each thread taking a fixed block of rows
// (or a piece of a long row) and carrying an N-d index through it. The innermost row is a tight loop the compiler vectorises when the
// output and the operands step by one element (or an operand repeats one value); any other strides take a
// plain strided loop; when an operand is read across its rows (transposed), the two innermost dims are
// walked in tiles instead. Each element is computed once from its own inputs, so the result does not
// depend on the thread count.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "backend/cpu/fast.h"
#include "ops/iterate.h"

namespace nabla::cpu {

// The output and two operands seen as one collapsed shape; strides in elements (0 where an operand
// broadcasts). Index 0 is the output.
struct StridedLayout {
  Shape shape;
  std::array<Shape, 3> strides;
};

// `a` and `b` broadcast to `out`'s shape, size-1 dims dropped and neighbouring dims merged where all three
// operands step through them as through one dim.
inline StridedLayout collapse(const Tensor& out, const Tensor& a, const Tensor& b) {
  const std::array<Shape, 3> full{out.strides(), ops::broadcast_strides(a, out.shape()),
                                  ops::broadcast_strides(b, out.shape())};
  StridedLayout layout;
  for (size_t d = 0; d < out.shape().size(); ++d) {
    const int64_t size = out.shape()[d];
    if (size == 1) continue;
    if (!layout.shape.empty()) {
      bool merges = true;
      for (size_t k = 0; k < 3; ++k) merges = merges && layout.strides[k].back() == full[k][d] * size;
      if (merges) {
        layout.shape.back() *= size;
        for (size_t k = 0; k < 3; ++k) layout.strides[k].back() = full[k][d];
        continue;
      }
    }
    layout.shape.push_back(size);
    for (size_t k = 0; k < 3; ++k) layout.strides[k].push_back(full[k][d]);
  }
  if (layout.shape.empty()) {  // one element
    layout.shape.push_back(1);
    for (auto& s : layout.strides) s.push_back(0);
  }
  return layout;
}

// y[k · step_y] = Y(op(C(a[k · step_a]), C(b[k · step_b]))) for k < count. The common cases (output and
// operands consecutive, or one operand one repeated value) are loops of their own, which the compiler
// vectorises; the rest is a strided loop.
template <typename C, typename Y, typename A, typename B, typename Op>
void strided_row(Y* y, const A* a, const B* b, int64_t count, int64_t step_y, int64_t step_a, int64_t step_b, Op op) {
  if (step_y == 1) {
    if (step_a == 1 && step_b == 1) {
#pragma omp simd
      for (int64_t k = 0; k < count; ++k) y[k] = static_cast<Y>(op(static_cast<C>(a[k]), static_cast<C>(b[k])));
      return;
    }
    if (step_a == 1 && step_b == 0) {
      const C value = static_cast<C>(*b);
#pragma omp simd
      for (int64_t k = 0; k < count; ++k) y[k] = static_cast<Y>(op(static_cast<C>(a[k]), value));
      return;
    }
    if (step_a == 0 && step_b == 1) {
      const C value = static_cast<C>(*a);
#pragma omp simd
      for (int64_t k = 0; k < count; ++k) y[k] = static_cast<Y>(op(value, static_cast<C>(b[k])));
      return;
    }
  }
  for (int64_t k = 0; k < count; ++k) {
    y[k * step_y] = static_cast<Y>(op(static_cast<C>(a[k * step_a]), static_cast<C>(b[k * step_b])));
  }
}

// Whether an operand steps through the innermost dim by more than one element (a transposed view) while
// the output is consecutive: such an operand is read column by column, a cache line per element, unless
// the walk is cut into tiles.
inline bool reads_across(const StridedLayout& layout) {
  if (layout.shape.size() < 2 || layout.strides[0].back() != 1) return false;
  for (size_t k = 1; k < 3; ++k) {
    const int64_t step = layout.strides[k].back();
    if (step != 0 && step != 1) return true;
  }
  return false;
}

// strided_apply for reads_across: the two innermost dims [rows, columns] are walked in square tiles, so the
// cache lines of a transposed operand that one row of a tile touches serve the tile's next rows too. Tiles
// run in parallel; the outer dims' offsets are found per tile.
template <typename C, typename Y, typename A, typename B, typename Op>
void tiled_apply(const StridedLayout& layout, Y* y, const A* a, const B* b, Op op) {
  constexpr int64_t tile = 64;
  const auto rank = static_cast<int64_t>(layout.shape.size());
  const int64_t rows = layout.shape[rank - 2], columns = layout.shape[rank - 1];
  const int64_t row_tiles = (rows + tile - 1) / tile, column_tiles = (columns + tile - 1) / tile;
  const int64_t tiles_per_matrix = row_tiles * column_tiles;
  const int64_t tasks = numel(layout.shape) / (rows * columns) * tiles_per_matrix;
  const auto& sy = layout.strides[0];
  const auto& sa = layout.strides[1];
  const auto& sb = layout.strides[2];
#pragma omp parallel for schedule(static) if (numel(layout.shape) >= parallel_threshold && tasks > 1)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t local = task % tiles_per_matrix;
    const int64_t first_row = local / column_tiles * tile, first_column = local % column_tiles * tile;
    std::array<int64_t, 3> offset{first_row * sy[rank - 2] + first_column * sy[rank - 1],
                                  first_row * sa[rank - 2] + first_column * sa[rank - 1],
                                  first_row * sb[rank - 2] + first_column * sb[rank - 1]};
    for (int64_t d = rank - 3, rest = task / tiles_per_matrix; d >= 0; --d) {
      const int64_t i = rest % layout.shape[d];
      rest /= layout.shape[d];
      offset[0] += i * sy[d], offset[1] += i * sa[d], offset[2] += i * sb[d];
    }
    const int64_t height = std::min(tile, rows - first_row), width = std::min(tile, columns - first_column);
    for (int64_t r = 0; r < height; ++r) {
      strided_row<C>(y + offset[0] + r * sy[rank - 2], a + offset[1] + r * sa[rank - 2],
                     b + offset[2] + r * sb[rank - 2], width, sy.back(), sa.back(), sb.back(), op);
    }
  }
}

// Runs strided_row over every innermost row of `layout`; y, a and b point at each operand's first element.
template <typename C, typename Y, typename A, typename B, typename Op>
void strided_apply(const StridedLayout& layout, Y* y, const A* a, const B* b, Op op) {
  if (reads_across(layout)) {
    tiled_apply<C>(layout, y, a, b, op);
    return;
  }
  const auto rank = static_cast<int64_t>(layout.shape.size());
  const int64_t inner = layout.shape.back();
  const int64_t rows = numel(layout.shape) / inner;
  const auto& sy = layout.strides[0];
  const auto& sa = layout.strides[1];
  const auto& sb = layout.strides[2];
  constexpr int64_t piece = 16384;  // elements per parallel task, fixed by the shape alone
  if (inner > piece) {
    // Long rows (a tensor and one value collapse to a single row): each row is cut into pieces.
    const int64_t pieces_per_row = (inner + piece - 1) / piece;
#pragma omp parallel for schedule(static) if (rows * inner >= parallel_threshold)
    for (int64_t task = 0; task < rows * pieces_per_row; ++task) {
      const int64_t begin = task % pieces_per_row * piece, count = std::min(piece, inner - begin);
      std::array<int64_t, 3> offset{begin * sy.back(), begin * sa.back(), begin * sb.back()};
      for (int64_t d = rank - 2, rest = task / pieces_per_row; d >= 0; --d) {
        const int64_t i = rest % layout.shape[d];
        rest /= layout.shape[d];
        offset[0] += i * sy[d], offset[1] += i * sa[d], offset[2] += i * sb[d];
      }
      strided_row<C>(y + offset[0], a + offset[1], b + offset[2], count, sy.back(), sa.back(), sb.back(), op);
    }
    return;
  }
  // Short rows: blocks of rows of about a piece, each carrying its N-d index from row to row.
  const int64_t rows_per_block = std::max<int64_t>(1, piece / inner);
  const int64_t blocks = (rows + rows_per_block - 1) / rows_per_block;
#pragma omp parallel for schedule(static) if (rows * inner >= parallel_threshold && blocks > 1)
  for (int64_t block = 0; block < blocks; ++block) {
    const int64_t first = block * rows_per_block, last = std::min(rows, first + rows_per_block);
    // The N-d index of row `first` (the outer dims, innermost last) and its offsets.
    std::array<int64_t, 16> index{};
    std::array<int64_t, 3> offset{};
    for (int64_t d = rank - 2, rest = first; d >= 0; --d) {
      index[static_cast<size_t>(d)] = rest % layout.shape[d];
      rest /= layout.shape[d];
      offset[0] += index[static_cast<size_t>(d)] * sy[d];
      offset[1] += index[static_cast<size_t>(d)] * sa[d];
      offset[2] += index[static_cast<size_t>(d)] * sb[d];
    }
    for (int64_t row = first; row < last; ++row) {
      strided_row<C>(y + offset[0], a + offset[1], b + offset[2], inner, sy.back(), sa.back(), sb.back(), op);
      for (int64_t d = rank - 2; d >= 0; --d) {  // the odometer: carry into the outer dims
        auto& i = index[static_cast<size_t>(d)];
        offset[0] += sy[d], offset[1] += sa[d], offset[2] += sb[d];
        if (++i < layout.shape[d]) break;
        const int64_t size = layout.shape[d];
        offset[0] -= sy[d] * size, offset[1] -= sa[d] * size, offset[2] -= sb[d] * size;
        i = 0;
      }
    }
  }
}

// Whether strided_apply can serve these operands: the output may not overlap an operand other than by
// being it element for element (in-place ops), since rows run in parallel; and the collapsed rank fits its
// index.
inline bool strided_fits(const Tensor& out, const Tensor& a, const Tensor& b) {
  if (out.dim() > 16) return false;
  for (const Tensor* operand : {&a, &b}) {
    if (operand->storage() != out.storage()) continue;
    const bool same_elements = operand->offset() == out.offset() && operand->shape() == out.shape() &&
                               operand->strides() == out.strides();
    if (!same_elements) return false;
  }
  // Every output element written once: no stride-0 dims of a size above one in the output.
  for (int64_t d = 0; d < out.dim(); ++d) {
    if (out.shape()[d] > 1 && out.strides()[d] == 0) return false;
  }
  return true;
}

// The general paths that binary.cpp and compare.cpp fall back on (strided_binary.cpp, strided_compare.cpp):
// the kernel, or null where even these decline (dtypes they do not cover).
ops::Kernel strided_binary_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
ops::Kernel strided_compare_fast(ops::OpId op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);

}  // namespace nabla::cpu
