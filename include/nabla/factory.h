#pragma once
// Creating tensors: constants, ranges, random numbers (Philox, see nabla/random.h), and C++ data.
#include <initializer_list>
#include <vector>

#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla {

struct TensorOptions {
  DType dtype = DType::f32;
  bool requires_grad = false;
};

Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, double value);
Tensor arange(double end, TensorOptions options = {.dtype = DType::i64});
Tensor arange(double start, double end, double step = 1, TensorOptions options = {.dtype = DType::i64});
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

}  // namespace nabla
