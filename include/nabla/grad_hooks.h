#pragma once
// Hooks that run after backward has accumulated a gradient into a leaf's .grad, as PyTorch's
// register_post_accumulate_grad_hook: data-parallel training starts reducing a gradient there, while the
// rest of backward goes on. Kept in a table of their own (few leaves have them) rather than in every
// tensor's autograd metadata.
#include <functional>

#include "nabla/tensor.h"

namespace nabla::autograd {

using PostAccumulateGradHook = std::function<void(const Tensor& leaf)>;

// Runs `hook(leaf)` each time backward has accumulated a gradient into leaf.grad(). The leaf must require
// grad. Hooks live as long as the leaf.
void register_post_accumulate_grad_hook(const Tensor& leaf, PostAccumulateGradHook hook);

// Called by the engine after accumulating into `leaf`.
void run_post_accumulate_grad_hooks(const Tensor& leaf);

}  // namespace nabla::autograd
