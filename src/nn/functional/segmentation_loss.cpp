// Per-pixel losses for segmentation (nabla/nn/segmentation_loss.h), composed of ops so their
// gradients come from the ops' own backwards.
#include "nabla/nabla.h"
#include "nabla/nn/segmentation_loss.h"

namespace nabla::functional {
namespace {

void check_dense(const Tensor& logits, const Tensor& target, const char* loss) {
  NABLA_CHECK(logits.dim() == 4 && target.dim() == 3 && logits.size(0) == target.size(0) &&
                  logits.size(2) == target.size(1) && logits.size(3) == target.size(2),
              "{}: expected scores [N, C, H, W] and class indices [N, H, W], got {} and {}", loss, logits.describe(),
              target.describe());
}

}  // namespace

// [N, C, H, W] → [N·H·W, C] (channels last, then one row per pixel) against [N·H·W].
Tensor pixel_cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& options) {
  check_dense(logits, target, "pixel_cross_entropy");
  return cross_entropy(logits.permute({0, 2, 3, 1}).reshape({-1, logits.size(1)}), target.reshape({-1}), options);
}

Tensor dice_loss(const Tensor& logits, const Tensor& target, double smooth) {
  check_dense(logits, target, "dice_loss");
  NABLA_CHECK(smooth >= 0, "dice_loss: smooth must be non-negative, got {}", smooth);
  const int64_t classes = logits.size(1);
  Tensor probabilities = softmax(logits, 1);
  // one-hot [N, H, W, C] → [N, C, H, W], in the scores' dtype
  Tensor truth = one_hot(target, classes).permute({0, 3, 1, 2}).to(logits.dtype());
  const std::vector<int64_t> batch_and_pixels{0, 2, 3};
  Tensor intersection = sum(probabilities * truth, batch_and_pixels);
  Tensor total = sum(probabilities, batch_and_pixels) + sum(truth, batch_and_pixels);
  Tensor dice = (2.0 * intersection + smooth) / (total + smooth);
  return 1.0 - mean(dice);
}

}  // namespace nabla::functional
