// Q40: how a Transformer knows where each token is. Three encodings, then what happens without one.
//   sinusoidal  the table of Vaswani et al. [1024, 64]: every value is a sine or a cosine, so it lies in [−1, 1],
//               and each (sin, cos) pair of a frequency has sin² + cos² = 1 at every position;
//   rotary      q and k rotated by their positions: q·k depends on the two positions only through their
//               difference (checked on random vectors shifted together);
//   learned     a trained table (the reversal encoder below, as the reference that learns the task).
// Reversal: x of T random digits → x reversed. A bidirectional encoder without positions is permutation-
// equivariant (attention, LayerNorm and the feed-forward treat every position alike), so its output at position i
// is a function of x_i and the multiset of x alone; the best any such function does on reversal is to guess the
// most frequent digit among the others — the "equivariant ceiling", counted on the test set. The same blocks with
// the causal mask (a decoder) see a different number of
// tokens at each position: the mask leaks position, and the decoder learns reversal well above that ceiling
// (it reads a start token, x, a separator, then the reversed digits so far, and predicts the next reversed digit).
#include <algorithm>
#include <cmath>
#include <map>

#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "token_transformer.h"

namespace nabla::lab {
namespace {

using models::PositionEncoding;

struct ReversalTask {
  int64_t digits = 10, length = 6;
  // x [B, T] → (x, x reversed): the encoder's batch.
  TokenBatch encoder_batch(const Tensor& x) const { return {x, x.flip({1})}; }
  // (start, x, separator, reversed[0 … T−2]) [B, 2T + 1] → reversed at positions T + 1 … 2T; the first T + 1
  // are not scored. The start token (as a language model's beginning of text) is one the decoder can count from.
  TokenBatch decoder_batch(const Tensor& x) const {
    const int64_t batch = x.size(0);
    const Tensor reversed = x.flip({1});
    const Tensor separator = full({batch, 1}, static_cast<double>(digits), DType::i64);
    const Tensor start = full({batch, 1}, static_cast<double>(digits + 1), DType::i64);
    const Tensor inputs = cat({start, x, separator, reversed.narrow(1, 0, length - 1)}, 1);
    const Tensor targets = cat({full({batch, length + 1}, -100.0, DType::i64), reversed}, 1);
    return {inputs, targets};
  }
  Tensor sample(int64_t batch, Generator& generator) const {
    return randint(0, digits, {batch, length}, DType::i64, &generator);
  }
};

// The best accuracy of any function of (x_i, multiset of x) on reversal, for these test sequences: at each
// position, the most frequent digit among the other T − 1 is right count/(T − 1) of the time (the target
// x_{T−1−i} is, by symmetry, any of the others alike).
double equivariant_ceiling(const Tensor& x) {
  const std::vector<double> values = x.to_vector();
  const int64_t batch = x.size(0), length = x.size(1);
  double total = 0;
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < length; ++i) {
      std::map<double, int64_t> others;
      for (int64_t j = 0; j < length; ++j) {
        if (j != i) ++others[values[static_cast<size_t>(b * length + j)]];
      }
      int64_t most = 0;
      for (const auto& [digit, count] : others) most = std::max(most, count);
      total += static_cast<double>(most) / static_cast<double>(length - 1);
    }
  }
  return total / static_cast<double>(batch * length);
}

// max |f(P·x) − P·f(x)| / max |f(x)| of `model` over ids [B, T], for the permutation `order` of the positions.
double equivariance_error(TokenTransformer& model, const Tensor& ids, const Tensor& order) {
  autograd::NoGradGuard no_grad;
  model.eval();
  const Tensor out = model(ids);
  const Tensor permuted_out = model(ids.index_select(1, order));
  return max(abs(permuted_out - out.index_select(1, order))).item() / max(abs(out)).item();
}

void run(Context& ctx) {
  const ReversalTask task{.digits = 10, .length = static_cast<int64_t>(ctx.parameter("length", 6))};
  NABLA_KNOB_CHECK(task.length >= 3 && task.length <= 32, "lab Q40: length in [3, 32]");
  // The negative test's knob: 1 gives "the encoder without positions" learned positions after all.
  const bool encoder_positions = ctx.parameter("encoder_positions", 0) != 0;
  const auto steps = static_cast<int64_t>(ctx.parameter("steps", ctx.quick() ? 250 : 2000));
  NABLA_KNOB_CHECK(steps >= 1 && steps <= 100000, "lab Q40: steps in [1, 100000]");
  Generator& generator = ctx.generator();

  // ---- sinusoidal: values in [−1, 1], sin² + cos² = 1 per frequency and position
  const int64_t table_length = 1024, table_width = 64;
  const nn::SinusoidalPositionalEncoding sinusoid(table_width, table_length);
  const Tensor& table = sinusoid.table;
  const double largest = max(abs(table)).item();
  const Tensor pairs = table.reshape({table_length, table_width / 2, 2});
  const Tensor norms = pairs.select(2, 0).pow(2.0) + pairs.select(2, 1).pow(2.0);
  const double norm_error = max(abs(norms - 1.0)).item();
  Grid grid{.x_label = "feature (even: sin, odd: cos)", .y_label = "position", .value_label = "encoding value"};
  for (int64_t feature = 0; feature < table_width; ++feature) grid.x.push_back(static_cast<double>(feature));
  for (int64_t position = 0; position < 128; ++position) {
    grid.y.push_back(static_cast<double>(position));
    grid.values.push_back(table.select(0, position).to_vector());
  }
  ctx.heatmap("sinusoidal_table.png", "Sinusoidal encoding, the first 128 positions", grid);

  // ---- rotary: q·k after rotation depends on (m − n) only
  const int64_t head_dim = 32;
  const nn::RotaryEmbedding rotary(head_dim);
  const Tensor q = randn({1, head_dim}, DType::f64, &generator), k = randn({1, head_dim}, DType::f64, &generator);
  auto rotated_dot = [&](int64_t m, int64_t n) {
    return (rotary.apply(q, m) * rotary.apply(k, n)).sum().item();
  };
  double shift_error = 0, scale = 0;
  plot::Panel rotary_panel{"Rotary: q·k against the distance m − n, for three shifts of both positions",
                           "m − n (positions)", "q·k after rotation", {}};
  for (int64_t shift : {0, 37, 500}) {
    plot::Series series{fmt::format("n = {}", shift), {}, {}};
    for (int64_t distance = -40; distance <= 40; ++distance) {
      const int64_t n = shift + 40, m = n + distance;
      const double value = rotated_dot(m, n);
      const double reference = rotated_dot(distance + 40, 40);
      shift_error = std::max(shift_error, std::abs(value - reference));
      scale = std::max(scale, std::abs(reference));
      series.x.push_back(static_cast<double>(distance));
      series.y.push_back(value);
    }
    rotary_panel.series.push_back(series);
  }
  ctx.line_plot("rotary_dot_products.png", rotary_panel);

  // ---- reversal: encoders and decoders with and without positions
  const auto batch = static_cast<int64_t>(ctx.parameter("batch", 32));
  const double lr = ctx.parameter("lr", 4e-3);
  NABLA_KNOB_CHECK(batch >= 1 && batch <= 4096 && lr > 0 && lr < 1, "lab Q40: batch in [1, 4096], lr in (0, 1)");
  const int64_t test_size = ctx.quick() ? 512 : 2048;
  const Tensor test_x = task.sample(test_size, generator);
  const double ceiling = equivariant_ceiling(test_x);
  struct Variant {
    std::string name;
    bool causal;
    PositionEncoding positions;
    double accuracy = 0;
    std::vector<double> losses;
    std::shared_ptr<TokenTransformer> model;
  };
  std::vector<Variant> variants{
      {"encoder, no positions", false, encoder_positions ? PositionEncoding::learned : PositionEncoding::none},
      {"encoder, learned positions", false, PositionEncoding::learned},
      {"decoder, no positions", true, PositionEncoding::none},
      {"decoder, learned positions", true, PositionEncoding::learned}};
  for (Variant& variant : variants) {
    variant.model = std::make_shared<TokenTransformer>(
        TokenTransformerOptions{.vocabulary = task.digits + 2, .max_length = 2 * task.length + 1, .positions = variant.positions,
                                .causal = variant.causal},
        &generator);
    auto make = [&](const Tensor& x) { return variant.causal ? task.decoder_batch(x) : task.encoder_batch(x); };
    // The decoder without positions must first find position in the mask: it gets every step. The others need a
    // third: with positions both learn the task in it, and the encoder without them is at its ceiling by then
    // (the training curves show each one flat at the end).
    const bool slow = variant.causal && variant.positions == PositionEncoding::none;
    const int64_t variant_steps = slow ? steps : std::max<int64_t>(1, steps / 3);
    variant.losses =
        train_token_model(*variant.model, [&] { return make(task.sample(batch, generator)); }, variant_steps, lr);
    variant.accuracy = token_accuracy(*variant.model, make(test_x));
  }
  plot::Panel curves{"Reversal: training loss", "step", "cross-entropy (nats)", {}};
  std::vector<std::vector<std::string>> rows;
  for (const Variant& variant : variants) {
    plot::Series series{variant.name, {}, {}};
    for (size_t step = 0; step < variant.losses.size(); ++step) {
      series.x.push_back(static_cast<double>(step));
      series.y.push_back(variant.losses[step]);
    }
    curves.series.push_back(series);
    rows.push_back({variant.name, fmt::format("{:.3f}", variant.accuracy)});
  }
  curves.legend = plot::Legend::below;
  ctx.line_plot("reversal_training.png", curves);
  rows.push_back({"equivariant ceiling (counted)", fmt::format("{:.3f}", ceiling)});
  rows.push_back({"chance (1 / digits)", fmt::format("{:.3f}", 1.0 / static_cast<double>(task.digits))});
  ctx.table(fmt::format("Reversal of {} digits: test accuracy per position ({} sequences)", task.length, test_size),
            {"model", "accuracy"}, rows);

  // Equivariance of the trained models, under a permutation of the positions that moves every one of them.
  const Tensor order = roll(arange(0, static_cast<double>(task.length), 1, DType::i64), {1}, {0});
  const double encoder_error = equivariance_error(*variants[0].model, test_x.narrow(0, 0, 64), order);
  const Tensor decoder_ids = task.decoder_batch(test_x.narrow(0, 0, 64)).first;
  const Tensor decoder_order = roll(arange(0, static_cast<double>(decoder_ids.size(1)), 1, DType::i64), {1}, {0});
  const double decoder_error = equivariance_error(*variants[2].model, decoder_ids, decoder_order);
  ctx.figure("encoder (no positions): |f(Px) − P f(x)| / |f(x)|", encoder_error);
  ctx.figure("decoder (no positions): |f(Px) − P f(x)| / |f(x)|", decoder_error);
  // The binomial standard error of an accuracy measured on the test positions.
  const double positions = static_cast<double>(test_size * task.length);
  const double standard_error = std::sqrt(ceiling * (1 - ceiling) / positions);

  ctx.claim({"sinusoidal encodings stay in [−1, 1], and sin² + cos² = 1 for every frequency and position",
             "사인파 위치 인코딩 값은 [−1, 1] 안에 있고, 모든 주파수와 위치에서 sin² + cos² = 1이다"},
            largest <= 1 && norm_error < 1e-5,
            format_text({"max |value| {:.6f} over {} positions × {} features; max |sin² + cos² − 1| {:.2g}",
                         "{1}개 위치 × {2}개 특성에서 최대 |값| {0:.6f}; 최대 |sin² + cos² − 1| {3:.2g}"},
                        largest, table_length, table_width, norm_error));
  ctx.claim({"rotary: q·k depends on the positions only through m − n", "로터리: q·k는 위치의 차 m − n에만 의존한다"},
            shift_error <= 1e-9 * scale,
            format_text({"shifting both positions by 37 or 500 changes q·k by at most {:.2g} (|q·k| up to {:.3f}, f64)",
                         "두 위치를 37 또는 500만큼 함께 옮겨도 q·k는 최대 {:.2g}만 변한다 (|q·k| 최대 {:.3f}, f64)"},
                        shift_error, scale));
  ctx.claim({"a bidirectional encoder without positions is permutation-equivariant",
             "위치 인코딩 없는 양방향 인코더는 순열 등변이다"},
            encoder_error < 1e-5,
            format_text({"permuting the input permutes the output: |f(Px) − P f(x)| / |f(x)| = {:.2g} (f32)",
                         "입력을 순열하면 출력도 같은 순열이 된다: |f(Px) − P f(x)| / |f(x)| = {:.2g} (f32)"},
                        encoder_error));
  ctx.claim({"a causal decoder without positions is not permutation-equivariant: the mask leaks position",
             "위치 인코딩 없는 인과 디코더는 순열 등변이 아니다: 마스크가 위치를 드러낸다"},
            decoder_error > 1e-2,
            format_text({"|f(Px) − P f(x)| / |f(x)| = {:.3f}", "|f(Px) − P f(x)| / |f(x)| = {:.3f}"}, decoder_error));
  ctx.claim({"without positions the encoder does no better on reversal than the equivariant ceiling",
             "위치 인코딩 없는 인코더는 뒤집기 과제에서 등변 상한보다 나을 수 없다"},
            variants[0].accuracy <= ceiling + 3 * standard_error,
            format_text({"accuracy {:.3f}; any function of (x_i, multiset of x) scores at most {:.3f} on these sequences "
                         "(± {:.3f} sampling); with learned positions the same encoder reaches {:.3f}",
                         "정확도 {:.3f}; (x_i, x의 다중집합)의 어떤 함수도 이 시퀀스에서 최대 {:.3f} (표본 오차 ± {:.3f}); "
                         "학습된 위치 인코딩이 있으면 같은 인코더가 {:.3f}"},
                        variants[0].accuracy, ceiling, standard_error, variants[1].accuracy));
  ctx.claim({"with learned positions the encoder learns reversal", "학습된 위치 인코딩이 있으면 인코더가 뒤집기를 배운다"},
            variants[1].accuracy >= 0.9,
            format_text({"accuracy {:.3f} after {} steps", "{1} 스텝 후 정확도 {0:.3f}"}, variants[1].accuracy,
                        variants[1].losses.size()));
  ctx.claim({"a causal decoder without positions learns reversal well above the equivariant ceiling",
             "위치 인코딩 없는 인과 디코더는 등변 상한보다 훨씬 높게 뒤집기를 배운다"},
            variants[2].accuracy >= ceiling + 0.2,
            format_text({"accuracy {:.3f} against the ceiling {:.3f} and chance {:.3f}; with learned positions {:.3f}",
                         "정확도 {:.3f}, 등변 상한 {:.3f}, 우연 {:.3f}; 학습된 위치 인코딩이 있으면 {:.3f}"},
                        variants[2].accuracy, ceiling, 1.0 / static_cast<double>(task.digits), variants[3].accuracy));
}

const bool registered = register_experiment({
    .id = "Q40",
    .title = "How a Transformer knows token positions",
    .question = {"How does a Transformer know the order of its tokens? Compare sinusoidal, learned and rotary "
                 "positional encodings.",
                 "Transformer는 토큰의 순서를 어떻게 아나요? 사인파, 학습형, 로터리 위치 인코딩을 비교해 보세요."},
    .answer = {"Attention compares every token with every other by content alone, so without help a bidirectional "
               "Transformer is permutation-equivariant: shuffle the input and the output is shuffled the same way, and "
               "no order-sensitive task (reversal, parsing) can be learned. Positional encodings break the symmetry: "
               "sinusoidal ones add fixed sines and cosines of geometric frequencies (bounded in [−1, 1], defined for "
               "any position); learned ones add a trained vector per position (flexible, but none beyond the trained "
               "length); rotary ones rotate queries and keys by their positions so that their dot product depends only "
               "on the distance. A causal decoder is the exception: its mask lets position t see exactly t + 1 tokens, "
               "which leaks position, so even without encodings it is not equivariant and learns order.",
               "어텐션은 내용만으로 모든 토큰을 서로 비교하므로, 아무 장치가 없으면 양방향 Transformer는 순열 등변입니다. 입력을 "
               "섞으면 출력도 똑같이 섞이고, 뒤집기나 구문 분석처럼 순서가 중요한 과제는 배울 수 없습니다. 위치 인코딩이 이 대칭을 "
               "깹니다. 사인파 인코딩은 기하급수적 주파수의 고정된 sin과 cos를 더하고(값은 [−1, 1], 어떤 위치에도 정의됨), 학습형은 "
               "위치마다 학습된 벡터를 더하며(유연하지만 학습한 길이까지만), 로터리는 쿼리와 키를 위치만큼 회전시켜 내적이 거리에만 "
               "의존하게 합니다. 인과 디코더는 예외입니다. 마스크 때문에 위치 t는 정확히 t + 1개의 토큰을 보므로 위치가 드러나고, "
               "인코딩이 없어도 등변이 아니며 순서를 배웁니다."},
    .topic = "F",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
