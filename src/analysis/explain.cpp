// Saliency, SmoothGrad, integrated gradients, CAM, Grad-CAM and attention rollout (include/nabla/analysis/explain.h).
#include "nabla/analysis/explain.h"

#include <optional>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/nn/conv.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/linear.h"
#include "nabla/ops.h"

namespace nabla::analysis {
namespace {

void check_inputs(const char* method, const Tensor& images, const Tensor& classes) {
  NABLA_CHECK(images.dim() == 4, "{}: expected images [N, C, H, W], got {}", method, images.describe());
  NABLA_CHECK(classes.dim() == 1 && classes.size(0) == images.size(0) && classes.dtype() == DType::i64,
              "{}: expected i64 classes [{}], got {}", method, images.size(0), classes.describe());
}

// Σ_n logits[n, classes[n]]: one backward gives every image's own-class gradient (images do not interact
// in eval mode).
Tensor class_scores(const Tensor& logits, const Tensor& classes) {
  NABLA_CHECK(logits.dim() == 2 && logits.size(0) == classes.size(0),
              "explain: the model must return logits [N, classes], got {}", logits.describe());
  return logits.gather(1, classes.unsqueeze(1)).squeeze(1);
}

// The layer's output of one forward pass, kept by a forward hook that removes itself afterwards.
struct CapturedActivation {
  nn::Module& layer;
  size_t handle;
  Tensor activation;
  explicit CapturedActivation(nn::Module& layer_) : layer(layer_) {
    handle = layer.register_forward_hook([this](nn::Module&, const Tensor&, const Tensor& output) { activation = output; });
  }
  ~CapturedActivation() { layer.remove_hook(handle); }
};

// The layer's activations [N, K, h, w] and the logits, from one forward pass with gradient recording.
std::pair<Tensor, Tensor> activations_and_logits(nn::Module& model, nn::Module& layer, const std::string& path,
                                                 const Tensor& images) {
  CapturedActivation captured(layer);
  autograd::EnableGradGuard grad;
  Tensor logits = model(images);
  NABLA_CHECK(captured.activation.defined() && captured.activation.dim() == 4,
              "explain: layer '{}' must output [N, K, h, w] during the forward pass, got {}", path,
              captured.activation.defined() ? captured.activation.describe() : std::string("nothing"));
  return {captured.activation, logits};
}

}  // namespace

Tensor predicted_classes(nn::Module& model, const Tensor& images) {
  autograd::NoGradGuard no_grad;
  return argmax(model(images), 1);
}

Tensor input_gradient(nn::Module& model, const Tensor& images, const Tensor& classes) {
  check_inputs("input_gradient", images, classes);
  autograd::EnableGradGuard grad;
  Tensor input = images.detach().clone().requires_grad_();
  const Tensor score = class_scores(model(input), classes).sum();
  return autograd::grad({score}, {input})[0];
}

Tensor saliency(nn::Module& model, const Tensor& images, const Tensor& classes) {
  return abs(input_gradient(model, images, classes)).max(1).values;
}

Tensor smoothgrad(nn::Module& model, const Tensor& images, const Tensor& classes, const SmoothGradOptions& options,
                  Generator* generator) {
  check_inputs("smoothgrad", images, classes);
  NABLA_CHECK(options.samples >= 1 && options.noise >= 0, "smoothgrad: needs samples >= 1 and noise >= 0, got {} and {}",
              options.samples, options.noise);
  const Tensor flat = images.flatten(1);
  const Tensor spread = (flat.max(1).values - flat.min(1).values).reshape({-1, 1, 1, 1}) * options.noise;
  Tensor total = zeros({images.size(0), images.size(2), images.size(3)});
  for (int64_t sample = 0; sample < options.samples; ++sample) {
    const Tensor noisy = images + randn(images.shape(), {}, generator) * spread;
    total = total + abs(input_gradient(model, noisy, classes)).max(1).values;
  }
  return total / static_cast<double>(options.samples);
}

IntegratedGradients integrated_gradients(nn::Module& model, const Tensor& images, const Tensor& classes,
                                         const Tensor& baseline, int64_t steps) {
  check_inputs("integrated_gradients", images, classes);
  NABLA_CHECK(steps >= 1, "integrated_gradients: steps must be at least 1, got {}", steps);
  const Tensor start = baseline.defined() ? baseline.expand_as(images) : zeros_like(images);
  const Tensor path = images - start;
  Tensor gradient_sum = zeros_like(images);
  for (int64_t step = 0; step < steps; ++step) {
    const double alpha = (static_cast<double>(step) + 0.5) / static_cast<double>(steps);
    gradient_sum = gradient_sum + input_gradient(model, start + path * alpha, classes);
  }
  IntegratedGradients result;
  result.attributions = path * gradient_sum / static_cast<double>(steps);
  autograd::NoGradGuard no_grad;
  result.difference = (class_scores(model(images), classes) - class_scores(model(start.contiguous()), classes)).to(DType::f64);
  return result;
}

nn::Module& find_layer(nn::Module& model, const std::string& layer) {
  std::vector<std::string> convolutions;
  for (auto& [path, module] : model.named_modules()) {
    if (path == layer) return *module;
    if (dynamic_cast<nn::Conv2d*>(module.get())) convolutions.push_back(path);
  }
  throw Error(fmt::format("explain: no layer '{}' in the model; its convolutions are {}", layer,
                          convolutions.empty() ? std::string("none") : fmt::format("{}", fmt::join(convolutions, ", "))));
}

std::string last_convolution(nn::Module& model) {
  std::string last;
  for (auto& [path, module] : model.named_modules())
    if (dynamic_cast<nn::Conv2d*>(module.get())) last = path;
  return last;
}

Tensor grad_cam(nn::Module& model, const std::string& layer, const Tensor& images, const Tensor& classes) {
  check_inputs("grad_cam", images, classes);
  auto [activation, logits] = activations_and_logits(model, find_layer(model, layer), layer, images);
  const Tensor gradient = autograd::grad({class_scores(logits, classes).sum()}, {activation})[0];
  const Tensor weights = gradient.mean({2, 3}, true);  // α_k: [N, K, 1, 1]
  return relu((weights * activation.detach()).sum(1));
}

Tensor cam(nn::Module& model, const std::string& layer, const std::string& classifier, const Tensor& images,
           const Tensor& classes) {
  check_inputs("cam", images, classes);
  auto* linear = dynamic_cast<nn::Linear*>(&find_layer(model, classifier));
  NABLA_CHECK(linear, "cam: '{}' is not a Linear layer", classifier);
  Tensor activation;
  {
    autograd::NoGradGuard no_grad;
    CapturedActivation captured(find_layer(model, layer));
    model(images);
    activation = captured.activation;
  }
  NABLA_CHECK(activation.defined() && activation.dim() == 4 && activation.size(1) == linear->options.in_features,
              "cam: layer '{}' must output [N, {}, h, w], the channels whose global average the classifier reads (CAM "
              "needs a network ending in global average pooling and a linear layer; Grad-CAM does not), got {}", layer,
              linear->options.in_features, activation.defined() ? activation.describe() : std::string("nothing"));
  autograd::NoGradGuard no_grad;
  const Tensor weights = linear->weight.detach().index_select(0, classes);  // [N, K]
  return (weights.unsqueeze(2).unsqueeze(3) * activation).sum(1);
}

Tensor attention_rollout(const std::vector<Tensor>& maps) {
  NABLA_CHECK(!maps.empty(), "attention_rollout: no attention maps");
  autograd::NoGradGuard no_grad;
  const int64_t N = maps[0].size(0), T = maps[0].size(2);
  Tensor rollout = eye(T).expand({N, T, T}).contiguous();
  for (const Tensor& map : maps) {
    NABLA_CHECK(map.dim() == 4 && map.size(0) == N && map.size(2) == T && map.size(3) == T,
                "attention_rollout: expected every map [{}, H, {}, {}], got {}", N, T, T, map.describe());
    // The residual connection carries half of each token through unchanged.
    Tensor mixed = map.mean({1}) * 0.5 + eye(T) * 0.5;
    mixed = mixed / mixed.sum(-1, true);
    rollout = matmul(mixed, rollout);
  }
  const int64_t side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(T - 1))));
  NABLA_CHECK(side * side == T - 1, "attention_rollout: {} patch tokens do not form a square", T - 1);
  return rollout.select(1, 0).slice(1, 1, T).reshape({N, side, side});
}

Tensor upsample_map(const Tensor& maps, int64_t height, int64_t width) {
  NABLA_CHECK(maps.dim() == 3, "upsample_map: expected maps [N, h, w], got {}", maps.describe());
  return functional::interpolate(maps.unsqueeze(1), {.size = Size2{height, width}, .mode = UpsampleMode::bilinear})
      .squeeze(1);
}

}  // namespace nabla::analysis
