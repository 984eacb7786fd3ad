// Q11: why the loss sometimes goes up during gradient descent. Two causes, measured apart:
//  1. a step too large for the curvature. On f(w) = ½ (w − w*)ᵀ A (w − w*), A [d, d] symmetric with a spread
//     spectrum in a random basis, GD multiplies the error along each eigenvector by (1 − ηλ): it converges
//     for η < 2/L and diverges past it (L = largest Hessian eigenvalue, measured by Lanczos through
//     Hessian-vector products and checked against eigh of A).
//  2. minibatch noise. Linear regression X [N, d], y [N] = X·w_true + noise, mean squared error; SGD with
//     batches of B examples at one learning rate: the loss seen per step jitters, the less the larger B.
#include <algorithm>
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "quadratic.h"

namespace nabla::lab {
namespace {

// A random symmetric matrix with eigenvalues spread evenly on a log scale from 1 to `largest`.
Quadratic random_quadratic(int64_t dimension, double largest, Generator& generator) {
  Tensor basis = linalg::qr(randn({dimension, dimension}, {.dtype = DType::f64}, &generator)).first;
  Tensor eigenvalues = exp(linspace(0, std::log(largest), dimension, {.dtype = DType::f64}));
  return {matmul(basis * eigenvalues.unsqueeze(0), basis.t()), randn({dimension}, {.dtype = DType::f64}, &generator)};
}

std::vector<double> gradient_descent(const Quadratic& problem, const Tensor& start, double lr, int steps) {
  std::vector<double> losses;
  Tensor w = start.clone().requires_grad_();
  for (int step = 0; step <= steps; ++step) {
    Tensor loss = problem.loss(w);
    losses.push_back(loss.item());
    if (step == steps || !std::isfinite(losses.back())) break;
    loss.backward();
    autograd::NoGradGuard no_grad;
    w = (w - w.grad() * lr).requires_grad_();
  }
  return losses;
}

struct NoisyRun {
  int64_t batch_size = 0;
  std::vector<double> batch_losses, full_losses;  // per step: the minibatch's loss, and the loss on all N
};

NoisyRun minibatch_sgd(const Tensor& X, const Tensor& y, int64_t batch_size, double lr, int steps, Generator& generator) {
  NoisyRun run{.batch_size = batch_size};
  Tensor w = zeros({X.size(1)}, {.dtype = DType::f64, .requires_grad = true});
  for (int step = 0; step < steps; ++step) {
    // A batch of all N examples is plain GD; smaller ones are drawn with replacement.
    Tensor loss = functional::mse_loss(matmul(X, w), y);
    if (batch_size < X.size(0)) {
      Tensor rows = randint(0, X.size(0), {batch_size}, {.dtype = DType::i64}, &generator);
      loss = functional::mse_loss(matmul(index_select(X, 0, rows), w), index_select(y, 0, rows));
    }
    loss.backward();
    autograd::NoGradGuard no_grad;
    run.batch_losses.push_back(loss.item());
    run.full_losses.push_back(functional::mse_loss(matmul(X, w), y).item());
    w = (w - w.grad() * lr).requires_grad_();
  }
  return run;
}

double variance_of_tail(const std::vector<double>& values) {  // over the second half (after the descent)
  std::vector<double> tail(values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
  double average = 0, spread = 0;
  for (double v : tail) average += v / static_cast<double>(tail.size());
  for (double v : tail) spread += (v - average) * (v - average) / static_cast<double>(tail.size() - 1);
  return spread;
}

int rises(const std::vector<double>& values) {  // rises above round-off (f64 leaves a settled loss jittering)
  int count = 0;
  for (size_t k = 1; k < values.size(); ++k) count += values[k] > values[k - 1] * (1 + 1e-12);
  return count;
}

void learning_rate_sweep(Context& ctx) {
  const double lr_factor = ctx.parameter("lr_factor", 1.01);  // the step just past 2/L that must diverge
  const int64_t dimension = ctx.quick() ? 20 : 100;
  const int steps = ctx.quick() ? 300 : 1000;
  const Quadratic problem = random_quadratic(dimension, 10.0, ctx.generator());
  Tensor w = randn({dimension}, {.dtype = DType::f64, .requires_grad = true}, &ctx.generator());
  const Tensor start = w.detach().clone();

  // L through the Hessian of the loss (Lanczos on Hessian-vector products), and exactly from A for comparison.
  const double L = analysis::top_hessian_eigenvalues([&] { return problem.loss(w); }, {w}, 1, dimension, ctx.generator())[0];
  const double L_exact = linalg::eigh(problem.A).first.to_vector().back();
  ctx.note(fmt::format("f(w) = ½ (w − w*)ᵀA(w − w*), d = {}, eigenvalues of A from 1 to 10 (log-spaced) in a random basis; "
                       "Lanczos: L = {:.10f}, eigh(A): {:.10f}; 2/L = {:.6f}", dimension, L, L_exact, 2 / L));
  ctx.claim({"Lanczos measures L", "란초스 방법으로 L을 잰다"}, std::abs(L - L_exact) < 1e-8 * L_exact,
            format_text({"largest Hessian eigenvalue {:.12f} by Lanczos, {:.12f} by eigh",
                         "헤세 행렬의 최대 고윳값: 란초스 {:.12f}, eigh {:.12f}"},
                        L, L_exact));

  const std::vector<double> below = {0.5, 0.9, 0.99}, past = {lr_factor, 1.1};
  std::vector<std::vector<std::string>> rows;
  plot::Panel curves{"Loss per GD step, η = c · 2/L (c = 1.1 is in the table: it leaves the scale)", "gradient step", "excess loss f(w) − f* (log scale)", {}, true};
  bool all_converge = true, all_diverge = true, rates_match = true;
  std::vector<Text> converge_evidence, diverge_evidence, rate_evidence;  // one item per step size
  size_t edge_lowest_step = 0;  // at c = lr_factor: the step with the lowest loss
  for (const auto* group : {&below, &past}) {
    for (double factor : *group) {
      const double lr = factor * 2 / L;
      std::vector<double> losses = gradient_descent(problem, start, lr, steps);
      const double ratio = losses.back() / losses.front();
      if (group == &past && factor == lr_factor) {
        edge_lowest_step = static_cast<size_t>(std::min_element(losses.begin(), losses.end()) - losses.begin());
      }
      // Late in the run only the top eigen-direction is left: the loss changes by (1 − ηL)² per step.
      const double measured_rate = std::pow(losses.back() / losses[losses.size() - 21], 1.0 / 20);
      const double predicted_rate = (1 - lr * L_exact) * (1 - lr * L_exact);
      const bool rate_ok = std::abs(measured_rate - predicted_rate) < 0.01 * predicted_rate;
      // Far below 2/L the top direction dies out as fast as the others and the loss reaches round-off.
      const bool top_direction_left = ratio > 1e-20;
      if (top_direction_left) rates_match = rates_match && rate_ok;
      Text line = format_text({"c = {}: final/initial loss {:.3g}", "c = {}: 최종 손실/초기 손실 {:.3g}"}, factor, ratio);
      if (group == &below) {
        all_converge = all_converge && ratio < 1e-3;
        converge_evidence.push_back(line);
      } else {
        all_diverge = all_diverge && ratio > 1e3;
        diverge_evidence.push_back(line);
      }
      if (top_direction_left) {
        rate_evidence.push_back(format_text({"c = {}: {:.5f} measured, {:.5f} predicted", "c = {}: 측정 {:.5f}, 예측 {:.5f}"},
                                            factor, measured_rate, predicted_rate));
      }
      rows.push_back({fmt::format("{}", factor), fmt::format("{:.5f}", lr), fmt::format("{:.4f}", std::abs(1 - lr * L)),
                      fmt::format("{:.4g}", losses.front()), fmt::format("{:.4g}", losses.back()),
                      std::to_string(rises(losses)), fmt::format("{:.5f}", measured_rate)});
      std::vector<double> step_numbers;
      for (size_t k = 0; k < losses.size(); ++k) step_numbers.push_back(static_cast<double>(k));
      if (factor != 1.1) curves.series.push_back({fmt::format("c = {}", factor), step_numbers, losses});
    }
  }
  ctx.table(fmt::format("GD for {} steps at η = c · 2/L", steps),
            {"c", "η", "|1 − ηL|", "initial loss", "final loss", "steps where the loss rose", "loss factor per step (last 20)"},
            rows);
  ctx.line_plot("lr_sweep.png", curves);
  ctx.figure("L (Lanczos)", L);
  ctx.figure("2/L", 2 / L);
  ctx.claim({"converges for lr < 2/L", "lr < 2/L이면 수렴한다"}, all_converge,
            format_text({"{} (each must be < 1e-3)", "{} (모두 1e-3 미만이어야 함)"}, join_texts(converge_evidence, "; ")));
  ctx.claim({"diverges past 2/L", "2/L을 넘으면 발산한다"}, all_diverge,
            format_text({"{} (each must be > 1e3)", "{} (모두 1e3 초과여야 함)"}, join_texts(diverge_evidence, "; ")));
  ctx.claim({"just past 2/L the loss first falls, then climbs", "2/L을 조금 넘으면 손실이 처음엔 줄다가 다시 오른다"},
            edge_lowest_step > 0 && edge_lowest_step < static_cast<size_t>(steps),
            format_text({"at c = {} the lowest loss is at step {} of {}",
                         "c = {0}에서 손실이 가장 낮은 곳은 {2}스텝 중 {1}번째 스텝"},
                        lr_factor, edge_lowest_step, steps));
  ctx.claim({"near 2/L the loss changes by (1 − ηL)² per step", "2/L 근처에서 손실은 스텝마다 (1 − ηL)²배로 변한다"},
            rates_match, join_texts(rate_evidence, "; "));
}

void minibatch_noise(Context& ctx) {
  const int64_t examples = ctx.quick() ? 2048 : 8192, features = 10;
  const int steps = ctx.quick() ? 600 : 2000;
  const double lr = 0.05;
  Tensor X = randn({examples, features}, {.dtype = DType::f64}, &ctx.generator());
  Tensor w_true = randn({features}, {.dtype = DType::f64}, &ctx.generator());
  Tensor y = matmul(X, w_true) + randn({examples}, {.dtype = DType::f64}, &ctx.generator()) * 0.5;
  const std::vector<int64_t> batch_sizes = {1, 4, 16, 64, 256, examples};

  std::vector<NoisyRun> runs;
  std::vector<std::vector<std::string>> rows;
  std::vector<double> variances;
  for (int64_t batch_size : batch_sizes) {
    runs.push_back(minibatch_sgd(X, y, batch_size, lr, steps, ctx.generator()));
    const NoisyRun& run = runs.back();
    variances.push_back(variance_of_tail(run.batch_losses));
    rows.push_back({batch_size == examples ? fmt::format("{} (full batch)", batch_size) : std::to_string(batch_size),
                    fmt::format("{:.4g}", variances.back()), std::to_string(rises(run.batch_losses)),
                    std::to_string(rises(run.full_losses)), fmt::format("{:.5f}", run.full_losses.back())});
  }
  ctx.note(fmt::format("linear regression, N = {}, d = {}, noise 0.5; SGD at η = {} for {} steps from w = 0, batches drawn "
                       "with replacement; variance over the second half of the run",
                       examples, features, lr, steps));
  ctx.table("Loss per step against batch size",
            {"batch size B", "variance of the minibatch loss", "steps where the minibatch loss rose",
             "steps where the full loss rose", "final full loss"},
            rows);
  bool shrinking = true;
  for (size_t i = 1; i < variances.size(); ++i) shrinking = shrinking && variances[i] < variances[i - 1];
  ctx.claim(
      {"per-step loss variance shrinks as the batch grows", "배치가 커질수록 스텝별 손실의 분산이 줄어든다"}, shrinking,
      format_text({"variance of the minibatch loss for B = {}: {:.3g}", "B = {}에 대한 미니배치 손실의 분산: {:.3g}"},
                  fmt::join(batch_sizes, ", "), fmt::join(variances, ", ")));
  const int gd_rises = rises(runs.back().full_losses), sgd_rises = rises(runs.front().full_losses);
  ctx.claim(
      {"with B = 1 the full loss goes up on many steps, with full-batch GD on none",
       "B = 1이면 전체 손실이 많은 스텝에서 오르고, 전체 배치 GD에서는 한 번도 오르지 않는다"},
      gd_rises == 0 && sgd_rises > steps / 10,
      format_text({"the loss on all {} examples rose in {} of {} steps with B = 1 and {} with GD at the same η",
                   "예제 {0}개 전체의 손실이 B = 1에서는 {2}스텝 중 {1}스텝, 같은 η의 GD에서는 {3}스텝에서 올랐다"},
                  examples, sgd_rises, steps, gd_rises));
  ctx.figure("minibatch loss variance, B = 1", variances.front());
  ctx.figure("minibatch loss variance, B = 256", variances[4]);

  plot::Panel panel{"Minibatch loss per step", "optimizer step", "loss on the batch (cross-entropy, nats; log scale)", {}, true};
  for (size_t i : {size_t{0}, size_t{2}, size_t{4}, runs.size() - 1}) {
    std::vector<double> step_numbers;
    for (size_t k = 0; k < runs[i].batch_losses.size(); ++k) step_numbers.push_back(static_cast<double>(k));
    panel.series.push_back({fmt::format("B = {}", runs[i].batch_size), step_numbers, runs[i].batch_losses});
  }
  ctx.line_plot("minibatch_noise.png", panel);
}

void run(Context& ctx) {
  learning_rate_sweep(ctx);
  minibatch_noise(ctx);
}

const bool registered = register_experiment({
    .id = "Q11",
    .title = "Why does the loss sometimes go up during gradient descent?",
    .question = {"Why does the loss sometimes go up during gradient descent?",
                 "경사하강법으로 학습하는데 손실이 가끔 올라가는 이유는 무엇인가요?"},
    .answer = {"Two different reasons. With full-batch gradient descent the loss goes up when the step is too large "
               "for the curvature: near a minimum each eigen-direction of the Hessian is multiplied by (1 − ηλ) per "
               "step, so the iterates converge when η < 2/L (L the largest eigenvalue) and blow up past it, even by "
               "one percent; just past 2/L the loss first falls (the other directions shrink) and then climbs. With "
               "minibatches the gradient is a noisy estimate, so even a stable step size makes the loss jump up and "
               "down from step to step; that jitter shrinks as the batch grows, and full-batch GD at the same step "
               "never goes up. A rising loss with a small, stable step therefore points to noise (or a bug), not to "
               "the learning rate.",
               "원인이 두 가지입니다. 전체 배치 경사하강법에서는 학습률이 곡률에 비해 클 때 손실이 올라갑니다. "
               "최소점 근처에서 헤시안의 각 고유방향 성분은 매 스텝 (1 − ηλ)배가 되므로, 가장 큰 고윳값 L에 대해 "
               "η < 2/L이면 수렴하고 그보다 1%만 커도 발산합니다. 2/L을 살짝 넘으면 다른 방향이 먼저 줄어들어 "
               "손실이 처음엔 내려가다가 나중에 올라갑니다. 미니배치 학습에서는 그래디언트가 잡음 섞인 추정치라서 "
               "안정적인 학습률에서도 스텝마다 손실이 오르내리고, 이 흔들림은 배치가 클수록 작아지며 같은 학습률의 "
               "전체 배치 GD는 한 번도 올라가지 않습니다. 그래서 작은 학습률에서도 손실이 오르면 학습률보다는 잡음(또는 "
               "버그)을 의심해야 합니다."},
    .topic = "C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
