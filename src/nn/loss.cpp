#include "nabla/nn/loss.h"

#include "nabla/ops.h"

namespace nabla::nn {

Tensor FocalLoss::forward(const Tensor& logits, const Tensor& target) {
  NABLA_CHECK(logits.dim() == 2 && target.dim() == 1 && target.size(0) == logits.size(0),
              "FocalLoss: expected logits [N, C] and target [N], got {} and {}", logits.describe(), target.describe());
  NABLA_CHECK(gamma >= 0, "FocalLoss: gamma must be non-negative, got {}", gamma);
  Tensor log_p = gather(log_softmax(logits, 1), 1, target.unsqueeze(1)).squeeze(1);  // log p_t, [N]
  Tensor loss = -pow(1.0 - exp(log_p), gamma) * log_p;
  if (alpha.defined()) loss = loss * index_select(alpha, 0, target);
  if (reduction == Reduction::none) return loss;
  return reduction == Reduction::sum ? sum(loss) : mean(loss);
}

}  // namespace nabla::nn
