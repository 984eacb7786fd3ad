#pragma once
// summary(model, input_shape): runs one forward pass on zeros and reports, per layer, its output shape,
// parameter count and forward FLOPs, plus a table of FLOPs per op and the totals. FLOPs are counted per op
// as it runs (nabla/analysis/flops.h has the formulas), so a layer's count is what its ops computed, whatever
// the layer's type. The layers are the leaf modules, plus any module whose own forward runs ops of its own
// (a residual add, say); each op is counted in the innermost module running it, so the layers' FLOPs add
// up to the total.
#include <string>
#include <vector>

#include "nabla/analysis/flops.h"
#include "nabla/nn/module.h"

namespace nabla::nn {

struct LayerSummary {
  std::string name;         // dotted path, e.g. "features.0" ("" for the model itself)
  std::string description;  // Module::describe()
  Shape output_shape;
  int64_t parameters = 0;   // the layer's own (a module with children: not counting theirs)
  int64_t flops = 0;        // of the ops the layer itself ran
};

struct ModelSummary {
  std::vector<LayerSummary> layers;
  std::vector<analysis::OpFlops> ops;  // most FLOPs first
  int64_t parameters = 0, trainable_parameters = 0, flops = 0;
  std::string to_string() const;  // the layer table, the per-op table, the totals
};

ModelSummary summary(Module& model, const Shape& input_shape, DType dtype = DType::f32);

}  // namespace nabla::nn
