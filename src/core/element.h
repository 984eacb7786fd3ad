#pragma once
// Reading and writing one element of any dtype as double or int64: what reference kernels are made of.
#include <cstdint>

#include "nabla/dtype.h"

namespace nabla {

inline double load_double(DType dtype, const void* base, int64_t index) {
  switch (dtype) {
    case DType::f32: return static_cast<const float*>(base)[index];
    case DType::f64: return static_cast<const double*>(base)[index];
    case DType::bf16: return static_cast<float>(static_cast<const bfloat16*>(base)[index]);
    case DType::f16: return static_cast<float>(static_cast<const float16*>(base)[index]);
    case DType::i64: return static_cast<double>(static_cast<const int64_t*>(base)[index]);
    case DType::i32: return static_cast<const int32_t*>(base)[index];
    case DType::u8: return static_cast<const uint8_t*>(base)[index];
    case DType::boolean: return static_cast<const uint8_t*>(base)[index] ? 1.0 : 0.0;
  }
  return 0;
}

inline int64_t load_int(DType dtype, const void* base, int64_t index) {
  switch (dtype) {
    case DType::i64: return static_cast<const int64_t*>(base)[index];
    case DType::i32: return static_cast<const int32_t*>(base)[index];
    case DType::u8: return static_cast<const uint8_t*>(base)[index];
    case DType::boolean: return static_cast<const uint8_t*>(base)[index] ? 1 : 0;
    default: return static_cast<int64_t>(load_double(dtype, base, index));
  }
}

inline void store_double(DType dtype, void* base, int64_t index, double value) {
  switch (dtype) {
    case DType::f32: static_cast<float*>(base)[index] = static_cast<float>(value); break;
    case DType::f64: static_cast<double*>(base)[index] = value; break;
    case DType::bf16: static_cast<bfloat16*>(base)[index] = bfloat16(static_cast<float>(value)); break;
    case DType::f16: static_cast<float16*>(base)[index] = float16(static_cast<float>(value)); break;
    case DType::i64: static_cast<int64_t*>(base)[index] = static_cast<int64_t>(value); break;
    case DType::i32: static_cast<int32_t*>(base)[index] = static_cast<int32_t>(value); break;
    case DType::u8: static_cast<uint8_t*>(base)[index] = static_cast<uint8_t>(static_cast<int64_t>(value)); break;
    case DType::boolean: static_cast<uint8_t*>(base)[index] = value != 0; break;
  }
}

inline void store_int(DType dtype, void* base, int64_t index, int64_t value) {
  switch (dtype) {
    case DType::i64: static_cast<int64_t*>(base)[index] = value; break;
    case DType::i32: static_cast<int32_t*>(base)[index] = static_cast<int32_t>(value); break;
    case DType::u8: static_cast<uint8_t*>(base)[index] = static_cast<uint8_t>(value); break;
    case DType::boolean: static_cast<uint8_t*>(base)[index] = value != 0; break;
    default: store_double(dtype, base, index, static_cast<double>(value)); break;
  }
}

}  // namespace nabla
