// Q07: how ReLU units approximate a curve. sin(x) on [−π, π] fitted by one hidden ReLU layer:
//   x [N, 1] → Linear(1, width) → ReLU → Linear(width, 1)
//   f(x) = c + Σᵢ aᵢ·max(0, wᵢx + bᵢ): a sum of hinges, each bending the line once, at x = −bᵢ/wᵢ.
// So the fit is piecewise linear with at most `width` kinks. The experiment counts the kinks twice: from the
// learned weights (breakpoints −b/w inside the interval) and from the fitted function itself (second
// differences on a fine grid, in float64), and checks that more units give a smaller error.
#include <algorithm>
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/container.h"
#include "nabla/nn/linear.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/scheduler.h"

namespace nabla::lab {
namespace {

constexpr double kSecondDifferenceTolerance = 1e-10;  // float64 round-off on values of size ≈ 1 is ≈ 1e-16

struct Fit {
  int64_t width = 0;
  uint64_t seed = 0;
  double mse = 0;                  // on the fine grid, against sin
  int64_t weight_kinks = 0;        // breakpoints −b/w inside the interval of units that bend the output
  int64_t grid_kinks = 0;          // runs of grid points with a non-zero second difference
  int64_t bent_points = 0;         // grid points with a non-zero second difference
  std::vector<double> prediction;  // on the fine grid
};

// The learned function in float64, straight from the weights: c + Σ aᵢ max(0, wᵢx + bᵢ).
Tensor evaluate_f64(nn::Sequential& model, const Tensor& x) {
  auto hidden = std::dynamic_pointer_cast<nn::Linear>(model[0]);
  auto output = std::dynamic_pointer_cast<nn::Linear>(model[2]);
  autograd::NoGradGuard no_grad;
  Tensor w = hidden->weight.to(DType::f64), b = hidden->bias.to(DType::f64);
  return matmul(relu(matmul(x, w.t()) + b), output->weight.to(DType::f64).t()) + output->bias.to(DType::f64);
}

int64_t count_weight_kinks(nn::Sequential& model, double low, double high) {
  auto hidden = std::dynamic_pointer_cast<nn::Linear>(model[0]);
  auto output = std::dynamic_pointer_cast<nn::Linear>(model[2]);
  std::vector<double> w = hidden->weight.to_vector(), b = hidden->bias.to_vector(), a = output->weight.to_vector();
  int64_t kinks = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == 0 || a[i] == 0) continue;  // a flat hinge, or one the output ignores, bends nothing
    double breakpoint = -b[i] / w[i];
    kinks += breakpoint > low && breakpoint < high;
  }
  return kinks;
}

// Second differences of the fit on the grid: a kink between two grid points makes the second difference
// non-zero at one or both of them, a straight piece leaves it at round-off.
void count_grid_kinks(Fit& fit) {
  const std::vector<double>& f = fit.prediction;
  bool in_run = false;
  for (size_t k = 1; k + 1 < f.size(); ++k) {
    bool bent = std::abs(f[k + 1] - 2 * f[k] + f[k - 1]) > kSecondDifferenceTolerance;
    fit.bent_points += bent;
    fit.grid_kinks += bent && !in_run;
    in_run = bent;
  }
}

Fit fit_sine(int64_t width, uint64_t seed, const Tensor& x, const Tensor& y, const Tensor& fine, int64_t steps, double lr) {
  Generator generator(seed);
  nn::Sequential model({std::make_shared<nn::Linear>(nn::LinearOptions{1, width}, &generator),
                        std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(nn::LinearOptions{width, 1}, &generator)});
  optim::Adam optimizer(model.parameters(), {.lr = lr});
  optim::CosineAnnealingLR schedule(optimizer, steps);  // a decaying step settles the hinges precisely
  for (int64_t step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    mean(pow(model(x) - y, 2)).backward();
    optimizer.step();
    schedule.step();
  }
  Fit fit{.width = width, .seed = seed};
  Tensor fine_prediction = evaluate_f64(model, fine);
  fit.mse = mean(pow(fine_prediction - sin(fine), 2)).item();
  fit.prediction = fine_prediction.to_vector();
  fit.weight_kinks = count_weight_kinks(model, -M_PI, M_PI);
  count_grid_kinks(fit);
  return fit;
}

void run(Context& ctx) {
  const auto steps = static_cast<int64_t>(ctx.parameter("steps", ctx.quick() ? 1500 : 6000));
  const double lr = ctx.parameter("lr", 2e-2);
  const auto seeds = static_cast<int64_t>(ctx.parameter("seeds", 3));
  const auto fine_points = static_cast<int64_t>(ctx.parameter("grid_points", 20001));
  NABLA_KNOB_CHECK(steps >= 1 && seeds >= 1 && fine_points >= 3, "lab Q07: steps, seeds must be positive, grid_points ≥ 3");
  const std::vector<int64_t> widths = ctx.quick() ? std::vector<int64_t>{2, 8, 64} : std::vector<int64_t>{2, 4, 8, 16, 32, 64};

  const Tensor x = linspace(-M_PI, M_PI, 256).unsqueeze(1), y = sin(x);
  const Tensor fine = linspace(-M_PI, M_PI, fine_points, {.dtype = DType::f64}).unsqueeze(1);
  ctx.note(fmt::format("256 training points of sin on [−π, π]; full-batch Adam, lr {:g} with cosine decay, {} steps; "
                       "{} seeds per width; kinks counted on a grid of {} points",
                       lr, steps, seeds, fine_points));

  std::vector<Fit> best;  // per width, the seed with the smallest error
  std::vector<std::vector<std::string>> rows;
  bool within_width = true, kinks_from_weights = true, straight_between = true;
  for (int64_t width : widths) {
    for (int64_t s = 0; s < seeds; ++s) {
      Fit fit = fit_sine(width, ctx.seed() * 1000 + static_cast<uint64_t>(width * 10 + s), x, y, fine, steps, lr);
      within_width &= fit.grid_kinks <= width && fit.weight_kinks <= width;
      kinks_from_weights &= fit.grid_kinks <= fit.weight_kinks;
      straight_between &= fit.bent_points <= 2 * fit.weight_kinks;
      rows.push_back({std::to_string(width), std::to_string(s), fmt::format("{:.3e}", fit.mse), std::to_string(fit.weight_kinks),
                      std::to_string(fit.grid_kinks), std::to_string(fit.bent_points)});
      if (s == 0 || fit.mse < best.back().mse) {
        if (s > 0) best.pop_back();
        best.push_back(std::move(fit));
      }
    }
  }
  ctx.table("Every fit", {"width", "seed", "MSE vs sin", "kinks from weights", "kinks on the grid", "bent grid points"}, rows);

  plot::Panel fits{"One hidden ReLU layer fitting sin(x) (best of the seeds)", "input x (radians)", "output: sin(x) and the network's fit", {}};
  plot::Panel errors{"Error against width (best of the seeds)", "hidden width (ReLU units)", "mean squared error (log scale)", {{"MSE", {}, {}}}, true};
  const std::vector<double> grid_x = fine.to_vector();
  const size_t stride = static_cast<size_t>(std::max<int64_t>(1, fine_points / 400));  // enough points to draw
  plot::Series truth{"sin(x)", {}, {}};
  for (size_t k = 0; k < grid_x.size(); k += stride) truth.x.push_back(grid_x[k]), truth.y.push_back(std::sin(grid_x[k]));
  fits.series.push_back(truth);
  for (const Fit& fit : best) {
    plot::Series series{fmt::format("width {}", fit.width), {}, {}};
    for (size_t k = 0; k < grid_x.size(); k += stride) series.x.push_back(grid_x[k]), series.y.push_back(fit.prediction[k]);
    fits.series.push_back(series);
    errors.series[0].x.push_back(static_cast<double>(fit.width));
    errors.series[0].y.push_back(fit.mse);
    ctx.figure(fmt::format("best MSE, width {}", fit.width), fit.mse);
  }
  ctx.line_plot("fits.png", fits);
  ctx.line_plot("error_by_width.png", errors);

  auto best_of = [&](int64_t width) {
    return *std::find_if(best.begin(), best.end(), [&](const Fit& fit) { return fit.width == width; });
  };
  const Fit two = best_of(2), eight = best_of(8), sixty_four = best_of(64);
  ctx.claim({"best-of-seeds error: width 64 < width 8 < width 2", "시드 중 가장 좋은 오차: 폭 64 < 폭 8 < 폭 2"},
            sixty_four.mse < eight.mse && eight.mse < two.mse,
            format_text({"MSE {:.3e} (64) < {:.3e} (8) < {:.3e} (2)", "MSE {:.3e} (64) < {:.3e} (8) < {:.3e} (2)"},
                        sixty_four.mse, eight.mse, two.mse));
  ctx.claim({"every fit has at most `width` kinks", "모든 근사의 꺾이는 점은 최대 `width`개다"}, within_width,
            format_text({"kinks on the grid and from the weights ≤ width for all {} fits (see the table)",
                         "근사 {}개 모두 격자에서 찾은 꺾임 수와 가중치로 구한 꺾임 수가 width 이하 (표 참조)"},
                        rows.size()));
  ctx.claim({"every kink on the grid is a breakpoint −b/w of the weights",
             "격자에서 보이는 모든 꺾임은 가중치로 정해지는 꺾이는 점 −b/w다"},
            kinks_from_weights,
            {"for every fit, runs of non-zero second differences ≤ breakpoints −bᵢ/wᵢ in (−π, π)",
             "모든 근사에서 0이 아닌 2차 차분이 이어지는 구간의 수 ≤ (−π, π) 안의 꺾이는 점 −bᵢ/wᵢ의 수"});
  ctx.claim({"the fit is straight between its kinks", "근사는 꺾이는 점 사이에서 직선이다"}, straight_between,
            format_text({"grid points whose second difference exceeds {:g}: at most 2 per breakpoint in every fit "
                         "(a smooth curve would bend at nearly all {} points)",
                         "2차 차분이 {:g}보다 큰 격자점: 모든 근사에서 꺾이는 점마다 최대 2개 (매끄러운 곡선이라면 "
                         "{}개 점 거의 모두에서 휜다)"},
                        kSecondDifferenceTolerance, fine_points));
}

const bool registered = register_experiment({
    .id = "Q07",
    .title = "How can ReLU approximate a curve?",
    .question = {"ReLU is piecewise linear. How can a ReLU network approximate a curve such as sin(x)?",
                 "ReLU는 구간별로 선형인 함수인데, 어떻게 ReLU 네트워크가 sin(x) 같은 곡선을 근사할 수 있나요?"},
    .answer = {"Each hidden unit a·max(0, wx + b) is a hinge: zero on one side of x = −b/w, a straight line on the "
               "other. Summing hinges with different positions and slopes gives a piecewise-linear function that "
               "changes slope once per unit, so one hidden layer of width n draws a polyline with at most n kinks. "
               "A curve is approximated the way a polygon approximates a circle: more units give more, shorter "
               "segments, and the error falls as the width grows. The fit is never actually curved; it only "
               "becomes close, and with several layers the number of pieces can grow much faster than the units.",
               "은닉 유닛 하나 a·max(0, wx + b)는 x = −b/w에서 꺾이는 경첩 모양으로, 한쪽은 0이고 다른 쪽은 직선입니다. "
               "위치와 기울기가 다른 경첩들을 더하면 유닛마다 한 번씩 기울기가 바뀌는 구간별 선형 함수가 되므로, 너비 n인 "
               "은닉층 하나는 꺾인 점이 최대 n개인 꺾은선을 그립니다. 다각형이 원을 근사하듯이 유닛이 많을수록 더 짧은 "
               "선분이 많아져서 너비가 커질수록 오차가 줄어듭니다. 근사된 함수가 실제로 휘는 건 아니고 가까워질 뿐이며, "
               "층을 여러 개 쌓으면 조각 수가 유닛 수보다 훨씬 빠르게 늘어날 수 있습니다."},
    .topic = "B C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
