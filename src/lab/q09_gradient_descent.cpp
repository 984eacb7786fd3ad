// Q09: gradient descent on the 2-D quadratic f(w) = ½ wᵀAw − bᵀw, whose minimum is A⁻¹b. The gradient
// comes from autograd; the analytic minimum from nabla's solve; the predicted rate from A's eigenvalues.
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

constexpr double kTolerance = 1e-6;  // distance to the minimum that counts as "reached"

struct Descent {
  double lr = 0;
  std::vector<double> x, y, loss_gap;  // iterates and f(w) − f(w*), one per step (step 0 = start)
  std::vector<double> distance;        // ‖w − w*‖
  int steps_to_tolerance = -1;         // first step within kTolerance; −1 when never
  double final_gradient_norm = 0;
};

Descent descend(const Tensor& A, const Tensor& b, const std::vector<double>& start, const std::vector<double>& minimum,
                double minimum_loss, double lr, int steps) {
  Descent run{.lr = lr};
  Tensor w = from_vector(start, {2}, {.dtype = DType::f64, .requires_grad = true});
  for (int step = 0;; ++step) {
    Tensor loss = 0.5 * matmul(w, matmul(A, w)) - matmul(b, w);
    std::vector<double> point = w.to_vector();
    double distance = std::hypot(point[0] - minimum[0], point[1] - minimum[1]);
    run.x.push_back(point[0]);
    run.y.push_back(point[1]);
    run.loss_gap.push_back(loss.item() - minimum_loss);
    run.distance.push_back(distance);
    if (run.steps_to_tolerance < 0 && distance < kTolerance) run.steps_to_tolerance = step;
    loss.backward();
    if (step == steps) {
      run.final_gradient_norm = norm(w.grad()).item();
      break;
    }
    {
      autograd::NoGradGuard no_grad;
      w = w - w.grad() * lr;
    }
    w.requires_grad_();
  }
  return run;
}

// The per-step contraction of the error, measured from step 20 (the faster eigen-direction has died out)
// to step 60 or the last step still far above round-off (a distance of 1e-9), whichever comes first.
double measured_rate(const Descent& run) {
  const size_t first = 20;
  size_t last = 60;
  while (last > first + 5 && run.distance[last] < 1e-9) --last;
  return std::pow(run.distance[last] / run.distance[first], 1.0 / static_cast<double>(last - first));
}

Text steps_text(int steps) {
  return steps < 0 ? Text{"never", "도달 못 함"} : Text{std::to_string(steps), std::to_string(steps)};
}

void run(Context& ctx) {
  const double lr_factor = ctx.parameter("lr_factor", 0.9);  // the main run's step, in units of 2/λ_max
  const int steps = static_cast<int>(ctx.parameter("steps", ctx.quick() ? 150 : 400));
  NABLA_KNOB_CHECK(steps > 60, "steps must be more than 60 (the rate is measured within steps 20…60), got {}", steps);

  const Tensor A = tensor({{3.0, 1.0}, {1.0, 1.5}}, {.dtype = DType::f64});
  const Tensor b = tensor({2.5, 0.25}, {.dtype = DType::f64});
  const Tensor minimum_tensor = linalg::solve(A, b);
  const std::vector<double> minimum = minimum_tensor.to_vector();
  const double minimum_loss = -0.5 * matmul(b, minimum_tensor).item();
  const std::vector<double> eigenvalues = linalg::eigh(A).first.to_vector();  // ascending
  const double smallest = eigenvalues[0], largest = eigenvalues[1];
  ctx.note(fmt::format("f(w) = ½ wᵀAw − bᵀw with A = [[3, 1], [1, 1.5]], b = [2.5, 0.25]; eigenvalues of A: {:.4g} and "
                       "{:.4g} (condition number {:.3g})",
                       smallest, largest, largest / smallest));
  ctx.note(fmt::format("analytic minimum A⁻¹b = ({:.6f}, {:.6f}), f* = {:.6f}", minimum[0], minimum[1], minimum_loss));

  // Step sizes, in units of 2/λ_max (the stability limit): small, medium, the optimum 2/(λ_min + λ_max), and
  // the main run's. On a quadratic the error contracts by max |1 − ηλ| per step.
  const double optimal_factor = largest / (smallest + largest);
  const std::vector<double> factors = {0.25, 0.5, optimal_factor, lr_factor};
  const std::vector<double> start = {minimum[0] - 3.0, minimum[1] + 2.5};
  std::vector<Descent> runs;
  std::vector<std::vector<std::string>> rows;
  bool rates_match = true;
  std::vector<Text> rate_evidence;  // one item per step size
  for (double factor : factors) {
    double lr = factor * 2 / largest;
    runs.push_back(descend(A, b, start, minimum, minimum_loss, lr, steps));
    double predicted = std::max(std::abs(1 - lr * smallest), std::abs(1 - lr * largest));
    double measured = measured_rate(runs.back());
    rates_match = rates_match && std::abs(measured - predicted) < 1e-3;
    rate_evidence.push_back(format_text(
        {"η = {:.4f}: {:.4f} measured vs {:.4f} predicted", "η = {:.4f}: 측정 {:.4f}, 예측 {:.4f}"}, lr, measured, predicted));
    rows.push_back({fmt::format("{:.3f} × 2/λmax = {:.4f}", factor, lr), fmt::format("{:.4f}", predicted),
                    fmt::format("{:.4f}", measured), steps_text(runs.back().steps_to_tolerance).en,
                    fmt::format("{:.3g}", runs.back().distance.back())});
  }
  ctx.table("Step size against speed (tolerance ‖w − w*‖ < 1e-6)",
            {"step size η", "predicted rate max|1 − ηλ|", "measured rate", "steps to tolerance", "final distance"}, rows);

  const Descent& main = runs.back();
  ctx.figure("main run: steps to tolerance", main.steps_to_tolerance, "steps");
  ctx.figure("main run: final distance to A⁻¹b", main.distance.back());
  ctx.figure("optimal step: steps to tolerance", runs[2].steps_to_tolerance, "steps");

  ctx.claim({"converges to A⁻¹b", "A⁻¹b로 수렴한다"},
            main.distance.back() < kTolerance && main.final_gradient_norm < kTolerance,
            format_text({"after {} steps at η = {:.4f}: ‖w − A⁻¹b‖ = {:.3g}, ‖∇f‖ = {:.3g} (both must be < {:g})",
                         "η = {1:.4f}로 {0}스텝 후: ‖w − A⁻¹b‖ = {2:.3g}, ‖∇f‖ = {3:.3g} (둘 다 {4:g} 미만이어야 함)"},
                        steps, main.lr, main.distance.back(), main.final_gradient_norm, kTolerance));
  int rises = 0;  // counted while the gap is above round-off (f64 leaves it jittering around 1e-16)
  for (size_t k = 1; k < main.loss_gap.size(); ++k) rises += main.loss_gap[k - 1] > 1e-12 && main.loss_gap[k] > main.loss_gap[k - 1];
  ctx.claim({"the loss never rises below the stability limit", "안정성 한계 아래에서는 손실이 한 번도 오르지 않는다"},
            rises == 0,
            format_text({"η = {:.4f} {} 2/λmax = {:.4f}; the loss rose in {} of {} steps",
                         "η = {0:.4f} {1} 2/λmax = {2:.4f}; 손실이 오른 스텝은 {4}스텝 중 {3}스텝"},
                        main.lr, main.lr < 2 / largest ? "<" : "≥", 2 / largest, rises, steps));
  ctx.claim({"each step shrinks the error by max|1 − ηλ|", "매 스텝 오차가 max|1 − ηλ|배로 줄어든다"}, rates_match,
            join_texts(rate_evidence, "; "));
  bool optimum_fastest = runs[2].steps_to_tolerance >= 0;
  for (const Descent& other : runs) {
    if (other.steps_to_tolerance >= 0) optimum_fastest = optimum_fastest && runs[2].steps_to_tolerance <= other.steps_to_tolerance;
  }
  std::vector<Text> counts;
  for (const Descent& other : runs) counts.push_back(steps_text(other.steps_to_tolerance));
  ctx.claim({"η = 2/(λmin + λmax) is fastest, not the largest stable step",
             "가장 빠른 것은 안정한 최대 스텝이 아니라 η = 2/(λmin + λmax)다"},
            optimum_fastest,
            format_text({"steps to tolerance for factors {:.3f}: {}", "배율 {:.3f}별 허용 오차까지의 스텝 수: {}"},
                        fmt::join(factors, ", "), join_texts(counts, ", ")));

  // Pictures: the iterates over the contour lines of f, and the loss gap per step (log scale).
  Grid surface;
  surface.x_label = "w₁ (first weight)";
  surface.y_label = "w₂ (second weight)";
  surface.value_label = "loss f(w) = ½ wᵀAw − bᵀw";
  for (int i = 0; i <= 60; ++i) surface.x.push_back(minimum[0] - 4 + 8.0 * i / 60);
  for (int i = 0; i <= 60; ++i) surface.y.push_back(minimum[1] - 4 + 8.0 * i / 60);
  for (double y : surface.y) {
    std::vector<double> row;
    for (double x : surface.x) row.push_back(0.5 * (3 * x * x + 2 * x * y + 1.5 * y * y) - (2.5 * x + 0.25 * y));
    surface.values.push_back(row);
  }
  std::vector<plot::Series> trajectories;
  plot::Panel gaps{"Loss gap f(w) − f* per step", "gradient step", "excess loss f(w) − f* (log scale)", {}, true};
  for (const Descent& run : runs) {
    std::string name = fmt::format("η = {:.3f}", run.lr);
    const size_t shown = std::min<size_t>(run.x.size(), 40);  // the early steps are the visible part
    trajectories.push_back({name, {run.x.begin(), run.x.begin() + shown}, {run.y.begin(), run.y.begin() + shown}});
    std::vector<double> step_numbers;
    for (size_t k = 0; k < run.loss_gap.size(); ++k) step_numbers.push_back(static_cast<double>(k));
    std::vector<double> positive_gaps;  // round-off can leave a gap ≤ 0, which a log axis cannot show
    for (double gap : run.loss_gap) positive_gaps.push_back(gap > 0 ? gap : NAN);
    gaps.series.push_back({name, step_numbers, positive_gaps});
  }
  ctx.contour_plot("trajectories.png", "Gradient descent on f(w) = ½ wᵀAw − bᵀw", surface, {trajectories[0], trajectories[3]});
  ctx.line_plot("loss_gap.png", gaps);
}

const bool registered = register_experiment({
    .id = "Q09",
    .title = "What is gradient descent?",
    .question = {"What is gradient descent, and what decides whether and how fast it converges?",
                 "경사하강법이란 무엇이고, 수렴하는지와 얼마나 빨리 수렴하는지는 무엇이 결정하나요?"},
    .answer = {"Gradient descent minimises a differentiable loss by stepping against its gradient, w ← w − η∇L(w): the "
               "gradient points where the loss rises fastest, so a small enough step lowers it. On a quadratic with "
               "Hessian A the distance to the minimum shrinks every step by max|1 − ηλ| over A's eigenvalues λ, so it "
               "converges exactly when η < 2/λmax. The fastest fixed step is 2/(λmin + λmax), not the largest stable "
               "one, and a large ratio λmax/λmin (ill-conditioning) is what makes descent slow and zig-zag.",
               "경사하강법은 미분 가능한 손실을 기울기 반대 방향으로 한 걸음씩 옮겨 가며(w ← w − η∇L(w)) 최소화합니다. "
               "기울기는 손실이 가장 빨리 커지는 방향이므로 스텝이 충분히 작으면 손실이 줄어듭니다. 헤시안이 A인 이차 "
               "함수에서는 최소점까지의 거리가 매 스텝 A의 고윳값 λ들에 대한 max|1 − ηλ|배로 줄어들어서, 정확히 "
               "η < 2/λmax일 때 수렴합니다. 가장 빠른 고정 스텝은 안정한 범위의 가장 큰 스텝이 아니라 2/(λmin + λmax)이고, "
               "λmax/λmin 비율이 큰 것(나쁜 조건수)이 경사하강법을 느리게 하고 지그재그로 움직이게 만듭니다."},
    .topic = "C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
