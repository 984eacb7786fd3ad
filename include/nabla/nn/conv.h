#pragma once
// Convolution layers: Conv1d, Conv2d, ConvTranspose2d (weights as PyTorch lays them out).
#include "nabla/nn/functional.h"
#include "nabla/nn/module.h"

namespace nabla::nn {

struct Conv2dOptions {
  int64_t in = 0, out = 0;
  Size2 kernel = 1, stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

// weight [out, in/groups, kh, kw]; default initialisation as PyTorch (bound 1/√fan_in).
class Conv2d : public Module {
 public:
  explicit Conv2d(const Conv2dOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Conv2dOptions options;
  Tensor weight, bias;
};

struct Conv1dOptions {
  int64_t in = 0, out = 0, kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
  bool bias = true;
};

class Conv1d : public Module {
 public:
  explicit Conv1d(const Conv1dOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Conv1dOptions options;
  Tensor weight, bias;
};

struct ConvTranspose2dOptions {
  int64_t in = 0, out = 0;
  Size2 kernel = 1, stride = 1, padding = 0, output_padding = 0, dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

// weight [in, out/groups, kh, kw]
class ConvTranspose2d : public Module {
 public:
  explicit ConvTranspose2d(const ConvTranspose2dOptions& options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  ConvTranspose2dOptions options;
  Tensor weight, bias;
};

}  // namespace nabla::nn
