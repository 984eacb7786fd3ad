#pragma once
// Checks shared by every path that writes into an existing tensor: the dispatcher's in-place ops,
// fill_/zero_ (src/ops/inplace.cpp) and index_put_ (src/ops/indexing.cpp), so each refuses the same
// writes with the same message.
#include "nabla/autograd.h"
#include "nabla/tensor.h"

namespace nabla::ops {

// A leaf that requires grad can't be written in place while autograd records: its gradient would
// describe a value it no longer holds.
inline void check_writable(const char* op, const Tensor& self) {
  NABLA_CHECK(!(autograd::grad_enabled() && self.requires_grad() && self.is_leaf()),
              "{}: a leaf tensor that requires grad ({}) is used in an in-place operation; wrap the update in "
              "NoGradGuard (as optimizers do) or operate on a clone", op, self.describe());
}

}  // namespace nabla::ops
