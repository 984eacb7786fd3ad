// Fast-vs-reference cases: the fused Adam/AdamW step (adam_step_), which writes the parameter and its
// moments in place. Each case returns all of them, flattened and joined, so every written value is compared;
// f32 and f64, every weight-decay form, amsgrad, a first step and a later one, beyond L2.
#include "tests/reference/cases.h"

namespace nabla::testing {
namespace {

// Inputs (positive: U(0.5, 2.5)) are param, grad, exp_avg, exp_avg_sq[, max_exp_avg_sq]; grad and exp_avg
// are shifted to take either sign, the second moments stay positive as they are in an optimizer.
std::function<Tensor(std::vector<Tensor>)> adam_step(ops::AdamStepAttrs attrs, DType dtype = DType::f32) {
  return [attrs, dtype](std::vector<Tensor> x) {
    for (Tensor& tensor : x) tensor = tensor.to(dtype).contiguous();
    x[1] = x[1] - 1.5;
    x[2] = x[2] - 1.5;
    ops::call(ops::OpId::adam_step_, x, attrs);
    std::vector<Tensor> written;
    for (size_t i = 0; i < x.size(); ++i) {
      if (i != 1) written.push_back(x[i].flatten());
    }
    return cat(written);
  };
}

}  // namespace

NABLA_REFERENCE_CASES(optimizer) {
  const Shape prime{4099}, matrix{33, 17};
  const ops::AdamStepAttrs adam{.lr = 0.01, .step = 3};
  const ops::AdamStepAttrs adam_decay{.lr = 0.01, .weight_decay = 0.1, .step = 7};
  const ops::AdamStepAttrs adamw{.lr = 0.01, .weight_decay = 0.1, .decoupled = true, .step = 1};
  const ops::AdamStepAttrs adamw_amsgrad{.lr = 0.01, .weight_decay = 0.1, .decoupled = true, .amsgrad = true, .step = 5};
  const ops::AdamStepAttrs adam_amsgrad{.lr = 0.001, .amsgrad = true, .step = 2};
  return {
      {"adam_step__prime", {prime, prime, prime, prime}, adam_step(adam), true},
      {"adam_step__matrix_f64", {matrix, matrix, matrix, matrix}, adam_step(adam, DType::f64), true},
      {"adam_step__weight_decay_beyond_l2", {beyond_l2, beyond_l2, beyond_l2, beyond_l2}, adam_step(adam_decay), true},
      {"adam_step__adamw_first_step", {prime, prime, prime, prime}, adam_step(adamw), true},
      {"adam_step__adamw_amsgrad_f64", {prime, prime, prime, prime, prime}, adam_step(adamw_amsgrad, DType::f64), true},
      {"adam_step__amsgrad_beyond_l2", {beyond_l2, beyond_l2, beyond_l2, beyond_l2, beyond_l2}, adam_step(adam_amsgrad),
       true},
  };
}

}  // namespace nabla::testing
