#pragma once
// Rules that an op's reference kernel, its fast kernels (src/backend/cpu) and the functions that call it
// (src/nn/functional) must apply alike, declared once so that every side compiles against the same
// signature: checks on data the shape rule cannot see, and random draws both kernels must make
// identically from a stream the caller reserved. (index_maps.h holds the shared index tables.)
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

// The number of scores (batch·L·S) whose dropout factors attention draws; 0 when the shapes are
// inconsistent (the shape rule then reports them). functional::scaled_dot_product_attention reserves that
// many uniforms before it calls the op.
int64_t attention_score_count(const Tensor& q, const Tensor& k, const Tensor& v);

// Reserves the Philox blocks for `uniforms` draws from `generator` (or the default generator) and returns
// the attributes that name them (seed, offset): a random op's kernel draws uniform i from block offset + i/2
// (src/ops/random.cpp), so a call can be replayed exactly.
RandomAttrs draw(Generator* generator, int64_t uniforms);

// Normalization parameters (weight, bias, running statistics) have the input's dtype, or float32 for a
// half-precision input (src/ops/norm.cpp); functional::batch_norm applies it to the running statistics,
// which are not op inputs in training.
bool parameter_dtype_fits(DType parameter, DType input);
// The random ops' draws (src/ops/random.cpp): element i of a draw uses the i-th uniform in [0, 1) of the
// stream at (seed, offset); bernoulli's probabilities are data, each must lie in [0, 1] (checked before any
// parallel region); dropout scales the kept elements by 1/(1 − p) (0 when p = 1).
double random_uniform(const RandomAttrs& attrs, uint64_t i);
void check_bernoulli_probabilities(const Tensor& probabilities);
double dropout_scale(double p);

// recurrent_sequence's layout (src/ops/recurrent.cpp), read alike by the reference and the fast kernels: the
// gates per step (rnn 1, lstm 4: i,f,g,o; gru 3: r,z,n) and the workspace width per batch row that the forward
// keeps for the backward (lstm: the activated gates i,f,g,o; gru: r, z, n and W_hn·h + b_hn; rnn: none).
int64_t recurrent_gate_count(RecurrentMode mode);
int64_t recurrent_workspace_width(RecurrentMode mode, int64_t hidden);

}  // namespace nabla::ops
