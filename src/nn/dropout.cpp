#include "nabla/nn/dropout.h"

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/init.h"

namespace nabla::nn {

Dropout::Dropout(double p_, Generator* generator) : Module("Dropout"), p(p_), generator_(generator) {
  NABLA_CHECK(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got {}", p);
}

Tensor Dropout::forward(const Tensor& x) { return functional::dropout(x, p, is_training(), generator_); }

Embedding::Embedding(const EmbeddingOptions& options_, Generator* generator) : Module("Embedding"), options(options_) {
  NABLA_CHECK(options.count > 0 && options.dim > 0, "Embedding: count and dim must be positive, got {} and {}",
              options.count, options.dim);
  if (options.padding_idx) {
    int64_t index = *options.padding_idx;
    NABLA_CHECK(index >= -options.count && index < options.count, "Embedding: padding_idx {} is out of range for {} rows",
                index, options.count);
    if (index < 0) options.padding_idx = index + options.count;
  }
  weight = register_parameter("weight", empty({options.count, options.dim}));
  init::normal_(weight, 0, 1, generator);
  if (options.padding_idx) {
    autograd::NoGradGuard no_grad;
    Tensor row = weight.select(0, *options.padding_idx);
    zero_(row);
  }
}

Tensor Embedding::forward(const Tensor& indices) { return functional::embedding(indices, weight, options.padding_idx); }

}  // namespace nabla::nn
