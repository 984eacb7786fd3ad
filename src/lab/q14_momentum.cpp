// Q14: momentum as a formula. Three recurrences, checked step by step against nabla's optim::SGD:
//   heavy ball, PyTorch's form:  b ← μb + g,  w ← w − ηb                (optim::SGD with momentum μ)
//   heavy ball, textbook form:   u ← μu − ηg, w ← w + u                 (the same iterates while η is constant)
//   Nesterov, PyTorch's form:    b ← μb + g,  w ← w − η(g + μb)         (optim::SGD with nesterov)
//   Nesterov, look-ahead form:   v ← μv − η∇f(θ + μv), θ ← θ + v        (PyTorch's w is the look-ahead θ + μv)
// on a smooth non-quadratic loss f(w) = logsumexp(M·w) + ½·0.1·‖w‖², M [8, 4], w [4]. Then the speed-up:
// iterations to a tolerance on a 2-D quadratic with condition number κ = 100, plain GD against heavy ball and
// Nesterov with their textbook-optimal constants.
#include <algorithm>
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"
#include "quadratic.h"

namespace nabla::lab {
namespace {

using Loss = std::function<Tensor(const Tensor&)>;

Tensor gradient(const Loss& loss, const Tensor& w) {
  Tensor point = w.detach().clone().requires_grad_();
  loss(point).backward();
  return point.grad();
}

double max_difference(const Tensor& a, const Tensor& b) { return max(abs(a - b)).item(); }

struct Schedule {
  double lr, momentum;
  int steps, change_at;  // at step `change_at` the learning rate drops to lr·change_factor
  double change_factor;
  double lr_at(int step) const { return step >= change_at ? lr * change_factor : lr; }
};

// Runs optim::SGD and the hand recurrences side by side from the same start; returns the largest difference of
// the iterates (over all steps and coordinates) for each hand form, before and after the learning rate changes.
struct Agreement {
  double pytorch_form = 0, textbook_before = 0, textbook_after = 0;  // heavy ball
  double nesterov_pytorch_form = 0, nesterov_look_ahead = 0;
};

Agreement compare_recurrences(const Loss& loss, const Tensor& start, const Schedule& schedule) {
  Agreement result;
  const double mu = schedule.momentum;
  {  // heavy ball
    Tensor w = start.clone().requires_grad_();
    optim::SGD optimizer({w}, {.lr = schedule.lr, .momentum = mu});
    Tensor w_pytorch = start.clone(), b = zeros_like(start);
    Tensor w_textbook = start.clone(), u = zeros_like(start);
    for (int step = 0; step < schedule.steps; ++step) {
      const double lr = schedule.lr_at(step);
      optimizer.set_lr(lr);
      optimizer.zero_grad();
      loss(w).backward();
      optimizer.step();
      b = b * mu + gradient(loss, w_pytorch);
      w_pytorch = w_pytorch - b * lr;
      u = u * mu - gradient(loss, w_textbook) * lr;
      w_textbook = w_textbook + u;
      result.pytorch_form = std::max(result.pytorch_form, max_difference(w.detach(), w_pytorch));
      double& textbook = step < schedule.change_at ? result.textbook_before : result.textbook_after;
      textbook = std::max(textbook, max_difference(w.detach(), w_textbook));
    }
  }
  {  // Nesterov
    Tensor w = start.clone().requires_grad_();
    optim::SGD optimizer({w}, {.lr = schedule.lr, .momentum = mu, .nesterov = true});
    Tensor w_pytorch = start.clone(), b = zeros_like(start);
    Tensor theta = start.clone(), v = zeros_like(start);
    for (int step = 0; step < schedule.steps; ++step) {
      const double lr = schedule.lr;  // constant: the look-ahead form's change of variables assumes it
      optimizer.zero_grad();
      loss(w).backward();
      optimizer.step();
      Tensor g = gradient(loss, w_pytorch);
      b = b * mu + g;
      w_pytorch = w_pytorch - (g + b * mu) * lr;
      v = v * mu - gradient(loss, theta + v * mu) * lr;
      theta = theta + v;
      result.nesterov_pytorch_form = std::max(result.nesterov_pytorch_form, max_difference(w.detach(), w_pytorch));
      result.nesterov_look_ahead = std::max(result.nesterov_look_ahead, max_difference(w.detach(), theta + v * mu));
    }
  }
  return result;
}

void check_recurrences(Context& ctx) {
  const Tensor M = randn({8, 4}, {.dtype = DType::f64}, &ctx.generator());
  const Loss loss = [&](const Tensor& w) { return logsumexp(matmul(M, w), {0}) + 0.05 * sum(w * w); };
  const Tensor start = randn({4}, {.dtype = DType::f64}, &ctx.generator());
  const Schedule schedule{.lr = 0.1, .momentum = 0.9, .steps = ctx.quick() ? 60 : 400, .change_at = ctx.quick() ? 30 : 200,
                          .change_factor = 0.1};
  const Agreement agreement = compare_recurrences(loss, start, schedule);
  const double tolerance = 1e-12;  // f64 round-off over a few hundred steps
  ctx.table(fmt::format("Largest |w_SGD − w_hand| over {} steps, f64, η = {} (× {} from step {}), μ = {}", schedule.steps,
                        schedule.lr, schedule.change_factor, schedule.change_at, schedule.momentum),
            {"recurrence", "max difference"},
            {{"heavy ball, PyTorch form (b ← μb + g, w ← w − ηb)", fmt::format("{:.3g}", agreement.pytorch_form)},
             {"heavy ball, textbook form (u ← μu − ηg, w ← w + u), η constant", fmt::format("{:.3g}", agreement.textbook_before)},
             {"heavy ball, textbook form, after η changes", fmt::format("{:.3g}", agreement.textbook_after)},
             {"Nesterov, PyTorch form (w ← w − η(g + μb))", fmt::format("{:.3g}", agreement.nesterov_pytorch_form)},
             {"Nesterov, look-ahead form (θ + μv)", fmt::format("{:.3g}", agreement.nesterov_look_ahead)}});
  ctx.claim(
      {"optim::SGD momentum is v ← μv + g, w ← w − ηv", "optim::SGD의 모멘텀은 v ← μv + g, w ← w − ηv다"},
      agreement.pytorch_form < tolerance,
      format_text({"largest difference {:.3g} over {} steps (< {:g})", "{1}스텝 동안 최대 차이 {0:.3g} (< {2:g})"},
                  agreement.pytorch_form, schedule.steps, tolerance));
  ctx.claim({"the textbook form gives the same iterates at constant lr",
             "학습률이 일정하면 교과서 형태도 같은 반복점을 준다"},
            agreement.textbook_before < tolerance,
            format_text({"largest difference {:.3g} over the first {} steps (< {:g})",
                         "처음 {1}스텝 동안 최대 차이 {0:.3g} (< {2:g})"},
                        agreement.textbook_before, schedule.change_at, tolerance));
  ctx.claim({"the two forms part once lr changes", "학습률이 바뀌면 두 형태가 갈라진다"},
            agreement.textbook_after > 1e3 * tolerance,
            format_text({"after η drops ×{} the textbook velocity still carries the old η: difference {:.3g}",
                         "η가 ×{}로 줄어든 뒤에도 교과서 형태의 속도에는 이전 η가 남아 있다: 차이 {:.3g}"},
                        schedule.change_factor, agreement.textbook_after));
  ctx.claim({"optim::SGD Nesterov is w ← w − η(g + μ(μv + g))", "optim::SGD의 Nesterov는 w ← w − η(g + μ(μv + g))다"},
            agreement.nesterov_pytorch_form < tolerance,
            format_text({"largest difference {:.3g} over {} steps", "{1}스텝 동안 최대 차이 {0:.3g}"},
                        agreement.nesterov_pytorch_form, schedule.steps));
  ctx.claim({"PyTorch's Nesterov iterate is the look-ahead point θ + μv",
             "PyTorch의 Nesterov 반복점은 앞을 내다본 점 θ + μv다"},
            agreement.nesterov_look_ahead < tolerance,
            format_text({"largest difference {:.3g} over {} steps", "{1}스텝 동안 최대 차이 {0:.3g}"},
                        agreement.nesterov_look_ahead, schedule.steps));
}

// ---- speed on an ill-conditioned quadratic f(w) = ½ (w − w*)ᵀ A (w − w*)

struct Method {
  std::string name;
  optim::SGDOptions options;
};

void compare_speed(Context& ctx) {
  const double condition = ctx.parameter("condition", 100);
  const double tolerance = ctx.quick() ? 1e-6 : 1e-10;  // on ‖w − w*‖ / ‖w₀ − w*‖
  const double angle = 0.5;                             // the eigenvectors are not the axes
  const Tensor minimum = tensor({1.0, -1.0}, {.dtype = DType::f64});
  const Quadratic problem = rotated_quadratic(1, condition, angle, minimum);
  const Tensor rotation = rotation_2d(angle);
  // Far along the flat eigenvector, a little off it along the steep one: GD's zig-zag and its slow crawl show.
  const Tensor start = minimum + rotation.select(1, 0) * 4.0 + rotation.select(1, 1) * 0.5;
  const std::vector<double> eigenvalues = linalg::eigh(problem.A).first.to_vector();
  const double m = eigenvalues[0], L = eigenvalues[1], kappa = L / m, root = std::sqrt(kappa);
  ctx.note(fmt::format("2-D quadratic, eigenvalues of A (eigh): m = {:.6g}, L = {:.6g}, κ = {:.6g}, √κ = {:.4g}; tolerance "
                       "‖w − w*‖ < {:g}·‖w₀ − w*‖", m, L, kappa, root, tolerance));

  const std::vector<Method> methods = {
      {"GD, η = 2/(m + L)", {.lr = 2 / (m + L)}},
      {"heavy ball, η = 4/(√m + √L)², μ = ((√κ − 1)/(√κ + 1))²",
       {.lr = 4 / std::pow(std::sqrt(m) + std::sqrt(L), 2), .momentum = std::pow((root - 1) / (root + 1), 2)}},
      {"Nesterov, η = 1/L, μ = (√κ − 1)/(√κ + 1)", {.lr = 1 / L, .momentum = (root - 1) / (root + 1), .nesterov = true}},
      {"heavy ball, η = 1/L, μ = 0.9 (a common default)", {.lr = 1 / L, .momentum = 0.9}},
  };
  const int max_steps = static_cast<int>(20 * kappa * std::log(1 / tolerance));
  std::vector<Trajectory> runs;
  std::vector<std::vector<std::string>> rows;
  plot::Panel distances{"Distance to the minimum per iteration", "iteration", "relative distance ‖w − w*‖ / ‖w₀ − w*‖ (log scale)", {}, true};
  for (const Method& method : methods) {
    runs.push_back(follow(problem, start, [&](std::vector<Tensor> params) {
      return std::make_unique<optim::SGD>(std::move(params), method.options);
    }, tolerance, max_steps));
    const Trajectory& run = runs.back();
    rows.push_back({method.name, fmt::format("{:.5f}", method.options.lr), fmt::format("{:.5f}", method.options.momentum),
                    run.steps_to_tolerance < 0 ? "never" : std::to_string(run.steps_to_tolerance),
                    fmt::format("{:.4f}", std::pow(run.distance.back(), 1.0 / static_cast<double>(run.distance.size() - 1)))});
    std::vector<double> iterations;
    for (size_t k = 0; k < run.distance.size(); ++k) iterations.push_back(static_cast<double>(k));
    distances.series.push_back({method.name.substr(0, method.name.find(',')) + (method.options.momentum == 0.9 ? " (μ = 0.9)" : ""),
                                iterations, run.distance});
  }
  ctx.table(fmt::format("Iterations to tolerance, κ = {:.4g}", kappa), {"method", "η", "μ", "iterations", "mean rate per step"}, rows);
  ctx.line_plot("distance.png", distances);

  const int gd = runs[0].steps_to_tolerance, heavy = runs[1].steps_to_tolerance, nesterov = runs[2].steps_to_tolerance;
  const bool all_reached = gd > 0 && heavy > 0 && nesterov > 0;
  const double speedup = all_reached ? static_cast<double>(gd) / heavy : 0;
  ctx.figure("GD iterations to tolerance", gd);
  ctx.figure("heavy-ball iterations to tolerance", heavy);
  ctx.figure("Nesterov iterations to tolerance", nesterov);
  ctx.figure("speed-up of heavy ball over GD", speedup);
  ctx.claim({"heavy ball is about √κ times faster than GD", "헤비볼(heavy ball) 방법은 GD보다 약 √κ배 빠르다"},
            all_reached && speedup > root / 2 && speedup < 2 * root,
            format_text({"{} GD iterations / {} heavy-ball iterations = {:.2f}; √κ = {:.2f} (must be within ×2)",
                         "GD 반복 {}회 / 헤비볼 반복 {}회 = {:.2f}; √κ = {:.2f} (2배 이내여야 함)"},
                        gd, heavy, speedup, root));
  ctx.claim(
      {"Nesterov beats GD by more than √κ/4", "Nesterov는 GD보다 √κ/4배 넘게 빠르다"},
      all_reached && static_cast<double>(gd) / nesterov > root / 4,
      format_text({"{} GD iterations / {} Nesterov iterations = {:.2f}", "GD 반복 {}회 / Nesterov 반복 {}회 = {:.2f}"},
                  gd, nesterov, all_reached ? static_cast<double>(gd) / nesterov : 0.0));

  const size_t shown = 60;
  double x_low = 1e300, x_high = -1e300, y_low = 1e300, y_high = -1e300;  // the box around the drawn iterates
  for (size_t i : {size_t{0}, size_t{1}}) {
    for (size_t k = 0; k < std::min(shown, runs[i].x.size()); ++k) {
      x_low = std::min(x_low, runs[i].x[k]), x_high = std::max(x_high, runs[i].x[k]);
      y_low = std::min(y_low, runs[i].y[k]), y_high = std::max(y_high, runs[i].y[k]);
    }
  }
  const double margin = 0.5;
  const Grid surface = quadratic_surface(problem, x_low - margin, x_high + margin, y_low - margin, y_high + margin);
  std::vector<plot::Series> paths;
  for (size_t i : {size_t{0}, size_t{1}}) {
    const auto count = static_cast<std::ptrdiff_t>(std::min(shown, runs[i].x.size()));
    paths.push_back({methods[i].name.substr(0, methods[i].name.find(',')), {runs[i].x.begin(), runs[i].x.begin() + count},
                     {runs[i].y.begin(), runs[i].y.begin() + count}});
  }
  ctx.contour_plot("trajectories.png", "The first 60 iterates on the κ = 100 quadratic", surface, paths);
}

void run(Context& ctx) {
  check_recurrences(ctx);
  compare_speed(ctx);
}

const bool registered = register_experiment({
    .id = "Q14",
    .title = "Momentum, as a formula",
    .question = {"Write down the momentum update. What does it change compared with plain gradient descent?",
                 "모멘텀 업데이트를 수식으로 써 보세요. 일반 경사하강법과 비교해 무엇이 달라지나요?"},
    .answer = {"Momentum keeps a running sum of past gradients and steps along it: in PyTorch's form v ← μv + g, "
               "w ← w − ηv; the textbook form v ← μv − ηg, w ← w + v gives the same iterates while η is constant, but "
               "its velocity carries the old η after a learning-rate change, so the two differ under a schedule. "
               "Nesterov evaluates the gradient at the look-ahead point; PyTorch stores that look-ahead point as w and "
               "updates w ← w − η(g + μv). On a quadratic with condition number κ, plain GD needs about κ iterations "
               "per digit of accuracy and momentum with tuned η and μ about √κ, so at κ = 100 it is roughly ten times "
               "faster; a μ that is not tuned to κ gives much less.",
               "모멘텀은 과거 그래디언트의 누적합(속도)을 유지하며 그 방향으로 이동합니다. PyTorch 방식은 v ← μv + g, "
               "w ← w − ηv이고, 교과서 방식 v ← μv − ηg, w ← w + v는 학습률이 일정할 때 같은 궤적을 줍니다. 하지만 "
               "학습률이 바뀌면 교과서 방식의 속도에는 이전 학습률이 남아 있어서 스케줄러를 쓰면 두 방식이 달라집니다. "
               "네스테로프는 미리 가 본 지점에서 그래디언트를 계산하는데, PyTorch는 그 지점을 w로 저장해 "
               "w ← w − η(g + μv)로 갱신합니다. 조건수 κ인 이차 함수에서 일반 GD는 정확도 한 자리마다 약 κ번, "
               "η와 μ를 맞춘 모멘텀은 약 √κ번 반복이 필요해서 κ = 100이면 열 배쯤 빠르고, μ를 κ에 맞추지 않으면 "
               "이득이 훨씬 작습니다."},
    .topic = "C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
