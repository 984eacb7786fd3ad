// Q42: what Q, K and V mean, seen in a trained lookup model. A memory of n (key, value) pairs — n distinct keys out
// of 16, values out of 16 — and a query key that is one of them; the answer is the value stored with it. Each
// memory slot is embedded as key_embedding[key] + value_embedding[value]; the query as key_embedding[query] +
// a learned "asking" vector. One head of attention (nn::MultiheadAttention, the query attending to the memory)
// then a linear head reading the value: the only way to the answer is through the attention.
// After training, the attention weights are recomputed from the layer's own projections (q = W_q·x + b_q,
// k = W_k·m + b_k, softmax(q·k/√d)) — checked against the layer's output — and compared with what the data says
// they should be: the slot whose key equals the query, known without looking at the model. The product
// (W_q·e_a)·(W_k·e_b) of the query vector for key a with the key vector of key b is drawn for every pair: the
// model has learned Q and K such that it peaks at a = b.
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/attention.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/linear.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

constexpr int64_t key_count = 16, value_count = 16;

class LookupModel : public nn::Module {
 public:
  LookupModel(int64_t width, Generator* generator) : Module("LookupModel") {
    keys = register_module("keys", std::make_shared<nn::Embedding>(nn::EmbeddingOptions{key_count, width}, generator));
    // One more row than there are values: the query slot's "asking" vector.
    values = register_module("values", std::make_shared<nn::Embedding>(nn::EmbeddingOptions{value_count + 1, width}, generator));
    attention = register_module("attention", std::make_shared<nn::MultiheadAttention>(
                                                 nn::MultiheadAttentionOptions{.embed_dim = width, .num_heads = 1}, generator));
    head = register_module("head", std::make_shared<nn::Linear>(nn::LinearOptions{width, value_count}, generator));
  }
  Tensor memory(const Tensor& memory_keys, const Tensor& memory_values) {
    return (*keys)(memory_keys) + (*values)(memory_values);
  }
  Tensor query(const Tensor& query_keys) {
    return ((*keys)(query_keys) + (*values)(full_like(query_keys, static_cast<double>(value_count)))).unsqueeze(1);
  }
  using Module::forward;
  // memory keys and values [B, n], query keys [B] → logits over the values [B, value_count].
  Tensor forward(const Tensor& memory_keys, const Tensor& memory_values, const Tensor& query_keys) {
    const Tensor slots = memory(memory_keys, memory_values);
    return (*head)(attention->forward(query(query_keys), slots, slots).squeeze(1));
  }

  std::shared_ptr<nn::Embedding> keys, values;
  std::shared_ptr<nn::MultiheadAttention> attention;
  std::shared_ptr<nn::Linear> head;
};

struct LookupBatch {
  Tensor memory_keys, memory_values, query_keys, targets, matching_slot;
};

// `answer_first`: the negative test's premise, where the answer is the first slot's value whatever the query.
LookupBatch sample_batch(int64_t batch, int64_t slots, bool answer_first, Generator& generator) {
  std::vector<Tensor> key_rows;
  for (int64_t b = 0; b < batch; ++b) key_rows.push_back(randperm(key_count, DType::i64, &generator).narrow(0, 0, slots));
  LookupBatch out;
  out.memory_keys = stack(key_rows, 0);
  out.memory_values = randint(0, value_count, {batch, slots}, DType::i64, &generator);
  out.matching_slot = randint(0, slots, {batch}, DType::i64, &generator);
  out.query_keys = out.memory_keys.gather(1, out.matching_slot.unsqueeze(1)).squeeze(1);
  const Tensor answer_slot = answer_first ? zeros({batch}, DType::i64) : out.matching_slot;
  out.targets = out.memory_values.gather(1, answer_slot.unsqueeze(1)).squeeze(1);
  return out;
}

// The attention weights of the query over the memory [B, n], from the layer's projections, and the layer's
// output recomputed from them [B, E].
std::pair<Tensor, Tensor> attention_by_hand(LookupModel& model, const Tensor& query, const Tensor& slots) {
  const nn::MultiheadAttention& layer = *model.attention;
  const int64_t width = layer.options.embed_dim;
  auto project = [&](const Tensor& x, int64_t block) {
    return functional::linear(x, layer.in_proj_weight.narrow(0, block * width, width), layer.in_proj_bias.narrow(0, block * width, width));
  };
  const Tensor q = project(query, 0), k = project(slots, 1), v = project(slots, 2);  // [B, 1, E], [B, n, E]
  const Tensor weights = softmax(matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(width)), -1);  // [B, 1, n]
  const Tensor output = (*layer.out_proj)(matmul(weights, v)).squeeze(1);
  return {weights.squeeze(1), output};
}

void run(Context& ctx) {
  const auto slots = static_cast<int64_t>(ctx.parameter("slots", 8));
  NABLA_KNOB_CHECK(slots >= 2 && slots <= key_count, "lab Q42: slots in [2, {}]", key_count);
  const bool answer_first = ctx.parameter("answer_first", 0) != 0;
  const auto steps = static_cast<int64_t>(ctx.parameter("steps", ctx.quick() ? 600 : 3000));
  NABLA_KNOB_CHECK(steps >= 1 && steps <= 100000, "lab Q42: steps in [1, 100000]");
  const int64_t width = 32, batch = 64;
  Generator& generator = ctx.generator();

  LookupModel model(width, &generator);
  optim::AdamW optimizer(model.parameters(), {.lr = 3e-3, .weight_decay = 0});
  plot::Series losses{"training loss", {}, {}};
  for (int64_t step = 0; step < steps; ++step) {
    const LookupBatch data = sample_batch(batch, slots, answer_first, generator);
    const Tensor loss = cross_entropy(model.forward(data.memory_keys, data.memory_values, data.query_keys), data.targets);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    losses.x.push_back(static_cast<double>(step));
    losses.y.push_back(loss.item());
  }
  ctx.line_plot("training_loss.png", {"Lookup: training loss", "step", "cross-entropy (nats)", {losses}});

  autograd::NoGradGuard no_grad;
  model.eval();
  const int64_t test_size = ctx.quick() ? 512 : 4096;
  const LookupBatch test = sample_batch(test_size, slots, answer_first, generator);
  const Tensor logits = model.forward(test.memory_keys, test.memory_values, test.query_keys);
  const double accuracy = eq(argmax(logits, -1), test.targets).to(DType::f64).mean().item();
  const Tensor query = model.query(test.query_keys);
  const Tensor slots_states = model.memory(test.memory_keys, test.memory_values);
  const auto [weights, recomputed] = attention_by_hand(model, query, slots_states);
  const Tensor layer_output = model.attention->forward(query, slots_states, slots_states).squeeze(1);
  const double recompute_error = max(abs(recomputed - layer_output)).item() / max(abs(layer_output)).item();
  // The prediction from the data alone: the slot holding the query's key.
  const double pointing = eq(argmax(weights, -1), test.matching_slot).to(DType::f64).mean().item();
  const double mass = weights.gather(1, test.matching_slot.unsqueeze(1)).mean().item();
  ctx.figure("test accuracy", accuracy);
  ctx.figure("share of queries whose largest weight is on the matching key", pointing);
  ctx.figure("mean weight on the matching key", mass);

  // Attention maps of the first test queries (the matching slot differs from row to row: see the table).
  Grid maps{.x_label = "memory slot", .y_label = "test query (row) — its matching slot is listed in the table",
            .value_label = "attention weight"};
  std::vector<std::vector<std::string>> rows;
  for (int64_t slot = 0; slot < slots; ++slot) maps.x.push_back(static_cast<double>(slot));
  for (int64_t row = 0; row < 12; ++row) {
    maps.y.push_back(static_cast<double>(row));
    maps.values.push_back(weights.select(0, row).to_vector());
    const auto matching = test.matching_slot.select(0, row).item<int64_t>();
    rows.push_back({std::to_string(row), fmt::format("{}", test.query_keys.select(0, row).item<int64_t>()),
                    std::to_string(matching), std::to_string(argmax(weights.select(0, row), 0).item<int64_t>()),
                    fmt::format("{:.3f}", weights.select(0, row).select(0, matching).item())});
  }
  ctx.heatmap("attention_maps.png", "Where each query looks: attention over the memory slots", maps);
  ctx.table("The first test queries", {"query", "query key", "slot holding that key", "slot with the largest weight",
                                       "weight there"},
            rows);

  // Q·K over the key vocabulary: the query vector asking for key a against the key vector of a slot with key b
  // (the value's share of the key vector adds the same to every b, so it is left out).
  const nn::MultiheadAttention& layer = *model.attention;
  const Tensor all_keys = arange(0, static_cast<double>(key_count), 1, DType::i64);
  const Tensor asked = functional::linear(model.query(all_keys).squeeze(1), layer.in_proj_weight.narrow(0, 0, width),
                              layer.in_proj_bias.narrow(0, 0, width));
  const Tensor offered = functional::linear((*model.keys)(all_keys), layer.in_proj_weight.narrow(0, width, width));
  const Tensor match = matmul(asked, offered.transpose(0, 1)) / std::sqrt(static_cast<double>(width));
  const double diagonal_wins = eq(argmax(match, 1), all_keys).to(DType::f64).sum().item();
  Grid match_grid{.x_label = "key b offered by a slot (K)", .y_label = "key a asked for by the query (Q)",
                  .value_label = "q·k / √d"};
  for (int64_t key = 0; key < key_count; ++key) {
    match_grid.x.push_back(static_cast<double>(key));
    match_grid.y.push_back(static_cast<double>(key));
    match_grid.values.push_back(match.select(0, key).to_vector());
  }
  ctx.heatmap("query_key_products.png", "Q asks for key a, K offers key b: their product", match_grid);

  ctx.claim({"the trained model answers the lookup", "학습된 모델이 조회에 답한다"}, accuracy >= 0.95,
            format_text({"test accuracy {:.3f} on {} queries over {} slots (chance {:.3f})",
                         "슬롯 {2}개에 대한 쿼리 {1}개에서 테스트 정확도 {0:.3f} (우연 {3:.3f})"},
                        accuracy, test_size, slots, 1.0 / value_count));
  ctx.claim({"the weights recomputed from W_q, W_k, W_v give the layer's output",
             "W_q, W_k, W_v로 다시 계산한 가중치가 층의 출력을 재현한다"},
            recompute_error < 1e-5,
            format_text({"max |Δ| / max |out| = {:.2g}", "max |Δ| / max |out| = {:.2g}"}, recompute_error));
  ctx.claim({"attention points at the slot whose key answers the query",
             "어텐션은 쿼리에 답하는 키가 있는 슬롯을 가리킨다"},
            pointing >= 0.95 && mass >= 0.7,
            format_text({"the largest weight is on the matching slot for {:.1f}% of the test queries; mean weight there "
                         "{:.3f} (uniform: {:.3f})",
                         "테스트 쿼리의 {:.1f}%에서 가장 큰 가중치가 일치하는 슬롯에 있다; 그곳의 평균 가중치 {:.3f} (균등: {:.3f})"},
                        100 * pointing, mass, 1.0 / static_cast<double>(slots)));
  ctx.claim({"Q and K have learned to match: q(a)·k(b) peaks at b = a for every key",
             "Q와 K가 짝을 배웠다: 모든 키에서 q(a)·k(b)는 b = a에서 가장 크다"},
            diagonal_wins == key_count,
            format_text({"{:.0f} of {} keys", "키 {1}개 중 {0:.0f}개"}, diagonal_wins, key_count));
}

const bool registered = register_experiment({
    .id = "Q42",
    .title = "What Q, K and V mean",
    .question = {"What do the query, key and value of attention mean?", "어텐션의 쿼리, 키, 값은 무엇을 뜻하나요?"},
    .answer = {"They are three learned projections of the tokens, with three jobs. The query is what a position is "
               "looking for, the key is what each position offers to be found by, and the value is what it hands over "
               "once found. The query–key dot products decide where to look (softmax turns them into weights); the "
               "values decide what comes back. Separating them lets a token be found by one property and deliver "
               "another — as in a dictionary lookup, where a trained model's query for key a matches the key vector "
               "of key a, its attention lands on the slot holding it, and that slot's value carries the answer.",
               "토큰을 세 가지로 학습된 투영으로, 각자 역할이 다릅니다. 쿼리는 한 위치가 찾는 것, 키는 각 위치가 찾아지기 위해 "
               "내놓는 것, 값은 찾아졌을 때 넘겨주는 것입니다. 쿼리와 키의 내적이 어디를 볼지 정하고(softmax가 가중치로 바꿈), "
               "값이 무엇을 가져올지 정합니다. 둘을 나누면 토큰이 한 속성으로 찾아지고 다른 속성을 전달할 수 있습니다. 사전 조회처럼, "
               "학습된 모델에서 키 a를 찾는 쿼리는 키 a의 키 벡터와 맞고, 어텐션은 그 키가 있는 슬롯에 모이며, 그 슬롯의 값이 답을 "
               "실어 옵니다."},
    .topic = "F J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
