#include "nabla/models/zoo.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/linear.h"

namespace nabla::models {

nn::ModulePtr mlp(const MlpOptions& options) {
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Flatten>());
  int64_t width = options.inputs;
  for (int64_t hidden : options.hidden) {
    model->push_back(std::make_shared<nn::Linear>(width, hidden));
    model->push_back(std::make_shared<nn::ReLU>());
    width = hidden;
  }
  model->push_back(std::make_shared<nn::Linear>(width, options.outputs));
  return model;
}

}  // namespace nabla::models
