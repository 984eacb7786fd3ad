// Q10: the axes of the gradient-descent picture. The x axis is a weight, the y axis the loss at that weight;
// the gradient is the slope of that curve and each step moves the point downhill along it. Iterations are
// not an axis of this picture (they are the x axis of a different one, the training curve, drawn beside it).
// The model has one weight so the whole loss curve can be drawn; the log-cosh loss makes the curve a valley
// that is round near its bottom and straight far from it (not just a parabola):
//   x [N] ~ N(0, 1), y [N] = 1.5·x + noise;   ŷ = w·x;   L(w) = mean(log cosh(ŷ − y))
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

struct Data {
  Tensor x, y;  // [N] each, f64
};

// L at every weight of `weights` [G] at once: [G, 1]·[1, N] → [G, N] → mean over N → [G].
Tensor loss_at(const Data& data, const Tensor& weights) {
  Tensor residuals = weights.unsqueeze(1) * data.x.unsqueeze(0) - data.y.unsqueeze(0);
  return mean(log((exp(residuals) + exp(-residuals)) * 0.5), {1});
}

struct Descent {
  std::vector<double> weights, losses, gradients;  // one per iterate (iterate 0 = the start)
};

Descent descend(const Data& data, double start, double lr, int steps) {
  Descent run;
  Tensor w = from_vector({start}, {1}, {.dtype = DType::f64, .requires_grad = true});
  for (int step = 0; step <= steps; ++step) {
    Tensor loss = loss_at(data, w).squeeze();
    loss.backward();
    run.weights.push_back(w.item());
    run.losses.push_back(loss.item());
    run.gradients.push_back(w.grad().item());
    autograd::NoGradGuard no_grad;
    w = (w - w.grad() * lr).requires_grad_();
  }
  return run;
}

// How often the iterates jumped to the other side of the valley: the slope changed sign between two iterates.
int crossings(const Descent& run) {
  int changes = 0;
  for (size_t k = 1; k < run.gradients.size(); ++k) changes += run.gradients[k] * run.gradients[k - 1] < 0;
  return changes;
}

void run(Context& ctx) {
  const int64_t examples = static_cast<int64_t>(ctx.parameter("examples", ctx.quick() ? 64 : 1024));
  const double start = ctx.parameter("start", -2.0);
  const double lr_factor = ctx.parameter("lr_factor", 0.25);  // the small step, in units of 2/L''(w*)
  const int steps = static_cast<int>(ctx.parameter("steps", ctx.quick() ? 60 : 150));
  const int grid_points = ctx.quick() ? 1001 : 5001;
  NABLA_KNOB_CHECK(examples >= 2 && steps >= 1, "lab Q10: examples must be ≥ 2 and steps ≥ 1, got {} and {}", examples, steps);

  Data data;
  data.x = randn({examples}, {.dtype = DType::f64}, &ctx.generator());
  data.y = data.x * 1.5 + randn({examples}, {.dtype = DType::f64}, &ctx.generator()) * 0.3;

  // The dense scan: the curve itself, and its lowest point to grid precision.
  const double low = -3.0, high = 5.0, spacing = (high - low) / (grid_points - 1);
  const Tensor grid = linspace(low, high, grid_points, {.dtype = DType::f64});
  const std::vector<double> scan = loss_at(data, grid).to_vector();
  const size_t lowest = static_cast<size_t>(argmin(from_vector(scan, {grid_points}, {.dtype = DType::f64}), 0).item());
  const double scan_minimum = low + spacing * static_cast<double>(lowest);
  NABLA_CHECK(lowest > 0 && lowest + 1 < scan.size(), "lab Q10: the scan's minimum lies on its edge; widen the grid");
  const double curvature = (scan[lowest + 1] - 2 * scan[lowest] + scan[lowest - 1]) / (spacing * spacing);
  ctx.note(fmt::format("{} examples, ŷ = w·x, log-cosh loss, data made with w = 1.5 plus noise 0.3; dense scan of {} weights in "
                       "[{}, {}] (spacing {:.4g}): lowest loss {:.6f} at w = {:.4f}, curvature L'' = {:.4f} there",
                       examples, grid_points, low, high, spacing, scan[lowest], scan_minimum, curvature));

  const double small_lr = lr_factor * 2 / curvature, large_lr = 0.9 * 2 / curvature;
  const Descent small = descend(data, start, small_lr, steps);
  const Descent large = descend(data, start, large_lr, steps);

  // The slope of the drawn curve at each iterate, by central differences of the same loss function.
  const double h = 1e-5;
  double worst_slope_error = 0;
  for (size_t k = 0; k < small.weights.size(); ++k) {
    Tensor sides = from_vector({small.weights[k] - h, small.weights[k] + h}, {2}, {.dtype = DType::f64});
    std::vector<double> values = loss_at(data, sides).to_vector();
    double slope = (values[1] - values[0]) / (2 * h);
    worst_slope_error = std::max(worst_slope_error, std::abs(slope - small.gradients[k]) / std::max(1e-3, std::abs(slope)));
  }
  int rises = 0;
  for (size_t k = 1; k < small.losses.size(); ++k) rises += small.losses[k] > small.losses[k - 1] + 1e-15;

  std::vector<std::vector<std::string>> rows;
  for (size_t k = 0; k < small.weights.size(); k += (k < 5 ? 1 : 10)) {
    rows.push_back({std::to_string(k), fmt::format("{:.5f}", small.weights[k]), fmt::format("{:.6f}", small.losses[k]),
                    fmt::format("{:.3g}", small.gradients[k]), fmt::format("{:.5f}", large.weights[k]),
                    fmt::format("{:.6f}", large.losses[k])});
  }
  ctx.table(fmt::format("GD iterates from w = {} (small step η = {:.3f}, large step η = {:.3f})", start, small_lr, large_lr),
            {"step", "w (small η)", "L(w)", "dL/dw", "w (large η)", "L(w) (large η)"}, rows);

  const double final_distance = std::abs(small.weights.back() - scan_minimum);
  ctx.figure("scan minimum w*", scan_minimum);
  ctx.figure("GD final weight (small step)", small.weights.back());
  ctx.figure("GD final |dL/dw|", std::abs(small.gradients.back()));
  ctx.claim(
      {"the gradient is the slope of the drawn curve", "그래디언트는 그린 곡선의 기울기다"}, worst_slope_error < 1e-6,
      format_text({"autograd dL/dw vs central differences of the curve at {} iterates: worst relative error {:.2g}",
                   "반복점 {}개에서 autograd dL/dw와 곡선의 중앙 차분 비교: 최대 상대 오차 {:.2g}"},
                  small.weights.size(), worst_slope_error));
  ctx.claim({"iterates descend monotonically at a small step", "스텝이 작으면 반복점이 단조롭게 내려간다"}, rises == 0,
            format_text({"η = {:.3f} ({} × 2/L''): the loss rose in {} of {} steps, from {:.6f} to {:.6f}",
                         "η = {0:.3f} ({1} × 2/L''): 손실이 오른 스텝은 {3}스텝 중 {2}스텝, 손실은 {4:.6f}에서 {5:.6f}로"},
                        small_lr, lr_factor, rises, steps, small.losses.front(), small.losses.back()));
  ctx.claim({"GD ends at the minimum of the dense scan", "GD는 촘촘한 탐색으로 찾은 최솟점에서 끝난다"},
            final_distance <= spacing,
            format_text({"|w_GD − w_scan| = {:.3g} ≤ grid spacing {:.3g}; w_GD = {:.6f}, w_scan = {:.6f}",
                         "|w_GD − w_scan| = {:.3g} ≤ 격자 간격 {:.3g}; w_GD = {:.6f}, w_scan = {:.6f}"},
                        final_distance, spacing, small.weights.back(), scan_minimum));
  const int small_crossings = crossings(small), large_crossings = crossings(large);
  ctx.claim({"a step near 2/L'' hops across the minimum, a small one does not",
             "2/L''에 가까운 스텝은 최솟점을 건너뛰고, 작은 스텝은 그렇지 않다"},
            large_crossings > 0 && small_crossings == 0,
            format_text({"the slope dL/dw changed sign {} times at η = {:.3f} and {} times at η = {:.3f}",
                         "기울기 dL/dw의 부호가 η = {1:.3f}에서 {0}번, η = {3:.3f}에서 {2}번 바뀌었다"},
                        large_crossings, large_lr, small_crossings, small_lr));

  // The picture: the curve L(w) with the iterates on it; and, for contrast, the loss against the step number.
  plot::Panel curve{"Loss against the weight: the GD picture", "weight w (the one parameter)", "loss L(w) (mean squared error)", {}};
  plot::Series drawn{"L(w)", {}, {}};
  for (size_t g = 0; g < scan.size(); g += scan.size() / 200) {
    drawn.x.push_back(low + spacing * static_cast<double>(g));
    drawn.y.push_back(scan[g]);
  }
  curve.series = {drawn, {fmt::format("GD, η = {:.2f}", small_lr), small.weights, small.losses},
                  {fmt::format("GD, η = {:.2f}", large_lr), large.weights, large.losses}};
  ctx.line_plot("loss_vs_weight.png", curve);
  plot::Panel training{"The other picture: loss against the step", "gradient step", "excess loss L(w) − L(w*) (log scale)", {}, true};
  for (const auto& [lr, descent] : {std::pair{small_lr, &small}, std::pair{large_lr, &large}}) {
    plot::Series series{fmt::format("η = {:.2f}", lr), {}, {}};
    for (size_t k = 0; k < descent->losses.size(); ++k) {
      double gap = descent->losses[k] - scan[lowest];
      series.x.push_back(static_cast<double>(k));
      series.y.push_back(gap > 0 ? gap : NAN);
    }
    training.series.push_back(series);
  }
  ctx.line_plot("loss_vs_step.png", training);
}

const bool registered = register_experiment({
    .id = "Q10",
    .title = "Axes of the gradient-descent picture",
    .question = {"In the usual picture of gradient descent, what are the x and y axes?",
                 "경사하강법을 설명할 때 흔히 그리는 그래프에서 x축과 y축은 각각 무엇인가요?"},
    .answer = {"The x axis is a model parameter (a weight) and the y axis is the loss the model has at that weight; "
               "the curve is the loss surface cut along that one weight, and with many weights the picture is one "
               "slice of a surface over all of them. The gradient is the slope of that curve, so gradient descent "
               "moves the point against the slope by a step η·dL/dw and slides down towards the lowest point. "
               "Time is not an axis of this picture: the loss against the iteration number is a different graph, "
               "the training curve. With a small step the iterates go down the curve monotonically and stop at the "
               "minimum a dense scan finds; a step near 2/L'' hops from one side of the valley to the other.",
               "x축은 모델의 파라미터(가중치 하나)이고, y축은 그 가중치 값에서의 손실입니다. 즉 곡선은 손실 "
               "곡면을 그 가중치 방향으로 자른 단면이고, 가중치가 여러 개면 전체 곡면의 한 단면을 보는 셈입니다. "
               "기울기(gradient)는 이 곡선의 접선 기울기이므로, 경사하강법은 η·dL/dw만큼 기울기 반대 방향으로 "
               "움직여 가장 낮은 점을 향해 내려갑니다. 반복 횟수(시간)는 이 그림의 축이 아니고, 반복 횟수에 따른 "
               "손실은 학습 곡선이라는 다른 그래프입니다. 학습률이 작으면 손실이 단조롭게 줄며 촘촘한 탐색으로 찾은 "
               "최소점에서 멈추고, 2/L''에 가까운 학습률이면 골짜기 양쪽을 오가며 내려갑니다."},
    .topic = "C J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
