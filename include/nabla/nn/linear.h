#pragma once
// Linear (y = x·Wᵀ + b), Identity and Flatten.
#include "nabla/nn/module.h"

namespace nabla::nn {

struct LinearOptions {
  int64_t in = 0, out = 0;
  bool bias = true;
};

// weight [out, in], bias [out]; PyTorch's default initialisation: U(−1/√in, 1/√in) for both.
class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& options, Generator* generator = nullptr);
  Linear(int64_t in, int64_t out, bool bias = true) : Linear(LinearOptions{in, out, bias}) {}
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
