// Q65: average vs max pooling. Part 1, where the gradient goes, in f64: x [N, C, H, W] of small integers (so that
// many windows hold their maximum twice or more), an upstream gradient g [N, C, H_out, W_out], and
//   max pool:     ∂L/∂x = g of each window added at the window's maximum, the first one in row-major order on
//                 ties (as PyTorch), nothing elsewhere
//   average pool: ∂L/∂x = g / (k·k) added at every element of each window (count_include_pad)
// computed by hand with loops over the windows and compared with nabla's backward, for non-overlapping 2×2
// windows and overlapping, padded 3×3 windows with stride 2. Part 2: the same small Fashion-MNIST CNN with
// max or with average pooling, trained alike.
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "small_convnets.h"

namespace nabla::lab {
namespace {

struct Window {
  int64_t kernel, stride, padding;
  std::string label;
};

struct Routing {
  std::vector<double> gradient;  // ∂L/∂x [N, C, H, W], row-major
  std::vector<int64_t> chosen;   // per window: the flat index (h·W + w) of the element a max pool picks
  int64_t tied_windows = 0;      // windows whose maximum appears more than once
};

// The backward of a pooling by hand. `last_on_ties` is the negative test's rule: the last maximum instead of the first.
Routing route_by_hand(const Tensor& x, const Tensor& upstream, const Window& window, bool max_pool, bool last_on_ties) {
  const int64_t planes = x.size(0) * x.size(1), height = x.size(2), width = x.size(3);
  const int64_t out_height = upstream.size(2), out_width = upstream.size(3);
  const std::vector<double> values = x.to_vector(), g = upstream.to_vector();
  Routing routing;
  routing.gradient.assign(values.size(), 0.0);
  const double share = 1.0 / static_cast<double>(window.kernel * window.kernel);
  for (int64_t plane = 0; plane < planes; ++plane) {
    for (int64_t i = 0; i < out_height; ++i) {
      for (int64_t j = 0; j < out_width; ++j) {
        const double incoming = g[static_cast<size_t>((plane * out_height + i) * out_width + j)];
        int64_t best = -1, count_at_best = 0;
        double best_value = -INFINITY;
        for (int64_t a = 0; a < window.kernel; ++a) {
          for (int64_t b = 0; b < window.kernel; ++b) {
            const int64_t row = i * window.stride - window.padding + a, column = j * window.stride - window.padding + b;
            if (row < 0 || row >= height || column < 0 || column >= width) continue;  // padding: never a max, no gradient
            const int64_t flat = row * width + column;
            const size_t at = static_cast<size_t>(plane * height * width + flat);
            if (!max_pool) {
              routing.gradient[at] += incoming * share;
              continue;
            }
            if (values[at] > best_value || (last_on_ties && values[at] == best_value)) {
              count_at_best = values[at] > best_value ? 1 : count_at_best + 1;
              best_value = values[at];
              best = flat;
            } else if (values[at] == best_value) {
              ++count_at_best;
            }
          }
        }
        if (!max_pool) continue;
        routing.gradient[static_cast<size_t>(plane * height * width + best)] += incoming;
        routing.chosen.push_back(best);
        routing.tied_windows += count_at_best > 1;
      }
    }
  }
  return routing;
}

struct Measured {
  Tensor gradient;  // nabla's ∂L/∂x
  double max_difference = 0;  // from the hand routing
};

Measured backward_of(const Tensor& x, const Tensor& upstream, const Window& window, bool max_pool, const Routing& hand) {
  Tensor input = x.clone().requires_grad_();
  const functional::Pool2dOptions options{.kernel_size = window.kernel, .stride = Size2(window.stride), .padding = window.padding};
  Tensor output = max_pool ? functional::max_pool2d(input, options) : functional::avg_pool2d(input, options);
  sum(output * upstream).backward();
  Measured measured{input.grad(), 0};
  measured.max_difference = max(abs(measured.gradient - from_vector(hand.gradient, x.shape(), DType::f64))).item();
  return measured;
}

// For 2×2 windows with stride 2: per window, how many elements of ∂L/∂x [N, C, 2·out, 2·out] are nonzero
// (the upstream gradient is positive, so a share received is never 0).
Tensor targets_per_window(const Tensor& gradient, int64_t out_size) {
  const Tensor received = ne(gradient, zeros({}, gradient.dtype())).to(DType::f64);
  return sum(received.reshape({gradient.size(0), gradient.size(1), out_size, 2, out_size, 2}), {3, 5});
}

void run(Context& ctx) {
  // The negative test's knob: 1 makes the hand routing send a tied window's gradient to its last maximum.
  const bool last_on_ties = ctx.parameter("last_on_ties", 0) != 0;
  const auto levels = static_cast<int64_t>(ctx.parameter("levels", 3));  // distinct input values: few → many ties
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 4000 : 60000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 2000 : 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 2 : 10));
  NABLA_KNOB_CHECK(levels >= 2 && train_examples >= 100 && train_examples <= 60000 && test_examples >= 100 &&
                       test_examples <= 10000 && epochs >= 1,
                   "lab Q65: levels ≥ 2, train_examples in [100, 60 000], test_examples in [100, 10 000], epochs ≥ 1");
  Generator& generator = ctx.generator();
  const TensorOptions f64{.dtype = DType::f64};

  // ---- 1. gradient routing
  const Tensor x = floor(rand({4, 3, 12, 12}, f64, &generator) * static_cast<double>(levels));
  std::vector<std::vector<std::string>> rows;
  double worst_max = 0, worst_average = 0;
  int64_t tied = 0, windows = 0, all_index_mismatches = 0;
  Tensor tile_max, tile_average;
  int64_t single_target_windows = 0, even_windows = 0, counted_windows = 0;
  for (const Window& window : {Window{2, 2, 0, "2×2, stride 2"}, Window{3, 2, 1, "3×3, stride 2, padding 1 (overlapping)"}}) {
    const int64_t out_size = (12 + 2 * window.padding - window.kernel) / window.stride + 1;
    // Upstream gradients all positive and distinct, so each one's share can be traced.
    const Tensor upstream = rand({4, 3, out_size, out_size}, f64, &generator) + 0.5;
    const Routing max_hand = route_by_hand(x, upstream, window, true, last_on_ties);
    const Routing average_hand = route_by_hand(x, upstream, window, false, last_on_ties);
    const Measured max_measured = backward_of(x, upstream, window, true, max_hand);
    const Measured average_measured = backward_of(x, upstream, window, false, average_hand);
    // The indices max_pool2d_with_indices returns are the elements the hand routing picked.
    const auto [pooled, indices] = functional::max_pool2d_with_indices(
        x, {.kernel_size = window.kernel, .stride = Size2(window.stride), .padding = window.padding});
    const std::vector<double> index_values = indices.to_vector();
    int64_t index_mismatches = 0;
    for (size_t w = 0; w < index_values.size(); ++w) index_mismatches += static_cast<int64_t>(index_values[w]) != max_hand.chosen[w];
    worst_max = std::max(worst_max, max_measured.max_difference);
    all_index_mismatches += index_mismatches;
    worst_average = std::max(worst_average, average_measured.max_difference);
    tied += max_hand.tied_windows;
    windows += static_cast<int64_t>(max_hand.chosen.size());
    rows.push_back({window.label, std::to_string(max_hand.chosen.size()), std::to_string(max_hand.tied_windows),
                    fmt::format("{:.3g}", max_measured.max_difference), std::to_string(index_mismatches),
                    fmt::format("{:.3g}", average_measured.max_difference)});
    if (window.padding == 0) {
      // Non-overlapping windows: count, window by window, how many elements received gradient.
      const Tensor max_targets = targets_per_window(max_measured.gradient, out_size);
      const Tensor average_targets = targets_per_window(average_measured.gradient, out_size);
      counted_windows = max_targets.numel();
      single_target_windows = static_cast<int64_t>(sum(eq(max_targets, ones({}, f64)).to(DType::f64)).item());
      even_windows = static_cast<int64_t>(sum(eq(average_targets, full({}, 4.0, f64)).to(DType::f64)).item());
      tile_max = max_measured.gradient.select(0, 0).select(0, 0);
      tile_average = average_measured.gradient.select(0, 0).select(0, 0);
    }
  }
  ctx.table(fmt::format("Backward of pooling on x [4, 3, 12, 12] of {} integer levels: nabla against the hand routing ({} on ties)",
                        levels, last_on_ties ? "last maximum" : "first maximum"),
            {"windows", "count", "with a tied maximum", "max pool: max |nabla − hand|", "indices ≠ hand's pick",
             "average pool: max |nabla − hand|"},
            rows);
  const Tensor x_tile = x.select(0, 0).select(0, 0) / static_cast<double>(levels - 1);
  ctx.image_grid("gradients.png",
                 "One 12×12 channel: input x; ∂L/∂x of max pool 2×2; of average pool 2×2 (each scaled to [0, 1])",
                 stack({x_tile, tile_max / max(tile_max), tile_average / max(tile_average)}, 0), 3);
  ctx.figure("windows with a tied maximum", static_cast<double>(tied));
  ctx.claim({"max pool sends each window's gradient to its maximum, the first one on ties (as PyTorch)",
             "최대 풀링은 각 창의 기울기를 최댓값 위치로 보내고, 동률이면 첫 번째로 보낸다 (PyTorch와 같음)"},
            worst_max == 0 && all_index_mismatches == 0 && tied > 0,
            format_text({"{} windows, {} of them with a tied maximum; max |nabla − hand| = {:g}; {} indices differ from the "
                         "hand's pick",
                         "창 {}개 중 최댓값이 동률인 창 {}개; max |nabla − 손 계산| = {:g}; 손으로 고른 위치와 다른 인덱스 {}개"},
                        windows, tied, worst_max, all_index_mismatches));
  ctx.claim({"average pool spreads each window's gradient evenly: g / (k·k) to every element",
             "평균 풀링은 각 창의 기울기를 고르게 나눈다: 모든 원소에 g / (k·k)"},
            worst_average <= 1e-14,  // rounding only: overlapping windows add their shares in another order
            format_text({"max |nabla − hand| = {:.3g}", "max |nabla − 손 계산| = {:.3g}"}, worst_average));
  ctx.claim({"2×2 windows: max pool's gradient reaches exactly 1 element per window, average pool's all 4",
             "2×2 창: 최대 풀링의 기울기는 창마다 정확히 1개 원소에, 평균 풀링은 4개 모두에 닿는다"},
            counted_windows > 0 && single_target_windows == counted_windows && even_windows == counted_windows,
            format_text({"of {} windows: {} with one element receiving gradient (max), {} with four (average)",
                         "창 {}개 중: 기울기를 받은 원소가 1개인 창 {}개 (최대), 4개인 창 {}개 (평균)"},
                        counted_windows, single_target_windows, even_windows));

  // ---- 2. accuracy
  const FashionTask task = fashion_task(train_examples, test_examples, ctx.seed());
  const ClassifierSettings settings{.epochs = epochs, .batch_size = 32, .lr = 3e-3, .seed = ctx.seed()};
  nn::ModulePtr max_net = small_cnn(generator, true), average_net = small_cnn(generator, false);
  const ClassifierRun max_run = train_classifier(*max_net, task, settings);
  const ClassifierRun average_run = train_classifier(*average_net, task, settings);
  ctx.table(fmt::format("Fashion-MNIST: conv 3×3 (8) → ReLU → pool 2 → conv 3×3 (16) → ReLU → pool 2 → Linear; {} "
                        "training, {} test images, {} epochs of Adam",
                        train_examples, test_examples, epochs),
            {"pooling", "final training loss", "test accuracy"},
            {{"max", fmt::format("{:.3f}", max_run.step_losses.back()), fmt::format("{:.1f} %", 100 * max_run.test_accuracy)},
             {"average", fmt::format("{:.3f}", average_run.step_losses.back()),
              fmt::format("{:.1f} %", 100 * average_run.test_accuracy)}});
  ctx.line_plot("training_loss.png",
                training_loss_panel({{"max pooling", &max_run}, {"average pooling", &average_run}}));
  ctx.figure("max pooling test accuracy", max_run.test_accuracy, "fraction of test images");
  ctx.figure("average pooling test accuracy", average_run.test_accuracy, "fraction of test images");
  ctx.claim({"both nets learn the task: test accuracy ≥ 5× chance (50 %)",
             "두 신경망 모두 과제를 배운다: 테스트 정확도가 우연의 5배(50 %) 이상이다"},
            std::min(max_run.test_accuracy, average_run.test_accuracy) >= 0.5,
            format_text({"max pooling {:.1f} %, average pooling {:.1f} %", "최대 풀링 {:.1f} %, 평균 풀링 {:.1f} %"},
                        100 * max_run.test_accuracy, 100 * average_run.test_accuracy));
}

const bool registered = register_experiment({
    .id = "Q65",
    .title = "Average vs max pooling",
    .question = {"What is the difference between average pooling and max pooling?",
                 "평균 풀링과 최대 풀링의 차이는 무엇인가요?"},
    .answer = {"Both shrink a feature map by summarising each window, and neither has parameters. Max pooling keeps the "
               "strongest response (was the feature present anywhere in the window?), average pooling keeps the mean "
               "(how much of it was there?). The difference shows in training: max pooling passes each window's gradient "
               "to the one element that won, the first one when several tie (PyTorch's rule, which nabla follows), and "
               "gives the others nothing; average pooling gives every element an equal share g/(k·k). Max pooling is the "
               "usual choice inside CNNs, since detections are sparse and the strongest one matters; global average "
               "pooling is the usual last layer, where it summarises a whole map without the parameters of a large "
               "fully connected layer.",
               "둘 다 각 창을 요약해서 특징 맵을 줄이며 파라미터는 없습니다. 최대 풀링은 가장 강한 반응(창 안 어딘가에 그 특징이 "
               "있었는가)을, 평균 풀링은 평균(얼마나 있었는가)을 남깁니다. 차이는 학습에서 드러납니다. 최대 풀링은 각 창의 "
               "기울기를 이긴 원소 하나에만 보내고(여럿이 동률이면 첫 번째, PyTorch의 규칙이며 nabla도 따름) 나머지에는 아무것도 "
               "주지 않습니다. 평균 풀링은 모든 원소에 g/(k·k)씩 똑같이 나눠 줍니다. CNN 내부에서는 검출이 드물고 가장 강한 "
               "것이 중요하므로 최대 풀링을 주로 쓰고, 마지막 층에서는 큰 완전연결 층의 파라미터 없이 맵 전체를 요약하는 전역 "
               "평균 풀링을 주로 씁니다."},
    .topic = "B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
