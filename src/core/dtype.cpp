#include "nabla/dtype.h"

#include <bit>
#include <cmath>

#include "nabla/error.h"

namespace nabla {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f64: case DType::i64: return 8;
    case DType::f32: case DType::i32: return 4;
    case DType::bf16: case DType::f16: return 2;
    case DType::u8: case DType::boolean: return 1;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::bf16: return "bfloat16";
    case DType::f16: return "float16";
    case DType::i64: return "int64";
    case DType::i32: return "int32";
    case DType::u8: return "uint8";
    case DType::boolean: return "bool";
  }
  return "?";
}

bool is_floating(DType dtype) {
  return dtype == DType::f32 || dtype == DType::f64 || dtype == DType::bf16 || dtype == DType::f16;
}
bool is_integral(DType dtype) { return !is_floating(dtype); }

bool holds_value(DType dtype, double value) {
  switch (dtype) {
    case DType::i64: return value == std::trunc(value) && value >= -0x1p63 && value < 0x1p63;
    case DType::i32: return value == std::trunc(value) && value >= -0x1p31 && value < 0x1p31;
    case DType::u8: return value == std::trunc(value) && value >= 0 && value < 256;
    default: return true;
  }
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::boolean) return b;
  if (b == DType::boolean) return a;
  bool a_float = is_floating(a), b_float = is_floating(b);
  if (a_float != b_float) return a_float ? a : b;  // float wins over any integer
  if (a_float) {
    // bf16 and f16 meet in f32; otherwise the wider wins.
    auto rank = [](DType d) { return d == DType::f64 ? 3 : d == DType::f32 ? 2 : 1; };
    if (rank(a) == 1 && rank(b) == 1) return DType::f32;
    return rank(a) >= rank(b) ? a : b;
  }
  auto rank = [](DType d) { return d == DType::i64 ? 3 : d == DType::i32 ? 2 : 1; };
  return rank(a) >= rank(b) ? a : b;
}

// bfloat16: the top 16 bits of a float, rounded to nearest even; NaN stays NaN.
bfloat16::bfloat16(float value) {
  uint32_t bits32 = std::bit_cast<uint32_t>(value);
  if ((bits32 & 0x7fffffffu) > 0x7f800000u) {
    bits = static_cast<uint16_t>((bits32 >> 16) | 0x40);
    return;
  }
  uint32_t rounding = 0x7fffu + ((bits32 >> 16) & 1u);
  bits = static_cast<uint16_t>((bits32 + rounding) >> 16);
}
bfloat16::operator float() const { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

// float16 (IEEE binary16) by hand, round to nearest even, with subnormals, infinities and NaN.
float16::float16(float value) {
  uint32_t x = std::bit_cast<uint32_t>(value);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t magnitude = x & 0x7fffffffu;
  if (magnitude > 0x7f800000u) { bits = static_cast<uint16_t>(sign | 0x7e00u); return; }
  if (magnitude >= 0x477ff000u) { bits = static_cast<uint16_t>(sign | 0x7c00u); return; }  // overflow to inf
  if (magnitude < 0x38800000u) {  // subnormal or zero in half
    float scaled = std::bit_cast<float>(magnitude) * 16777216.0f;  // 2^24: half subnormal unit is 2^-24
    uint32_t integer = static_cast<uint32_t>(scaled);
    float remainder = scaled - static_cast<float>(integer);
    if (remainder > 0.5f || (remainder == 0.5f && (integer & 1u))) ++integer;
    bits = static_cast<uint16_t>(sign | integer);
    return;
  }
  uint32_t exponent = (magnitude >> 23) - 127 + 15;
  uint32_t mantissa = magnitude & 0x7fffffu;
  uint32_t half = (exponent << 10) | (mantissa >> 13);
  uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into the exponent: still right
  bits = static_cast<uint16_t>(sign | half);
}
float16::operator float() const {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    float value = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return sign ? -value : value;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

}  // namespace nabla
