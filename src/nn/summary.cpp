#include "nabla/nn/summary.h"

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/linear.h"

namespace nabla::nn {
namespace {

// Forward FLOPs of one call: exact for the layers that dominate (linear, convolution); one per output
// element for the rest (activations, pooling, normalisation), which is their order of magnitude.
int64_t forward_flops(Module& module, const Tensor& input, const Tensor& output) {
  if (auto* linear = dynamic_cast<Linear*>(&module)) {
    const auto& o = linear->options;
    return 2 * (output.numel() / o.out_features) * o.in_features * o.out_features;
  }
  if (auto* conv = dynamic_cast<Conv2d*>(&module)) {
    const auto& o = conv->options;
    return 2 * output.numel() * (o.in_channels / o.groups) * o.kernel_size.height * o.kernel_size.width;
  }
  if (auto* conv = dynamic_cast<Conv1d*>(&module)) {
    const auto& o = conv->options;
    return 2 * output.numel() * (o.in_channels / o.groups) * o.kernel_size;
  }
  if (auto* conv = dynamic_cast<ConvTranspose2d*>(&module)) {
    const auto& o = conv->options;
    return 2 * input.numel() * (o.out_channels / o.groups) * o.kernel_size.height * o.kernel_size.width;
  }
  return output.numel();
}

std::string with_commas(int64_t value) {
  std::string digits = std::to_string(value), result;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) result += ',';
    result += digits[i];
  }
  return result;
}

}  // namespace

ModelSummary summary(Module& model, const Shape& input_shape, DType dtype) {
  ModelSummary result;
  std::vector<std::pair<Module*, size_t>> hooks;
  for (auto& [name, module] : model.named_modules()) {
    if (!module->named_children().empty()) continue;  // leaves only: containers would count twice
    std::string path = name;
    size_t handle = module->register_forward_hook(
        [&result, path](Module& layer, const Tensor& input, const Tensor& output) -> std::optional<Tensor> {
          int64_t parameters = layer.parameter_count();
          result.layers.push_back({path, layer.describe(), output.shape(), parameters, forward_flops(layer, input, output)});
          return std::nullopt;
        });
    hooks.emplace_back(module.get(), handle);
  }
  bool was_training = model.is_training();
  model.eval();
  {
    autograd::NoGradGuard no_grad;
    model(zeros(input_shape, {.dtype = dtype}));
  }
  model.train(was_training);
  for (auto& [module, handle] : hooks) module->remove_hook(handle);
  for (const LayerSummary& layer : result.layers) result.flops += layer.flops;
  result.parameters = model.parameter_count();
  result.trainable_parameters = model.parameter_count(true);
  return result;
}

std::string ModelSummary::to_string() const {
  size_t name_width = 5, description_width = 5;
  for (const LayerSummary& layer : layers) {
    name_width = std::max(name_width, layer.name.size());
    description_width = std::max(description_width, layer.description.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>18}  {:>12}  {:>15}\n", "layer", name_width, "module",
                                description_width, "output shape", "parameters", "FLOPs");
  for (const LayerSummary& layer : layers) {
    out += fmt::format("{:<{}}  {:<{}}  {:>18}  {:>12}  {:>15}\n", layer.name, name_width, layer.description,
                       description_width, shape_string(layer.output_shape), with_commas(layer.parameters),
                       with_commas(layer.flops));
  }
  out += fmt::format("total: {} parameters ({} trainable), {} FLOPs per forward pass\n", with_commas(parameters),
                     with_commas(trainable_parameters), with_commas(flops));
  return out;
}

}  // namespace nabla::nn
