// Q48: how a CNN computes a convolution. By hand, in f64, with explicit loops:
//   y[n, o, i, j] = b[o] + Σ_c Σ_a Σ_b w[o, c, a, b] · x[n, g·C_in/G + c, i·s_h − p_h + a·d_h, j·s_w − p_w + b·d_w]
// for output channel o in group g = o / (C_out/G), c over that group's C_in/G input channels, pixels outside the
// input reading 0 (zero padding). That is a cross-correlation: the kernel is not flipped. The same loops give the
// weight's gradient for an upstream gradient u: ∂L/∂w[o, c, a, b] = Σ_n Σ_i Σ_j u[n, o, i, j] · (the same x).
// Both are compared with nabla's conv2d (f64 and f32) and its backward over configurations of stride, padding,
// dilation and groups; then hand-set 3×3 filters are run over a Fashion-MNIST image.
#include <cmath>

#include "nabla/data/loader.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "epoch_training.h"

namespace nabla::lab {
namespace {

struct Config {
  std::string label;
  int64_t in_channels, out_channels, height, width;
  Size2 kernel, stride, padding, dilation;
  int64_t groups;
};

int64_t output_size(int64_t size, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

struct ByHand {
  Tensor output;           // [N, C_out, H_out, W_out]
  Tensor weight_gradient;  // [C_out, C_in/G, k_h, k_w], for the upstream gradient given (when one is)
};

// `flipped` is the negative test's knob: the kernel rotated by 180°, as a convolution in the signal-processing sense.
ByHand convolve_by_hand(const Tensor& x, const Tensor& weight, const Tensor& bias, const Config& config, bool flipped,
                        const Tensor& upstream = {}) {
  const int64_t batch = x.size(0), height = x.size(2), width = x.size(3);
  const int64_t kernel_h = config.kernel.height, kernel_w = config.kernel.width;
  const int64_t out_h = output_size(height, kernel_h, config.stride.height, config.padding.height, config.dilation.height);
  const int64_t out_w = output_size(width, kernel_w, config.stride.width, config.padding.width, config.dilation.width);
  const int64_t in_per_group = config.in_channels / config.groups, out_per_group = config.out_channels / config.groups;
  const std::vector<double> xs = x.to_vector(), ws = weight.to_vector(), bs = bias.to_vector();
  const std::vector<double> us = upstream.defined() ? upstream.to_vector() : std::vector<double>{};
  std::vector<double> ys(static_cast<size_t>(batch * config.out_channels * out_h * out_w), 0.0), grads(ws.size(), 0.0);
  auto x_at = [&](int64_t n, int64_t channel, int64_t row, int64_t column) {
    if (row < 0 || row >= height || column < 0 || column >= width) return 0.0;  // zero padding
    return xs[static_cast<size_t>(((n * config.in_channels + channel) * height + row) * width + column)];
  };
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o = 0; o < config.out_channels; ++o) {
      const int64_t group = o / out_per_group;
      for (int64_t i = 0; i < out_h; ++i) {
        for (int64_t j = 0; j < out_w; ++j) {
          const size_t y_index = static_cast<size_t>(((n * config.out_channels + o) * out_h + i) * out_w + j);
          double total = bs[static_cast<size_t>(o)];
          for (int64_t c = 0; c < in_per_group; ++c) {
            for (int64_t a = 0; a < kernel_h; ++a) {
              for (int64_t b = 0; b < kernel_w; ++b) {
                const int64_t ka = flipped ? kernel_h - 1 - a : a, kb = flipped ? kernel_w - 1 - b : b;
                const size_t w_index = static_cast<size_t>(((o * in_per_group + c) * kernel_h + ka) * kernel_w + kb);
                const double pixel = x_at(n, group * in_per_group + c, i * config.stride.height - config.padding.height + a * config.dilation.height,
                                          j * config.stride.width - config.padding.width + b * config.dilation.width);
                total += ws[w_index] * pixel;
                if (!us.empty()) grads[w_index] += us[y_index] * pixel;
              }
            }
          }
          ys[y_index] = total;
        }
      }
    }
  }
  const TensorOptions f64{.dtype = DType::f64};
  return {from_vector(ys, {batch, config.out_channels, out_h, out_w}, f64), from_vector(grads, weight.shape(), f64)};
}

double relative_difference(const Tensor& a, const Tensor& b) {
  return max(abs(a.to(DType::f64) - b.to(DType::f64))).item() / max(abs(b.to(DType::f64))).item();
}

void run(Context& ctx) {
  // The negative test's knob: 1 flips the kernel in the hand loops (a true convolution, not a cross-correlation).
  const bool flipped = ctx.parameter("flip_kernel", 0) != 0;
  const auto batch = static_cast<int64_t>(ctx.parameter("batch", ctx.quick() ? 2 : 8));
  NABLA_KNOB_CHECK(batch >= 1 && batch <= 16, "lab Q48: batch in [1, 16]");
  Generator& generator = ctx.generator();
  const TensorOptions f64{.dtype = DType::f64};

  // ---- 1. by hand = the op
  const std::vector<Config> configs = {
      {"3×3, 2 → 3 channels", 2, 3, 7, 7, 3, 1, 0, 1, 1},
      {"3×3, stride 2, padding 1", 2, 3, 8, 8, 3, 2, 1, 1, 1},
      {"3×3, dilation 2, padding 2", 2, 3, 9, 9, 3, 1, 2, 2, 1},
      {"3×3, groups 2 (4 → 6)", 4, 6, 7, 7, 3, 1, 1, 1, 2},
      {"3×3 depthwise (groups 4, 4 → 4)", 4, 4, 7, 7, 3, 1, 1, 1, 4},
      {"3×2, stride (2, 1), padding (1, 0), dilation (1, 2), groups 2", 4, 6, 9, 8, {3, 2}, {2, 1}, {1, 0}, {1, 2}, 2},
      {"1×1 (pointwise)", 3, 5, 6, 6, 1, 1, 0, 1, 1},
      {"5×5, stride 3, padding 2", 1, 2, 11, 10, 5, 3, 2, 1, 1},
  };
  std::vector<std::vector<std::string>> rows;
  double worst_f64 = 0, worst_f32 = 0, worst_gradient = 0;
  int64_t shape_mismatches = 0;
  for (const Config& config : configs) {
    const Tensor x = randn({batch, config.in_channels, config.height, config.width}, f64, &generator);
    Tensor weight = randn({config.out_channels, config.in_channels / config.groups, config.kernel.height, config.kernel.width}, f64,
                          &generator).requires_grad_();
    const Tensor bias = randn({config.out_channels}, f64, &generator);
    const nn::Conv2dOptions options{.stride = config.stride, .padding = config.padding, .dilation = config.dilation,
                                    .groups = config.groups};
    const Tensor op = functional::conv2d(x, weight, bias, options);
    const Tensor upstream = randn(op.shape(), f64, &generator);
    sum(op * upstream).backward();
    const ByHand hand = convolve_by_hand(x, weight.detach(), bias, config, flipped, upstream);
    const Tensor op_f32 = functional::conv2d(x.to(DType::f32), weight.detach().to(DType::f32), bias.to(DType::f32), options);
    const double f64_difference = relative_difference(op, hand.output);
    const double f32_difference = relative_difference(op_f32, hand.output);
    const double gradient_difference = relative_difference(weight.grad(), hand.weight_gradient);
    shape_mismatches += op.shape() != hand.output.shape();
    worst_f64 = std::max(worst_f64, f64_difference);
    worst_f32 = std::max(worst_f32, f32_difference);
    worst_gradient = std::max(worst_gradient, gradient_difference);
    rows.push_back({config.label, shape_string(x.shape()), shape_string(op.shape()), fmt::format("{:.2g}", f64_difference),
                    fmt::format("{:.2g}", f32_difference), fmt::format("{:.2g}", gradient_difference)});
  }
  ctx.table(fmt::format("conv2d against the loops ({}), max |difference| / max |by hand|", flipped ? "kernel FLIPPED" : "cross-correlation"),
            {"configuration", "input", "output", "f64 op", "f32 op", "∂L/∂w (f64)"}, rows);
  ctx.claim({"by hand (explicit loops, f64) equals nabla's conv2d for every stride, padding, dilation and groups tried",
             "손으로 계산한 값(명시적 반복문, f64)은 시도한 모든 stride, padding, dilation, groups에서 nabla의 conv2d와 같다"},
            worst_f64 < 1e-13 && shape_mismatches == 0,
            format_text({"{} configurations: worst relative difference {:.2g} (f64 op), {:.2g} (f32 op); {} output shapes differ",
                         "설정 {}개: 최대 상대 차이 {:.2g} (f64 연산), {:.2g} (f32 연산); 출력 모양이 다른 경우 {}개"},
                        configs.size(), worst_f64, worst_f32, shape_mismatches));
  ctx.claim({"the weight gradient by hand (Σ upstream · input window) equals conv2d's backward",
             "손으로 계산한 가중치 기울기(Σ 상위 기울기 · 입력 창)는 conv2d의 역전파와 같다"},
            worst_gradient < 1e-13,
            format_text({"worst relative difference {:.2g}", "최대 상대 차이 {:.2g}"}, worst_gradient));

  // ---- 2. feature maps of hand-set filters on a Fashion-MNIST image
  data::DataLoader loader(fashion_sample(data::Split::test, 100, ctx.seed()), {.batch_size = 1, .shuffle = false, .prefetch = 0});
  const data::Batch first = *loader.epoch(0)->next();
  const Tensor image = first.inputs.to(DType::f64);  // [1, 1, 28, 28] in [0, 1]
  const Tensor filters = from_vector({-1, 0, 1, -2, 0, 2, -1, 0, 1,             // vertical edges (Sobel, x)
                                      -1, -2, -1, 0, 0, 0, 1, 2, 1,             // horizontal edges (Sobel, y)
                                      0, 1, 0, 1, -4, 1, 0, 1, 0,               // Laplacian: spots and outlines
                                      1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9},  // blur
                                     {4, 1, 3, 3}, f64);
  const Config image_config{"", 1, 4, 28, 28, 3, 1, 1, 1, 1};
  const Tensor no_bias = zeros({4}, f64);
  const ByHand maps = convolve_by_hand(image, filters, no_bias, image_config, flipped);
  const Tensor op_maps = functional::conv2d(image, filters, no_bias, {.padding = 1});
  const double map_difference = relative_difference(op_maps, maps.output);
  // Edge maps are signed: drawn as |response| scaled to [0, 1], so both dark-to-light and light-to-dark edges show.
  std::vector<Tensor> panels = {image.select(0, 0).select(0, 0)};
  for (int64_t f = 0; f < 4; ++f) {
    const Tensor map = abs(maps.output.select(0, 0).select(0, f));
    panels.push_back(map / max(map));
  }
  ctx.image_grid("feature_maps.png",
                 "Image; |vertical edges|, |horizontal edges|, |Laplacian|, blur (3×3, by hand)",
                 stack(panels, 0), 5);
  // Which filter answers most where: the vertical-edge filter's energy against the horizontal one's.
  const double vertical_energy = sum(maps.output.select(1, 0).pow(2)).item();
  const double horizontal_energy = sum(maps.output.select(1, 1).pow(2)).item();
  ctx.note(fmt::format("on this image ({}): Σ response² of the vertical-edge filter {:.1f}, of the horizontal-edge filter {:.1f}",
                       data::fashion_mnist_classes[static_cast<size_t>(first.targets.item<int64_t>())],
                       vertical_energy, horizontal_energy));
  ctx.claim({"the feature maps of the hand-set filters by hand equal conv2d's", "손으로 설정한 필터의 특징 맵은 손 계산과 conv2d가 같다"},
            map_difference < 1e-13,
            format_text({"4 filters on a 28×28 image, padding 1: relative difference {:.2g}",
                         "28×28 이미지에 필터 4개, padding 1: 상대 차이 {:.2g}"},
                        map_difference));
}

const bool registered = register_experiment({
    .id = "Q48",
    .title = "How a CNN computes",
    .question = {"How does a convolutional layer compute its output?", "합성곱 층은 출력을 어떻게 계산하나요?"},
    .answer = {"Each output value is a dot product of one small filter with the window of the input beneath it, summed "
               "over the window's channels, plus a bias; sliding the window over the image gives one feature map per "
               "filter. Stride moves the window by more than one pixel (a smaller map), padding adds zeros around the "
               "input (so the border gets windows too), dilation spaces the filter's taps apart (a wider view with the "
               "same weights), and groups split the channels so that each filter sees only its group's inputs "
               "(depthwise: one channel each). Deep-learning libraries compute a cross-correlation, the kernel not "
               "flipped, though they call it convolution; it makes no difference to learning, since the network learns "
               "whichever orientation it needs. Fast implementations turn the sliding windows into one matrix product "
               "(im2col) or use Winograd or FFT tricks, but the numbers are the ones the plain loops give.",
               "출력 값 하나는 작은 필터 하나와 그 아래 입력 창의 내적을 창의 채널에 걸쳐 더하고 편향을 더한 값입니다. 창을 "
               "이미지 위로 밀면 필터마다 특징 맵이 하나씩 나옵니다. stride는 창을 한 픽셀보다 많이 옮기고(맵이 작아짐), "
               "padding은 입력 둘레에 0을 붙이며(경계도 창을 받음), dilation은 필터의 탭 사이를 띄우고(같은 가중치로 더 넓게 "
               "봄), groups는 채널을 나눠 각 필터가 자기 그룹의 입력만 보게 합니다(depthwise는 채널 하나씩). 딥러닝 "
               "라이브러리는 합성곱이라고 부르지만 실제로는 커널을 뒤집지 않는 교차상관을 계산합니다. 네트워크가 필요한 방향을 "
               "배우므로 학습에는 차이가 없습니다. 빠른 구현은 창들을 행렬곱 하나로 바꾸거나(im2col) Winograd, FFT 기법을 "
               "쓰지만, 결과 값은 단순한 반복문과 같습니다."},
    .topic = "B E",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
