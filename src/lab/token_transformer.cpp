#include "lab/token_transformer.h"

#include "nabla/autograd.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {

TokenTransformer::TokenTransformer(const TokenTransformerOptions& options_, Generator* generator)
    : Module("TokenTransformer"), options(options_) {
  const int64_t E = options.d_model;
  token_embedding = register_module(
      "token_embedding", std::make_shared<nn::Embedding>(nn::EmbeddingOptions{options.vocabulary, E}, generator));
  if (options.positions == models::PositionEncoding::learned) {
    position_embedding = register_module(
        "position_embedding", std::make_shared<nn::Embedding>(nn::EmbeddingOptions{options.max_length, E}, generator));
  } else if (options.positions == models::PositionEncoding::sinusoidal) {
    sinusoid = std::make_shared<nn::SinusoidalPositionalEncoding>(E, options.max_length);
  }
  auto list = register_module("blocks", std::make_shared<nn::ModuleList>());
  for (int64_t layer = 0; layer < options.layers; ++layer) {
    blocks.push_back(std::make_shared<nn::TransformerBlock>(
        nn::TransformerBlockOptions{.embed_dim = E,
                                    .num_heads = options.heads,
                                    .causal = options.causal,
                                    .rotary = options.positions == models::PositionEncoding::rotary},
        generator));
    list->push_back(blocks.back());
  }
  final_norm = register_module("final_norm", nn::make_norm(nn::NormKind::layer_norm, E, 1e-5));
  head = register_module("head", std::make_shared<nn::Linear>(nn::LinearOptions{E, options.vocabulary}, generator));
}

Tensor TokenTransformer::forward(const Tensor& ids) {
  Tensor x = (*token_embedding)(ids);
  if (position_embedding) x = x + (*position_embedding)(arange(0, static_cast<double>(ids.size(1)), 1, DType::i64));
  if (sinusoid) x = sinusoid->forward(x, 0);
  for (const auto& block : blocks) x = (*block)(x);
  return (*head)((*final_norm)(x));
}

std::vector<double> train_token_model(nn::Module& model, const std::function<TokenBatch()>& next_batch, int64_t steps,
                                      double lr) {
  model.train();
  optim::AdamW optimizer(model.parameters(), {.lr = lr, .weight_decay = 0});
  std::vector<double> losses;
  losses.reserve(static_cast<size_t>(steps));
  for (int64_t step = 0; step < steps; ++step) {
    const auto [inputs, targets] = next_batch();
    const Tensor logits = model(inputs);
    const Tensor loss = cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item());
  }
  model.eval();
  return losses;
}

double token_accuracy(nn::Module& model, const TokenBatch& batch) {
  model.eval();
  autograd::NoGradGuard no_grad;
  const auto& [inputs, targets] = batch;
  const Tensor predicted = argmax(model(inputs), -1);
  const Tensor scored = ne(targets, full_like(targets, -100));
  const double hits = logical_and(eq(predicted, targets), scored).sum().item();
  return hits / scored.sum().item();
}

}  // namespace nabla::lab
