// Q17: the saddle point of f(x, y) = x² − y² at the origin. Every method starts at (1, y0) with y0 tiny, on
// the ridge that leads into the saddle; we count the steps until |y| > 1 (the escape) for gradient descent,
// momentum, noisy gradient descent and Adam, and read the curvature at the saddle from Hessian-vector
// products. Parameters: w = (x, y), a float64 [2] tensor; f(w) = Σ sᵢ wᵢ² with s = (1, −1).
#include <algorithm>
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

constexpr double kEscape = 1.0;  // |y| beyond this counts as escaped

Tensor saddle(const Tensor& w) { return sum(w * w * tensor({1.0, -1.0}, {.dtype = DType::f64})); }

struct Descent {
  std::string method;
  std::vector<double> x, y;  // iterates, step 0 = start
  int escape_step = -1;      // first step with |y| > kEscape; −1 when never
  double final_gradient_norm = 0;
};

// Runs `make_optimizer`'s method from (1, y0) for at most `steps` steps, stopping at the escape. With
// noise > 0 each step's loss gets a random linear term ξ·w, ξ ~ N(0, noise²): the gradient of a minibatch.
Descent descend(const std::string& method, double y0, int steps, double noise, Generator& generator,
                const std::function<std::unique_ptr<optim::Optimizer>(const Tensor&)>& make_optimizer) {
  Descent run{.method = method};
  Tensor w = from_vector({1.0, y0}, {2}, {.dtype = DType::f64, .requires_grad = true});
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(w);
  for (int step = 0;; ++step) {
    std::vector<double> point = w.to_vector();
    run.x.push_back(point[0]);
    run.y.push_back(point[1]);
    if (std::abs(point[1]) > kEscape) {
      run.escape_step = step;
      break;
    }
    optimizer->zero_grad();
    Tensor loss = saddle(w);
    if (noise > 0) loss = loss + sum(w * randn({2}, {.dtype = DType::f64}, &generator) * noise);
    loss.backward();
    run.final_gradient_norm = norm(w.grad()).item();
    if (step == steps) break;
    optimizer->step();
  }
  return run;
}

// Steps until c·rᵗ > 1/|y0| for the growing mode of the linear recurrence y' = (1 + β + 2η)y − βy₋₁ that
// gradient descent (β = 0) and heavy-ball momentum follow along y; c from the start y₁ = (1 + 2η)y0. −1: never.
int predicted_escape(double y0, double lr, double momentum) {
  if (y0 == 0) return -1;  // exactly on the ridge: y stays 0
  const double trace = 1 + momentum + 2 * lr;
  const double root = std::sqrt(trace * trace - 4 * momentum);
  const double growing = (trace + root) / 2, other = (trace - root) / 2;
  const double weight = momentum == 0 ? 1 : ((1 + 2 * lr) - other) / (growing - other);
  return static_cast<int>(std::ceil(std::log(kEscape / (weight * y0)) / std::log(growing)));
}

Text steps_text(int steps) {
  return steps < 0 ? Text{"never", "탈출 못 함"} : Text{std::to_string(steps), std::to_string(steps)};
}

void run(Context& ctx) {
  const double y0 = ctx.parameter("y0", 1e-6);
  const double lr = ctx.parameter("lr", 0.1);
  const double momentum = 0.9, noise = 1e-2;
  const int steps = static_cast<int>(ctx.parameter("steps", 400));
  NABLA_KNOB_CHECK(lr > 0 && lr < 1, "lab Q17: lr must be in (0, 1) (x converges for lr < 1), got {}", lr);
  ctx.note(fmt::format("f(x, y) = x² − y², start (1, {:g}); every method uses learning rate {}; at most {} steps; "
                       "escaped means |y| > {}",
                       y0, lr, steps, kEscape));

  using Maker = std::function<std::unique_ptr<optim::Optimizer>(const Tensor&)>;
  const Maker gd = [&](const Tensor& w) { return std::make_unique<optim::SGD>(std::vector<Tensor>{w}, optim::SGDOptions{.lr = lr}); };
  const Maker heavy_ball = [&](const Tensor& w) {
    return std::make_unique<optim::SGD>(std::vector<Tensor>{w}, optim::SGDOptions{.lr = lr, .momentum = momentum});
  };
  const Maker adam = [&](const Tensor& w) { return std::make_unique<optim::Adam>(std::vector<Tensor>{w}, optim::AdamOptions{.lr = lr}); };
  std::vector<Descent> runs = {
      descend("gradient descent", y0, steps, 0, ctx.generator(), gd),
      descend(fmt::format("momentum β = {}", momentum), y0, steps, 0, ctx.generator(), heavy_ball),
      descend(fmt::format("noisy GD (σ = {:g})", noise), y0, steps, noise, ctx.generator(), gd),
      descend("Adam", y0, steps, 0, ctx.generator(), adam),
  };
  const int gd_predicted = predicted_escape(y0, lr, 0), momentum_predicted = predicted_escape(y0, lr, momentum);
  const std::vector<std::string> predictions = {steps_text(gd_predicted).en, steps_text(momentum_predicted).en, "—",
                                                "—"};
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < runs.size(); ++i) {
    rows.push_back({runs[i].method, steps_text(runs[i].escape_step).en, predictions[i],
                    fmt::format("{:.3g}", runs[i].y.size() > 1 ? std::abs(runs[i].y[1]) : 0.0)});
    ctx.figure(runs[i].method + ": steps to escape", runs[i].escape_step, "steps");
  }
  ctx.table("Steps until |y| > 1 from (1, y0)", {"method", "steps to escape", "predicted", "|y| after one step"}, rows);

  bool all_escape = true;
  for (const Descent& run : runs) all_escape = all_escape && run.escape_step >= 0;
  ctx.claim({"every method escapes the saddle", "모든 방법이 안장점을 탈출한다"}, all_escape,
            format_text({"steps to escape from y0 = {:g}: GD {}, momentum {}, noisy GD {}, Adam {} (limit {})",
                         "y0 = {:g}에서 탈출까지의 스텝 수: GD {}, 모멘텀 {}, 잡음 GD {}, Adam {} (한도 {})"},
                        y0, steps_text(runs[0].escape_step), steps_text(runs[1].escape_step),
                        steps_text(runs[2].escape_step), steps_text(runs[3].escape_step), steps));
  ctx.claim(
      {"GD and momentum escape when the linear recurrence predicts",
       "GD와 모멘텀은 선형 점화식이 예측한 시점에 탈출한다"},
      std::abs(runs[0].escape_step - gd_predicted) <= 1 && std::abs(runs[1].escape_step - momentum_predicted) <= 1,
      format_text({"GD {} steps (predicted ⌈ln(1/y0)/ln(1 + 2η)⌉ = {}), momentum {} (predicted {})",
                   "GD {}스텝 (예측 ⌈ln(1/y0)/ln(1 + 2η)⌉ = {}), 모멘텀 {} (예측 {})"},
                  runs[0].escape_step, gd_predicted, runs[1].escape_step, momentum_predicted));
  auto faster = [](const Descent& a, const Descent& b) { return a.escape_step >= 0 && (b.escape_step < 0 || a.escape_step < b.escape_step); };
  ctx.claim({"Adam < momentum < GD in steps to escape", "탈출까지의 스텝 수는 Adam < 모멘텀 < GD 순이다"},
            faster(runs[3], runs[1]) && faster(runs[1], runs[0]),
            format_text({"Adam {}, momentum {}, GD {}: Adam's first step is ≈ η whatever the gradient's size "
                         "(|y| = {:.3g} after one step, GD's is {:.3g})",
                         "Adam {}, 모멘텀 {}, GD {}: Adam의 첫 스텝은 기울기 크기와 상관없이 ≈ η다 (한 스텝 후 |y| = "
                         "{:.3g}, GD는 {:.3g})"},
                        steps_text(runs[3].escape_step), steps_text(runs[1].escape_step),
                        steps_text(runs[0].escape_step), std::abs(runs[3].y[1]), std::abs(runs[0].y[1])));
  // The noisy run is one draw: repeat it to see the spread of its escape time.
  const int noisy_runs = static_cast<int>(ctx.parameter("noisy_runs", ctx.quick() ? 20 : 500));
  std::vector<double> noisy_steps;
  for (int repeat = 0; repeat < noisy_runs; ++repeat) {
    const int escape = descend("noisy GD", y0, steps, noise, ctx.generator(), gd).escape_step;
    noisy_steps.push_back(escape < 0 ? INFINITY : escape);
  }
  std::sort(noisy_steps.begin(), noisy_steps.end());
  const double noisy_median = noisy_steps[noisy_steps.size() / 2], noisy_slowest = noisy_steps.back();
  ctx.figure("noisy GD: median steps to escape", noisy_median, "steps");
  ctx.claim({"gradient noise shortens GD's escape (median over runs)",
             "기울기 잡음은 GD의 탈출을 앞당긴다 (실행들의 중앙값)"},
            noisy_median < (runs[0].escape_step < 0 ? INFINITY : runs[0].escape_step),
            format_text({"{} noisy runs escape in {:g} … {:g} steps (median {:g}); GD without noise {}",
                         "잡음이 있는 실행 {}개가 {:g} … {:g}스텝에 탈출 (중앙값 {:g}); 잡음 없는 GD는 {}"},
                        noisy_runs, noisy_steps.front(), noisy_slowest, noisy_median, steps_text(runs[0].escape_step)));
  ctx.histogram("noisy_escape.png", fmt::format("Noisy GD (σ = {:g}): steps to escape over {} runs", noise, noisy_runs),
                "steps to escape (|y| ≥ 1)", {{"noisy GD", noisy_steps, {}}}, 20);

  // Escape time grows with ln(1/y0): each factor 100 closer to the ridge costs the same number of steps.
  std::vector<std::vector<std::string>> sweep_rows;
  std::vector<int> sweep_steps;
  for (double start : {1e-2, 1e-4, 1e-6, 1e-8, 1e-10}) {
    sweep_steps.push_back(descend("gradient descent", start, 2000, 0, ctx.generator(), gd).escape_step);
    sweep_rows.push_back({fmt::format("{:g}", start), steps_text(sweep_steps.back()).en,
                          std::to_string(predicted_escape(start, lr, 0))});
  }
  ctx.table("Gradient descent: steps to escape against the start's distance y0 from the ridge",
            {"y0", "steps to escape", "predicted"}, sweep_rows);
  const double per_hundred = std::log(100.0) / std::log(1 + 2 * lr);
  bool logarithmic = true;
  for (size_t i = 1; i < sweep_steps.size(); ++i) {
    logarithmic = logarithmic && std::abs(sweep_steps[i] - sweep_steps[i - 1] - per_hundred) <= 1.5;
  }
  ctx.claim({"escape time grows with ln(1/y0)", "탈출 시간은 ln(1/y0)에 비례해 늘어난다"}, logarithmic,
            format_text({"steps for y0 = 1e-2 … 1e-10: {}; ln(100)/ln(1 + 2η) = {:.2f} steps per factor 100",
                         "y0 = 1e-2 … 1e-10의 스텝 수: {}; 100배마다 ln(100)/ln(1 + 2η) = {:.2f}스텝"},
                        fmt::join(sweep_steps, ", "), per_hundred));

  // Started exactly on the ridge (y0 = 0) GD converges to the saddle: a small gradient does not mean a minimum.
  const Descent stuck = descend("gradient descent", 0.0, steps, 0, ctx.generator(), gd);
  ctx.note(fmt::format("from (1, 0) gradient descent ends at ({:.3g}, {:.3g}) after {} steps with ‖∇f‖ = {:.3g}",
                       stuck.x.back(), stuck.y.back(), steps, stuck.final_gradient_norm));
  ctx.claim(
      {"from y0 = 0 GD converges to the saddle", "y0 = 0에서 시작하면 GD는 안장점으로 수렴한다"},
      stuck.escape_step < 0 && stuck.final_gradient_norm < 1e-10,
      format_text({"‖∇f‖ = {:.3g} after {} steps, |y| stays {:g}", "{1}스텝 후 ‖∇f‖ = {0:.3g}, |y|는 {2:g}에 머문다"},
                  stuck.final_gradient_norm, steps, std::abs(stuck.y.back())));

  // The curvature there, from Hessian-vector products only: H·e₁ and H·e₂ give the matrix, Lanczos its spectrum.
  Tensor w = from_vector({stuck.x.back(), stuck.y.back()}, {2}, {.dtype = DType::f64, .requires_grad = true});
  const analysis::LossFunction loss = [&] { return saddle(w); };
  std::vector<std::vector<double>> columns;
  for (int axis = 0; axis < 2; ++axis) {
    Tensor unit = from_vector({axis == 0 ? 1.0 : 0.0, axis == 1 ? 1.0 : 0.0}, {2}, {.dtype = DType::f64});
    columns.push_back(analysis::hessian_vector_product(loss, {w}, {unit})[0].to_vector());
  }
  ctx.table("Hessian at the saddle from two Hessian-vector products", {"", "H·e_x", "H·e_y"},
            {{"x", fmt::format("{:g}", columns[0][0] + 0.0), fmt::format("{:g}", columns[1][0] + 0.0)},
             {"y", fmt::format("{:g}", columns[0][1] + 0.0), fmt::format("{:g}", columns[1][1] + 0.0)}});
  const analysis::HessianEigenpairs pairs = analysis::hessian_eigenpairs_lanczos(loss, {w}, 2, 2, ctx.generator());
  const double largest = pairs.values[0], smallest = pairs.values[1];
  const double escape_alignment = std::abs(pairs.vectors[1][0].to_vector()[1]);
  ctx.figure("Hessian eigenvalue, largest", largest);
  ctx.figure("Hessian eigenvalue, smallest", smallest);
  ctx.claim({"the Hessian at the saddle has eigenvalues +2 and −2", "안장점에서 헤세 행렬의 고윳값은 +2와 −2다"},
            std::abs(largest - 2) < 1e-9 && std::abs(smallest + 2) < 1e-9,
            format_text({"Lanczos from {} Hessian-vector products: {:.12g} and {:.12g}",
                         "헤세 행렬-벡터 곱 {}번으로 란초스 방법이 구한 값: {:.12g}, {:.12g}"},
                        pairs.products, largest, smallest));
  ctx.claim({"the negative-curvature direction is the y axis", "음의 곡률 방향은 y축이다"}, escape_alignment > 1 - 1e-9,
            format_text({"|y component| of the eigenvector of {:.4g} = {:.12f}",
                         "고윳값 {:.4g}의 고유벡터의 |y 성분| = {:.12f}"},
                        smallest, escape_alignment));

  // Pictures: the paths over the contour lines, and |y| per step on a log axis (a straight line is ×(1 + 2η)).
  Grid surface;
  surface.x_label = "x (the curving-up direction)";
  surface.y_label = "y (the curving-down direction)";
  surface.value_label = "f(x, y) = x² − y²";
  for (int i = 0; i <= 60; ++i) surface.x.push_back(-1.25 + 2.5 * i / 60);
  for (int i = 0; i <= 60; ++i) surface.y.push_back(-0.75 + 2.75 * i / 60);
  for (double y : surface.y) {
    std::vector<double> row;
    for (double x : surface.x) row.push_back(x * x - y * y);
    surface.values.push_back(row);
  }
  std::vector<plot::Series> paths;
  plot::Panel growth{"Distance from the ridge per step", "gradient step", "distance from the ridge |y| (log scale)", {}, true};
  for (const Descent& run : runs) {
    paths.push_back({run.method, run.x, run.y});
    std::vector<double> step_numbers, distances;
    for (size_t k = 0; k < run.y.size(); ++k) {
      step_numbers.push_back(static_cast<double>(k));
      distances.push_back(run.y[k] == 0 ? NAN : std::abs(run.y[k]));
    }
    growth.series.push_back({run.method, step_numbers, distances});
  }
  ctx.contour_plot("trajectories.png", "Escaping the saddle of x² − y² from (1, y0)", surface, paths);
  ctx.line_plot("escape.png", growth);
}

const bool registered = register_experiment({
    .id = "Q17",
    .title = "The saddle-point problem",
    .question = {"What is the saddle-point problem in optimisation, and how do optimisers get past saddle points?",
                 "최적화에서 말하는 안장점 문제가 무엇이고, 옵티마이저는 안장점을 어떻게 빠져나가나요?"},
    .answer = {"A saddle point has zero gradient but curves up along some directions and down along others (the "
               "Hessian has eigenvalues of both signs), so a rule that stops when the gradient is small can stop "
               "there. Plain gradient descent does escape unless it starts exactly on the ridge, but slowly: the "
               "distance along the downhill direction grows by (1 + η|λ|) per step, so the escape takes about "
               "ln(1/y0)/ln(1 + η|λ|) steps and the loss sits on a plateau meanwhile. Momentum multiplies that "
               "growth, gradient noise (minibatches) supplies a push off the ridge, and Adam divides by the "
               "gradient's size, so its first steps are about η long however flat the saddle is. In high "
               "dimensions such plateaus around saddles, rather than bad local minima, are the usual cause of "
               "training that seems stuck.",
               "안장점은 기울기가 0이지만 어떤 방향으로는 위로, 다른 방향으로는 아래로 휘어 있는 점입니다(헤시안 고윳값의 "
               "부호가 섞여 있음). 그래서 기울기가 작아지면 멈추는 규칙은 여기서 멈춰 버릴 수 있습니다. 경사 하강법도 정확히 "
               "능선 위에서 시작하지 않는 한 결국 빠져나오지만 느립니다. 내려가는 방향의 거리가 한 스텝에 (1 + η|λ|)배씩만 "
               "커지므로 약 ln(1/y0)/ln(1 + η|λ|) 스텝이 걸리고, 그동안 손실은 평평한 구간에 머뭅니다. 모멘텀은 이 증가율을 "
               "키우고, 미니배치의 기울기 잡음은 능선에서 밀어내 주며, Adam은 기울기 크기로 나누기 때문에 안장점이 아무리 "
               "평평해도 처음부터 η 정도씩 움직입니다. 고차원에서 학습이 멈춘 것처럼 보이는 원인은 나쁜 지역 최솟값보다 이런 "
               "안장점 주변의 평탄한 구간인 경우가 많습니다."},
    .topic = "A C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
