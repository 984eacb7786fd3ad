// functional::scaled_dot_product_attention: maps the options to the fused attention op's attributes
// (src/ops/attention.cpp) and, with dropout, reserves the op's random stream from the generator.
#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/kernel_rules.h"
#include "ops/op.h"

namespace nabla {

Tensor functional::scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                                const AttentionOptions& options) {
  const Tensor& mask = options.attn_mask;
  NABLA_CHECK(!(mask.defined() && mask.requires_grad()),
              "scaled_dot_product_attention: the mask {} requires grad, but no gradient is computed for it; detach "
              "it (or write attention with matmul and softmax to learn a bias)", mask.describe());
  ops::AttentionAttrs attrs;
  attrs.causal = options.is_causal;
  attrs.has_mask = mask.defined();
  attrs.dropout_p = options.dropout_p;
  attrs.scale = options.scale;
  if (options.dropout_p > 0) {
    const ops::RandomAttrs stream = ops::draw(options.generator, ops::attention_score_count(q, k, v));
    attrs.seed = stream.seed;
    attrs.offset = stream.offset;
  }
  std::vector<Tensor> inputs{q, k, v};
  if (attrs.has_mask) inputs.push_back(mask);
  return ops::call(ops::OpId::scaled_dot_product_attention, std::move(inputs), attrs)[0];
}

}  // namespace nabla
