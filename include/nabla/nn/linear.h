#pragma once
// Linear (y = x·Wᵀ + b), Identity and Flatten.
#include "nabla/nn/module.h"

namespace nabla::nn {

struct LinearOptions {
  int64_t in_features = 0, out_features = 0;
  bool bias = true;
};

// weight [out_features, in_features], bias [out_features]; PyTorch's default initialisation:
// U(−1/√in_features, 1/√in_features) for both.
class Linear : public Module {
 public:
  using Options = LinearOptions;
  explicit Linear(const LinearOptions& options, Generator* generator = nullptr);
  Linear(int64_t in_features, int64_t out_features, bool bias = true)
      : Linear(LinearOptions{in_features, out_features, bias}) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  void reset_parameters(Generator* generator = nullptr);

  LinearOptions options;
  Tensor weight, bias;
};

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : Module("Flatten"), start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor forward(const Tensor& x) override { return x.flatten(start_dim_, end_dim_); }
 private:
  int64_t start_dim_, end_dim_;
};

}  // namespace nabla::nn
