// STUB: to be implemented
#include "nabla/ops.h"
#include "ops/op.h"
namespace nabla::ops {
std::vector<OutputSpec> shape_index_select(const OpCall&) { throw Error("index_select: not implemented"); }
void reference_index_select(const KernelCall&) {}
std::vector<Tensor> backward_index_select(const BackwardCall&) { return {}; }
std::vector<OutputSpec> shape_gather(const OpCall&) { throw Error("gather: not implemented"); }
void reference_gather(const KernelCall&) {}
std::vector<Tensor> backward_gather(const BackwardCall&) { return {}; }
std::vector<OutputSpec> shape_index_add(const OpCall&) { throw Error("index_add: not implemented"); }
void reference_index_add(const KernelCall&) {}
std::vector<Tensor> backward_index_add(const BackwardCall&) { return {}; }
std::vector<OutputSpec> shape_scatter_add(const OpCall&) { throw Error("scatter_add: not implemented"); }
void reference_scatter_add(const KernelCall&) {}
std::vector<Tensor> backward_scatter_add(const BackwardCall&) { return {}; }
}
namespace nabla {
Tensor index_select(const Tensor& x, int64_t, const Tensor&) { return x; }
Tensor gather(const Tensor& x, int64_t, const Tensor&) { return x; }
}
