// Q68: counting a convolution layer's parameters (and FLOPs). A stack of Conv2d layers of every kind on
// x [N, 3, 32, 32] — standard, depthwise (groups = C_in), pointwise (1×1), grouped and strided, dilated,
// rectangular — then a small head:
//   conv 3×3 3→16 p1 → ReLU → depthwise 3×3 16→16 p1 (groups 16) → pointwise 1×1 16→32 → ReLU →
//   grouped 3×3 32→32 stride 2 p1 (groups 4) → dilated 3×3 32→24 dilation 2 p2 → conv 1×5 24→24 p(0, 2) →
//   adaptive average pool 1 → flatten → Linear 24→10
// nn::summary() runs it once and reports each layer's output shape, parameters and FLOPs. Each conv layer is
// checked three ways: parameters against k_h·k_w·(C_in/groups)·C_out + C_out; output shape against
// ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 chained from the input by hand; FLOPs against the formula
// 2·N·C_out·H_out·W_out·(C_in/groups)·k_h·k_w + N·C_out·H_out·W_out, and against the FLOPs the counter
// measures when the same layer is computed another way (im2col: unfold, then one matrix product per group).
#include <cmath>

#include "nabla/analysis/flops.h"
#include "nabla/autograd.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/linear.h"
#include "nabla/nn/pool.h"
#include "nabla/nn/summary.h"

namespace nabla::lab {
namespace {

int64_t output_size(int64_t size, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

// The convolution as im2col + matrix product: columns [N, groups, (C_in/groups)·k_h·k_w, L] (unfold orders its
// rows channel by channel, so each group's channels are one block), weight [groups, C_out/groups, same], one
// batched product, then the bias. Returns [N, C_out, H_out, W_out].
Tensor convolution_by_columns(const Tensor& x, const nn::Conv2d& layer, int64_t height, int64_t width) {
  const nn::Conv2dOptions& o = layer.options;
  const int64_t batch = x.size(0), groups = o.groups;
  const int64_t taps = o.in_channels / groups * o.kernel_size.height * o.kernel_size.width;
  const Tensor columns = functional::unfold(x, {.kernel_size = o.kernel_size, .dilation = o.dilation, .padding = o.padding,
                                                .stride = o.stride});
  const int64_t positions = columns.size(2);
  Tensor product = matmul(layer.weight.reshape({groups, o.out_channels / groups, taps}),
                          columns.reshape({batch, groups, taps, positions}));
  if (layer.bias.defined()) product = product + layer.bias.reshape({groups, o.out_channels / groups, 1});
  return product.reshape({batch, o.out_channels, height, width});
}

void run(Context& ctx) {
  // The negative test's knob: 0 builds every conv without a bias, so the formula's + C_out overcounts.
  const bool bias = ctx.parameter("bias", 1) != 0;
  const auto batch = static_cast<int64_t>(ctx.parameter("batch", ctx.quick() ? 2 : 8));
  NABLA_KNOB_CHECK(batch >= 1 && batch <= 64, "lab Q68: batch in [1, 64]");

  Generator& generator = ctx.generator();
  auto conv = [&](nn::Conv2dOptions options) {
    options.bias = bias;
    return std::make_shared<nn::Conv2d>(options, &generator);
  };
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::AnyModule>{
      conv({.in_channels = 3, .out_channels = 16, .kernel_size = 3, .padding = 1}), std::make_shared<nn::ReLU>(),
      conv({.in_channels = 16, .out_channels = 16, .kernel_size = 3, .padding = 1, .groups = 16}),
      conv({.in_channels = 16, .out_channels = 32, .kernel_size = 1}), std::make_shared<nn::ReLU>(),
      conv({.in_channels = 32, .out_channels = 32, .kernel_size = 3, .stride = 2, .padding = 1, .groups = 4}),
      conv({.in_channels = 32, .out_channels = 24, .kernel_size = 3, .padding = 2, .dilation = 2}),
      conv({.in_channels = 24, .out_channels = 24, .kernel_size = Size2{1, 5}, .padding = Size2{0, 2}}),
      std::make_shared<nn::AdaptiveAvgPool2d>(1), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 24, .out_features = 10}, &generator)});
  const Shape input_shape = {batch, 3, 32, 32};
  const nn::ModelSummary summary = nn::summary(*model, input_shape);
  ctx.note("nn::summary(model, " + shape_string(input_shape) + "):\n" + summary.to_string());

  // Walk the layers in order with a real input, so that each conv's input is at hand for the im2col count.
  Tensor x = randn(input_shape, {}, &generator);
  int64_t height = input_shape[2], width = input_shape[3];
  int64_t conv_layers = 0, parameter_mismatches = 0, shape_mismatches = 0, flop_mismatches = 0, column_mismatches = 0;
  double worst_output_difference = 0;
  std::vector<std::string> depthwise_names;
  std::vector<std::vector<std::string>> rows;
  plot::Panel agreement{"Each conv layer: summary() against the formula (on the diagonal when they agree)",
                        "log₁₀ of the formula's count", "log₁₀ of summary()'s count",
                        {{"parameters", {}, {}}, {"FLOPs", {}, {}}}};
  autograd::NoGradGuard no_grad;
  model->eval();
  for (const auto& [name, module] : model->named_children()) {
    auto layer = std::dynamic_pointer_cast<nn::Conv2d>(module);
    if (!layer) {
      x = (*module)(x);
      continue;
    }
    const nn::Conv2dOptions& o = layer->options;
    const auto found = std::find_if(summary.layers.begin(), summary.layers.end(),
                                    [&](const nn::LayerSummary& row) { return row.name == name; });
    NABLA_CHECK(found != summary.layers.end(), "lab Q68: summary() has no row for conv layer {}", name);
    const int64_t kernel_h = o.kernel_size.height, kernel_w = o.kernel_size.width;
    height = output_size(height, kernel_h, o.stride.height, o.padding.height, o.dilation.height);
    width = output_size(width, kernel_w, o.stride.width, o.padding.width, o.dilation.width);
    const Shape predicted_shape = {batch, o.out_channels, height, width};
    const int64_t per_group = o.in_channels / o.groups;
    const int64_t predicted_parameters = kernel_h * kernel_w * per_group * o.out_channels + o.out_channels;
    const int64_t outputs = batch * o.out_channels * height * width;
    const int64_t predicted_flops = 2 * outputs * per_group * kernel_h * kernel_w + outputs;
    int64_t column_flops = 0;
    Tensor by_columns;
    {
      analysis::FlopCounter counter;
      by_columns = convolution_by_columns(x, *layer, height, width);
      column_flops = counter.total();
    }
    x = (*module)(x);
    worst_output_difference = std::max(worst_output_difference, max(abs(by_columns - x)).item() / max(abs(x)).item());
    ++conv_layers;
    parameter_mismatches += found->parameters != predicted_parameters;
    shape_mismatches += found->output_shape != predicted_shape;
    flop_mismatches += found->flops != predicted_flops;
    column_mismatches += column_flops != found->flops;
    if (o.groups == o.in_channels && o.groups > 1) depthwise_names.push_back(name);
    agreement.series[0].x.push_back(std::log10(static_cast<double>(predicted_parameters)));
    agreement.series[0].y.push_back(std::log10(static_cast<double>(found->parameters)));
    agreement.series[1].x.push_back(std::log10(static_cast<double>(predicted_flops)));
    agreement.series[1].y.push_back(std::log10(static_cast<double>(found->flops)));
    rows.push_back({name, layer->describe(), shape_string(found->output_shape), shape_string(predicted_shape),
                    std::to_string(found->parameters), std::to_string(predicted_parameters), std::to_string(found->flops),
                    std::to_string(predicted_flops), std::to_string(column_flops)});
  }
  ctx.table("Conv layers: summary() against the formulas and the im2col count",
            {"layer", "module", "output shape", "⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1", "parameters",
             "k_h·k_w·(C_in/groups)·C_out + C_out", "FLOPs", "formula", "FLOPs of im2col + matmul (counted)"},
            rows);
  ctx.scatter_plot("summary_vs_formula.png", agreement);
  int64_t layer_sum = 0;
  for (const nn::LayerSummary& row : summary.layers) layer_sum += row.parameters;
  int64_t tensor_sum = 0;
  for (const Tensor& parameter : model->parameters()) tensor_sum += parameter.numel();
  ctx.figure("parameters (summary total)", static_cast<double>(summary.parameters));
  ctx.figure("FLOPs (summary total)", static_cast<double>(summary.flops));

  ctx.claim({"every conv layer has k_h·k_w·(C_in/groups)·C_out + C_out parameters, depthwise included",
             "모든 합성곱 층의 파라미터 수는 k_h·k_w·(C_in/groups)·C_out + C_out이다 (depthwise 포함)"},
            conv_layers > 0 && parameter_mismatches == 0 && !depthwise_names.empty(),
            format_text({"{} of {} conv layers differ from the formula (depthwise: layer {})",
                         "합성곱 층 {1}개 중 {0}개가 공식과 다르다 (depthwise: {2}번 층)"},
                        parameter_mismatches, conv_layers, fmt::format("{}", fmt::join(depthwise_names, ", "))));
  ctx.claim({"summary()'s output shapes follow ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 layer by layer",
             "summary()의 출력 모양은 층마다 ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1을 따른다"},
            shape_mismatches == 0,
            format_text({"{} of {} conv layers differ; the last is {}", "합성곱 층 {1}개 중 {0}개가 다르다; 마지막 층은 {2}"},
                        shape_mismatches, conv_layers, rows.empty() ? std::string() : rows.back()[2]));
  ctx.claim({"summary()'s FLOPs per conv layer equal 2·N·C_out·H_out·W_out·(C_in/groups)·k_h·k_w + N·C_out·H_out·W_out",
             "summary()의 합성곱 층별 FLOPs는 2·N·C_out·H_out·W_out·(C_in/groups)·k_h·k_w + N·C_out·H_out·W_out이다"},
            flop_mismatches == 0,
            format_text({"{} of {} conv layers differ from the formula", "합성곱 층 {1}개 중 {0}개가 공식과 다르다"},
                        flop_mismatches, conv_layers));
  ctx.claim({"computed as im2col + one matrix product per group, each conv layer costs the FLOPs summary() reports",
             "im2col과 그룹별 행렬곱으로 계산해도 각 합성곱 층의 FLOPs는 summary()가 보고한 값과 같다"},
            column_mismatches == 0 && worst_output_difference < 1e-4,
            format_text({"{} of {} layers differ; the two computations' outputs agree to {:.2g} (relative, f32)",
                         "층 {1}개 중 {0}개가 다르다; 두 계산의 출력 차이는 {2:.2g} (상대, f32)"},
                        column_mismatches, conv_layers, worst_output_difference));
  ctx.claim({"summary()'s total is the sum of its layers and of the model's parameter tensors",
             "summary()의 합계는 층별 합계이자 모델 파라미터 텐서 원소 수의 합이다"},
            summary.parameters == layer_sum && summary.parameters == tensor_sum,
            format_text({"total {}, sum over layers {}, sum over parameter tensors {}",
                         "합계 {}, 층별 합 {}, 파라미터 텐서 합 {}"},
                        summary.parameters, layer_sum, tensor_sum));
}

const bool registered = register_experiment({
    .id = "Q68",
    .title = "Counting a conv layer's parameters",
    .question = {"How many parameters does a convolutional layer have?", "합성곱 층의 파라미터 수는 몇 개인가요?"},
    .answer = {"A Conv2d with C_in input channels, C_out output channels and a k×k kernel has k·k·C_in·C_out weights "
               "plus C_out biases, whatever the image size: the same filters slide over every position. With groups, each "
               "output channel sees only C_in/groups inputs, so the weights become k·k·(C_in/groups)·C_out; a depthwise "
               "layer (groups = C_in = C_out) has just k·k·C + C. Stride, padding and dilation change the output size "
               "and the compute, never the parameters. The compute is what the image size drives: each output value "
               "costs (C_in/groups)·k·k multiply-adds, so FLOPs ≈ 2·N·C_out·H_out·W_out·(C_in/groups)·k·k, with "
               "H_out = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1.",
               "입력 채널 C_in, 출력 채널 C_out, k×k 커널인 Conv2d의 가중치는 k·k·C_in·C_out개, 편향은 C_out개이며 이미지 "
               "크기와 무관합니다. 같은 필터가 모든 위치를 훑기 때문입니다. groups를 쓰면 출력 채널마다 입력 C_in/groups개만 "
               "보므로 가중치는 k·k·(C_in/groups)·C_out이 되고, depthwise 층(groups = C_in = C_out)은 k·k·C + C개뿐입니다. "
               "stride, padding, dilation은 출력 크기와 연산량을 바꿀 뿐 파라미터 수는 바꾸지 않습니다. 연산량은 이미지 크기에 "
               "따라 달라집니다. 출력 값 하나가 (C_in/groups)·k·k번의 곱셈-덧셈이므로 FLOPs ≈ 2·N·C_out·H_out·W_out·"
               "(C_in/groups)·k·k이고, H_out = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1입니다."},
    .topic = "B J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
