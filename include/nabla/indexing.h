#pragma once
// Indexing as LibTorch spells it: x.index({Slice(0, 3), 1, None, Ellipsis}) is Python's x[0:3, 1, None, ...],
// and x.index_put_({mask}, 0.0) is x[mask] = 0. `using namespace nabla::indexing;` brings the names in.
//   integer          selects one position and drops the dim (a view)
//   Slice(a, b, s)   positions a, a+s, … before b, ends optional and clamped as Python's (a view)
//   None             a new dim of size 1 (a view)
//   Ellipsis         as many full slices as the other indices leave dims
//   int64 tensor     gathers positions along one dim (a copy: index_select)
//   bool tensor      keeps the positions where it is true over as many dims as it has (a copy)
// One tensor index per call: PyTorch's rules for several (broadcast together, moved to the front when
// apart) are not implemented and are refused.
#include <cstdint>
#include <optional>
#include <variant>

#include "nabla/tensor.h"

namespace nabla::indexing {

struct NoneIndex {};
struct EllipsisIndex {};
inline constexpr NoneIndex None{};
inline constexpr EllipsisIndex Ellipsis{};

// A slice end: an integer, or None / std::nullopt for "from the start" / "to the end".
struct SliceBound {
  std::optional<int64_t> value;
  SliceBound(int value) : value(value) {}
  SliceBound(int64_t value) : value(value) {}
  SliceBound(NoneIndex) {}
  SliceBound(std::nullopt_t) {}
};

struct Slice {
  std::optional<int64_t> start, stop;
  int64_t step = 1;
  Slice(SliceBound start = None, SliceBound stop = None, int64_t step = 1)
      : start(start.value), stop(stop.value), step(step) {}
};

class TensorIndex {
 public:
  TensorIndex(int index) : index_(static_cast<int64_t>(index)) {}
  TensorIndex(int64_t index) : index_(index) {}
  TensorIndex(Slice slice) : index_(slice) {}
  TensorIndex(NoneIndex none) : index_(none) {}
  TensorIndex(EllipsisIndex ellipsis) : index_(ellipsis) {}
  TensorIndex(Tensor tensor) : index_(std::move(tensor)) {}

  bool is_integer() const { return std::holds_alternative<int64_t>(index_); }
  bool is_slice() const { return std::holds_alternative<Slice>(index_); }
  bool is_none() const { return std::holds_alternative<NoneIndex>(index_); }
  bool is_ellipsis() const { return std::holds_alternative<EllipsisIndex>(index_); }
  bool is_tensor() const { return std::holds_alternative<Tensor>(index_); }
  int64_t integer() const { return std::get<int64_t>(index_); }
  const Slice& slice() const { return std::get<Slice>(index_); }
  const Tensor& tensor() const { return std::get<Tensor>(index_); }

 private:
  std::variant<int64_t, Slice, NoneIndex, EllipsisIndex, Tensor> index_;
};

}  // namespace nabla::indexing
