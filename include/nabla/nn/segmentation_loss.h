#pragma once
// Losses for segmentation (src/nn/functional/segmentation_loss.cpp), beside torch.nn.functional's in
// functional.h: scores [N, C, H, W] against class indices [N, H, W].
#include "nabla/nn/functional.h"

namespace nabla::functional {

// cross_entropy with every pixel an example (mean over the pixels of the batch).
Tensor pixel_cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& options = {});

// 1 − the mean over classes of the soft Dice coefficient (2·Σ p·t + smooth) / (Σ p + Σ t + smooth), p the
// softmax of the scores, t the one-hot target, the sums over the batch and its pixels: it weighs each class
// alike, however few pixels it covers.
Tensor dice_loss(const Tensor& logits, const Tensor& target, double smooth = 1.0);

}  // namespace nabla::functional
