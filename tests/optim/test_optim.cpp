// Optimizers and schedulers against PyTorch, step by step (fixtures from make_optim_fixtures.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/scheduler.h"
#include "ops/observer.h"

namespace nabla {
namespace {

using nlohmann::json;

const json& fixtures() {
  static const json data = [] {
    std::ifstream file(NABLA_OPTIM_FIXTURES);
    if (!file) throw Error("optim fixtures: can't open " NABLA_OPTIM_FIXTURES);
    return json::parse(file);
  }();
  return data;
}

Tensor tensor_of(const json& values, const Shape& shape, DType dtype) {
  return from_vector(values.get<std::vector<double>>(), shape, {.dtype = dtype});
}

std::unique_ptr<optim::Optimizer> make_optimizer(const json& spec, std::vector<optim::ParamGroup> groups) {
  const json& o = spec.at("options");
  const std::string kind = spec.at("optimizer");
  auto number = [&](const char* key, double fallback) { return o.contains(key) ? o.at(key).get<double>() : fallback; };
  auto flag = [&](const char* key) { return o.contains(key) && o.at(key).get<bool>(); };
  double beta1 = o.contains("betas") ? o.at("betas")[0].get<double>() : 0.9;
  double beta2 = o.contains("betas") ? o.at("betas")[1].get<double>() : 0.999;
  if (kind == "SGD") {
    return std::make_unique<optim::SGD>(groups, optim::SGDOptions{.lr = number("lr", 1e-3), .momentum = number("momentum", 0),
                                                                  .dampening = number("dampening", 0),
                                                                  .weight_decay = number("weight_decay", 0),
                                                                  .nesterov = flag("nesterov")});
  }
  if (kind == "Adam") {
    return std::make_unique<optim::Adam>(groups, optim::AdamOptions{.lr = number("lr", 1e-3), .beta1 = beta1, .beta2 = beta2,
                                                                    .eps = number("eps", 1e-8),
                                                                    .weight_decay = number("weight_decay", 0),
                                                                    .amsgrad = flag("amsgrad")});
  }
  if (kind == "AdamW") {
    return std::make_unique<optim::AdamW>(groups, optim::AdamWOptions{.lr = number("lr", 1e-3), .beta1 = beta1, .beta2 = beta2,
                                                                      .eps = number("eps", 1e-8),
                                                                      .weight_decay = number("weight_decay", 1e-2),
                                                                      .amsgrad = flag("amsgrad")});
  }
  if (kind == "RMSprop") {
    return std::make_unique<optim::RMSprop>(groups, optim::RMSpropOptions{.lr = number("lr", 1e-2), .alpha = number("alpha", 0.99),
                                                                          .eps = number("eps", 1e-8),
                                                                          .weight_decay = number("weight_decay", 0),
                                                                          .momentum = number("momentum", 0),
                                                                          .centered = flag("centered")});
  }
  if (kind == "Adagrad") {
    return std::make_unique<optim::Adagrad>(groups, optim::AdagradOptions{.lr = number("lr", 1e-2), .lr_decay = number("lr_decay", 0),
                                                                          .weight_decay = number("weight_decay", 0),
                                                                          .initial_accumulator_value = number("initial_accumulator_value", 0),
                                                                          .eps = number("eps", 1e-10)});
  }
  throw Error("optim fixtures: unknown optimizer " + kind);
}

void run_case(const json& spec, DType dtype, double rtol, double atol) {
  const json& problem = fixtures().at("problem");
  Tensor x = tensor_of(problem.at("x"), {5, 3}, dtype), y = tensor_of(problem.at("y"), {5, 4}, dtype);
  Tensor w = tensor_of(problem.at("w"), {3, 4}, dtype).requires_grad_();
  Tensor b = tensor_of(problem.at("b"), {4}, dtype).requires_grad_();
  std::vector<optim::ParamGroup> groups;
  if (spec.value("groups", false)) {
    double lr = spec.at("options").at("lr").get<double>();
    groups = {{{w}, {}}, {{b}, {{"lr", lr * 0.1}}}};
  } else {
    groups = {{{w, b}, {}}};
  }
  auto optimizer = make_optimizer(spec, groups);
  const json& trajectory = spec.at("trajectory");
  for (size_t step = 0; step < trajectory.size(); ++step) {
    optimizer->zero_grad();
    Tensor loss = pow(matmul(x, w) + b - y, 2.0).sum();
    loss.backward();
    optimizer->step();
    for (const char* name : {"w", "b"}) {
      std::vector<double> expected = trajectory[step].at(name).get<std::vector<double>>();
      std::vector<double> actual = (std::string(name) == "w" ? w : b).to_vector();
      for (size_t i = 0; i < expected.size(); ++i) {
        ASSERT_NEAR(actual[i], expected[i], atol + rtol * std::fabs(expected[i]))
            << spec.at("name").get<std::string>() << " step " << step + 1 << " " << name << "[" << i << "]";
      }
    }
  }
}

TEST(OptimizerParity, Float64MatchesPyTorchEveryStep) {
  for (const json& spec : fixtures().at("optimizers")) run_case(spec, DType::f64, 1e-10, 1e-12);
}

TEST(OptimizerParity, Float32MatchesPyTorchEveryStep) {
  for (const json& spec : fixtures().at("optimizers")) run_case(spec, DType::f32, 1e-5, 1e-5);
}

TEST(OptimizerState, RoundTripContinuesIdentically) {
  // Two optimizers: one runs 10 steps; the other is rebuilt from the first's state after 5.
  const json& spec = fixtures().at("optimizers")[5];  // Adam with amsgrad: the most state
  const json& problem = fixtures().at("problem");
  auto run = [&](int steps, optim::Optimizer* resume_from, Tensor w, Tensor b) {
    auto optimizer = make_optimizer(spec, {{{w, b}, {}}});
    if (resume_from) optimizer->load_state_dict(resume_from->state_dict());
    Tensor x = tensor_of(problem.at("x"), {5, 3}, DType::f64), y = tensor_of(problem.at("y"), {5, 4}, DType::f64);
    for (int i = 0; i < steps; ++i) {
      optimizer->zero_grad();
      pow(matmul(x, w) + b - y, 2.0).sum().backward();
      optimizer->step();
    }
    return optimizer;
  };
  Tensor w1 = tensor_of(problem.at("w"), {3, 4}, DType::f64).requires_grad_();
  Tensor b1 = tensor_of(problem.at("b"), {4}, DType::f64).requires_grad_();
  run(10, nullptr, w1, b1);
  Tensor w2 = tensor_of(problem.at("w"), {3, 4}, DType::f64).requires_grad_();
  Tensor b2 = tensor_of(problem.at("b"), {4}, DType::f64).requires_grad_();
  auto first_half = run(5, nullptr, w2, b2);
  run(5, first_half.get(), w2, b2);
  EXPECT_EQ(w1.to_vector(), w2.to_vector());
  EXPECT_EQ(b1.to_vector(), b2.to_vector());
}

// The fused Adam (one pass per parameter) against the tensor-op composite it replaces, on a parameter
// large enough for the threaded path, with every option that changes the update.
TEST(FusedAdam, MatchesTheCompositeUpdate) {
  struct Variant {
    bool decoupled, amsgrad;
    double weight_decay;
  };
  for (DType dtype : {DType::f64, DType::f32}) {
    for (Variant variant : {Variant{false, false, 0}, Variant{false, true, 0.1}, Variant{true, false, 0.1}, Variant{true, true, 0.1}}) {
      auto run = [&](bool fused) {
        Generator generator(7);
        Tensor w = randn({70001}, {.dtype = dtype}, &generator).requires_grad_();
        std::unique_ptr<optim::Optimizer> optimizer;
        if (variant.decoupled) {
          optimizer = std::make_unique<optim::AdamW>(std::vector<Tensor>{w}, optim::AdamWOptions{
              .lr = 0.01, .weight_decay = variant.weight_decay, .amsgrad = variant.amsgrad, .fused = fused});
        } else {
          optimizer = std::make_unique<optim::Adam>(std::vector<Tensor>{w}, optim::AdamOptions{
              .lr = 0.01, .weight_decay = variant.weight_decay, .amsgrad = variant.amsgrad, .fused = fused});
        }
        Tensor target = randn({70001}, {.dtype = dtype}, &generator);
        for (int step = 0; step < 4; ++step) {
          optimizer->zero_grad();
          pow(w - target, 4.0).sum().backward();  // gradients shrink and grow, so amsgrad's maximum matters
          optimizer->step();
        }
        return std::pair{w.to_vector(), optimizer->state_dict().tensors};
      };
      auto [fused, fused_state] = run(true);
      auto [composite, composite_state] = run(false);
      const double tolerance = dtype == DType::f64 ? 1e-14 : 1e-6;
      const std::string label = fmt::format("{} decoupled={} amsgrad={}", dtype_name(dtype), variant.decoupled, variant.amsgrad);
      for (size_t i = 0; i < fused.size(); ++i) {
        ASSERT_NEAR(fused[i], composite[i], tolerance * std::max(1.0, std::fabs(composite[i]))) << label << " element " << i;
      }
      ASSERT_EQ(fused_state.size(), composite_state.size()) << label;
      for (auto& [name, tensor] : composite_state) {
        std::vector<double> expected = tensor.to_vector(), actual = fused_state.at(name).to_vector();
        for (size_t i = 0; i < expected.size(); ++i) {
          ASSERT_NEAR(actual[i], expected[i], tolerance * std::max(1.0, std::fabs(expected[i]))) << label << " " << name;
        }
      }
    }
  }
}

// The fused step is an op: the dispatcher (and so the profiler and every observer) sees one adam_step_ per
// parameter per step, on the fast kernel; the composite path dispatches none.
TEST(FusedAdam, DispatchesOneAdamStepPerParameterPerStep) {
  for (bool fused : {true, false}) {
    Generator generator(3);
    Tensor w = randn({5, 3}, {}, &generator).requires_grad_();
    Tensor b = randn({3}, {}, &generator).requires_grad_();
    optim::AdamW optimizer({w, b}, {.lr = 0.01, .weight_decay = 0.1, .amsgrad = true, .fused = fused});
    Tensor x = randn({4, 5}, {}, &generator);
    int fast_steps = 0, other_steps = 0;
    ops::ObserveDispatch observe([&](const ops::Dispatched& call) {
      if (call.op != ops::OpId::adam_step_) return;
      ++(call.kernel == ops::KernelKind::fast && call.depth == 0 ? fast_steps : other_steps);
      EXPECT_TRUE(call.inputs[0].storage() == w.storage() || call.inputs[0].storage() == b.storage()) << "adam_step_ on a tensor that is no parameter";
    });
    for (int step = 0; step < 3; ++step) {
      optimizer.zero_grad();
      (matmul(x, w) + b).pow(2.0).sum().backward();
      optimizer.step();
    }
    EXPECT_EQ(fast_steps, fused ? 2 * 3 : 0) << "fused=" << fused;
    EXPECT_EQ(other_steps, 0) << "fused=" << fused;
  }
}

// adam_step_ writes its moment buffers as well as the parameter: the dispatcher bumps every written tensor's
// version (so autograd notices a write to a tensor it saved) and leaves the gradient's alone.
TEST(FusedAdam, AdamStepBumpsTheVersionOfEveryTensorItWrites) {
  std::vector<Tensor> tensors;
  for (int i = 0; i < 5; ++i) tensors.push_back(full({7}, 0.5));
  std::vector<uint32_t> before;
  for (const Tensor& tensor : tensors) before.push_back(tensor.version());
  ops::call(ops::OpId::adam_step_, tensors, ops::AdamStepAttrs{.amsgrad = true});
  EXPECT_EQ(tensors[1].version(), before[1]) << "grad was only read";
  for (size_t i : {0, 2, 3, 4}) EXPECT_EQ(tensors[i].version(), before[i] + 1) << "input " << i;

  // A saved tensor written by the step is reported when backward unpacks it.
  Tensor p = full({7}, 0.5), g = full({7}, 0.5), m = full({7}, 0.5), v = full({7}, 0.5);
  Tensor y = randn({7}).requires_grad_();
  Tensor product = y * m;  // mul saves m
  ops::call(ops::OpId::adam_step_, {p, g, m, v}, ops::AdamStepAttrs{});
  EXPECT_THROW(product.sum().backward(), Error);
}

TEST(FusedAdam, AdamStepRefusesMismatchedTensors) {
  Tensor p = zeros({4}), g = zeros({4});
  EXPECT_THROW(ops::call(ops::OpId::adam_step_, {p, g, zeros({4})}, ops::AdamStepAttrs{}), Error);  // no exp_avg_sq
  EXPECT_THROW(ops::call(ops::OpId::adam_step_, {p, g, zeros({4}), zeros({5})}, ops::AdamStepAttrs{}), Error);
  EXPECT_THROW(ops::call(ops::OpId::adam_step_, {p, g, zeros({4}), zeros({4}, {.dtype = DType::f64})},
                         ops::AdamStepAttrs{}), Error);
  EXPECT_THROW(ops::call(ops::OpId::adam_step_, {p, g, zeros({4}), zeros({4})}, ops::AdamStepAttrs{.amsgrad = true}),
               Error);  // amsgrad without max_exp_avg_sq
  EXPECT_THROW(ops::call(ops::OpId::adam_step_, {p, g, p, zeros({4})}, ops::AdamStepAttrs{}), Error);  // aliased
  Tensor wide = zeros({4, 6});
  Tensor strided = wide.t();
  EXPECT_THROW(ops::call(ops::OpId::adam_step_, {strided, zeros({6, 4}), zeros({6, 4}), zeros({6, 4})},
                         ops::AdamStepAttrs{}), Error);  // not contiguous
  Tensor integers = zeros({4}, {.dtype = DType::i64});
  EXPECT_THROW(ops::call(ops::OpId::adam_step_, {integers, integers, integers, integers}, ops::AdamStepAttrs{}), Error);
}

TEST(OptimizerErrors, BadOptionsAreNamed) {
  Tensor w = zeros({2}).requires_grad_();
  EXPECT_THROW(optim::SGD({w}, {.lr = -1}), Error);
  EXPECT_THROW(optim::SGD({w}, {.lr = 0.1, .nesterov = true}), Error);
  EXPECT_THROW(optim::Adam({w}, {.beta1 = 1.0}), Error);
  try {
    optim::SGD({w}, {.lr = NAN});
    FAIL();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("lr"), std::string::npos) << error.what();
  }
}

TEST(SchedulerParity, LearningRateSequencesMatchPyTorch) {
  for (const json& spec : fixtures().at("schedulers")) {
    const std::string name = spec.at("name");
    const json& args = spec.at("args");
    Tensor w = zeros({2}).requires_grad_();
    optim::SGD optimizer({w}, {.lr = 0.1, .momentum = 0.9});
    std::unique_ptr<optim::Scheduler> scheduler;
    std::unique_ptr<optim::ReduceLROnPlateau> plateau;
    if (name == "step") scheduler = std::make_unique<optim::StepLR>(optimizer, args.at("step_size"), args.at("gamma"));
    if (name == "multistep") {
      scheduler = std::make_unique<optim::MultiStepLR>(optimizer, args.at("milestones").get<std::vector<int64_t>>(),
                                                       args.at("gamma"));
    }
    if (name == "exponential") scheduler = std::make_unique<optim::ExponentialLR>(optimizer, args.at("gamma"));
    if (name == "cosine") scheduler = std::make_unique<optim::CosineAnnealingLR>(optimizer, args.at("t_max"), args.at("eta_min"));
    if (name == "linear_warmup") {
      scheduler = std::make_unique<optim::LinearLR>(optimizer, args.at("start_factor"), args.at("end_factor"),
                                                    args.at("total_iters"));
    }
    if (name == "one_cycle") {
      scheduler = std::make_unique<optim::OneCycleLR>(
          optimizer, optim::OneCycleOptions{.max_lr = args.at("max_lr"), .total_steps = args.at("total_steps")});
    }
    if (name == "plateau") {
      plateau = std::make_unique<optim::ReduceLROnPlateau>(
          optimizer, optim::PlateauOptions{.factor = args.at("factor"), .patience = args.at("patience"),
                                           .cooldown = args.at("cooldown")});
    }
    ASSERT_TRUE(scheduler || plateau) << "no scheduler for case " << name;
    std::vector<double> lrs = spec.at("lr").get<std::vector<double>>();
    for (size_t step = 0; step < lrs.size(); ++step) {
      if (step > 0) {
        if (plateau) plateau->step(spec.at("metrics")[step - 1].get<double>());
        else scheduler->step();
      }
      EXPECT_NEAR(optimizer.lr(), lrs[step], 1e-12 + 1e-10 * std::fabs(lrs[step])) << name << " step " << step;
      if (!spec.at("momentum").is_null()) {
        double momentum = spec.at("momentum")[step].get<double>();
        EXPECT_NEAR(optimizer.option(0, "momentum"), momentum, 1e-12) << name << " momentum, step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace nabla

namespace nabla {
namespace {

// PyTorch's SequentialLR(LinearLR(start, 1, w) → CosineAnnealingLR(total − w)) in closed form: the factor
// rises linearly from `start` at step 0 to 1 at step w, then the rate follows half a cosine to 0 at `total`.
double warmup_cosine(double base, double start, int64_t warmup, int64_t total, int64_t step) {
  if (step < warmup) return base * (start + (1 - start) * static_cast<double>(step) / static_cast<double>(warmup));
  const double progress = static_cast<double>(step - warmup) / static_cast<double>(total - warmup);
  return base * (1 + std::cos(M_PI * progress)) / 2;
}

std::shared_ptr<optim::SequentialLR> warmup_then_cosine(optim::Optimizer& optimizer, double start, int64_t warmup,
                                                        int64_t total) {
  auto warm = std::make_shared<optim::LinearLR>(optimizer, start, 1.0, warmup);
  auto cosine = std::make_shared<optim::CosineAnnealingLR>(optimizer, total - warmup);
  return std::make_shared<optim::SequentialLR>(optimizer, std::vector<std::shared_ptr<optim::Scheduler>>{warm, cosine},
                                               std::vector<int64_t>{warmup});
}

TEST(SequentialLR, WarmupThenCosineFollowsTheClosedForm) {
  const double base = 0.4, start = 0.01;
  const int64_t warmup = 7, total = 30;
  Tensor w = zeros({2}).requires_grad_();
  optim::SGD optimizer({w}, {.lr = base, .momentum = 0.9, .nesterov = true});
  auto scheduler = warmup_then_cosine(optimizer, start, warmup, total);
  for (int64_t step = 0; step <= total; ++step) {
    if (step > 0) scheduler->step();
    EXPECT_NEAR(optimizer.lr(), warmup_cosine(base, start, warmup, total, step), 1e-14) << "step " << step;
  }
  // The peak is the base rate, reached exactly where warm-up hands over to the cosine.
  EXPECT_DOUBLE_EQ(warmup_cosine(base, start, warmup, total, warmup), base);
}

TEST(SequentialLR, StateDictResumesMidWarmupAndMidCosine) {
  const double base = 0.1, start = 0.05;
  const int64_t warmup = 5, total = 20;
  for (int64_t stop : {3, 12}) {
    Tensor w = zeros({2}).requires_grad_();
    optim::SGD first({w}, {.lr = base});
    auto running = warmup_then_cosine(first, start, warmup, total);
    for (int64_t step = 0; step < stop; ++step) running->step();
    const nlohmann::json saved = running->state_dict();
    // A fresh optimizer and chain, as a resumed run builds them, then the saved state.
    optim::SGD second({w}, {.lr = base});
    auto resumed = warmup_then_cosine(second, start, warmup, total);
    resumed->load_state_dict(saved);
    EXPECT_NEAR(second.lr(), first.lr(), 1e-15) << "resumed at step " << stop;
    for (int64_t step = stop + 1; step <= total; ++step) {
      running->step();
      resumed->step();
      EXPECT_NEAR(second.lr(), warmup_cosine(base, start, warmup, total, step), 1e-14) << "step " << step;
      EXPECT_EQ(second.lr(), first.lr());
    }
  }
}

TEST(SequentialLR, BadChainsAreNamed) {
  Tensor w = zeros({2}).requires_grad_();
  optim::SGD optimizer({w}, {.lr = 0.1}), other({w}, {.lr = 0.1});
  auto linear = std::make_shared<optim::LinearLR>(optimizer, 0.1, 1.0, 3);
  auto cosine = std::make_shared<optim::CosineAnnealingLR>(optimizer, 5);
  using Chain = std::vector<std::shared_ptr<optim::Scheduler>>;
  EXPECT_THROW(optim::SequentialLR(optimizer, Chain{linear, cosine}, {}), Error);         // milestones missing
  EXPECT_THROW(optim::SequentialLR(optimizer, Chain{linear, cosine, cosine}, {3, 3}), Error);  // not increasing
  EXPECT_THROW(optim::SequentialLR(optimizer, Chain{}, {}), Error);
  auto elsewhere = std::make_shared<optim::CosineAnnealingLR>(other, 5);
  EXPECT_THROW(optim::SequentialLR(optimizer, Chain{linear, elsewhere}, {3}), Error);  // another optimizer
  cosine->step();
  EXPECT_THROW(optim::SequentialLR(optimizer, Chain{linear, cosine}, {3}), Error);  // already stepped
}

}  // namespace
}  // namespace nabla
