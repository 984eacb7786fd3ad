#pragma once
// Explanations of an image classifier's decision: which pixels or regions raised the score of a class.
//   saliency             |∂score/∂pixel| (Simonyan et al. 2014), the largest over channels;
//   smoothgrad           the saliency averaged over noisy copies of the image (Smilkov et al. 2017);
//   integrated_gradients (x − baseline) ⊙ the mean gradient along the straight path (Sundararajan et al. 2017),
//                        whose sum equals score(x) − score(baseline) up to the path integral's error;
//   grad_cam             ReLU(Σ_k α_k A_k), A a layer's activations, α_k the mean gradient of channel k
//                        (Selvaraju et al. 2017), for any layer named by its path in named_modules();
//   cam                  Σ_k w_{c,k} A_k for a network that ends in global average pooling and a linear
//                        classifier (Zhou et al. 2016);
//   attention_rollout    the product over blocks of (attention averaged over heads + identity) renormalised
//                        (Abnar & Zuidema 2020), read from the class token's row.
// Shapes: images [N, C, H, W]; classes i64 [N] (the class to explain per image). Maps are [N, h, w] at the
// layer's or the image's resolution; upsample_map brings them to the image's.
#include <cstdint>
#include <string>
#include <vector>

#include "nabla/nn/module.h"
#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::analysis {

// The predicted class of each image, i64 [N] (eval mode is the caller's choice).
Tensor predicted_classes(nn::Module& model, const Tensor& images);

// ∂logit[n, classes[n]]/∂images, [N, C, H, W].
Tensor input_gradient(nn::Module& model, const Tensor& images, const Tensor& classes);

Tensor saliency(nn::Module& model, const Tensor& images, const Tensor& classes);  // [N, H, W]

struct SmoothGradOptions {
  int64_t samples = 25;
  double noise = 0.15;  // standard deviation, as a fraction of each image's max − min
};
Tensor smoothgrad(nn::Module& model, const Tensor& images, const Tensor& classes, const SmoothGradOptions& options = {},
                  Generator* generator = nullptr);  // [N, H, W]

struct IntegratedGradients {
  Tensor attributions;  // [N, C, H, W]
  Tensor difference;    // f64 [N]: score(x) − score(baseline), what the attributions should sum to
};
// baseline: undefined for black (zeros), else [C, H, W] or [N, C, H, W]. Midpoint rule over `steps` points.
IntegratedGradients integrated_gradients(nn::Module& model, const Tensor& images, const Tensor& classes,
                                         const Tensor& baseline = {}, int64_t steps = 64);

// The module at `layer` (a path of named_modules(), "features.3", "layer4.1.conv2"); an error listing the
// convolution layers when there is none.
nn::Module& find_layer(nn::Module& model, const std::string& layer);

Tensor grad_cam(nn::Module& model, const std::string& layer, const Tensor& images, const Tensor& classes);  // [N, h, w]
// classifier: the path of the Linear whose input is the global average of `layer`'s channels.
Tensor cam(nn::Module& model, const std::string& layer, const std::string& classifier, const Tensor& images,
           const Tensor& classes);  // [N, h, w]

// maps: each block's attention [N, H, T, T] (VisionTransformer::attention_maps), token 0 the class token.
// Returns the class token's rollout over the patches, [N, side, side] with side² = T − 1.
Tensor attention_rollout(const std::vector<Tensor>& maps);

// Bilinear upsampling of maps [N, h, w] to [N, height, width].
Tensor upsample_map(const Tensor& maps, int64_t height, int64_t width);

// The layers Grad-CAM can use by default: the last convolution's path in named_modules() order ("" if none).
std::string last_convolution(nn::Module& model);

}  // namespace nabla::analysis
