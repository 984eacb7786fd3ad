// Q18: is the point training ends at a global minimum? Around a trained ReLU network on two spirals,
//   x [N, 2] → Linear 32 → ReLU → Linear 32 → ReLU → Linear 2 (logits), full-batch Adam,
// we measure the loss along the straight line from the initial to the trained weights, over a plane of two
// filter-normalised random directions, along the line between two seeds' solutions, the Hessian's extreme
// eigenvalues at the solution, and the final losses of several seeds.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "nabla/data/synthetic.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

struct Solution {
  nn::ModulePtr model;
  analysis::ParameterVector initial, trained;
  double initial_loss = 0, final_loss = 0;
  std::vector<double> losses;  // per step
};

// Trains with full-batch Adam (lr 1e-2) from the initialisation `seed` gives.
Solution train(const data::Labeled& spirals, int steps, uint64_t seed) {
  manual_seed(seed);  // the model initialises from the default generator
  Solution solution{.model = models::mlp({.inputs = 2, .hidden = {32, 32}, .outputs = 2})};
  solution.initial = analysis::parameter_clone(solution.model->parameters());
  auto optimizer = std::make_unique<optim::Adam>(solution.model->parameters(), optim::AdamOptions{.lr = 1e-2});
  for (int step = 0;; ++step) {
    optimizer->zero_grad();
    Tensor loss = cross_entropy((*solution.model)(spirals.inputs), spirals.targets);
    solution.losses.push_back(loss.item());
    if (step == steps) break;
    loss.backward();
    optimizer->step();
  }
  solution.initial_loss = solution.losses.front();
  solution.final_loss = solution.losses.back();
  solution.trained = analysis::parameter_clone(solution.model->parameters());
  return solution;
}

struct LinePath {
  std::vector<double> losses;  // one per α
  double highest = -INFINITY;  // over α in [0, 1]
  double lowest = INFINITY;    // over every α
  int rises = 0;               // steps between neighbouring α in [0, 1] where the loss went up
};

// The loss on the line from `from` (α = 0) to `to` (α = 1), evaluated with `params` moved there and back.
LinePath line_between(const std::vector<Tensor>& params, const analysis::ParameterVector& from,
                      const analysis::ParameterVector& to, const std::vector<double>& alphas, const analysis::LossFunction& loss) {
  LinePath path{.losses = analysis::interpolate(params, from, to, alphas, loss)};
  for (size_t i = 0; i < alphas.size(); ++i) {
    path.lowest = std::min(path.lowest, path.losses[i]);
    if (alphas[i] < -1e-9 || alphas[i] > 1 + 1e-9) continue;
    path.highest = std::max(path.highest, path.losses[i]);
    path.rises += i > 0 && alphas[i - 1] > -1e-9 && path.losses[i] > path.losses[i - 1];
  }
  return path;
}

std::vector<double> steps_of(size_t count) {
  std::vector<double> steps;
  for (size_t k = 0; k < count; ++k) steps.push_back(static_cast<double>(k));
  return steps;
}

void run(Context& ctx) {
  const int steps = static_cast<int>(ctx.parameter("steps", ctx.quick() ? 800 : 3000));
  const int seeds = static_cast<int>(ctx.parameter("seeds", ctx.quick() ? 3 : 10));
  const int64_t grid_points = ctx.quick() ? 21 : 41;
  NABLA_KNOB_CHECK(seeds >= 2, "lab Q18: seeds must be at least 2 (the seeds are compared), got {}", seeds);
  const data::Labeled spirals = data::two_spirals(100, 0.05, ctx.generator());
  ctx.note(fmt::format("two spirals, {} points; MLP 2 → 32 → 32 → 2 (ReLU); {} full-batch Adam steps (lr 1e-2) from {} seeds",
                       spirals.inputs.size(0), steps, seeds));

  std::vector<Solution> solutions;
  for (int seed = 0; seed < seeds; ++seed) solutions.push_back(train(spirals, steps, ctx.seed() * 1000 + static_cast<uint64_t>(seed)));
  const Solution& main = solutions[0];
  const std::vector<Tensor> params = main.model->parameters();
  const analysis::LossFunction loss = [&] { return cross_entropy((*main.model)(spirals.inputs), spirals.targets); };

  // 1. The straight line from the initial weights (α = 0) to the trained ones (α = 1), a little beyond both.
  const std::vector<double> alphas = analysis::grid(-0.25, 1.25, 31);
  const LinePath path = line_between(params, main.initial, main.trained, alphas, loss);
  std::vector<std::string> path_text;
  for (size_t i = 0; i < alphas.size(); i += 3) path_text.push_back(fmt::format("L({:.2f}) = {:.4f}", alphas[i], path.losses[i]));
  ctx.note("loss on θ(α) = (1 − α)·θ₀ + α·θ* (α = 0: initial weights, 1: trained): " +
           fmt::format("{}", fmt::join(path_text, ", ")));
  ctx.note(fmt::format("the path is {}: highest loss for α in [0, 1] {:.5f} against {:.5f} at the start; it rose at {} of "
                       "the 20 steps",
                       path.rises == 0 ? "monotone" : "not monotone", path.highest, main.initial_loss, path.rises));
  ctx.figure("initial → trained: highest loss above the initial loss", path.highest - main.initial_loss);

  // 2. The plane θ* + a·d1 + b·d2 through the trained weights, d1 and d2 random and filter-normalised.
  const analysis::ParameterVector d1 = analysis::random_direction_filter_normalized(params, ctx.generator());
  const analysis::ParameterVector d2 = analysis::random_direction_filter_normalized(params, ctx.generator());
  const std::vector<double> offsets = analysis::grid(-1, 1, grid_points);
  const Tensor surface = analysis::surface_2d(params, d1, d2, offsets, offsets, loss);
  const std::vector<double> values = surface.to_vector();  // row-major [a][b]
  const double centre = values[static_cast<size_t>((grid_points / 2) * grid_points + grid_points / 2)];
  const double lowest = *std::min_element(values.begin(), values.end());
  const double tolerance = 1e-3 * main.initial_loss;
  ctx.claim({"the trained point is the lowest point of the 2-D slice", "학습된 점이 2차원 단면의 가장 낮은 점이다"},
            lowest >= centre - tolerance,
            format_text(
                {"{}×{} grid over a, b in [−1, 1]: centre {:.5f}, lowest {:.5f} (tolerance {:.2g}), highest {:.4g}",
                 "a, b ∈ [−1, 1]의 {}×{} 격자: 중심 {:.5f}, 최저 {:.5f} (허용 오차 {:.2g}), 최고 {:.4g}"},
                grid_points, grid_points, centre, lowest, tolerance, *std::max_element(values.begin(), values.end())));

  // 3. Curvature at the solution: the largest Hessian eigenvalue, and the most negative one (the largest of −H).
  Generator lanczos_generator(ctx.seed() + 17);
  const double top = analysis::top_hessian_eigenvalues(loss, params, 1, 30, lanczos_generator)[0];
  const analysis::LossFunction negated = [&] { return -loss(); };
  const double bottom = -analysis::top_hessian_eigenvalues(negated, params, 1, 30, lanczos_generator)[0];
  ctx.figure("Hessian: largest eigenvalue at the solution", top);
  ctx.figure("Hessian: smallest eigenvalue at the solution", bottom);
  ctx.claim({"no direction at the solution curves down strongly", "해에서 아래로 크게 휘는 방향이 없다"},
            bottom > -0.01 * top,
            format_text({"Hessian eigenvalues (Lanczos, 30 products each): largest {:.4g}, smallest {:.4g}",
                         "헤세 행렬의 고윳값 (란초스, 각각 곱 30번): 최대 {:.4g}, 최소 {:.4g}"},
                        top, bottom));

  // 4. The seeds: equal final losses, different weights, and a barrier on the line between two solutions.
  std::vector<std::vector<std::string>> rows;
  std::vector<double> finals, initials;
  for (size_t seed = 0; seed < solutions.size(); ++seed) {
    const Solution& solution = solutions[seed];
    finals.push_back(solution.final_loss);
    initials.push_back(solution.initial_loss);
    const double distance = analysis::parameter_norm(analysis::parameter_axpy(solution.trained, -1, main.trained));
    rows.push_back({std::to_string(seed), fmt::format("{:.5f}", solution.initial_loss), fmt::format("{:.5f}", solution.final_loss),
                    fmt::format("{:.3f}", analysis::parameter_norm(solution.trained)), fmt::format("{:.3f}", distance)});
  }
  ctx.table("Final training loss per seed", {"seed", "initial loss", "final loss", "‖θ*‖", "‖θ* − θ*₀‖"}, rows);
  const auto [low, high] = std::minmax_element(finals.begin(), finals.end());
  const double initial_mean = std::accumulate(initials.begin(), initials.end(), 0.0) / static_cast<double>(initials.size());
  ctx.figure("final loss, best seed", *low);
  ctx.figure("final loss, worst seed", *high);
  ctx.claim({"every seed ends at about the same loss (spread < 5 % of the initial loss)",
             "모든 시드가 거의 같은 손실에서 끝난다 (퍼짐 < 초기 손실의 5 %)"},
            *high - *low < 0.05 * initial_mean,
            format_text({"final losses {:.5f} … {:.5f} (spread {:.5f}); mean initial loss {:.4f}",
                         "최종 손실 {:.5f} … {:.5f} (퍼짐 {:.5f}); 초기 손실의 평균 {:.4f}"},
                        *low, *high, *high - *low, initial_mean));
  const double separation = analysis::parameter_norm(analysis::parameter_axpy(solutions[1].trained, -1, main.trained));
  const double size = analysis::parameter_norm(main.trained);
  const LinePath between = line_between(params, main.trained, solutions[1].trained, alphas, loss);
  const double ends = std::max(main.final_loss, solutions[1].final_loss);
  const double barrier = between.highest - ends, bump = std::max(0.0, path.highest - main.initial_loss);
  ctx.figure("seed 0 → seed 1: barrier above the worse end", barrier);
  ctx.claim(
      {"two seeds' solutions are different minima with a barrier between them",
       "두 시드의 해는 사이에 장벽이 있는 서로 다른 최솟점이다"},
      separation > 0.5 * size && barrier > 10 * ends,
      format_text({"‖θ*₁ − θ*₀‖ = {:.3f} vs ‖θ*₀‖ = {:.3f}; on the line between them the loss rises {:.4f} above the "
                   "worse end ({:.5f})",
                   "‖θ*₁ − θ*₀‖ = {0:.3f}, ‖θ*₀‖ = {1:.3f}; 둘을 잇는 선분 위에서 손실이 더 나쁜 끝점({3:.5f})보다 "
                   "{2:.4f}만큼 높아진다"},
                  separation, size, barrier, ends));
  ctx.claim({"the path from the initial weights has at most a small bump, the path between solutions a high barrier",
             "초기 가중치에서 오는 경로에는 작은 언덕이 있을 뿐이고, 해와 해 사이의 경로에는 높은 장벽이 있다"},
            bump < 0.1 * barrier,
            format_text({"initial → trained rises {:.4f} above its start; seed 0 → seed 1 rises {:.4f} above its ends",
                         "초기 → 학습 후: 시작점보다 {:.4f} 높아짐; 시드 0 → 시드 1: 끝점보다 {:.4f} 높아짐"},
                        bump, barrier));

  // Pictures.
  plot::Panel lines{"Loss along straight lines in weight space", "α (0 and 1: the line's end points)", "training loss (cross-entropy, nats)", {}};
  lines.series.push_back({"initial (α = 0) → trained (α = 1)", alphas, path.losses});
  lines.series.push_back({"seed 0's solution (α = 0) → seed 1's (α = 1)", alphas, between.losses});
  ctx.line_plot("interpolation.png", lines);
  Grid plane{offsets, offsets, {}, "a (step along direction 1)", "b (step along direction 2)", "training loss (cross-entropy, nats)"};
  for (int64_t j = 0; j < grid_points; ++j) {  // values[i][j] is at (x[j], y[i]): rows follow b (d2), columns a (d1)
    std::vector<double> row;
    for (int64_t i = 0; i < grid_points; ++i) row.push_back(values[static_cast<size_t>(i * grid_points + j)]);
    plane.values.push_back(row);
  }
  ctx.contour_plot("landscape_2d.png", "Training loss on a plane through the solution (filter-normalised directions)", plane,
                   {{"trained weights", {0}, {0}}});
  plot::Panel curves{"Training loss per step, every seed", "optimizer step", "training loss (cross-entropy, nats; log scale)", {}, true};
  for (size_t seed = 0; seed < solutions.size(); ++seed) {
    curves.series.push_back({fmt::format("seed {}", seed), steps_of(solutions[seed].losses.size()), solutions[seed].losses});
  }
  ctx.line_plot("training.png", curves);
}

const bool registered = register_experiment({
    .id = "Q18",
    .title = "Is the solution a global minimum?",
    .question = {"Does training a neural network find the global minimum of the loss?",
                 "신경망을 학습시키면 손실 함수의 전역 최솟값을 찾게 되나요?"},
    .answer = {"Not provably: the loss of a network is non-convex, and gradient descent only guarantees a point where the "
               "gradient is about zero. In practice, for a network with more parameters than it needs, the question "
               "matters less than it sounds: every seed ends at almost the same low training loss, near the lower "
               "bound of 0, yet at different weights, so there are many equally good minima rather than one global "
               "one, and the straight line between two of them usually crosses a ridge. Pictures of the landscape "
               "show a basin: on a random 2-D slice the solution is the lowest point, and the line from the initial "
               "weights descends into it (here after a small bump, so even that line need not be monotone). But a "
               "slice of two directions out of thousands cannot prove a minimum; the Hessian's eigenvalues at the "
               "solution (all ≥ about 0) are the stronger check. And a global minimum of the training loss is not "
               "the goal anyway: what counts is the loss on new data.",
               "증명할 수는 없습니다. 신경망의 손실은 볼록하지 않고, 경사 하강법이 보장하는 것은 기울기가 거의 0인 점뿐입니다. "
               "하지만 필요한 것보다 파라미터가 많은 네트워크에서는 이 문제가 생각보다 덜 중요합니다. 시드마다 최종 학습 손실은 "
               "하한인 0에 가깝게 거의 같지만 가중치는 서로 달라서, 전역 최솟값이 하나 있다기보다 똑같이 좋은 최솟값이 여러 개 "
               "있고, 두 해를 잇는 직선 위에는 보통 언덕이 있습니다. 손실 지형 그림은 골짜기를 보여 줍니다. 무작위 2차원 단면에서 해가 가장 낮은 "
               "점이고, 초기 가중치에서 이어지는 직선도 그 골짜기로 내려갑니다(여기서는 작은 언덕을 한 번 넘으므로 이 직선조차 "
               "단조롭게 내려간다는 보장은 없습니다). 하지만 수천 개 중 두 방향만 본 단면으로는 최솟값임을 증명할 수 없고, 해에서 헤시안 고윳값이 모두 0 이상인지 보는 것이 더 강한 확인입니다. 그리고 학습 손실의 전역 "
               "최솟값이 목표도 아닙니다. 중요한 것은 새로운 데이터에서의 손실입니다."},
    .topic = "J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
