// Q43: encoder vs decoder self-attention, and cross-attention — read off the derivatives.
//   Self-attention: a Transformer block (pre-LN, 2 heads, E = 16) on x [1, T, E], with the causal mask (a decoder's)
//   and without (an encoder's). For each output position t, autograd gives ∂(r·y_t)/∂x for a random r, whose
//   rows are the sensitivity of y_t to every input position s. The causal mask gives future keys a weight of
//   exactly 0, so the gradient of output t with respect to input s > t must be exactly 0.0 — not small: zero —
//   and nonzero for every s ≤ t; without the mask every output depends on every input.
//   Cross-attention (check): nn::MultiheadAttention::forward(query = decoder states d [1, L, E], key = value =
//   encoder states e [1, S, E], S ≠ L). Queries from the decoder: one output row per decoder position, and output
//   l depends on decoder position l only (∂out_l/∂d_l' = 0 exactly for l' ≠ l). Keys and values from the encoder:
//   reordering the encoder positions leaves the output unchanged (a set of key–value pairs), and the gradient to
//   the encoder states is exactly the sum of what flows through K (values detached) and through V (keys
//   detached): nothing reaches the encoder through a query.
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/attention.h"
#include "nabla/nn/transformer.h"

namespace nabla::lab {
namespace {

// sensitivity[t][s] = ‖∂(r_t·y_t)/∂x_s‖ for y = f(x) [1, T_out, E] and x [1, T_in, E], with a random r_t per output.
std::vector<std::vector<double>> sensitivities(const std::function<Tensor(const Tensor&)>& f, const Tensor& input,
                                               Generator& generator) {
  const Tensor x = input.detach().requires_grad_();
  const Tensor y = f(x);
  std::vector<std::vector<double>> rows;
  for (int64_t t = 0; t < y.size(1); ++t) {
    Tensor direction = zeros(y.shape());
    direction.select(1, t).copy_(randn({y.size(0), y.size(2)}, {}, &generator));
    const Tensor gradient = autograd::grad({y}, {x}, {direction}, /*retain_graph=*/true)[0];
    rows.push_back(gradient.pow(2.0).sum(-1).sqrt().squeeze(0).to_vector());
  }
  return rows;
}

Grid sensitivity_grid(const std::vector<std::vector<double>>& rows, const std::string& x_label, const std::string& y_label) {
  Grid grid{.x_label = x_label, .y_label = y_label, .value_label = "log₁₀ ‖∂y_t/∂x_s‖ (exact zeros at −12)"};
  for (size_t s = 0; s < rows.front().size(); ++s) grid.x.push_back(static_cast<double>(s));
  for (size_t t = 0; t < rows.size(); ++t) {
    grid.y.push_back(static_cast<double>(t));
    std::vector<double> logs;
    for (double value : rows[t]) logs.push_back(value == 0 ? -12 : std::log10(value));
    grid.values.push_back(logs);
  }
  return grid;
}

struct Counts {
  int64_t zero_above = 0, nonzero_above = 0, zero_on_or_below = 0, nonzero_on_or_below = 0, zero_off_diagonal = 0,
          nonzero_off_diagonal = 0, zero_diagonal = 0;
};
Counts count_pattern(const std::vector<std::vector<double>>& rows) {
  Counts counts;
  for (size_t t = 0; t < rows.size(); ++t) {
    for (size_t s = 0; s < rows[t].size(); ++s) {
      const bool zero = rows[t][s] == 0;
      if (s > t) (zero ? counts.zero_above : counts.nonzero_above)++;
      else (zero ? counts.zero_on_or_below : counts.nonzero_on_or_below)++;
      if (s != t) (zero ? counts.zero_off_diagonal : counts.nonzero_off_diagonal)++;
      else if (zero) counts.zero_diagonal++;
    }
  }
  return counts;
}

void run(Context& ctx) {
  // Negative tests' knobs: causal=0 takes the mask off the "decoder"; swap=1 takes the queries from the encoder.
  const bool causal = ctx.parameter("causal", 1) != 0;
  const bool swap = ctx.parameter("swap", 0) != 0;
  const auto length = static_cast<int64_t>(ctx.parameter("length", ctx.quick() ? 12 : 32));
  NABLA_KNOB_CHECK(length >= 2 && length <= 256, "lab Q43: length in [2, 256]");
  const int64_t width = 16;
  Generator& generator = ctx.generator();

  // ---- self-attention: decoder (causal) and encoder blocks
  auto block = [&](bool masked) {
    return std::make_shared<nn::TransformerBlock>(
        nn::TransformerBlockOptions{.embed_dim = width, .num_heads = 2, .causal = masked}, &generator);
  };
  const auto decoder = block(causal), encoder = block(false);
  const Tensor x = randn({1, length, width}, {}, &generator);
  const auto decoder_rows = sensitivities([&](const Tensor& input) { return (*decoder)(input); }, x, generator);
  const auto encoder_rows = sensitivities([&](const Tensor& input) { return (*encoder)(input); }, x, generator);
  ctx.heatmap("decoder_self_attention.png", "Causal block: ‖∂y_t/∂x_s‖",
              sensitivity_grid(decoder_rows, "input position s", "output position t"));
  ctx.heatmap("encoder_self_attention.png", "Bidirectional block: ‖∂y_t/∂x_s‖",
              sensitivity_grid(encoder_rows, "input position s", "output position t"));
  const Counts decoder_counts = count_pattern(decoder_rows), encoder_counts = count_pattern(encoder_rows);
  const int64_t above = length * (length - 1) / 2, on_or_below = length * (length + 1) / 2;

  // ---- cross-attention
  const int64_t decoder_length = 5, encoder_length = 9;
  nn::MultiheadAttention cross({.embed_dim = width, .num_heads = 2}, &generator);
  const Tensor decoder_states = randn({1, decoder_length, width}, {}, &generator);
  const Tensor encoder_states = randn({1, encoder_length, width}, {}, &generator);
  // The call under test: queries from the decoder, keys and values from the encoder (swap: the other way round).
  auto attend = [&](const Tensor& from_decoder, const Tensor& keys, const Tensor& values) {
    return swap ? cross.forward(keys, from_decoder, from_decoder) : cross.forward(from_decoder, keys, values);
  };
  const Tensor out = attend(decoder_states, encoder_states, encoder_states);
  const bool one_row_per_query = out.size(1) == decoder_length;
  const auto query_rows = sensitivities([&](const Tensor& input) { return attend(input, encoder_states, encoder_states); },
                                      decoder_states, generator);
  ctx.heatmap("cross_attention_decoder.png", "Cross-attention: ‖∂out_l/∂d_l'‖ (decoder positions)",
              sensitivity_grid(query_rows, "decoder position l'", "output position l"));
  const Counts query_counts = count_pattern(query_rows);
  // Reordering the encoder positions: a set of (key, value) pairs, so the same output.
  const Tensor order = randperm(encoder_length, DType::i64, &generator);
  const Tensor reordered = encoder_states.index_select(1, order);
  const double reorder_change = max(abs(attend(decoder_states, reordered, reordered) - out)).item() / max(abs(out)).item();
  // The gradient to the encoder states: through K and V together, through K alone, through V alone.
  const Tensor weights = randn(out.shape(), {}, &generator);
  auto encoder_gradient = [&](bool through_keys, bool through_values) {
    const Tensor states = encoder_states.detach().requires_grad_();
    const Tensor keys = through_keys ? states : states.detach(), values = through_values ? states : states.detach();
    return autograd::grad({(attend(decoder_states, keys, values) * weights).sum()}, {states}, {}, {}, false, true)[0];
  };
  const Tensor both = encoder_gradient(true, true);
  const Tensor key_path = encoder_gradient(true, false), value_path = encoder_gradient(false, true);
  const double path_error = both.defined() && key_path.defined() && value_path.defined()
                                ? max(abs(both - key_path - value_path)).item() / max(abs(both)).item()
                                : INFINITY;
  ctx.table("Where the gradient to the encoder states goes", {"path", "‖∂L/∂e‖"},
            {{"K and V", fmt::format("{:.4f}", both.defined() ? both.norm().item() : 0.0)},
             {"K only (values detached)", fmt::format("{:.4f}", key_path.defined() ? key_path.norm().item() : 0.0)},
             {"V only (keys detached)", fmt::format("{:.4f}", value_path.defined() ? value_path.norm().item() : 0.0)}});

  ctx.claim({"the causal mask makes the gradient of output t with respect to input t+1 (and later) exactly zero",
             "인과 마스크는 출력 t의 입력 t+1(및 그 이후)에 대한 기울기를 정확히 0으로 만든다"},
            decoder_counts.nonzero_above == 0 && decoder_counts.zero_on_or_below == 0,
            format_text({"{} of {} entries above the diagonal are exactly 0.0; {} of {} on or below it are nonzero",
                         "대각선 위 {1}개 중 {0}개가 정확히 0.0; 대각선과 그 아래 {3}개 중 {2}개가 0이 아니다"},
                        decoder_counts.zero_above, above, decoder_counts.nonzero_on_or_below, on_or_below));
  ctx.claim({"without the mask every output depends on every input", "마스크가 없으면 모든 출력이 모든 입력에 의존한다"},
            encoder_counts.zero_above + encoder_counts.zero_on_or_below == 0,
            format_text({"{} of {} entries are nonzero", "{1}개 중 {0}개가 0이 아니다"},
                        encoder_counts.nonzero_above + encoder_counts.nonzero_on_or_below, length * length));
  ctx.claim({"check: cross-attention takes its queries from the decoder",
             "확인: 교차 어텐션은 쿼리를 디코더에서 가져온다"},
            one_row_per_query && query_counts.nonzero_off_diagonal == 0 && query_counts.zero_diagonal == 0,
            format_text({"output {} for decoder states [1, {}, {}] and encoder states [1, {}, {}]; ∂out_l/∂d_l' is "
                         "exactly 0 for {} of the {} pairs l' ≠ l and nonzero on the diagonal",
                         "디코더 상태 [1, {1}, {2}]와 인코더 상태 [1, {3}, {4}]에 대해 출력 {0}; l' ≠ l인 {6}쌍 중 {5}쌍에서 "
                         "∂out_l/∂d_l'가 정확히 0이고 대각선에서는 0이 아니다"},
                        shape_string(out.shape()), decoder_length, width, encoder_length, width,
                        query_counts.zero_off_diagonal, query_counts.zero_off_diagonal + query_counts.nonzero_off_diagonal));
  ctx.claim({"check: keys and values come from the encoder, and its gradient flows only through K and V",
             "확인: 키와 값은 인코더에서 오며, 인코더로 가는 기울기는 K와 V로만 흐른다"},
            reorder_change < 1e-5 && path_error < 1e-5,
            format_text({"reordering the encoder positions changes the output by {:.2g} (relative); "
                         "‖∂L/∂e − (through K) − (through V)‖∞ / ‖∂L/∂e‖∞ = {:.2g}",
                         "인코더 위치 순서를 바꿔도 출력 변화는 {:.2g} (상대); ‖∂L/∂e − (K 경로) − (V 경로)‖∞ / ‖∂L/∂e‖∞ = {:.2g}"},
                        reorder_change, path_error));
}

const bool registered = register_experiment({
    .id = "Q43",
    .title = "Encoder vs decoder self-attention; cross-attention",
    .question = {"How do encoder self-attention, decoder (masked) self-attention and cross-attention differ?",
                 "인코더 셀프 어텐션, 디코더(마스크) 셀프 어텐션, 교차 어텐션은 어떻게 다른가요?"},
    .answer = {"All three are the same softmax(QKᵀ/√d)V; they differ in where Q, K and V come from and in the mask. "
               "Encoder self-attention takes all three from the same sequence and lets every position see every other, "
               "so each output depends on the whole input. Decoder self-attention adds a causal mask: position t sees "
               "only positions ≤ t, so the output at t has exactly zero gradient with respect to later inputs — what lets "
               "a decoder be trained on all positions at once and still generate left to right. Cross-attention takes "
               "its queries from the decoder and its keys and values from the encoder's output: each decoder position "
               "asks, and the encoder's positions answer, as an unordered set of key–value pairs.",
               "셋 모두 같은 softmax(QKᵀ/√d)V이며, Q, K, V를 어디서 가져오는지와 마스크가 다릅니다. 인코더 셀프 어텐션은 셋을 "
               "같은 시퀀스에서 가져오고 모든 위치가 서로를 보므로, 각 출력이 입력 전체에 의존합니다. 디코더 셀프 어텐션은 인과 "
               "마스크를 더해 위치 t가 t 이하만 보게 하므로, t의 출력은 이후 입력에 대한 기울기가 정확히 0입니다. 덕분에 디코더는 "
               "모든 위치를 한꺼번에 학습하면서도 왼쪽에서 오른쪽으로 생성할 수 있습니다. 교차 어텐션은 쿼리를 디코더에서, 키와 "
               "값을 인코더 출력에서 가져옵니다. 디코더의 각 위치가 묻고, 인코더의 위치들이 순서 없는 키–값 쌍의 집합으로 답합니다."},
    .topic = "F",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
