// Q51: EfficientNet's key ideas, on efficientnet_small (src/models/efficientnet.cpp: a stride-1 stem and five
// MBConv stages for 1×28×28 images, 28 → 14 → 7 → 4).
// 1. The MBConv block: 1×1 expand → BN → SiLU → k×k depthwise → BN → SiLU → squeeze-and-excitation → 1×1
//    project → BN. Squeeze-and-excitation scales each channel c of x [N, C, H, W] by a gate computed from the
//    whole image: s = sigmoid(W₂·SiLU(W₁·mean_{h,w} x + b₁) + b₂) [N, C], y = s·x. Measured on Fashion-MNIST
//    features (the stem's output): the gates by hand from the layer's weights against the layer's own, and
//    what they look like (per image, per channel).
// 2. Compound scaling: depth × α^φ, width × β^φ, resolution × γ^φ with α = 1.2, β = 1.1, γ = 1.15, so that
//    FLOPs, about ∝ depth·width²·resolution², grow by α·β²·γ² ≈ 1.92 per unit of φ. The model rounds each
//    number: channels to multiples of 8 (make_divisible), blocks per stage up (⌈·⌉), the input size to the
//    nearest pixel, and a stride-2 layer's output up (⌈H/2⌉). Predictions, both from the architecture's
//    table alone, never from the model's run:
//      - the rule, unrounded: the same layers with real-valued channels, blocks and sizes (so the depthwise
//        convolutions, ∝ depth·width·resolution², and the squeeze-and-excitation's, ∝ depth·width², scale as
//        they do, not as width²);
//      - the rounded numbers: the exact multiply-add count of the convolutions and the classifier.
//    The FLOPs are measured by the per-op counter (analysis::FlopCounter) on one forward pass, the parameters
//    from the model's tensors.
// 3. With --full: the φ = 0, 1, 2 models trained alike on a Fashion-MNIST subset: test accuracy against FLOPs.
#include <algorithm>
#include <cmath>

#include "nabla/analysis/flops.h"
#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/squeeze_excitation.h"
#include "epoch_training.h"
#include "small_convnets.h"

namespace nabla::lab {
namespace {

// ---- the architecture's cost from its table, with the model's rounding or with real-valued numbers

// The numbers a walk over the layers rounds, in the order it meets them (to compare a rounded walk with an
// unrounded one, quantity by quantity).
struct Walk {
  double flops = 0;       // convolutions and the classifier's matrix product, a multiply-add counted as 2
  double parameters = 0;  // all of them, batch norm's weight and bias included
  std::vector<double> channels, blocks, sizes;
};

class Walker {
 public:
  explicit Walker(bool rounded) : rounded_(rounded) {}

  double channels(double value) {
    const double result = rounded_ ? static_cast<double>(models::make_divisible(value)) : value;
    walk.channels.push_back(result);
    return result;
  }
  double blocks(double layers, double depth_mult) {
    const double result = rounded_ ? std::ceil(layers * depth_mult) : layers * depth_mult;
    walk.blocks.push_back(result);
    return result;
  }
  // The output size of a k×k convolution with padding k/2 and the stride: ⌈H/stride⌉ in integers.
  double strided(double size, double stride) {
    const double result = rounded_ ? std::ceil(size / stride) : size / stride;
    walk.sizes.push_back(result);
    return result;
  }
  double input_size(double size) {
    const double result = rounded_ ? std::round(size) : size;
    walk.sizes.push_back(result);
    return result;
  }
  // The squeeze width, a quarter of the block's input channels (integer division in the model).
  double quarter(double value) const { return rounded_ ? std::max(1.0, std::floor(value / 4)) : value / 4; }

  // A convolution on size×size outputs, followed by batch norm (two parameters per channel) or with a bias.
  void convolution(double in, double out, double kernel, double groups, double size, bool batch_norm) {
    walk.flops += 2 * out * size * size * (in / groups) * kernel * kernel + (batch_norm ? 0 : out * size * size);
    walk.parameters += out * (in / groups) * kernel * kernel + (batch_norm ? 2 * out : out);
  }

  Walk walk;

 private:
  bool rounded_;
};

// efficientnet_small at `options`, fed `resolution`×`resolution` images: the walk of its layers, as
// EfficientNet's constructor builds them (stem, MBConv stages, head, classifier).
Walk walk_model(const models::EfficientNetOptions& options, double resolution, bool rounded) {
  Walker walker(rounded);
  double size = walker.input_size(resolution);
  const double stem = walker.channels(static_cast<double>(options.setting.front().in_channels) * options.width_mult);
  size = walker.strided(size, static_cast<double>(options.stem_stride));
  walker.convolution(static_cast<double>(options.input_channels), stem, 3, 1, size, true);
  double in = stem;
  for (const models::MBConvSetting& stage : options.setting) {
    const double out = walker.channels(static_cast<double>(stage.out_channels) * options.width_mult);
    const double layers = walker.blocks(static_cast<double>(stage.layers), options.depth_mult);
    const auto kernel = static_cast<double>(stage.kernel_size);
    // The first block strides and changes the channels; the other layers − 1 keep both. With real-valued
    // depth the "other" blocks are a fraction too: their cost is linear in their number.
    for (int first = 1; first >= 0; --first) {
      const double count = first ? 1 : layers - 1;
      const double block_in = first ? in : out;
      const double in_size = size;
      const double out_size = first ? walker.strided(size, static_cast<double>(stage.stride)) : size;
      const double expanded = walker.channels(block_in * stage.expand_ratio);
      const double squeeze = walker.quarter(block_in);
      Walker block(rounded);
      if (expanded != block_in) block.convolution(block_in, expanded, 1, 1, in_size, true);
      block.convolution(expanded, expanded, kernel, expanded, out_size, true);
      block.convolution(expanded, squeeze, 1, 1, 1, false);  // squeeze-and-excitation's fc1 and fc2
      block.convolution(squeeze, expanded, 1, 1, 1, false);
      block.convolution(expanded, out, 1, 1, out_size, true);
      walker.walk.flops += count * block.walk.flops;
      walker.walk.parameters += count * block.walk.parameters;
      size = out_size;
    }
    in = out;
  }
  const double last = 4 * in;
  walker.convolution(in, last, 1, 1, size, true);
  const auto classes = static_cast<double>(options.classes);
  walker.walk.flops += 2 * last * classes;
  walker.walk.parameters += last * classes + classes;
  return walker.walk;
}

// The largest factor by which rounding moved any one quantity (≥ 1), over a rounded and an unrounded walk.
double worst_factor(const std::vector<double>& rounded, const std::vector<double>& exact) {
  double worst = 1;
  for (size_t i = 0; i < rounded.size(); ++i) worst = std::max({worst, rounded[i] / exact[i], exact[i] / rounded[i]});
  return worst;
}

// Every FLOP term of the walk is a product of at most one depth (a block count), two channel counts and two
// spatial sizes, so rounding moves the total by a factor in [1/(w²·s²), d·w²·s²], with w, s, d the worst
// factors of each kind (depth only rounds up).
struct RoundingBand {
  double low, high;
};
RoundingBand rounding_band(const Walk& rounded, const Walk& exact) {
  const double width = worst_factor(rounded.channels, exact.channels);
  const double size = worst_factor(rounded.sizes, exact.sizes);
  const double depth = worst_factor(rounded.blocks, exact.blocks);
  return {1 / (width * width * size * size), depth * width * width * size * size};
}

// ---- measurements

struct Counted {
  double flops = 0;        // convolutions and matrix products, counted op by op
  double all_flops = 0;    // every op of the forward pass
  double parameters = 0;
};

Counted count(nn::Module& model) {
  autograd::NoGradGuard no_grad;
  model.eval();
  analysis::FlopCounter counter;
  model(zeros({1, 1, 28, 28}));
  Counted counted{.all_flops = static_cast<double>(counter.total()),
                  .parameters = static_cast<double>(model.parameter_count())};
  for (const analysis::OpFlops& op : counter.by_op()) {
    if (op.op == "conv2d" || op.op == "matmul") counted.flops += static_cast<double>(op.flops);
  }
  return counted;
}

void squeeze_excitation(Context& ctx, Generator& generator) {
  // Features to gate: the stem (3×3 conv → BN → SiLU, 32 channels) of efficientnet_small at φ = 0 on
  // Fashion-MNIST images, as its first MBConv block sees them, through a squeeze-and-excitation layer of that
  // block's shape (32 channels, squeeze width 32/4 = 8, SiLU inside).
  const int64_t images = 16, channels = 32, squeeze = channels / 4;
  const data::DatasetPtr sample = fashion_sample(data::Split::train, images, ctx.seed());
  std::vector<int64_t> indices(static_cast<size_t>(images));
  for (int64_t i = 0; i < images; ++i) indices[static_cast<size_t>(i)] = i;
  manual_seed(ctx.seed());
  nn::ModulePtr model = models::efficientnet(models::efficientnet_small_options());
  model->train();  // batch statistics: the stem's output is normalised per channel over these images
  nn::ModulePtr stem;
  for (const auto& [name, module] : model->named_modules()) {
    if (name == "features.0") stem = module;
  }
  NABLA_CHECK(stem, "lab Q51: efficientnet_small has no features.0 (its stem)");
  autograd::NoGradGuard no_grad;
  const Tensor x = (*stem)(sample->get_batch(indices).inputs);
  nn::SqueezeExcitation layer({.input_channels = channels, .squeeze_channels = squeeze,
                               .activation = std::make_shared<nn::SiLU>()},
                              &generator);
  const Tensor gate = layer.scale(x).reshape({images, channels});
  const Tensor y = layer(x);
  // By hand: average over the positions, fc1 (a 1×1 convolution is a matrix product), SiLU z·σ(z), fc2, σ.
  const Tensor pooled = mean(x, {2, 3});
  const Tensor hidden = matmul(pooled, layer.fc1->weight.reshape({squeeze, channels}).mT()) + layer.fc1->bias;
  const Tensor logits = matmul(hidden * sigmoid(hidden), layer.fc2->weight.reshape({channels, squeeze}).mT()) +
                        layer.fc2->bias;
  const Tensor hand_gate = 1.0 / (1.0 + exp(-logits));
  const double gate_difference = max(abs(gate - hand_gate)).item();
  const double scale_difference =
      max(abs(y - x * gate.reshape({images, channels, 1, 1}))).item() / max(abs(x)).item();
  // f32: each gate is a few dozen roundings of numbers of order 1 away from the hand value.
  ctx.claim({"squeeze-and-excitation's gate is sigmoid(W₂·SiLU(W₁·mean(x) + b₁) + b₂), computed by hand",
             "squeeze-and-excitation의 게이트는 손으로 계산한 sigmoid(W₂·SiLU(W₁·mean(x) + b₁) + b₂)와 같다"},
            gate_difference < 1e-5,
            format_text({"{} images × {} channels; largest |gate − hand gate|: {:.2g}",
                         "이미지 {}개 × 채널 {}개; |게이트 − 손 계산 게이트|의 최댓값: {:.2g}"},
                        images, channels, gate_difference));
  ctx.claim({"the layer multiplies every position of a channel by that channel's gate",
             "이 층은 채널의 모든 위치에 그 채널의 게이트를 곱한다"},
            scale_difference < 1e-6,
            format_text({"largest |y − gate·x| / max |x|: {:.2g}", "|y − 게이트·x|의 최댓값 / max |x|: {:.2g}"},
                        scale_difference));
  // What the gates look like: in (0, 1) by the sigmoid, different per image and per channel.
  const Tensor gates = gate.to(DType::f64);
  ctx.table(fmt::format("Squeeze-and-excitation gates at initialisation ({} Fashion-MNIST images × {} stem channels)",
                        images, channels),
            {"smallest", "largest", "mean", "spread over channels (std, mean over images)",
             "spread over images (std, mean over channels)"},
            {{fmt::format("{:.4f}", min(gates).item()), fmt::format("{:.4f}", max(gates).item()),
              fmt::format("{:.4f}", mean(gates).item()), fmt::format("{:.4f}", mean(std(gates, {1})).item()),
              fmt::format("{:.4f}", mean(std(gates, {0})).item())}});
  Grid grid{.x_label = "channel", .y_label = "image", .value_label = "gate (no unit, in (0, 1))"};
  const std::vector<double> values = gates.to_vector();
  for (int64_t c = 0; c < channels; ++c) grid.x.push_back(static_cast<double>(c));
  for (int64_t i = 0; i < images; ++i) {
    grid.y.push_back(static_cast<double>(i));
    grid.values.emplace_back(values.begin() + i * channels, values.begin() + (i + 1) * channels);
  }
  ctx.heatmap("se_gates.png", "Squeeze-and-excitation gate per image and channel (initial weights)", grid);
}

void run(Context& ctx) {
  // The negative test's knob: 0 builds the models with depth scaled alone (β = γ = 1) while the predictions
  // keep the compound rule.
  const bool compound = ctx.parameter("width_and_resolution", 1) != 0;
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", 3));
  NABLA_KNOB_CHECK(train_examples >= 256 && train_examples <= 60000 && epochs >= 1,
                   "lab Q51: train_examples in [256, 60 000], epochs ≥ 1");
  Generator& generator = ctx.generator();
  squeeze_excitation(ctx, generator);

  // ---- compound scaling
  const std::vector<double> phis{0, 0.5, 1, 1.5, 2};
  const double per_phi = 1.2 * 1.1 * 1.1 * 1.15 * 1.15;  // α·β²·γ²
  struct Row {
    double phi;
    Counted counted;
    Walk rounded, exact;  // the rule's numbers with the model's rounding, and unrounded
    int64_t resolution;
    nn::ModulePtr model;
  };
  std::vector<Row> rows;
  for (double phi : phis) {
    const models::EfficientNetOptions rule = models::efficientnet_small_options(10, phi);
    models::EfficientNetOptions built = rule;
    if (!compound) {
      built.width_mult = 1;
      built.input_size.reset();
    }
    manual_seed(ctx.seed());
    nn::ModulePtr model = models::efficientnet(built);
    const double resolution = 28 * models::compound_scaling(phi).resolution_mult;
    rows.push_back({phi, count(*model), walk_model(rule, resolution, true), walk_model(rule, resolution, false),
                    built.input_size.value_or(28), model});
  }
  std::vector<std::vector<std::string>> table;
  plot::Panel panel{"FLOPs of efficientnet_small under compound scaling, relative to φ = 0", "φ (compound coefficient)",
                    "FLOPs / FLOPs at φ = 0 (one 1×28×28 image; log scale)",
                    {{"measured (per-op counter)", {}, {}}, {"rule with the model's rounding", {}, {}},
                     {"rule unrounded", {}, {}}, {"(α·β²·γ²)^φ ≈ 1.92^φ", {}, {}}, {"2^φ", {}, {}}}, true};
  double worst_rounded = 0, worst_parameters = 0;
  std::vector<Text> outside;  // the φ where the measured growth leaves rounding's band around the unrounded rule
  const Row& base = rows.front();
  for (const Row& row : rows) {
    const double measured = row.counted.flops / base.counted.flops;
    const double rounded = row.rounded.flops / base.rounded.flops;
    const double exact = row.exact.flops / base.exact.flops;
    worst_rounded = std::max(worst_rounded, std::abs(row.counted.flops / row.rounded.flops - 1));
    worst_parameters = std::max(worst_parameters, std::abs(row.counted.parameters / row.rounded.parameters - 1));
    // measured/exact ratio = (rounded(φ)/exact(φ)) / (rounded(0)/exact(0)): each factor within its band.
    const RoundingBand here = rounding_band(row.rounded, row.exact), at_zero = rounding_band(base.rounded, base.exact);
    const double low = here.low / at_zero.high, high = here.high / at_zero.low;
    if (measured / exact < low || measured / exact > high) {
      outside.push_back(format_text({"φ = {}: {:.3f} outside [{:.3f}, {:.3f}]", "φ = {}: {:.3f}, [{:.3f}, {:.3f}] 밖"},
                                    row.phi, measured / exact, low, high));
    }
    const std::vector<double> values{measured, rounded, exact, std::pow(per_phi, row.phi), std::pow(2, row.phi)};
    for (size_t i = 0; i < values.size(); ++i) {
      panel.series[i].x.push_back(row.phi);
      panel.series[i].y.push_back(values[i]);
    }
    const models::CompoundScaling scaling = models::compound_scaling(row.phi);
    double blocks = 0;
    for (double stage : row.rounded.blocks) blocks += stage;
    table.push_back({fmt::format("{}", row.phi), fmt::format("{:.3f} / {:.3f} / {:.3f}", scaling.depth_mult,
                                                             scaling.width_mult, scaling.resolution_mult),
                     fmt::format("{:g}", blocks), std::to_string(row.resolution), fmt::format("{:.0f}", row.counted.flops),
                     fmt::format("{:.0f}", row.rounded.flops), fmt::format("{:.3f}", measured), fmt::format("{:.3f}", exact),
                     fmt::format("{:.3f}", std::pow(per_phi, row.phi)), fmt::format("[{:.2f}, {:.2f}]", low, high),
                     fmt::format("{:.0f}", row.counted.parameters),
                     fmt::format("{:.3f}", row.counted.parameters / base.counted.parameters)});
  }
  ctx.table("Compound scaling of efficientnet_small (FLOPs: convolutions and the classifier, one image)",
            {"φ", "depth / width / resolution ×", "blocks", "input px", "FLOPs counted", "FLOPs predicted (rounded)",
             "growth measured", "growth, rule unrounded", "(α·β²·γ²)^φ", "rounding's band for measured / unrounded",
             "parameters", "parameter growth"},
            table);
  ctx.line_plot("flops_vs_phi.png", panel);
  ctx.figure("FLOPs growth from φ = 0 to φ = 2 (measured)", rows.back().counted.flops / base.counted.flops);
  ctx.claim({"the compound rule, with the model's rounding, predicts the FLOPs counted op by op exactly",
             "모델의 반올림을 적용한 복합 스케일링 규칙은 연산별로 센 FLOPs를 정확히 예측한다"},
            worst_rounded < 1e-12,
            format_text({"φ = 0…2 in steps of 0.5: worst relative difference {:.2g} (the convolutions and the classifier; "
                         "all ops add {:.1f} % for batch norm, activations and the resize)",
                         "φ = 0…2 (0.5 간격): 최대 상대 차이 {:.2g} (합성곱과 분류기; 전체 연산은 배치 정규화, 활성화, 크기 조정으로 "
                         "{:.1f} % 더함)"},
                        worst_rounded, 100 * (rows.back().counted.all_flops / rows.back().counted.flops - 1)));
  ctx.claim({"rounding alone separates the measured growth from the unrounded rule's",
             "측정된 증가와 반올림 없는 규칙의 차이는 반올림만으로 설명된다"},
            outside.empty(),
            outside.empty()
                ? format_text({"at every φ, measured / unrounded growth lies in the band that rounding channels, blocks "
                               "and sizes can cause (the table's band column); the unrounded rule grows {:.3f}× "
                               "per unit of φ from 0 to 2 against α·β²·γ² = {:.3f} (depthwise and squeeze-and-excitation "
                               "layers grow slower than width²)",
                               "모든 φ에서 측정 / 반올림 없는 증가가 채널·블록·크기의 반올림이 낼 수 있는 범위 안에 있다; 반올림 "
                               "없는 규칙은 φ 0→2에서 단위당 {:.3f}배, α·β²·γ² = {:.3f} (depthwise와 squeeze-and-excitation 층은 "
                               "폭²보다 느리게 큰다)"},
                              std::sqrt(rows.back().exact.flops / base.exact.flops), per_phi)
                : join_texts(outside, "; "));
  ctx.claim({"parameters equal the count from the rule's rounded widths and depths (resolution adds none)",
             "파라미터 수는 규칙의 반올림된 폭과 깊이로 센 값과 같다 (해상도는 더하지 않는다)"},
            worst_parameters < 1e-12,
            format_text({"worst relative difference {:.2g}; from φ = 0 to 2 the parameters grow {:.2f}×, the FLOPs {:.2f}×",
                         "최대 상대 차이 {:.2g}; φ 0→2에서 파라미터는 {:.2f}배, FLOPs는 {:.2f}배"},
                        worst_parameters, rows.back().counted.parameters / base.counted.parameters,
                        rows.back().counted.flops / base.counted.flops));

  // ---- (--full) accuracy against FLOPs: φ = 0, 1, 2 trained alike
  if (!ctx.full()) return;
  const FashionTask task = fashion_task(train_examples, 10000, ctx.seed());
  const ClassifierSettings settings{.epochs = epochs, .batch_size = 64, .lr = 2e-3, .seed = ctx.seed()};
  plot::Panel accuracy_panel{fmt::format("Fashion-MNIST test accuracy after {} epochs on {} images (Adam)", epochs,
                                         train_examples),
                             "FLOPs per image (convolutions and classifier)", "test accuracy (fraction of 10 000 images)",
                             {{"efficientnet_small, φ = 0, 1, 2", {}, {}}}};
  std::vector<std::vector<std::string>> accuracy_rows;
  double worst_accuracy = 1;
  for (const Row& row : rows) {
    if (row.phi != std::floor(row.phi)) continue;
    manual_seed(ctx.seed());
    const ClassifierRun result = train_classifier(*row.model, task, settings);
    worst_accuracy = std::min(worst_accuracy, result.test_accuracy);
    accuracy_panel.series[0].x.push_back(row.counted.flops);
    accuracy_panel.series[0].y.push_back(result.test_accuracy);
    accuracy_rows.push_back({fmt::format("{}", row.phi), fmt::format("{:.0f}", row.counted.flops),
                             fmt::format("{:.1f} %", 100 * result.test_accuracy)});
  }
  ctx.scatter_plot("accuracy_vs_flops.png", accuracy_panel);
  ctx.table("Accuracy against FLOPs", {"φ", "FLOPs per image", "test accuracy"}, accuracy_rows);
  ctx.claim({"every scaled model learns the task: test accuracy ≥ 5× chance (50 %)",
             "스케일한 모든 모델이 과제를 배운다: 테스트 정확도가 우연의 5배(50 %) 이상이다"},
            worst_accuracy >= 0.5,
            format_text({"lowest test accuracy {:.1f} %", "가장 낮은 테스트 정확도 {:.1f} %"}, 100 * worst_accuracy));
}

const bool registered = register_experiment({
    .id = "Q51",
    .title = "EfficientNet's key idea: compound scaling of MBConv networks",
    .question = {"What is the key idea of EfficientNet?", "EfficientNet의 핵심 아이디어는 무엇인가요?"},
    .answer = {"EfficientNet builds on MobileNetV2's inverted residual (MBConv: expand, depthwise, project) with SiLU "
               "and a squeeze-and-excitation gate that rescales each channel by a number in (0, 1) computed from the "
               "whole image. Its main idea is compound scaling: instead of making a network only deeper, wider or "
               "fed larger images, scale all three together, depth by α^φ, width by β^φ and resolution by γ^φ with "
               "α·β²·γ² ≈ 2, so each step of φ about doubles the FLOPs. In a real model the doubling is rough: "
               "channels round to multiples of 8, blocks round up, depthwise layers grow only linearly in width, so "
               "the FLOPs jump unevenly with φ, and only the rounded numbers predict them exactly.",
               "EfficientNet은 MobileNetV2의 inverted residual(MBConv: 확장, depthwise, 투영)에 SiLU와, 이미지 전체에서 "
               "계산한 (0, 1) 사이의 값으로 채널마다 크기를 조절하는 squeeze-and-excitation 게이트를 더합니다. 핵심은 "
               "복합 스케일링입니다. 신경망을 깊게만, 넓게만, 또는 큰 이미지로만 키우지 않고 깊이를 α^φ, 폭을 β^φ, 해상도를 "
               "γ^φ배로 함께 키우며, α·β²·γ² ≈ 2이므로 φ가 1 늘 때마다 FLOPs가 약 두 배가 됩니다. 실제 모델에서는 두 배가 "
               "대략적입니다. 채널은 8의 배수로, 블록 수는 올림으로 반올림되고 depthwise 층은 폭에 선형으로만 커지므로 "
               "FLOPs는 φ에 따라 고르지 않게 뛰며, 반올림된 수로만 정확히 예측됩니다."},
    .topic = "E J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
