#pragma once
// Element types, their sizes and names, and PyTorch's type-promotion rules.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace nabla {

enum class DType : uint8_t { f32, f64, bf16, f16, i64, i32, u8, boolean };
inline constexpr int dtype_count = 8;

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);  // "float32", "int64", … (PyTorch's spelling)
bool is_floating(DType dtype);
bool is_integral(DType dtype);  // integers and bool

// Whether storing `value` in `dtype` keeps it: integer types take integral values in their range; floating
// types and bool take any value (bool stores value ≠ 0). Fills and factories refuse what this refuses, so
// that nothing truncates 2.5 to 2 silently (an explicit cast still truncates, as PyTorch).
bool holds_value(DType dtype, double value);

// promote_types(a, b): the smallest type both convert to without losing category (PyTorch's table).
DType promote_types(DType a, DType b);

// bfloat16 and float16 are storage types: kernels load them into float and round back on store.
struct bfloat16 {
  uint16_t bits = 0;
  bfloat16() = default;
  explicit bfloat16(float value);
  operator float() const;
};

struct float16 {
  uint16_t bits = 0;
  float16() = default;
  explicit float16(float value);
  operator float() const;
};

}  // namespace nabla
