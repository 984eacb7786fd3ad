// Q19: the objectives of supervised and unsupervised learning, each minimised on the same Fashion-MNIST
// pixels and reported side by side.
//   pixels X [N, 196] float64 in [0, 1] (the images averaged over 2×2 blocks to 14×14: nabla's LAPACK is the
//   reference one, and an SVD of 784 columns would take most of the time budget); labels t [N]
//   unsupervised: PCA reconstruction error (X only) and the k-means inertia (X only)
//   supervised:   a linear model on the first 50 principal-component scores Z [N, 50] (+ a bias column),
//                 W [51, 10]: MSE against one-hot labels (gradient descent vs the normal equations) and
//                 cross-entropy (Adam), with the true and with shuffled labels.
#include <algorithm>
#include <cmath>

#include "nabla/data/dataset.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

constexpr int64_t kFeatures = 50;  // principal components fed to the supervised models
constexpr int64_t kSide = 14;      // images are 14×14 after the 2×2 averaging
constexpr int64_t kPixels = kSide * kSide;

struct Pixels {
  Tensor images;  // [N, 196] float64 in [0, 1]
  Tensor labels;  // [N] int64
};

Pixels sample(data::Split split, int64_t count, Generator& generator) {
  auto all = data::fashion_mnist(split);
  count = std::min(count, all->size());
  Tensor chosen = randperm(all->size(), {.dtype = DType::i64}, &generator).narrow(0, 0, count);
  const Tensor images = index_select(all->inputs(), 0, chosen).to(DType::f32) / 255.0;  // [N, 1, 28, 28]
  return {functional::avg_pool2d(images, {.kernel_size = 2}).reshape({count, kPixels}).to(DType::f64),
          index_select(all->targets(), 0, chosen)};
}

std::string number(double value) { return fmt::format("{:.5g}", value); }

// ---- unsupervised: PCA

struct PcaResult {
  double total_variance = 0, error_50 = 0, random_error_50 = 0;
  std::vector<double> eigenvalues;  // all of them, descending
};

PcaResult principal_components(Context& ctx, const Tensor& images, analysis::PCA& pca_50) {
  const auto samples = static_cast<double>(images.size(0));
  PcaResult result;
  // The eigenvalues of the covariance matrix, independently of the PCA class (which goes through an SVD).
  const Tensor centred = images - mean(images, {0});
  const Tensor covariance = matmul(centred.t(), centred) / (samples - 1);
  result.eigenvalues = flip(linalg::eigh(covariance).first, {0}).to_vector();  // descending
  for (double eigenvalue : result.eigenvalues) result.total_variance += eigenvalue;
  // Mean reconstruction error through k components, measured with PCA(k), against the sum of the
  // eigenvalues PCA(k) drops; the (N − 1)/N turns the unbiased variances into the mean over samples.
  std::vector<std::vector<std::string>> rows;
  double largest_mismatch = 0;
  plot::Panel curve{"PCA: mean reconstruction error against components kept", "principal components kept k", "reconstruction error, mean |x − x̂|² (pixel², log scale)", {}, true};
  plot::Series dropped_series{"(N − 1)/N · Σ dropped eigenvalues", {}, {}}, measured_series{"measured with PCA(k)", {}, {}};
  double dropped = result.total_variance;
  for (size_t k = 0; k < result.eigenvalues.size(); ++k) {
    dropped_series.x.push_back(static_cast<double>(k));
    dropped_series.y.push_back(dropped * (samples - 1) / samples);
    dropped -= result.eigenvalues[k];
  }
  for (int64_t kept : {int64_t{10}, kFeatures}) {
    analysis::PCA pca(kept);
    pca.fit(images);
    const double error = pca.reconstruction_error(images);
    double dropped_sum = 0;
    for (size_t k = static_cast<size_t>(kept); k < result.eigenvalues.size(); ++k) dropped_sum += result.eigenvalues[k];
    const double predicted = dropped_sum * (samples - 1) / samples;
    largest_mismatch = std::max(largest_mismatch, std::abs(error - predicted) / predicted);
    rows.push_back({std::to_string(kept), number(error), number(predicted),
                    fmt::format("{:.1f} %", 100 * (1 - dropped_sum / result.total_variance))});
    measured_series.x.push_back(static_cast<double>(kept));
    measured_series.y.push_back(error);
    if (kept == kFeatures) {
      result.error_50 = error;
      pca_50 = pca;
    }
  }
  ctx.table("PCA reconstruction error (pixels in [0, 1])",
            {"components k", "measured mean |x − x̂|²", "(N − 1)/N · Σ dropped eigenvalues", "variance kept"}, rows);
  ctx.claim(
      {"PCA's reconstruction error equals the sum of the dropped eigenvalues",
       "PCA의 재구성 오차는 버린 고윳값들의 합과 같다"},
      largest_mismatch < 1e-8,
      format_text({"largest relative difference over k = 10 and 50 (eigenvalues from eigh of the covariance): {:.3g}",
                   "k = 10과 50에서 최대 상대 차이 (고윳값은 공분산의 eigh로 구함): {:.3g}"},
                  largest_mismatch));

  // Any other rank-50 projection does worse: an orthonormal basis from a random Gaussian matrix.
  const Tensor basis = linalg::qr(randn({kPixels, kFeatures}, {.dtype = DType::f64}, &ctx.generator())).first;  // [196, 50]
  const Tensor residual = centred - matmul(matmul(centred, basis), basis.t());
  result.random_error_50 = sum(residual * residual).item() / samples;
  ctx.claim({"PCA's 50 components reconstruct better than 50 random directions",
             "PCA의 성분 50개는 무작위 방향 50개보다 잘 재구성한다"},
            result.error_50 < result.random_error_50,
            format_text({"mean squared error {:.4f} (PCA) vs {:.4f} (random orthonormal basis); total variance {:.4f}",
                         "평균 제곱 오차 {:.4f} (PCA) 대 {:.4f} (무작위 정규 직교 기저); 전체 분산 {:.4f}"},
                        result.error_50, result.random_error_50, result.total_variance));
  curve.series = {dropped_series, measured_series};
  ctx.line_plot("pca_error.png", curve);
  return result;
}

// ---- unsupervised: k-means

// Σ over points of the squared distance to the mean of their group (the k-means objective of a partition).
double partition_inertia(const Tensor& images, const Tensor& groups, int64_t count) {
  double inertia = 0;
  for (int64_t group = 0; group < count; ++group) {
    const Tensor members = index_select(images, 0, nonzero(eq(groups, full({}, static_cast<double>(group), {.dtype = DType::i64}))).reshape({-1}));
    if (members.size(0) == 0) continue;
    const Tensor offsets = members - mean(members, {0});
    inertia += sum(offsets * offsets).item();
  }
  return inertia;
}

double purity(const Tensor& clusters, const Tensor& labels, int64_t count) {
  int64_t agreeing = 0;
  for (int64_t cluster = 0; cluster < count; ++cluster) {
    const Tensor members = masked_select(labels, eq(clusters, full({}, static_cast<double>(cluster), {.dtype = DType::i64})));
    if (members.numel() > 0) agreeing += static_cast<int64_t>(max(bincount(members)).item());
  }
  return static_cast<double>(agreeing) / static_cast<double>(labels.numel());
}

struct KMeansResult {
  double start = 0, inertia = 0, label_inertia = 0, purity = 0, majority = 0;
  int64_t iterations = 0;
};

KMeansResult cluster(Context& ctx, const Pixels& train) {
  KMeansResult result;
  std::vector<std::vector<std::string>> rows;
  std::vector<double> by_clusters;
  plot::Panel curve{"k-means inertia per Lloyd iteration", "Lloyd iteration (0 = after k-means++ seeding)", "inertia: Σ squared distance to the centre (pixel²)", {}};
  int rises = 0;
  for (int64_t clusters : {5, 10, 20}) {
    analysis::KMeans kmeans({.clusters = clusters, .max_iterations = 100});
    kmeans.fit(train.images, ctx.generator());
    const std::vector<double>& history = kmeans.inertia_history();
    for (size_t k = 1; k < history.size(); ++k) rises += history[k] > history[k - 1];
    plot::Series series{fmt::format("k = {}", clusters), {}, history};
    for (size_t k = 0; k < history.size(); ++k) series.x.push_back(static_cast<double>(k));
    curve.series.push_back(series);
    by_clusters.push_back(kmeans.inertia());
    const double cluster_purity = purity(kmeans.labels(), train.labels, clusters);
    rows.push_back({std::to_string(clusters), number(history.front()), number(kmeans.inertia()),
                    std::to_string(kmeans.iterations()), fmt::format("{:.1f} %", 100 * cluster_purity)});
    if (clusters == 10) {
      result = {.start = history.front(), .inertia = kmeans.inertia(), .purity = cluster_purity, .iterations = kmeans.iterations()};
      ctx.image_grid("kmeans_centres.png", "The 10 k-means centres (no labels used)",
                     clamp(kmeans.centers(), 0, 1).reshape({10, kSide, kSide}).to(DType::f32), 5);
    }
  }
  result.label_inertia = partition_inertia(train.images, train.labels, 10);
  result.majority = max(bincount(train.labels)).item() / static_cast<double>(train.labels.numel());
  rows.push_back({"10 (the true classes)", "—", number(result.label_inertia), "—", "100 %"});
  ctx.table("k-means on the pixels (inertia = Σ squared distance to the nearest centre)",
            {"clusters", "after seeding", "after Lloyd", "Lloyd iterations", "purity (share in the cluster's majority class)"},
            rows);
  ctx.line_plot("kmeans_inertia.png", curve);
  ctx.claim({"k-means: the inertia never rises over Lloyd iterations",
             "k-평균: Lloyd 반복 동안 관성(inertia)이 한 번도 오르지 않는다"},
            rises == 0,
            format_text(
                {"{} rises over the runs for k = 5, 10, 20; k = 10: {:.1f} after seeding → {:.1f} after {} iterations",
                 "k = 5, 10, 20의 실행에서 증가 {0}번; k = 10: 초기화 후 {1:.1f} → 반복 {3}번 후 {2:.1f}"},
                rises, result.start, result.inertia, result.iterations));
  ctx.claim({"k-means: more clusters, lower inertia", "k-평균: 군집이 많을수록 관성이 낮다"},
            by_clusters[0] > by_clusters[1] && by_clusters[1] > by_clusters[2],
            format_text({"k = 5, 10, 20: {:.1f}, {:.1f}, {:.1f}", "k = 5, 10, 20: {:.1f}, {:.1f}, {:.1f}"},
                        by_clusters[0], by_clusters[1], by_clusters[2]));
  ctx.claim(
      {"k-means minimises its own objective, not the labels' partition",
       "k-평균은 레이블의 분할이 아니라 자기 목적 함수를 최소화한다"},
      result.inertia < result.label_inertia,
      format_text({"inertia of the 10 k-means clusters {:.1f} < that of the 10 true classes {:.1f}; purity {:.1f} % "
                   "(largest class alone: {:.1f} %)",
                   "k-평균 군집 10개의 관성 {:.1f} < 실제 클래스 10개의 관성 {:.1f}; 순도 {:.1f} % (가장 큰 클래스 "
                   "하나만: {:.1f} %)"},
                  result.inertia, result.label_inertia, 100 * result.purity, 100 * result.majority));
  return result;
}

// ---- supervised: a linear model on the principal-component scores

// [N, k] scores → [N, k + 1] float32 (the models train in float32, on the fast kernels).
Tensor with_bias(const Tensor& scores) {
  return cat({scores.to(DType::f32), ones({scores.size(0), 1}, {.dtype = DType::f32})}, 1);
}

double accuracy(const Tensor& scores, const Tensor& weights, const Tensor& labels) {
  const Tensor predicted = argmax(matmul(scores, weights), 1);
  return mean(eq(predicted, labels).to(DType::f64)).item();
}

struct Fit {
  std::vector<double> losses;  // per step, step 0 = start
  Tensor weights;
};

// Minimises `objective(Z·W)` over W from zeros with the given optimizer and step count.
Fit minimise(const Tensor& features, const std::function<Tensor(const Tensor&)>& objective, int steps,
             const std::function<std::unique_ptr<optim::Optimizer>(const Tensor&)>& make_optimizer) {
  Fit fit{.weights = zeros({features.size(1), 10}, {.requires_grad = true})};
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(fit.weights);
  for (int step = 0;; ++step) {
    optimizer->zero_grad();
    Tensor loss = objective(matmul(features, fit.weights));
    fit.losses.push_back(loss.item());
    if (step == steps) break;
    loss.backward();
    optimizer->step();
  }
  return fit;
}

struct SupervisedResult {
  double mse_start = 0, mse_end = 0, mse_optimum = 0, cross_entropy_start = 0, cross_entropy_end = 0,
         shuffled_cross_entropy_end = 0, mse_accuracy = 0, cross_entropy_accuracy = 0;
};

SupervisedResult supervised(Context& ctx, const Tensor& train_scores, const Tensor& train_labels,
                            const Tensor& test_scores, const Tensor& test_labels) {
  const int steps = static_cast<int>(ctx.parameter("steps", ctx.quick() ? 200 : 1000));
  const Tensor Z = with_bias(train_scores), test_Z = with_bias(test_scores);
  const Tensor targets = one_hot(train_labels, 10).to(DType::f32);
  SupervisedResult result;

  // MSE: its minimum solves the normal equations ZᵀZ W = ZᵀY (in float64). Gradient descent with step 1/L, L
  // the largest eigenvalue of the loss's Hessian 2ZᵀZ/(N·10) (the loss averages N·10 squared errors).
  const Tensor Z64 = Z.to(DType::f64), targets64 = targets.to(DType::f64);
  const Tensor gram = matmul(Z64.t(), Z64);
  const Tensor optimum = linalg::solve(gram, matmul(Z64.t(), targets64));
  result.mse_optimum = functional::mse_loss(matmul(Z64, optimum), targets64).item();
  const double largest = max(linalg::eigh(gram).first).item() * 2 / static_cast<double>(targets.numel());
  const auto mse = [&](const Tensor& outputs) { return functional::mse_loss(outputs, targets); };
  const Fit mse_fit = minimise(Z, mse, steps, [&](const Tensor& w) {
    return std::make_unique<optim::SGD>(std::vector<Tensor>{w}, optim::SGDOptions{.lr = 1 / largest});
  });
  result.mse_start = mse_fit.losses.front();
  result.mse_end = mse_fit.losses.back();
  result.mse_accuracy = accuracy(test_Z, mse_fit.weights, test_labels);
  const double closed = (result.mse_start - result.mse_end) / (result.mse_start - result.mse_optimum);
  ctx.claim({"MSE: gradient descent approaches the normal-equation minimum from above",
             "MSE: 경사 하강법은 정규 방정식의 최솟값에 위에서부터 다가간다"},
            result.mse_end >= result.mse_optimum - 1e-6 && closed > 0.99,
            format_text({"MSE {:.6f} at W = 0 → {:.6f} after {} steps of η = 1/L = {:.4g}; minimum {:.6f} (normal "
                         "equations): {:.2f} % of the gap closed",
                         "W = 0에서 MSE {0:.6f} → η = 1/L = {3:.4g}로 {2}스텝 후 {1:.6f}; 최솟값 {4:.6f} (정규 "
                         "방정식): 차이의 {5:.2f} %를 좁힘"},
                        result.mse_start, result.mse_end, steps, 1 / largest, result.mse_optimum, 100 * closed));

  // Cross-entropy, with the true labels and with the same labels shuffled among the images.
  const auto adam = [](const Tensor& w) {
    return std::make_unique<optim::Adam>(std::vector<Tensor>{w}, optim::AdamOptions{.lr = 0.05});
  };
  const Fit true_fit = minimise(Z, [&](const Tensor& logits) { return cross_entropy(logits, train_labels); }, steps, adam);
  const Tensor shuffled = index_select(train_labels, 0, randperm(train_labels.numel(), {.dtype = DType::i64}, &ctx.generator()));
  const Fit shuffled_fit = minimise(Z, [&](const Tensor& logits) { return cross_entropy(logits, shuffled); }, steps, adam);
  result.cross_entropy_start = true_fit.losses.front();
  result.cross_entropy_end = true_fit.losses.back();
  result.shuffled_cross_entropy_end = shuffled_fit.losses.back();
  result.cross_entropy_accuracy = accuracy(test_Z, true_fit.weights, test_labels);
  const double true_drop = result.cross_entropy_start - result.cross_entropy_end;
  const double shuffled_drop = result.cross_entropy_start - result.shuffled_cross_entropy_end;
  ctx.claim(
      {"cross-entropy: the minimum depends on the labels", "교차 엔트로피: 최솟값은 레이블에 따라 달라진다"},
      shuffled_drop < 0.25 * true_drop,
      format_text({"from ln 10 = {:.4f} at W = 0, {} Adam steps reach {:.4f} with the true labels (a drop of {:.4f}) "
                   "but only {:.4f} with shuffled ones (a drop of {:.4f}, < a quarter of it)",
                   "W = 0에서의 ln 10 = {0:.4f}부터 Adam {1}스텝으로 실제 레이블에서는 {2:.4f}까지 ({3:.4f} 감소) "
                   "내려가지만, 섞은 레이블에서는 {4:.4f}까지 ({5:.4f} 감소, 그 4분의 1 미만)에 그친다"},
                  result.cross_entropy_start, steps, result.cross_entropy_end, true_drop,
                  result.shuffled_cross_entropy_end, shuffled_drop));

  plot::Panel curves{"Supervised objectives per step (linear model on 50 PCA scores)", "gradient step", "training loss (log scale)", {}, true};
  for (const auto& [name, fit] : std::vector<std::pair<std::string, const Fit*>>{
           {"MSE (GD)", &mse_fit}, {"cross-entropy (Adam)", &true_fit}, {"cross-entropy, shuffled labels", &shuffled_fit}}) {
    plot::Series series{name, {}, fit->losses};
    for (size_t k = 0; k < fit->losses.size(); ++k) series.x.push_back(static_cast<double>(k));
    curves.series.push_back(series);
  }
  curves.series.push_back({"MSE minimum", {0, static_cast<double>(steps)}, {result.mse_optimum, result.mse_optimum}});
  ctx.line_plot("supervised_losses.png", curves);
  return result;
}

void run(Context& ctx) {
  const auto count = static_cast<int64_t>(ctx.parameter("images", ctx.quick() ? 1500 : 10000));
  NABLA_KNOB_CHECK(count >= kPixels, "lab Q19: images must be at least {} (N ≥ D gives every eigenvalue), got {}", kPixels, count);
  const Pixels train = sample(data::Split::train, count, ctx.generator());
  const Pixels test = sample(data::Split::test, 2000, ctx.generator());
  ctx.note(fmt::format("{} Fashion-MNIST training images, averaged to 14×14, as [N, 196] pixel vectors in [0, 1]; 2000 test "
                       "images for the supervised models' accuracy",
                       train.images.size(0)));

  analysis::PCA pca_50(kFeatures);
  const PcaResult pca = principal_components(ctx, train.images, pca_50);
  const KMeansResult kmeans = cluster(ctx, train);
  const SupervisedResult fits =
      supervised(ctx, pca_50.transform(train.images), train.labels, pca_50.transform(test.images), test.labels);

  ctx.table("Four objectives, each minimised",
            {"objective", "learning", "uses labels", "minimised by", "start", "end", "check"},
            {{"PCA reconstruction error (k = 50)", "unsupervised", "no", "SVD (closed form)", number(pca.total_variance),
              number(pca.error_50), fmt::format("random 50-dim basis: {}", number(pca.random_error_50))},
             {"k-means inertia (k = 10)", "unsupervised", "no", "Lloyd iterations", number(kmeans.start),
              number(kmeans.inertia), fmt::format("true classes' partition: {}", number(kmeans.label_inertia))},
             {"MSE to one-hot labels", "supervised", "yes", "gradient descent", number(fits.mse_start), number(fits.mse_end),
              fmt::format("normal equations: {}; test accuracy {:.1f} %", number(fits.mse_optimum), 100 * fits.mse_accuracy)},
             {"cross-entropy", "supervised", "yes", "Adam", number(fits.cross_entropy_start), number(fits.cross_entropy_end),
              fmt::format("shuffled labels: {}; test accuracy {:.1f} %", number(fits.shuffled_cross_entropy_end),
                          100 * fits.cross_entropy_accuracy)}});
  ctx.figure("PCA error, 50 components", pca.error_50);
  ctx.figure("k-means inertia, k = 10", kmeans.inertia);
  ctx.figure("k-means purity, k = 10", kmeans.purity);
  ctx.figure("cross-entropy, minimised", fits.cross_entropy_end);
  ctx.figure("test accuracy, cross-entropy model", fits.cross_entropy_accuracy);
  ctx.figure("test accuracy, MSE model", fits.mse_accuracy);
}

const bool registered = register_experiment({
    .id = "Q19",
    .title = "Objectives in supervised vs unsupervised learning",
    .question = {"What is the objective function in supervised learning, and what is it in unsupervised learning?",
                 "지도 학습과 비지도 학습에서 목적 함수는 각각 무엇인가요?"},
    .answer = {"A supervised objective measures how far the model's outputs are from given targets: mean squared error "
               "for numbers, cross-entropy (the negative log-likelihood of the right class) for labels; shuffle the "
               "labels and the same model's minimum loss is much worse, because the objective is defined by them. An "
               "unsupervised objective uses the inputs alone and scores a summary of them: k-means minimises the "
               "squared distance of each point to its cluster centre (inertia), PCA minimises the error of "
               "reconstructing the data from k directions, which equals the variance of the dropped components. Both "
               "are minimised here (PCA exactly by an SVD, k-means by Lloyd steps that never raise the inertia) and "
               "neither optimum is the labels' grouping, so an unsupervised model is judged by what its structure is "
               "good for, not by a loss against an answer key.",
               "지도 학습의 목적 함수는 모델 출력이 주어진 정답과 얼마나 다른지를 잽니다. 수치 예측이면 평균 제곱 오차, 분류면 "
               "정답 클래스의 음의 로그 가능도인 교차 엔트로피를 쓰고, 레이블을 섞어 버리면 같은 모델이 도달하는 최소 손실이 "
               "훨씬 나빠집니다. 목적 함수 자체가 레이블로 정의되기 때문입니다. 비지도 학습의 목적 함수는 입력만 보고 데이터를 "
               "요약한 결과를 평가합니다. k-평균은 각 점과 소속 군집 중심 사이 거리 제곱의 합(inertia)을, PCA는 k개 방향으로 "
               "데이터를 복원할 때의 오차를 최소화하며 이 오차는 버린 주성분들의 분산 합과 같습니다. 여기서는 둘 다 실제로 "
               "최소화했는데(PCA는 SVD로 정확히, k-평균은 inertia를 절대 올리지 않는 Lloyd 반복으로), 어느 쪽의 최적해도 "
               "레이블대로의 분할은 아닙니다. 그래서 비지도 모델은 정답과의 손실이 아니라 찾아낸 구조가 어디에 쓸모 있는지로 "
               "평가합니다."},
    .topic = "B J",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
