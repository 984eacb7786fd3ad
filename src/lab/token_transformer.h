#pragma once
// A small Transformer over token sequences, for the attention experiments (Q40): token embedding, then
// optional positions (learned, sinusoidal or rotary; none), then pre-LN blocks that are bidirectional (an
// encoder) or causal (a decoder), a final LayerNorm and a linear head at every position. The same class with
// `causal` flipped is the encoder and the decoder, so an experiment compares the masks and nothing else.
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "nabla/models/gpt.h"
#include "nabla/nn/attention.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/module.h"
#include "nabla/nn/transformer.h"

namespace nabla::lab {

struct TokenTransformerOptions {
  int64_t vocabulary = 0;  // input and output tokens
  int64_t max_length = 0;  // longest sequence (the learned and sinusoidal tables)
  int64_t d_model = 32;
  int64_t heads = 2;
  int64_t layers = 2;
  models::PositionEncoding positions = models::PositionEncoding::none;
  bool causal = false;
};

class TokenTransformer : public nn::Module {
 public:
  TokenTransformer(const TokenTransformerOptions& options, Generator* generator);
  // ids int64 [B, T] → logits [B, T, vocabulary].
  Tensor forward(const Tensor& ids) override;

  TokenTransformerOptions options;
  std::shared_ptr<nn::Embedding> token_embedding, position_embedding;
  std::shared_ptr<nn::SinusoidalPositionalEncoding> sinusoid;
  std::vector<std::shared_ptr<nn::TransformerBlock>> blocks;
  nn::ModulePtr final_norm;
  std::shared_ptr<nn::Linear> head;
};

// A batch of a task: inputs int64 [B, T] and targets int64 [B, T], -100 where a position is not scored.
using TokenBatch = std::pair<Tensor, Tensor>;

// `steps` AdamW steps (lr, no weight decay) of cross-entropy on batches drawn from `next_batch`; the loss of
// each step.
std::vector<double> train_token_model(nn::Module& model, const std::function<TokenBatch()>& next_batch, int64_t steps,
                                      double lr);
// The share of scored positions (target ≠ -100) whose argmax logit is the target, in eval mode.
double token_accuracy(nn::Module& model, const TokenBatch& batch);

}  // namespace nabla::lab
