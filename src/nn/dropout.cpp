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
  const int64_t rows = options.num_embeddings;
  NABLA_CHECK(rows > 0 && options.embedding_dim > 0,
              "Embedding: num_embeddings and embedding_dim must be positive, got {} and {}", rows, options.embedding_dim);
  if (options.padding_idx) {
    int64_t index = *options.padding_idx;
    NABLA_CHECK(index >= -rows && index < rows, "Embedding: padding_idx {} is out of range for {} rows", index, rows);
    if (index < 0) options.padding_idx = index + rows;
  }
  weight = register_parameter("weight", empty({rows, options.embedding_dim}));
  init::normal_(weight, 0, 1, generator);
  if (options.padding_idx) {
    autograd::NoGradGuard no_grad;
    Tensor row = weight.select(0, *options.padding_idx);
    zero_(row);
  }
}

Tensor Embedding::forward(const Tensor& indices) { return functional::embedding(indices, weight, options.padding_idx); }

}  // namespace nabla::nn
