#pragma once
// Creating tensors: constants, ranges, random numbers (Philox, see nabla/random.h), and C++ data.
#include <initializer_list>
#include <vector>

#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla {

// Options of a new tensor, written with designated initializers: zeros({4}, {.dtype = DType::i64,
// .requires_grad = true}). Every factory also takes a bare DType, as LibTorch's TensorOptions converts from
// one: zeros({4}, DType::i64).
struct TensorOptions {
  DType dtype = DType::f32;
  bool requires_grad = false;
};

Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
// An integer dtype takes integral values only: full({2}, 1.5, DType::i64) is an error, never [1, 1].
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, double value);
// Without options the dtype follows the arguments, as PyTorch's: int64 when start, end and step are all
// integral, float32 otherwise (arange(0, 1, 0.1) is ten floats). With an integer dtype every value must be
// integral.
Tensor arange(double end);
Tensor arange(double start, double end, double step = 1);
Tensor arange(double end, TensorOptions options);
Tensor arange(double start, double end, double step, TensorOptions options);
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});

// Random tensors draw from `generator`, or from the default one (seeded by manual_seed).
Tensor rand(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);   // U[0, 1)
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);  // N(0, 1)
Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options = {.dtype = DType::i64},
               Generator* generator = nullptr);  // [low, high)
Tensor randperm(int64_t n, TensorOptions options = {.dtype = DType::i64}, Generator* generator = nullptr);

// From C++ data: values are converted to `options.dtype`; the shape's element count must match.
Tensor from_vector(const std::vector<double>& values, const Shape& shape, TensorOptions options = {});
Tensor tensor(std::initializer_list<double> values, TensorOptions options = {});
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, TensorOptions options = {});

// ---- the same with a bare DType
inline Tensor empty(const Shape& shape, DType dtype) { return empty(shape, TensorOptions{.dtype = dtype}); }
inline Tensor zeros(const Shape& shape, DType dtype) { return zeros(shape, TensorOptions{.dtype = dtype}); }
inline Tensor ones(const Shape& shape, DType dtype) { return ones(shape, TensorOptions{.dtype = dtype}); }
inline Tensor full(const Shape& shape, double value, DType dtype) { return full(shape, value, TensorOptions{.dtype = dtype}); }
inline Tensor arange(double end, DType dtype) { return arange(end, TensorOptions{.dtype = dtype}); }
inline Tensor arange(double start, double end, double step, DType dtype) {
  return arange(start, end, step, TensorOptions{.dtype = dtype});
}
inline Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  return linspace(start, end, steps, TensorOptions{.dtype = dtype});
}
inline Tensor eye(int64_t n, DType dtype) { return eye(n, TensorOptions{.dtype = dtype}); }
inline Tensor rand(const Shape& shape, DType dtype, Generator* generator = nullptr) {
  return rand(shape, TensorOptions{.dtype = dtype}, generator);
}
inline Tensor randn(const Shape& shape, DType dtype, Generator* generator = nullptr) {
  return randn(shape, TensorOptions{.dtype = dtype}, generator);
}
inline Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* generator = nullptr) {
  return randint(low, high, shape, TensorOptions{.dtype = dtype}, generator);
}
inline Tensor randperm(int64_t n, DType dtype, Generator* generator = nullptr) {
  return randperm(n, TensorOptions{.dtype = dtype}, generator);
}
inline Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
  return from_vector(values, shape, TensorOptions{.dtype = dtype});
}
inline Tensor tensor(std::initializer_list<double> values, DType dtype) {
  return tensor(values, TensorOptions{.dtype = dtype});
}
inline Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype) {
  return tensor(rows, TensorOptions{.dtype = dtype});
}

}  // namespace nabla
