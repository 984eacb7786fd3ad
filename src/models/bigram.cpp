// The bigram language model: the baseline every language model must beat, and the test model of the text
// pipeline (`nabla train --model bigram --data …`).
#include "nabla/models/registry.h"
#include "nabla/models/zoo.h"
#include "nabla/nn/dropout.h"

namespace nabla::models {

// An Embedding V×V is exactly a table of next-token logits: row t, looked up for each input token t, is a
// distribution over the next token. Its weight is named "weight", as torch.nn.Embedding's.
nn::ModulePtr bigram(int64_t vocab_size) {
  return std::make_shared<nn::Embedding>(nn::EmbeddingOptions{.num_embeddings = vocab_size, .embedding_dim = vocab_size});
}

// The context T only sets the windows it is trained on: a bigram looks at one token whatever T is.
// Its learning rate is large for AdamW because each row of the table is a lookup that only the batches
// holding its token move: at 1e-2 the logits travel about 0.01 per step, too little for a short run.
std::vector<ModelEntry> bigram_models() {
  constexpr int64_t default_context = 64;
  return {{.name = "bigram",
           .description = "Bigram language model: a vocabulary x vocabulary table of next-token logits (baseline)",
           .input = {.shape = {default_context}, .dataset = "text"},
           .recipe = {.optimizer = "adamw", .lr = 0.1, .weight_decay = 0, .scheduler = "cosine", .epochs = 5,
                      .batch_size = 64},
           .options = {{"context", "tokens per training window (default 64)"}},
           .make = [](const ModelOptions& options) {
             NABLA_CHECK(number_option(options, "bigram", "context", default_context) >= 1,
                         "model 'bigram': option context must be at least 1");
             return bigram(options.classes);
           }}};
}

}  // namespace nabla::models
