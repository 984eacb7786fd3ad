// Q12: gradient descent (the gradient of the whole training set per step) against stochastic gradient descent
// (the gradient of B random examples per step), on the same model and data:
//   X [N, d] with feature scales from 1 to √10 (the Hessian's condition number ≈ 10), y [N] = X·w_true + noise,
//   ŷ = X·w, L(w) = mean((ŷ − y)²), whose minimum L* comes from the normal equations (linalg::solve).
// Cost is counted in per-example gradient evaluations (a step with batch B costs B; a GD step costs N); each
// batch size gets its best learning rate from the same grid. Then the noise of the minibatch gradient:
// E‖g_B − g‖² against B on a log–log scale, whose slope is −1 for batches drawn with replacement.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

struct Problem {
  Tensor X, y;                     // [N, d], [N]
  double minimum_loss = 0;         // L*
  double largest_curvature = 0;    // L, the largest eigenvalue of the Hessian 2XᵀX/N
  int64_t examples() const { return X.size(0); }
};

Tensor batch_loss(const Problem& problem, const Tensor& w, const Tensor& rows) {
  if (!rows.defined()) return functional::mse_loss(matmul(problem.X, w), problem.y);
  return functional::mse_loss(matmul(index_select(problem.X, 0, rows), w), index_select(problem.y, 0, rows));
}

struct Run {
  int64_t batch_size = 0;
  double lr = 0;
  int64_t evaluations_to_target = -1;  // per-example gradients spent when the excess loss first met the target
  double seconds_to_target = 0;  // time spent in the steps (not in monitoring the full loss)
  std::vector<double> evaluations, excess;  // the curve: excess loss L(w) − L* against evaluations spent
};

// SGD with batches drawn with replacement (B = N: plain GD over the whole set, no sampling) until the excess loss
// falls to `target` (when stop_at_target), the budget of evaluations is spent, or the run diverges. Monitoring the
// full loss is not counted: it is the measurement, not the method.
Run train(const Problem& problem, int64_t batch_size, double lr, double target, int64_t budget, Generator& generator,
          bool stop_at_target = true, int64_t check_every = 1) {
  Run run{.batch_size = batch_size, .lr = lr};
  Tensor w = zeros({problem.X.size(1)}, {.dtype = DType::f64, .requires_grad = true});
  double stepping_seconds = 0;
  const bool full_batch = batch_size >= problem.examples();
  double initial = 0;
  for (int64_t spent = 0, step = 0;; spent += batch_size, ++step) {
    const bool last = spent + batch_size > budget;
    if (step % check_every == 0 || last) {
      double excess = 0;
      {
        autograd::NoGradGuard no_grad;
        excess = batch_loss(problem, w, {}).item() - problem.minimum_loss;
      }
      if (step == 0) initial = excess;
      run.evaluations.push_back(static_cast<double>(spent));
      run.excess.push_back(excess);
      if (excess <= target && run.evaluations_to_target < 0) {
        run.evaluations_to_target = spent;
        run.seconds_to_target = stepping_seconds;
        if (stop_at_target) break;
      }
      if (!std::isfinite(excess) || excess > 10 * initial) break;  // diverged
    }
    if (last) break;
    const auto started = std::chrono::steady_clock::now();
    Tensor rows = full_batch ? Tensor() : randint(0, problem.examples(), {batch_size}, {.dtype = DType::i64}, &generator);
    batch_loss(problem, w, rows).backward();
    {
      autograd::NoGradGuard no_grad;
      w = (w - w.grad() * lr).requires_grad_();
    }
    stepping_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  return run;
}

Problem make_problem(int64_t examples, int64_t features, Generator& generator) {
  Problem problem;
  Tensor scales = sqrt(linspace(1, 10, features, {.dtype = DType::f64}));
  problem.X = randn({examples, features}, {.dtype = DType::f64}, &generator) * scales.unsqueeze(0);
  Tensor w_true = randn({features}, {.dtype = DType::f64}, &generator);
  problem.y = matmul(problem.X, w_true) + randn({examples}, {.dtype = DType::f64}, &generator) * 0.5;
  Tensor gram = matmul(problem.X.t(), problem.X) * (2.0 / static_cast<double>(examples));  // the Hessian
  Tensor minimum = linalg::solve(gram, matmul(problem.X.t(), problem.y) * (2.0 / static_cast<double>(examples)));
  problem.minimum_loss = functional::mse_loss(matmul(problem.X, minimum), problem.y).item();
  problem.largest_curvature = linalg::eigh(gram).first.to_vector().back();
  return problem;
}

Text count_text(int64_t count) {
  return count < 0 ? Text{"not reached", "도달 못 함"} : Text{std::to_string(count), std::to_string(count)};
}

void compare_costs(Context& ctx, const Problem& problem) {
  const double target_fraction = ctx.parameter("target_fraction", 1e-3);  // target: excess ≤ this × initial excess
  const int64_t N = problem.examples();
  const double L = problem.largest_curvature;
  const double initial_excess = batch_loss(problem, zeros({problem.X.size(1)}, {.dtype = DType::f64}), {}).item() - problem.minimum_loss;
  const double target = target_fraction * initial_excess;
  const std::vector<double> lr_factors = {0.03, 0.1, 0.3, 1.0, 1.9};  // η = factor / L
  // GD first: the minibatch runs get GD's cost to target as their budget (past it they have lost anyway).
  const std::vector<int64_t> batch_sizes = {N, 1, 8, 64, 512};
  int64_t budget = 400 * N;
  ctx.note(fmt::format("least squares, N = {}, d = {}; L* = {:.6f}, Hessian's largest eigenvalue L = {:.4f}; target: excess "
                       "loss ≤ {} × initial excess = {:.4g}; learning rates η = c/L for c in {}",
                       N, problem.X.size(1), problem.minimum_loss, L, target_fraction, target, fmt::join(lr_factors, ", ")));

  std::vector<Run> best;  // per batch size, the learning rate that reached the target with the fewest evaluations
  std::vector<std::vector<std::string>> rows;
  for (int64_t batch_size : batch_sizes) {
    Run chosen;
    for (double factor : lr_factors) {
      // The full loss is checked 256 times an epoch (every step when batches are larger than N/256).
      Run run = train(problem, batch_size, factor / L, target, budget, ctx.generator(), true,
                      std::max<int64_t>(1, N / (256 * batch_size)));
      const bool better = run.evaluations_to_target >= 0 &&
                          (chosen.evaluations_to_target < 0 || run.evaluations_to_target < chosen.evaluations_to_target);
      if (better || chosen.batch_size == 0) chosen = run;
    }
    best.push_back(chosen);
    if (batch_size == N && chosen.evaluations_to_target > 0) budget = chosen.evaluations_to_target;
    rows.push_back({batch_size == N ? fmt::format("{} (GD)", N) : std::to_string(batch_size), fmt::format("{:.4g}", chosen.lr * L),
                    count_text(chosen.evaluations_to_target).en,
                    chosen.evaluations_to_target < 0 ? "—" : fmt::format("{:.3g}", chosen.evaluations_to_target / static_cast<double>(N)),
                    ctx.full() && chosen.evaluations_to_target >= 0 ? fmt::format("{:.4f}", chosen.seconds_to_target) : "—"});
  }
  ctx.table("Cost to reach the target loss (best learning rate per batch size)",
            {"batch size", "best η·L", "per-example gradients", "epochs", ctx.full() ? "wall time of the steps (s)" : "wall time (--full only)"},
            rows);

  const Run& gd = best.front();
  const Run* cheapest = &best[1];
  for (const Run& run : best) {
    if (run.evaluations_to_target >= 0 && (cheapest->evaluations_to_target < 0 || run.evaluations_to_target < cheapest->evaluations_to_target)) cheapest = &run;
  }
  ctx.figure("GD: per-example gradients to target", static_cast<double>(gd.evaluations_to_target));
  ctx.figure(fmt::format("SGD B = {}: per-example gradients to target", cheapest->batch_size),
             static_cast<double>(cheapest->evaluations_to_target));
  const bool both = gd.evaluations_to_target > 0 && cheapest->evaluations_to_target >= 0 && cheapest->batch_size < N;
  ctx.claim(
      {"minibatch SGD reaches the target with fewer gradient evaluations than GD",
       "미니배치 SGD는 GD보다 적은 기울기 계산으로 목표에 도달한다"},
      both && cheapest->evaluations_to_target * 5 < gd.evaluations_to_target,
      format_text(
          {"{} per-example gradients with B = {} (η = {:.3g}) against {} for GD (η = {:.3g}): {:.1f}× fewer "
           "(must be > 5×)",
           "B = {1} (η = {2:.3g})에서 예제별 기울기 {0}개, GD (η = {4:.3g})는 {3}개: {5:.1f}배 적음 (5배 초과여야 함)"},
          count_text(cheapest->evaluations_to_target), cheapest->batch_size, cheapest->lr,
          count_text(gd.evaluations_to_target), gd.lr,
          both ? static_cast<double>(gd.evaluations_to_target) / cheapest->evaluations_to_target : 0.0));
  if (ctx.full()) {
    ctx.figure("GD: seconds to target", gd.seconds_to_target, "s");
    ctx.figure(fmt::format("SGD B = {}: seconds to target", cheapest->batch_size), cheapest->seconds_to_target, "s");
    ctx.claim({"minibatch SGD reaches the target in less wall time than GD",
               "미니배치 SGD는 GD보다 짧은 실제 시간에 목표에 도달한다"},
              both && cheapest->seconds_to_target < gd.seconds_to_target,
              format_text({"{:.4f} s with B = {} against {:.4f} s for GD", "B = {1}에서 {0:.4f}초, GD는 {2:.4f}초"},
                          cheapest->seconds_to_target, cheapest->batch_size, gd.seconds_to_target));
  }

  // Past the target: GD and the cheapest SGD, each at its best η, run on for twice GD's cost to target.
  // Constant-lr SGD settles on a noise floor; GD keeps converging.
  const int64_t long_budget = 2 * std::max<int64_t>(gd.evaluations_to_target, N);
  const Run gd_long = train(problem, N, gd.lr, target, long_budget, ctx.generator(), false);
  const int64_t checks_per_epoch = 8;
  const Run sgd_long = train(problem, cheapest->batch_size, cheapest->lr, target, long_budget, ctx.generator(), false,
                             std::max<int64_t>(1, N / (checks_per_epoch * cheapest->batch_size)));
  const double sgd_floor = *std::min_element(sgd_long.excess.end() - static_cast<std::ptrdiff_t>(sgd_long.excess.size() / 4), sgd_long.excess.end());
  ctx.claim(
      {"near the minimum constant-lr SGD stalls on a noise floor that GD goes below",
       "최솟점 근처에서 학습률이 고정된 SGD는 잡음 바닥에 멈추지만 GD는 그 아래로 내려간다"},
      gd_long.excess.back() < sgd_floor,
      format_text({"after {} per-example gradients: GD's excess loss {:.3g}, SGD's (B = {}) lowest over its last "
                   "quarter {:.3g}",
                   "예제별 기울기 {}개 후: GD의 초과 손실 {:.3g}, SGD (B = {})의 마지막 4분의 1 구간 최저값 {:.3g}"},
                  long_budget, gd_long.excess.back(), cheapest->batch_size, sgd_floor));
  // The plot has no log x axis, so x is log₁₀(1 + evaluations): SGD's whole run fits in GD's first step.
  plot::Panel curves{"Excess loss against gradient evaluations (best η each)", "log₁₀(1 + per-example gradient evaluations)",
                     "excess loss L(w) − L* (log scale)", {}, true};
  std::vector<Run> drawn = {gd_long, sgd_long};
  for (const Run& run : best) {
    if (run.batch_size != N && run.batch_size != cheapest->batch_size) drawn.push_back(run);
  }
  for (const Run& run : drawn) {
    std::vector<double> x, y;
    const size_t stride = std::max<size_t>(1, run.evaluations.size() / 300);  // at most ~300 points per curve
    for (size_t k = 0; k < run.evaluations.size(); k += stride) x.push_back(std::log10(1 + run.evaluations[k])), y.push_back(run.excess[k]);
    curves.series.push_back({run.batch_size == N ? "GD" : fmt::format("B = {}", run.batch_size), x, y});
  }
  ctx.line_plot("excess_loss.png", curves);
}

// E‖g_B − g‖² at w = 0 over `draws` batches per size, and the least-squares slope of its log against log B.
void gradient_noise(Context& ctx, const Problem& problem) {
  const int draws = ctx.quick() ? 48 : 400;
  Tensor w = zeros({problem.X.size(1)}, {.dtype = DType::f64, .requires_grad = true});
  batch_loss(problem, w, {}).backward();
  const Tensor full_gradient = w.grad().clone();
  std::vector<double> log_sizes, log_variances, sizes, variances;
  std::vector<std::vector<std::string>> rows;
  for (int64_t batch_size = 1; batch_size <= 1024; batch_size *= 4) {
    double total = 0;
    for (int draw = 0; draw < draws; ++draw) {
      w.zero_grad();
      Tensor rows_drawn = randint(0, problem.examples(), {batch_size}, {.dtype = DType::i64}, &ctx.generator());
      batch_loss(problem, w, rows_drawn).backward();
      total += sum(pow(w.grad() - full_gradient, 2.0)).item();
    }
    const double variance = total / draws;
    sizes.push_back(static_cast<double>(batch_size));
    variances.push_back(variance);
    log_sizes.push_back(std::log(static_cast<double>(batch_size)));
    log_variances.push_back(std::log(variance));
    rows.push_back({std::to_string(batch_size), fmt::format("{:.4g}", variance), fmt::format("{:.4g}", variance * batch_size)});
  }
  ctx.table(fmt::format("Minibatch gradient noise at w = 0 ({} batches per size, drawn with replacement)", draws),
            {"batch size B", "E‖g_B − g‖²", "B · E‖g_B − g‖² (constant if ∝ 1/B)"}, rows);
  // Least squares fit of log variance = a + slope · log B, with nabla's solve on the 2×2 normal equations.
  const auto n = static_cast<int64_t>(log_sizes.size());
  Tensor design = stack({ones({n}, {.dtype = DType::f64}), from_vector(log_sizes, {n}, {.dtype = DType::f64})}, 1);
  Tensor fit = linalg::solve(matmul(design.t(), design), matmul(design.t(), from_vector(log_variances, {n}, {.dtype = DType::f64})));
  const double slope = fit.to_vector()[1];
  ctx.figure("log–log slope of gradient noise against B", slope);
  ctx.claim({"gradient-noise variance falls as 1/B (log–log slope ≈ −1)",
             "기울기 잡음의 분산은 1/B로 줄어든다 (로그–로그 기울기 ≈ −1)"},
            std::abs(slope + 1) < 0.15,
            format_text({"fitted slope {:.3f} over B = 1…{} (must be within 0.15 of −1)",
                         "B = 1…{1}에서 맞춘 기울기 {0:.3f} (−1과의 차이가 0.15 이내여야 함)"},
                        slope, static_cast<int64_t>(sizes.back())));
  std::vector<double> fitted;
  for (double size : sizes) fitted.push_back(std::exp(fit.to_vector()[0]) * std::pow(size, slope));
  std::vector<double> inverse;
  for (double size : sizes) inverse.push_back(variances.front() / size);
  ctx.line_plot("gradient_noise.png", {"Minibatch gradient noise against batch size (log–log)", "batch size B",
                                       "E‖g_B − g‖²", {{"measured", sizes, variances}, {fmt::format("fit, slope {:.3f}", slope), sizes, fitted},
                                       {"1/B from B = 1", sizes, inverse}}, true});
}

void run(Context& ctx) {
  const Problem problem = make_problem(ctx.quick() ? 1024 : 16384, 20, ctx.generator());
  compare_costs(ctx, problem);
  gradient_noise(ctx, problem);
}

const bool registered = register_experiment({
    .id = "Q12",
    .title = "GD vs SGD",
    .question = {"What is the difference between gradient descent and stochastic gradient descent, and when is each better?",
                 "경사하강법(GD)과 확률적 경사하강법(SGD)은 무엇이 다르고, 각각 언제 더 좋은가요?"},
    .answer = {"GD computes the exact gradient over the whole training set for every step; SGD estimates it from a "
               "small random batch, so one step costs B instead of N example gradients. The estimate is unbiased and "
               "its variance falls as 1/B, so early in training, when the gradient is large compared with that noise, "
               "a hundred cheap noisy steps beat one exact step: here SGD reaches the same target loss with far fewer "
               "gradient evaluations (and, on a CPU, in less time). Near the minimum the noise dominates: constant-lr "
               "SGD stalls at a noise floor, so it needs a decaying lr or bigger batches, while GD converges to the "
               "exact minimum. The variance falls exactly as 1/B (log–log slope −1) when the examples of a batch are "
               "drawn independently; without replacement from a finite set it falls a little faster.",
               "GD는 매 스텝 전체 학습 데이터로 정확한 그래디언트를 계산하고, SGD는 무작위로 뽑은 작은 배치로 그 값을 "
               "추정합니다. 그래서 한 스텝의 비용이 예제 N개가 아니라 B개 분량입니다. 이 추정은 편향이 없고 분산이 "
               "1/B로 줄기 때문에, 그래디언트가 잡음보다 큰 학습 초반에는 값싼 잡음 섞인 스텝 여러 번이 정확한 스텝 "
               "한 번보다 낫습니다. 이 실험에서도 SGD가 같은 목표 손실에 훨씬 적은 그래디언트 계산(그리고 CPU에서 더 "
               "짧은 시간)으로 도달합니다. 반면 최소점 근처에서는 잡음이 지배해서 학습률이 고정된 SGD는 잡음 바닥에서 "
               "멈추므로 학습률을 줄이거나 배치를 키워야 하고, GD는 정확한 최소점으로 수렴합니다. 분산이 정확히 1/B로 "
               "주는 것은 배치를 복원 추출할 때이고, 유한한 데이터에서 비복원 추출하면 조금 더 빨리 줄어듭니다."},
    .topic = "C D",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
