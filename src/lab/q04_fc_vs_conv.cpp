// Q04: a fully connected layer vs a convolutional one, with the same input and output sizes:
//   input x [B, 1, 28, 28] (Fashion-MNIST test images, standardised so that the background is not 0), output
//   [B, 8, 28, 28] = 6 272 values per image
//   conv: 3×3, 1 → 8 channels, padding 1 (zeros, or circular: the map wrapped around)
//   FC:   x flattened [B, 784] → [B, 6 272], viewed as [B, 8, 28, 28]
// both initialised as PyTorch does (weights and biases i.i.d. uniform), in f64. Then the input is shifted right by
// k pixels (rolled: what leaves on the right comes back on the left) and each output is shifted back by k:
//   conv, zero padding:     equal to the unshifted output away from the borders (the interior)
//   conv, circular padding: equal everywhere
//   FC:                     unrelated. With i.i.d. weights W and bias b, the shifted-back output and the original
//                           one are sums over different, independent weights, so their difference has twice the
//                           variance of one output: RMS(difference) / RMS(output) = √2.
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/data/loader.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "epoch_training.h"

namespace nabla::lab {
namespace {

// x padded by `padding` on every side with the opposite edge's pixels (a torus), [B, C, H + 2p, W + 2p].
Tensor circular_pad(const Tensor& x, int64_t padding) {
  if (padding == 0) return x;
  const int64_t height = x.size(2), width = x.size(3);
  const Tensor rows = cat({x.narrow(2, height - padding, padding), x, x.narrow(2, 0, padding)}, 2);
  return cat({rows.narrow(3, width - padding, padding), rows, rows.narrow(3, 0, padding)}, 3);
}

double rms(const Tensor& x) { return std::sqrt(mean(x * x).item()); }

void run(Context& ctx) {
  // The negative tests' knobs: circular=0 measures the "circular" row with zero padding; stride=2 subsamples, so
  // an odd shift of the input is no whole shift of the output.
  const bool circular = ctx.parameter("circular", 1) != 0;
  const auto stride = static_cast<int64_t>(ctx.parameter("stride", 1));
  const auto max_shift = static_cast<int64_t>(ctx.parameter("max_shift", 4));
  const auto images = static_cast<int64_t>(ctx.parameter("images", ctx.quick() ? 16 : 256));
  NABLA_KNOB_CHECK(stride >= 1 && stride <= 4 && max_shift >= 1 && max_shift <= 12 && images >= 1 && images <= 1000,
                   "lab Q04: stride in [1, 4], max_shift in [1, 12], images in [1, 1000]");
  Generator& generator = ctx.generator();
  const TensorOptions f64{.dtype = DType::f64};
  const int64_t channels = 8, kernel = 3, padding = 1, side = 28;

  // ---- the two layers and their parameters
  auto uniform = [&](const Shape& shape, int64_t fan_in) {
    return (rand(shape, f64, &generator) * 2.0 - 1.0) / std::sqrt(static_cast<double>(fan_in));
  };
  const Tensor conv_weight = uniform({channels, 1, kernel, kernel}, kernel * kernel), conv_bias = uniform({channels}, kernel * kernel);
  const int64_t outputs = channels * side * side;
  const Tensor fc_weight = uniform({outputs, side * side}, side * side), fc_bias = uniform({outputs}, side * side);
  const int64_t conv_parameters = conv_weight.numel() + conv_bias.numel(), fc_parameters = fc_weight.numel() + fc_bias.numel();
  const int64_t conv_formula = kernel * kernel * 1 * channels + channels, fc_formula = side * side * outputs + outputs;
  ctx.table("Parameters for the same input [1, 28, 28] and output [8, 28, 28]",
            {"layer", "parameters (counted)", "formula", "value"},
            {{"conv 3×3, 1 → 8", std::to_string(conv_parameters), "k·k·C_in·C_out + C_out", std::to_string(conv_formula)},
             {"fully connected 784 → 6 272", std::to_string(fc_parameters), "in·out + out", std::to_string(fc_formula)}});
  ctx.figure("FC parameters / conv parameters", static_cast<double>(fc_parameters) / static_cast<double>(conv_parameters));
  ctx.claim({"the conv layer has k·k·C_in·C_out + C_out parameters, the FC layer in·out + out",
             "합성곱 층의 파라미터는 k·k·C_in·C_out + C_out개, 완전연결 층은 in·out + out개다"},
            conv_parameters == conv_formula && fc_parameters == fc_formula,
            format_text({"conv {} (formula {}), FC {} (formula {}): {:.0f}× more for the same sizes",
                         "합성곱 {} (공식 {}), 완전연결 {} (공식 {}): 같은 크기에 {:.0f}배"},
                        conv_parameters, conv_formula, fc_parameters, fc_formula,
                        static_cast<double>(fc_parameters) / static_cast<double>(conv_parameters)));

  // ---- shifting
  data::DataLoader loader(fashion_sample(data::Split::test, images, ctx.seed()),
                          {.batch_size = images, .shuffle = false, .prefetch = 0});
  const Tensor x = (loader.epoch(0)->next()->inputs.to(DType::f64) - 0.2860) / 0.3530;  // Fashion-MNIST's mean and std
  auto conv_zero = [&](const Tensor& input) {
    return functional::conv2d(input, conv_weight, conv_bias, {.stride = stride, .padding = padding});
  };
  auto conv_wrapped = [&](const Tensor& input) {
    return circular ? functional::conv2d(circular_pad(input, padding), conv_weight, conv_bias, {.stride = stride})
                    : conv_zero(input);
  };
  auto fully_connected = [&](const Tensor& input) {
    return functional::linear(input.flatten(1), fc_weight, fc_bias).reshape({input.size(0), channels, side, side});
  };
  const Tensor conv_output = conv_zero(x), wrapped_output = conv_wrapped(x), fc_output = fully_connected(x);
  const int64_t out_width = conv_output.size(3);

  std::vector<std::vector<std::string>> rows;
  plot::Panel panel{"Shift the input k pixels right, shift the output back: what differs",
                    "shift k (pixels)", "RMS(difference) / RMS(output)",
                    {{"conv, zero padding: interior", {}, {}}, {"conv, zero padding: whole map", {}, {}},
                     {circular ? "conv, circular padding: whole map" : "conv, zero padding (knob circular=0): whole map", {}, {}},
                     {"fully connected", {}, {}}, {"√2 (i.i.d. weights, prediction)", {}, {}}}};
  double worst_interior = 0, worst_wrapped = 0, worst_fc_gap = 0;
  Tensor shown_shifted, shown_map;
  for (int64_t shift = 1; shift <= max_shift; ++shift) {
    const Tensor moved = x.roll({shift}, {3});
    // The output moves by shift / stride positions; shifted back by that much (integer division).
    const int64_t back = shift / stride;
    const Tensor conv_back = conv_zero(moved).roll({-back}, {3});
    const Tensor wrapped_back = conv_wrapped(moved).roll({-back}, {3});
    const Tensor fc_back = fully_connected(moved).roll({-shift}, {3});
    // The interior: output columns whose receptive field neither wrapped around nor reached the zero padding,
    // in the unshifted frame [padding, width − shift − padding).
    const int64_t interior = out_width - back - 2 * padding;
    const double interior_error = rms((conv_back - conv_output).narrow(3, padding, interior)) / rms(conv_output);
    const double whole_error = rms(conv_back - conv_output) / rms(conv_output);
    const double wrapped_error = rms(wrapped_back - wrapped_output) / rms(wrapped_output);
    const double fc_error = rms(fc_back - fc_output) / rms(fc_output);
    worst_interior = std::max(worst_interior, interior_error);
    worst_wrapped = std::max(worst_wrapped, wrapped_error);
    worst_fc_gap = std::max(worst_fc_gap, std::abs(fc_error / std::sqrt(2.0) - 1));
    rows.push_back({std::to_string(shift), fmt::format("{:.3g}", interior_error), fmt::format("{:.3g}", whole_error),
                    fmt::format("{:.3g}", wrapped_error), fmt::format("{:.4f}", fc_error)});
    const std::vector<double> values = {interior_error, whole_error, wrapped_error, fc_error, std::sqrt(2.0)};
    for (size_t series = 0; series < values.size(); ++series) {
      panel.series[series].x.push_back(static_cast<double>(shift));
      panel.series[series].y.push_back(values[series]);
    }
    if (shift == max_shift) {
      shown_shifted = moved;
      shown_map = conv_zero(moved);
    }
  }
  ctx.table(fmt::format("RMS(shifted-back output − output) / RMS(output), over {} images (stride {})", images, stride),
            {"shift k", "conv, interior", "conv, whole map (zero padding)",
             circular ? "conv, whole map (circular padding)" : "conv, whole map (knob circular=0)", "FC"},
            rows);
  ctx.line_plot("shift_error.png", panel);
  // One image, its shifted copy, and channel 0 of the conv's feature map of each (each scaled to [0, 1]).
  // A map of a strided conv is smaller: drawn at the image's size (nearest neighbour), so the four share one grid.
  auto unit = [&](const Tensor& t) {
    const Tensor full = functional::interpolate(t.unsqueeze(0).unsqueeze(0), {.size = Size2(side)}).squeeze(0).squeeze(0);
    return (full - min(full)) / (max(full) - min(full));
  };
  ctx.image_grid("feature_maps.png",
                 fmt::format("Image, image shifted {} px right (rolled); conv channel 0 of each", max_shift),
                 stack({unit(x.select(0, 0).select(0, 0)), unit(shown_shifted.select(0, 0).select(0, 0)),
                        unit(conv_output.select(0, 0).select(0, 0)), unit(shown_map.select(0, 0).select(0, 0))},
                       0),
                 4);
  ctx.figure("conv: worst interior error after shifting back", worst_interior);
  ctx.figure("FC: worst |error / √2 − 1|", worst_fc_gap);

  ctx.claim({"the conv feature map shifts with the input: shifted back, its interior equals the original (to rounding)",
             "합성곱 특징 맵은 입력을 따라 이동한다: 되돌려 이동하면 내부가 원래와 같다 (반올림 오차 이내)"},
            worst_interior < 1e-12,
            format_text({"worst RMS(difference) / RMS(output) over shifts 1…{}: {:.3g}", "이동 1…{}에서 RMS(차이) / RMS(출력)의 최댓값: {:.3g}"},
                        max_shift, worst_interior));
  ctx.claim({"with circular padding the whole feature map shifts, borders included",
             "원형 패딩을 쓰면 경계까지 특징 맵 전체가 이동한다"},
            worst_wrapped < 1e-12,
            format_text({"worst RMS(difference) / RMS(output) over shifts 1…{}: {:.3g}", "이동 1…{}에서 RMS(차이) / RMS(출력)의 최댓값: {:.3g}"},
                        max_shift, worst_wrapped));
  // The RMS over images × 6 272 outputs averages ~10⁵ squared differences: its noise is well under 5 %.
  ctx.claim({"the FC output does not shift: the shifted-back difference is √2 × the output, as for unrelated weights (within 5 %)",
             "완전연결 출력은 이동하지 않는다: 되돌린 차이가 출력의 √2배로, 서로 무관한 가중치와 같다 (5 % 이내)"},
            worst_fc_gap < 0.05,
            format_text({"RMS(difference) / RMS(output) differs from √2 by at most {:.1f} % over shifts 1…{}",
                         "이동 1…{1}에서 RMS(차이) / RMS(출력)과 √2의 차이는 최대 {0:.1f} %"},
                        100 * worst_fc_gap, max_shift));
}

const bool registered = register_experiment({
    .id = "Q04",
    .title = "Fully connected vs convolutional layer",
    .question = {"What is the difference between a fully connected layer and a convolutional layer?",
                 "완전연결 층과 합성곱 층의 차이는 무엇인가요?"},
    .answer = {"A fully connected layer gives every output its own weight to every input: in·out weights, and no notion of "
               "where an input sits. A convolutional layer slides a few small filters over the input, so each output "
               "sees only a local window and the same weights are used at every position: k·k·C_in·C_out weights, "
               "independent of the image size (80 instead of about 4.9 million below). Sharing makes the convolution "
               "translation equivariant: shift the input and the feature map shifts by the same amount (exactly, except "
               "at the borders, where padding enters; with circular padding, everywhere). A fully connected layer has no "
               "such structure: the shifted input meets different weights, and its output changes as if the weights "
               "were new. Pooling and the layers after it turn equivariance into partial invariance.",
               "완전연결 층은 모든 출력이 모든 입력마다 자기 가중치를 가집니다. 가중치는 in·out개이고 입력이 어디에 있는지 "
               "개념이 없습니다. 합성곱 층은 작은 필터 몇 개를 입력 위로 밀어서, 출력마다 국소 창만 보고 모든 위치에서 같은 "
               "가중치를 씁니다. 가중치는 k·k·C_in·C_out개로 이미지 크기와 무관합니다(아래 예에서 약 490만 개 대신 80개). "
               "이 공유 덕분에 합성곱은 이동 등변성을 가집니다. 입력을 옮기면 특징 맵도 같은 만큼 옮겨집니다(패딩이 끼어드는 "
               "경계를 빼면 정확히, 원형 패딩이면 모든 곳에서). 완전연결 층에는 이런 구조가 없어서, 옮긴 입력은 다른 가중치를 "
               "만나고 출력은 가중치를 새로 뽑은 것처럼 바뀝니다. 풀링과 그 뒤 층들이 등변성을 부분적인 불변성으로 바꿉니다."},
    .topic = "B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
