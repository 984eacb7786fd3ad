#pragma once
// summary(model, input_shape): runs one forward pass on zeros and reports, for every leaf module, its
// output shape, parameter count and forward FLOPs (multiply-adds counted as 2), plus totals.
#include <string>
#include <vector>

#include "nabla/nn/module.h"

namespace nabla::nn {

struct LayerSummary {
  std::string name;         // dotted path, e.g. "features.0"
  std::string description;  // Module::describe()
  Shape output_shape;
  int64_t parameters = 0;
  int64_t flops = 0;
};

struct ModelSummary {
  std::vector<LayerSummary> layers;
  int64_t parameters = 0, trainable_parameters = 0, flops = 0;
  std::string to_string() const;  // an aligned table
};

ModelSummary summary(Module& model, const Shape& input_shape, DType dtype = DType::f32);

}  // namespace nabla::nn
