// Random ops: bernoulli, multinomial and dropout. Each is a pure function of its attributes: the public
// function reserves Philox counter blocks from the generator and passes (seed, offset) in RandomAttrs,
// so a call can be replayed exactly and its numbers do not depend on strides or thread counts.
// Element i of a draw (row-major over the logical shape) uses the 53-bit uniform made of lanes
// (2·(i mod 2), 2·(i mod 2) + 1) of block philox(seed, offset + i / 2).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/element.h"
#include "nabla/ops.h"
#include "ops/iterate.h"
#include "ops/kernel_rules.h"
#include "ops/op.h"

namespace nabla::ops {
namespace {

uint64_t blocks_for(int64_t uniforms) { return (static_cast<uint64_t>(uniforms) + 1) / 2; }

// Visits the elements of `x` in row-major order: body(position, value).
template <typename Body>
void for_each_value(const Tensor& x, Body&& body) {
  const void* base = x.storage()->data();
  int64_t position = 0;
  for_each_offset<1>(x.shape(), {x.strides()}, {x.offset()},
                     [&](const std::array<int64_t, 1>& offset) { body(position++, load_double(x.dtype(), base, offset[0])); });
}

// Rows of multinomial's probabilities: [C] is one row.
struct Categories {
  int64_t rows, classes;
};
Categories categories(const Tensor& probabilities) {
  const bool batched = probabilities.dim() == 2;
  return {batched ? probabilities.shape()[0] : 1, probabilities.shape().back()};
}

// Reads every row (validated) before anything is written: errors name the bad value and where it is.
std::vector<double> read_probabilities(const Tensor& probabilities) {
  std::vector<double> values(static_cast<size_t>(probabilities.numel()));
  for_each_value(probabilities, [&](int64_t position, double value) {
    NABLA_CHECK(std::isfinite(value) && value >= 0,
                "multinomial: probabilities must be finite and non-negative, got {} at position {} of {}", value,
                position, probabilities.describe());
    values[static_cast<size_t>(position)] = value;
  });
  const Categories layout = categories(probabilities);
  for (int64_t row = 0; row < layout.rows; ++row) {
    const double* first = values.data() + row * layout.classes;
    NABLA_CHECK(std::accumulate(first, first + layout.classes, 0.0) > 0,
                "multinomial: row {} of {} sums to 0; at least one category needs a positive probability", row,
                probabilities.describe());
  }
  return values;
}

// Inverse-CDF sampling: the first category whose cumulative weight exceeds u·total.
void sample_with_replacement(const std::vector<double>& weights, const Categories& layout, const RandomAttrs& attrs,
                             int64_t* out) {
  std::vector<double> cumulative(static_cast<size_t>(layout.classes));
  for (int64_t row = 0; row < layout.rows; ++row) {
    const double* first = weights.data() + row * layout.classes;
    std::partial_sum(first, first + layout.classes, cumulative.begin());
    const double total = cumulative.back();
    int64_t last_positive = layout.classes - 1;
    while (first[last_positive] == 0) --last_positive;
    for (int64_t j = 0; j < attrs.samples; ++j) {
      const double target = random_uniform(attrs, static_cast<uint64_t>(row * attrs.samples + j)) * total;
      auto found = std::upper_bound(cumulative.begin(), cumulative.end(), target);
      // u·total may round up to total itself: the last category with weight then takes it.
      int64_t category = std::min<int64_t>(found - cumulative.begin(), last_positive);
      out[row * attrs.samples + j] = category;
    }
  }
}

// Without replacement, by exponential races: category c finishes at E_c / p_c (E_c ~ Exp(1)); the first
// `samples` to finish are distributed as successive draws that each renormalise over the rest.
// Zero-probability categories come last, in index order (as PyTorch returns them when it runs out).
void sample_without_replacement(const std::vector<double>& weights, const Categories& layout,
                                const RandomAttrs& attrs, int64_t* out) {
  std::vector<double> keys(static_cast<size_t>(layout.classes));
  std::vector<int64_t> order(static_cast<size_t>(layout.classes));
  for (int64_t row = 0; row < layout.rows; ++row) {
    for (int64_t c = 0; c < layout.classes; ++c) {
      const double weight = weights[static_cast<size_t>(row * layout.classes + c)];
      const double race = -std::log1p(-random_uniform(attrs, static_cast<uint64_t>(row * layout.classes + c)));
      keys[static_cast<size_t>(c)] = weight > 0 ? weight / race : -1.0;
    }
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + attrs.samples, order.end(), [&](int64_t a, int64_t b) {
      const double key_a = keys[static_cast<size_t>(a)], key_b = keys[static_cast<size_t>(b)];
      return key_a > key_b || (key_a == key_b && a < b);
    });
    std::copy(order.begin(), order.begin() + attrs.samples, out + row * attrs.samples);
  }
}

}  // namespace

// The i-th uniform in [0, 1) of the stream that starts at counter `offset`.
double random_uniform(const RandomAttrs& attrs, uint64_t i) {
  const std::array<uint32_t, 4> block = philox(attrs.seed, attrs.offset + i / 2);
  const int lane = static_cast<int>(i % 2) * 2;
  return uniform_double(block[lane], block[lane + 1]);
}

double dropout_scale(double p) { return p < 1 ? 1.0 / (1.0 - p) : 0.0; }

void check_bernoulli_probabilities(const Tensor& p) {
  for_each_value(p, [&](int64_t position, double value) {
    NABLA_CHECK(value >= 0 && value <= 1, "bernoulli: probability {} at position {} of {} is outside [0, 1]", value,
                position, p.describe());
  });
}

RandomAttrs draw(Generator* generator, int64_t uniforms) {
  Generator& source = generator ? *generator : default_generator();
  RandomAttrs attrs;
  attrs.seed = source.seed();
  attrs.offset = source.reserve(blocks_for(uniforms));
  return attrs;
}

// bernoulli: p [...] (floating, values in [0, 1]) → same shape and dtype, 1 with probability p, else 0.
std::vector<OutputSpec> shape_bernoulli(const OpCall& call) {
  const Tensor& p = call.inputs[0];
  NABLA_CHECK(is_floating(p.dtype()), "bernoulli: probabilities must be floating point, got {}; convert with .to(DType::f32)",
              p.describe());
  return {{p.shape(), p.dtype()}};
}
void reference_bernoulli(const KernelCall& call) {
  const Tensor& p = call.inputs[0];
  const Tensor& out = call.outputs[0];
  const auto& attrs = std::get<RandomAttrs>(call.attrs);
  check_bernoulli_probabilities(p);
  for_each_value(p, [&](int64_t position, double value) {
    const bool success = random_uniform(attrs, static_cast<uint64_t>(position)) < value;
    store_double(out.dtype(), out.raw_data(), position, success ? 1.0 : 0.0);
  });
}
NABLA_NO_BACKWARD(bernoulli)

// multinomial: probabilities [C] or [N, C] (non-negative, any positive sum) → int64 [samples] or
// [N, samples], category indices. Without replacement the indices of a row are distinct.
std::vector<OutputSpec> shape_multinomial(const OpCall& call) {
  const Tensor& p = call.inputs[0];
  const auto& attrs = std::get<RandomAttrs>(call.attrs);
  NABLA_CHECK(is_floating(p.dtype()), "multinomial: probabilities must be floating point, got {}", p.describe());
  NABLA_CHECK(p.dim() == 1 || p.dim() == 2, "multinomial: probabilities must be [C] or [N, C], got {}", p.describe());
  NABLA_CHECK(p.shape().back() > 0, "multinomial: probabilities {} have no categories", p.describe());
  NABLA_CHECK(attrs.samples > 0, "multinomial: the number of samples must be positive, got {} (probabilities {})",
              attrs.samples, p.describe());
  NABLA_CHECK(attrs.replacement || attrs.samples <= p.shape().back(),
              "multinomial: can't draw {} samples without replacement from {} categories (probabilities {}); "
              "pass replacement = true or draw fewer", attrs.samples, p.shape().back(), p.describe());
  Shape shape = p.dim() == 2 ? Shape{p.shape()[0], attrs.samples} : Shape{attrs.samples};
  return {{shape, DType::i64}};
}
void reference_multinomial(const KernelCall& call) {
  const Tensor& p = call.inputs[0];
  const auto& attrs = std::get<RandomAttrs>(call.attrs);
  const std::vector<double> weights = read_probabilities(p);
  auto* out = static_cast<int64_t*>(call.outputs[0].raw_data());
  if (attrs.replacement) sample_with_replacement(weights, categories(p), attrs, out);
  else sample_without_replacement(weights, categories(p), attrs, out);
}
NABLA_NO_BACKWARD(multinomial)

// dropout: x [...] → y [...] (x's dtype), mask [...] (bool, true where kept).
//   Each element is kept with probability 1 − p; y = x · mask / (1 − p).   dx = dy · mask / (1 − p)
std::vector<OutputSpec> shape_dropout(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const double p = std::get<RandomAttrs>(call.attrs).p;
  NABLA_CHECK(is_floating(x.dtype()), "dropout: input must be floating point, got {}", x.describe());
  NABLA_CHECK(p >= 0 && p <= 1, "dropout: probability has to be between 0 and 1, got {} (input {})", p, x.describe());
  return {{x.shape(), x.dtype()}, {x.shape(), DType::boolean}};
}
void reference_dropout(const KernelCall& call) {
  const Tensor& x = call.inputs[0];
  const Tensor& out = call.outputs[0];
  auto* mask = static_cast<uint8_t*>(call.outputs[1].raw_data());
  const auto& attrs = std::get<RandomAttrs>(call.attrs);
  const double scale = dropout_scale(attrs.p);
  for_each_value(x, [&](int64_t position, double value) {
    const bool kept = random_uniform(attrs, static_cast<uint64_t>(position)) >= attrs.p;
    mask[position] = kept ? 1 : 0;
    // Multiplied, not assigned, so a dropped NaN stays NaN (as PyTorch's x · noise).
    store_double(out.dtype(), out.raw_data(), position, value * (kept ? scale : 0.0));
  });
}
std::vector<Tensor> backward_dropout(const BackwardCall& call) {
  const double scale = dropout_scale(std::get<RandomAttrs>(call.attrs).p);
  return {call.grads[0] * call.outputs[1] * scale};
}

}  // namespace nabla::ops

namespace nabla {
using ops::call, ops::call1, ops::OpId;

Tensor bernoulli(const Tensor& probabilities, Generator* generator) {
  ops::RandomAttrs attrs = ops::draw(generator, probabilities.numel());
  return call1(OpId::bernoulli, {probabilities}, attrs);
}

Tensor multinomial(const Tensor& probabilities, int64_t samples, bool replacement, Generator* generator) {
  const int64_t rows = probabilities.dim() == 2 ? probabilities.shape()[0] : 1;
  const int64_t classes = probabilities.dim() > 0 ? probabilities.shape().back() : 0;
  ops::RandomAttrs attrs = ops::draw(generator, std::max<int64_t>(0, rows * (replacement ? samples : classes)));
  attrs.samples = samples;
  attrs.replacement = replacement;
  return call1(OpId::multinomial, {probabilities}, attrs);
}

}  // namespace nabla
