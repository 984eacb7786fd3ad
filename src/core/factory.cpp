// Creating tensors. Random draws use Philox: element i of a draw is computed from counter first + i/4
// (or i/2 for two-word values), so the numbers do not depend on threads or chunking.
#include "nabla/factory.h"

#include <cmath>
#include <numeric>

#include "core/element.h"

namespace nabla {
namespace {

Tensor allocate(const Shape& shape, TensorOptions options) {
  for (int64_t size : shape) NABLA_CHECK(size >= 0, "empty: negative size in shape {}", shape_string(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = options.dtype;
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(numel(shape)) * dtype_size(options.dtype), Device::cpu);
  Tensor result(std::move(impl));
  if (options.requires_grad) result.requires_grad_();
  return result;
}

// A value that an integer dtype would truncate is an error naming the factory and the value.
void check_holds(const char* factory, DType dtype, double value) {
  NABLA_CHECK(holds_value(dtype, value), "{}: value {} does not fit dtype {} without truncation; use a floating "
              "dtype, or round first", factory, value, dtype_name(dtype));
}

template <typename Fill>
Tensor generate(const char* factory, const Shape& shape, TensorOptions options, Fill fill) {
  bool wants_grad = options.requires_grad;
  options.requires_grad = false;
  Tensor result = allocate(shape, options);
  void* data = result.raw_data();
  int64_t count = result.numel();
  const bool integer = is_integral(options.dtype) && options.dtype != DType::boolean;
  for (int64_t i = 0; i < count; ++i) {
    const double value = fill(i);
    if (integer) check_holds(factory, options.dtype, value);
    store_double(options.dtype, data, i, value);
  }
  if (wants_grad) result.requires_grad_();
  return result;
}

}  // namespace

Tensor empty(const Shape& shape, TensorOptions options) { return allocate(shape, options); }
Tensor zeros(const Shape& shape, TensorOptions options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1.0, options); }

Tensor full(const Shape& shape, double value, TensorOptions options) {
  check_holds("full", options.dtype, value);
  bool wants_grad = options.requires_grad;
  options.requires_grad = false;
  Tensor result = allocate(shape, options);
  if (value == 0.0) {
    std::memset(result.raw_data(), 0, static_cast<size_t>(result.numel()) * dtype_size(options.dtype));
  } else {
    void* data = result.raw_data();
    for (int64_t i = 0, n = result.numel(); i < n; ++i) store_double(options.dtype, data, i, value);
  }
  if (wants_grad) result.requires_grad_();
  return result;
}

Tensor zeros_like(const Tensor& like) { return zeros(like.shape(), {.dtype = like.dtype()}); }
Tensor ones_like(const Tensor& like) { return ones(like.shape(), {.dtype = like.dtype()}); }
Tensor full_like(const Tensor& like, double value) { return full(like.shape(), value, {.dtype = like.dtype()}); }

Tensor arange(double end, TensorOptions options) { return arange(0, end, 1, options); }
Tensor arange(double end) { return arange(0, end, 1); }
Tensor arange(double start, double end, double step) {
  auto integral = [](double value) { return value == std::trunc(value); };
  DType dtype = integral(start) && integral(end) && integral(step) ? DType::i64 : DType::f32;
  return arange(start, end, step, {.dtype = dtype});
}

Tensor arange(double start, double end, double step, TensorOptions options) {
  NABLA_CHECK(step != 0 && std::isfinite(step), "arange: step must be finite and non-zero, got {}", step);
  NABLA_CHECK((end - start) / step >= 0, "arange: the range [{}, {}) with step {} is empty in the wrong direction",
              start, end, step);
  auto count = static_cast<int64_t>(std::ceil((end - start) / step));
  return generate("arange", {count}, options, [&](int64_t i) { return start + static_cast<double>(i) * step; });
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  NABLA_CHECK(steps >= 0, "linspace: steps must be non-negative, got {}", steps);
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0;
  // Like PyTorch, the second half counts back from `end` so both ends are exact.
  return generate("linspace", {steps}, options, [&](int64_t i) {
    return i < steps / 2 ? start + step * static_cast<double>(i) : end - step * static_cast<double>(steps - 1 - i);
  });
}

Tensor eye(int64_t n, TensorOptions options) {
  NABLA_CHECK(n >= 0, "eye: n must be non-negative, got {}", n);
  return generate("eye", {n, n}, options, [&](int64_t i) { return i / n == i % n ? 1.0 : 0.0; });
}

Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  NABLA_CHECK(is_floating(options.dtype), "rand: dtype must be floating point, got {}", dtype_name(options.dtype));
  Generator& g = generator ? *generator : default_generator();
  uint64_t count = static_cast<uint64_t>(numel(shape));
  uint64_t seed = g.seed();
  if (options.dtype == DType::f64) {
    uint64_t first = g.reserve((count + 1) / 2);
    return generate("rand", shape, options, [&](int64_t i) {
      auto block = philox(seed, first + static_cast<uint64_t>(i) / 2);
      int lane = static_cast<int>(i % 2) * 2;
      return uniform_double(block[lane], block[lane + 1]);
    });
  }
  uint64_t first = g.reserve((count + 3) / 4);
  return generate("rand", shape, options, [&](int64_t i) {
    auto block = philox(seed, first + static_cast<uint64_t>(i) / 4);
    return static_cast<double>(uniform_float(block[i % 4]));
  });
}

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  NABLA_CHECK(is_floating(options.dtype), "randn: dtype must be floating point, got {}", dtype_name(options.dtype));
  Generator& g = generator ? *generator : default_generator();
  uint64_t count = static_cast<uint64_t>(numel(shape));
  uint64_t seed = g.seed();
  // Box-Muller on one block: two 53-bit uniforms give two normals (elements 2k and 2k+1).
  uint64_t first = g.reserve((count + 1) / 2);
  return generate("randn", shape, options, [&](int64_t i) {
    auto block = philox(seed, first + static_cast<uint64_t>(i) / 2);
    double u1 = 1.0 - uniform_double(block[0], block[1]);  // (0, 1]: log is finite
    double u2 = uniform_double(block[2], block[3]);
    double radius = std::sqrt(-2.0 * std::log(u1));
    return i % 2 == 0 ? radius * std::cos(2 * M_PI * u2) : radius * std::sin(2 * M_PI * u2);
  });
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options, Generator* generator) {
  NABLA_CHECK(high > low, "randint: high ({}) must be greater than low ({})", high, low);
  Generator& g = generator ? *generator : default_generator();
  uint64_t count = static_cast<uint64_t>(numel(shape));
  uint64_t seed = g.seed();
  uint64_t first = g.reserve((count + 1) / 2);
  auto range = static_cast<uint64_t>(high - low);
  return generate("randint", shape, options, [&](int64_t i) {
    auto block = philox(seed, first + static_cast<uint64_t>(i) / 2);
    int lane = static_cast<int>(i % 2) * 2;
    uint64_t word = (static_cast<uint64_t>(block[lane]) << 32) | block[lane + 1];
    return static_cast<double>(low + static_cast<int64_t>(word % range));  // bias < range / 2^64
  });
}

Tensor randperm(int64_t n, TensorOptions options, Generator* generator) {
  NABLA_CHECK(n >= 0, "randperm: n must be non-negative, got {}", n);
  Generator& g = generator ? *generator : default_generator();
  uint64_t seed = g.seed();
  uint64_t first = g.reserve(static_cast<uint64_t>(n));
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates, one Philox block per swap
    auto block = philox(seed, first + static_cast<uint64_t>(i));
    uint64_t word = (static_cast<uint64_t>(block[0]) << 32) | block[1];
    std::swap(order[static_cast<size_t>(i)], order[word % static_cast<uint64_t>(i + 1)]);
  }
  return generate("randperm", {n}, options, [&](int64_t i) { return static_cast<double>(order[static_cast<size_t>(i)]); });
}

Tensor from_vector(const std::vector<double>& values, const Shape& shape, TensorOptions options) {
  NABLA_CHECK(static_cast<int64_t>(values.size()) == numel(shape),
              "from_vector: {} values do not fill shape {} ({} elements)", values.size(), shape_string(shape),
              numel(shape));
  return generate("from_vector", shape, options, [&](int64_t i) { return values[static_cast<size_t>(i)]; });
}

Tensor tensor(std::initializer_list<double> values, TensorOptions options) {
  return from_vector(std::vector<double>(values), {static_cast<int64_t>(values.size())}, options);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, TensorOptions options) {
  std::vector<double> values;
  size_t columns = rows.size() ? rows.begin()->size() : 0;
  for (const auto& row : rows) {
    NABLA_CHECK(row.size() == columns, "tensor: rows have different lengths ({} and {})", columns, row.size());
    values.insert(values.end(), row.begin(), row.end());
  }
  return from_vector(values, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(columns)}, options);
}

}  // namespace nabla
