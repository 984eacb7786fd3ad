#pragma once
// The model zoo: one constructor per family, for code that builds a model with its own options. Lookup by
// name, expected inputs and default recipes live in the registry (nabla/models/registry.h).
#include <string>
#include <vector>

#include "nabla/nn/module.h"

namespace nabla::models {

struct MlpOptions {
  int64_t inputs = 784;
  std::vector<int64_t> hidden = {256, 256};
  int64_t outputs = 10;
};
// Flatten → (Linear → ReLU) per hidden layer → Linear.
nn::ModulePtr mlp(const MlpOptions& options = {});

// LeNet-5 in its common modern form for 1×28×28 inputs: conv 5×5 (6, padding 2) → ReLU → max-pool 2 →
// conv 5×5 (16) → ReLU → max-pool 2 → 120 → 84 → classes, with ReLU between the fully connected layers.
nn::ModulePtr lenet5(int64_t classes = 10);

}  // namespace nabla::models
