#pragma once
// Convolution layers: Conv1d, Conv2d, ConvTranspose2d (weights as PyTorch lays them out). Their options
// structs (Conv2dOptions, …) are in functional.h, shared with the functional forms:
//   nn::Conv2d conv({.in_channels = 1, .out_channels = 6, .kernel_size = 5, .padding = 2});
//   auto shared = nn::make<nn::Conv2d>({.in_channels = 1, .out_channels = 6, .kernel_size = 5});
#include "nabla/nn/functional.h"
#include "nabla/nn/module.h"

namespace nabla::nn {

// weight [out_channels, in_channels/groups, kh, kw]; default initialisation as PyTorch (bound 1/√fan_in).
class Conv2d : public Module {
 public:
  using Options = Conv2dOptions;
  explicit Conv2d(const Conv2dOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Conv2dOptions options;
  Tensor weight, bias;
};

// weight [out_channels, in_channels/groups, k]
class Conv1d : public Module {
 public:
  using Options = Conv1dOptions;
  explicit Conv1d(const Conv1dOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Conv1dOptions options;
  Tensor weight, bias;
};

// weight [in_channels, out_channels/groups, kh, kw]
class ConvTranspose2d : public Module {
 public:
  using Options = ConvTranspose2dOptions;
  explicit ConvTranspose2d(const ConvTranspose2dOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  ConvTranspose2dOptions options;
  Tensor weight, bias;
};

}  // namespace nabla::nn
