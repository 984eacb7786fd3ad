#pragma once
// Rules that an op's reference kernel and its fast kernels (src/backend/cpu) must apply alike, declared
// once so that both sides compile against the same signature: a check on data the shape rule cannot see,
// and a random draw both must make identically. (index_maps.h holds the shared index tables.)
#include <cstdint>

#include "ops/op.h"

namespace nabla::ops {

// Cross-entropy's targets are data: each must be a class index or ignore_index (src/ops/softmax.cpp).
// The fast kernel calls it before its parallel region.
void check_cross_entropy_targets(const Tensor& logits, const Tensor& target, const LossAttrs& attrs);

// Attention dropout's factor for score (b, i, j): 0 or 1/(1 − p), from Philox(seed, offset) at its flat
// index (src/ops/attention.cpp), so the fast kernels drop the same scores as the reference.
double attention_keep_factor(const AttentionAttrs& attrs, int64_t queries, int64_t keys, int64_t b, int64_t i,
                             int64_t j);

// The random ops' draws (src/ops/random.cpp): element i of a draw uses the i-th uniform in [0, 1) of the
// stream at (seed, offset); bernoulli's probabilities are data, each must lie in [0, 1] (checked before any
// parallel region); dropout scales the kept elements by 1/(1 − p) (0 when p = 1).
double random_uniform(const RandomAttrs& attrs, uint64_t i);
void check_bernoulli_probabilities(const Tensor& probabilities);
double dropout_scale(double p);

}  // namespace nabla::ops
