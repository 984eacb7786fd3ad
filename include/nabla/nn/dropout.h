#pragma once
// Dropout and Embedding layers.
#include <optional>

#include "nabla/nn/module.h"

namespace nabla::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  double p;

 private:
  Generator* generator_;
};

struct EmbeddingOptions {
  int64_t num_embeddings = 0, embedding_dim = 0;
  std::optional<int64_t> padding_idx;
};

// weight [num_embeddings, embedding_dim] ~ N(0, 1) (the padding row zeroed), as PyTorch.
class Embedding : public Module {
 public:
  using Options = EmbeddingOptions;
  explicit Embedding(const EmbeddingOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& indices) override;

  EmbeddingOptions options;
  Tensor weight;
};

}  // namespace nabla::nn
